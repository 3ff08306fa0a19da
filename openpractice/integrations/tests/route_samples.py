"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind to a function
(world, actor) -> (object in the actor's scope, object outside it). A subscription is its owner's only: the
actor's own is in scope, the stranger's is not.

    "webhook": subscriptions,   # webhook_detail/edit/rotate/deactivate/ping (<pk> = WebhookSubscription)
    "delivery": deliveries,     # delivery_redeliver (<pk> = WebhookDelivery, failed, so it may be sent again)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openpractice.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

# A closed port on this machine: a send that happens anyway fails at once.
URL = "http://127.0.0.1:9/route-sample"


def _subscription(world: Any, owner: Any) -> WebhookSubscription:
    cache: dict[int, WebhookSubscription] = world.__dict__.setdefault("_webhook_samples", {})
    if owner.pk not in cache:
        cache[owner.pk] = WebhookSubscription.objects.create(
            name=f"Route sample {owner.pk}", url=URL, events=["payment.posted"], secret="route-sample-secret",
            owner=owner)
    return cache[owner.pk]


def _delivery(world: Any, owner: Any) -> WebhookDelivery:
    cache: dict[int, WebhookDelivery] = world.__dict__.setdefault("_webhook_delivery_samples", {})
    if owner.pk not in cache:
        cache[owner.pk] = WebhookDelivery.objects.create(
            subscription=_subscription(world, owner), event="payment.posted", payload={"id": "sample"},
            status=DeliveryStatus.FAILED, attempts=6, last_status_code=500, last_error="HTTP 500")
    return cache[owner.pk]


def subscriptions(world: Any, actor: Any) -> tuple[Any, Any]:
    return _subscription(world, actor or world.stranger), _subscription(world, world.stranger)


def deliveries(world: Any, actor: Any) -> tuple[Any, Any]:
    return _delivery(world, actor or world.stranger), _delivery(world, world.stranger)


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {"webhook": subscriptions, "delivery": deliveries}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset()
