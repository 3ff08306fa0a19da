"""The HIPAA access log for FHIR reads: one patients.viewed event per distinct patient a response shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpractice.audit.services import Event, record_many


def audit_patients(actor: Any, patients: Iterable[tuple[int, int | None]]) -> None:
    """(patient id, home location id) pairs → the event patients.selectors.patient_record_viewed writes, for each
    distinct patient, in one statement: a page costs a fixed number of queries however many patients it shows."""
    seen: dict[int, int | None] = {}
    for patient_id, location_id in patients:
        seen.setdefault(patient_id, location_id)
    if not seen:
        return
    record_many(actor=actor, events=[
        Event(action="patients.viewed", object_type="patients.patient", object_id=str(patient_id),
              patient_id=patient_id, location_id=location_id, reason="fhir")
        for patient_id, location_id in seen.items()])
