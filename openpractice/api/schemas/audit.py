from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator


class AuditEventFilterIn(Schema):
    user: int | None = Field(None, description="Id of the acting user.")
    patient_id: int | None = Field(None, description="Events about this patient.")
    action: str | None = Field(None, max_length=80, description="Exact action, e.g. accounts.token_created.")
    since: dt.datetime | None = Field(None, description="Events at or after this time (ISO 8601; UTC if no offset).")
    until: dt.datetime | None = Field(None, description="Events before this time (ISO 8601; UTC if no offset).")

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Storage is UTC: a time without an offset is read as UTC rather than guessed.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        # In UTC before it reaches the query: PostgreSQL refuses offsets past ±15:59 that ISO 8601 allows.
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("out of range") from None


class AuditEventOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"seq": 1, "occurred_at": "2026-11-02T15:30:00Z", "actor_id": 12, "actor_label": "", "action": "",
         "object_type": "", "object_id": "", "patient_id": 12, "location_id": 12, "ip_address": "", "user_agent": "",
         "outcome": "", "changed_fields": [""], "reason": "", "hash": ""}]}}
    seq: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    patient_id: int | None
    location_id: int | None
    ip_address: str | None
    user_agent: str
    outcome: str
    changed_fields: list[str]
    reason: str
    hash: str

    @staticmethod
    def resolve_changed_fields(obj: Any) -> list[str]:
        return list(obj.changed_field_list)
