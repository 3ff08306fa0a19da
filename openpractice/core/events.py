"""Domain events: the apps announce what happened (an appointment booked, a payment posted ...) without knowing
who listens. Webhooks (the integrations app) listen. An event is sent only once the transaction that made it
commits, so nobody hears about something that was rolled back.

    emit("appointment.booked", location_id=appointment.location_id, data={"appointment_id": appointment.pk})

`data` holds identifiers and business facts only, never a patient's name or other demographics: listeners pass
it to outside systems, which fetch details through the API with their own permissions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# Sent with event (str), location_id (int | None) and data (dict).
domain_event = Signal()


def emit(event: str, *, location_id: int | None, data: dict[str, Any]) -> None:
    def send() -> None:
        domain_event.send(sender=None, event=event, location_id=location_id, data=data)

    transaction.on_commit(send)
