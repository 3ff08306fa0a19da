"""Webhook writes: subscriptions (create, edit, rotate the secret, deactivate), manual redelivery and test pings,
and queueing the deliveries of a domain event.

A subscription belongs to the manager who made it and is managed by that person only: its deliveries carry
what its owner may see, so letting another manager point it elsewhere would hand them the owner's view.
The signing secret is returned once (create, rotate) for the page to show, and is never audited.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from .models import PING, DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from .urlsafety import validate_webhook_url

log = logging.getLogger(__name__)

# What the owner must hold at the event's location for a subscription to hear of it.
EVENT_PERMISSIONS: dict[str, str] = {
    WebhookEvent.APPOINTMENT_BOOKED: Perm.SCHEDULE_VIEW,
    WebhookEvent.APPOINTMENT_CANCELLED: Perm.SCHEDULE_VIEW,
    WebhookEvent.CLAIM_STATUS_CHANGED: Perm.BILLING_VIEW,
    WebhookEvent.PAYMENT_POSTED: Perm.BILLING_VIEW,
    WebhookEvent.STOCK_BELOW_PAR: Perm.INVENTORY_VIEW,
    WebhookEvent.INCIDENT_LOGGED: Perm.COMPLIANCE_INCIDENTS,
}
MAX_NAME_LENGTH = 120


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _authorize(*, actor: Any, action: str, target: WebhookSubscription | None = None) -> None:
    """integrations.manage, and for an existing subscription, being its owner."""
    if not can(actor, Perm.INTEGRATIONS_MANAGE):
        raise refuse(actor=actor, permission=Perm.INTEGRATIONS_MANAGE, action=action, target=target)
    if target is not None and target.owner_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="subscription owner", action=action, target=target)


def _clean(*, name: str, url: str, events: Iterable[str]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the subscription a name.")]
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = [_("At most %(n)s characters.") % {"n": MAX_NAME_LENGTH}]
    try:
        url = validate_webhook_url(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    chosen = list(dict.fromkeys(str(event) for event in events or ()))
    unknown = [event for event in chosen if event not in WebhookEvent.values]
    if unknown:
        errors["events"] = [_("Unknown event: %(events)s.") % {"events": ", ".join(unknown)[:200]}]
    elif not chosen:
        errors["events"] = [_("Choose at least one event.")]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "url": url, "events": [event for event in WebhookEvent.values if event in chosen]}


def subscription_create(*, actor: Any, name: str, url: str, events: Iterable[str]) -> tuple[WebhookSubscription, str]:
    """A new subscription owned by `actor`; returns it with its secret, to be shown once."""
    _authorize(actor=actor, action="integrations.webhook_create")
    data = _clean(name=name, url=url, events=events)
    secret = new_secret()
    subscription = WebhookSubscription(owner=actor, secret=secret, **data)
    subscription.full_clean()
    with transaction.atomic():
        subscription.save(force_insert=True)
        record(actor=actor, action="integrations.webhook_created", target=subscription,
               changed_fields=["name", "url", "events", "secret"], reason=",".join(subscription.events)[:200])
    return subscription, secret


def subscription_update(*, actor: Any, subscription: WebhookSubscription, name: str, url: str,
                        events: Iterable[str]) -> WebhookSubscription:
    _authorize(actor=actor, action="integrations.webhook_update", target=subscription)
    data = _clean(name=name, url=url, events=events)
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if not current.is_active:
            raise ValidationError(_("This subscription is deactivated; make a new one instead."), code="inactive")
        changed = [field for field, value in data.items() if getattr(current, field) != value]
        if changed:
            for field in changed:
                setattr(current, field, data[field])
            current.full_clean()
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="integrations.webhook_updated", target=current, changed_fields=changed)
    return current


def subscription_rotate_secret(*, actor: Any, subscription: WebhookSubscription) -> str:
    """A new signing secret, returned to be shown once; the old one stops signing at once."""
    _authorize(actor=actor, action="integrations.webhook_rotate_secret", target=subscription)
    secret = new_secret()
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if not current.is_active:
            raise ValidationError(_("This subscription is deactivated."), code="inactive")
        current.secret = secret
        current.save(update_fields=["secret", "updated_at"])
        record(actor=actor, action="integrations.webhook_secret_rotated", target=current, changed_fields=["secret"])
    subscription.secret = secret
    return secret


def subscription_deactivate(*, actor: Any, subscription: WebhookSubscription) -> WebhookSubscription:
    """Stop the subscription: nothing more is queued, and what waits to be retried is given up when it comes due."""
    _authorize(actor=actor, action="integrations.webhook_deactivate", target=subscription)
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if current.is_active:
            current.is_active = False
            current.save(update_fields=["is_active", "updated_at"])
            record(actor=actor, action="integrations.webhook_deactivated", target=current,
                   changed_fields=["is_active"])
    subscription.is_active = False
    return current


# --- deliveries --------------------------------------------------------------------------------------------------


def _payload(*, event_id: uuid.UUID, event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(event_id), "event": event, "created_at": timezone.now().isoformat(), "data": data}


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook  # the task module imports the sender; only needed when queueing

    def send() -> None:
        for delivery_id in delivery_ids:
            try:
                deliver_webhook(delivery_id)
            except Exception:  # the minute's sweep sends what could not be queued
                log.exception("webhook delivery %s could not be queued", delivery_id)

    transaction.on_commit(send)


def deliveries_queue(*, event: str, location_id: int | None, data: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery per active subscription listening to `event` whose active owner holds the event's permission
    at its location, queued for sending. Four queries whatever the number of subscriptions (subscriptions with
    owners, the owners' roles, their locations, the insert) and one when nobody listens."""
    permission = EVENT_PERMISSIONS.get(event)
    if permission is None:
        return []
    listening = [subscription for subscription in WebhookSubscription.objects.filter(
        is_active=True, owner__is_active=True).select_related("owner").order_by("pk")
        if event in (subscription.events or [])]
    if not listening:
        return []
    prefetch_related_objects([subscription.owner for subscription in listening], "role_assignments__locations")
    event_id = uuid.uuid4()
    payload = _payload(event_id=event_id, event=event, data=data)
    now = timezone.now()
    rows = [WebhookDelivery(subscription=subscription, event_id=event_id, event=event, payload=payload,
                            next_attempt_at=now)
            for subscription in listening if can(subscription.owner, permission, location_id)]
    if not rows:
        return []
    with transaction.atomic():
        created = WebhookDelivery.objects.bulk_create(rows)
        _enqueue([row.pk for row in created])
    return created


