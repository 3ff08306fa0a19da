"""Listeners for the domain events that core.events announces once their transaction has committed.

Webhooks: each event becomes deliveries for the subscriptions that listen to it (services_webhooks). The domain
work is already committed when this runs, so nothing here may fail it: an error is logged, and the person who
booked the appointment still sees it booked.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from openpractice.core.events import domain_event

from .services_webhooks import deliveries_queue

log = logging.getLogger(__name__)


@receiver(domain_event, dispatch_uid="integrations.webhooks")
def queue_webhook_deliveries(sender: Any, *, event: str, location_id: int | None, data: dict[str, Any],
                             **kwargs: Any) -> None:
    try:
        deliveries_queue(event=event, location_id=location_id, data=data)
    except Exception:
        log.exception("webhook deliveries for %s could not be queued", event)
