from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from .common import LocationRefOut


class RefOut(Schema):
    id: int
    name: str


class PatientRefOut(Schema):
    id: int
    account_number: str
    first_name: str
    last_name: str


class ProviderRefOut(Schema):
    id: int
    display_name: str


class AppointmentOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5530,
         "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "provider": {"id": 7, "display_name": "Priya Raman, MD"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "room": {"id": 4, "name": "Exam 3"},
         "appointment_type": {"id": 2, "name": "Follow-up visit"}, "starts_at": "2026-10-14T13:30:00Z",
         "ends_at": "2026-10-14T13:50:00Z", "status": "completed", "checked_in_at": "2026-10-14T13:22:41Z",
         "checked_out_at": "2026-10-14T14:05:10Z", "notes": "Follow-up, blood pressure check"}]}}
    id: int
    patient: PatientRefOut
    provider: ProviderRefOut
    location: LocationRefOut
    room: RefOut | None
    appointment_type: RefOut
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    notes: str | None = Field(None, description="Only for callers who may see front-desk notes.")

    @staticmethod
    def resolve_notes(obj: Any, context: Any) -> str | None:
        return obj.notes if getattr(obj, "show_notes", False) else None


class AppointmentFilters(Schema):
    provider: int | None = None
    location: int | None = None
    patient: int | None = None
    status: str | None = None
    starts_from: dt.datetime | None = Field(None, description="Appointments starting at or after this instant.")
    starts_before: dt.datetime | None = Field(None, description="Appointments starting before this instant.")


class AppointmentIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient": 1042, "provider": 7, "location": 1, "appointment_type": 2, "room": 4,
         "starts_at": "2026-12-03T15:30:00Z", "notes": "Follow-up, blood pressure check"}]}}
    patient: int
    provider: int
    location: int
    appointment_type: int
    room: int | None = None
    starts_at: dt.datetime = Field(description="With a time zone offset, e.g. 2025-03-03T09:00:00-05:00.")
    notes: str = Field("", max_length=200)
    outside_hours: bool = Field(False, description="Book even though the time is outside the provider's weekly "
                                                   "hours at that location (audited as such).")


class AppointmentPatch(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"action": "reschedule", "starts_at": "2026-12-04T14:00:00Z", "reason": "Patient asked for a later day"},
        {"action": "cancel", "reason": "Patient is ill"}]}}
    action: Literal["reschedule", "cancel"]
    starts_at: dt.datetime | None = Field(None, description="reschedule: the new start.")
    provider: int | None = Field(None, description="reschedule: another provider (optional).")
    reason: str = Field("", max_length=200, description="cancel: why (required).")
    outside_hours: bool = Field(False, description="reschedule: move even though the new time is outside the "
                                                   "provider's weekly hours at the location (audited as such).")