def delivery_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed event again, as a new entry in the log with the same event id (receivers
    de-duplicate by it) and the same payload."""
    subscription = delivery.subscription
    _authorize(actor=actor, action="integrations.webhook_redeliver", target=subscription)
    if not subscription.is_active:
        raise ValidationError(_("This subscription is deactivated."), code="inactive")
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        raise ValidationError(_("This delivery is still being tried; wait for it to succeed or fail."),
                              code="still_open")
    with transaction.atomic():
        again = WebhookDelivery.objects.create(subscription=subscription, event_id=delivery.event_id,
                                               event=delivery.event, payload=delivery.payload,
                                               next_attempt_at=timezone.now())
        record(actor=actor, action="integrations.webhook_redelivered", target=again,
               reason=f"delivery {delivery.pk}, event {delivery.event_id}")
        _enqueue([again.pk])
    return again


def subscription_ping(*, actor: Any, subscription: WebhookSubscription) -> WebhookDelivery:
    """A "ping" event, to check the receiver and its signature check; shown in the log like any delivery."""
    _authorize(actor=actor, action="integrations.webhook_ping", target=subscription)
    if not subscription.is_active:
        raise ValidationError(_("This subscription is deactivated."), code="inactive")
    event_id = uuid.uuid4()
    with transaction.atomic():
        # "ping" is a delivery event (DELIVERY_EVENTS) but not a subscribable one (WebhookEvent).
        ping = WebhookDelivery.objects.create(
            subscription=subscription, event_id=event_id, event=PING,
            payload=_payload(event_id=event_id, event=PING, data={"subscription_id": subscription.pk}),
            next_attempt_at=timezone.now())
        record(actor=actor, action="integrations.webhook_pinged", target=subscription)
        _enqueue([ping.pk])
    return ping
