"""Webhook reads. A manager sees the subscriptions they own (and their delivery logs) only: see
services_webhooks for why subscriptions are not shared."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def subscriptions_owned(*, actor: Any) -> QuerySet[WebhookSubscription]:
    """The actor's subscriptions, each with the status and time of its latest delivery (one query)."""
    if not can(actor, Perm.INTEGRATIONS_MANAGE):
        return WebhookSubscription.objects.none()
    latest = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    return (WebhookSubscription.objects.filter(owner_id=actor.pk)
            .annotate(last_status=Subquery(latest.values("status")[:1]),
                      last_delivery_at=Subquery(latest.values("created_at")[:1])))


def deliveries_owned(*, actor: Any) -> QuerySet[WebhookDelivery]:
    if not can(actor, Perm.INTEGRATIONS_MANAGE):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(subscription__owner_id=actor.pk).select_related("subscription")


def delivery_log(*, subscription: WebhookSubscription, status: str = "") -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first, optionally of one status."""
    rows = WebhookDelivery.objects.filter(subscription=subscription).defer("payload")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")
