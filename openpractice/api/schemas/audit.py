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
        {"seq": 184233, "occurred_at": "2026-11-20T16:40:12Z", "actor_id": 6, "actor_label": "tkeller",
         "action": "patients.viewed", "object_type": "patients.patient", "object_id": "1042", "patient_id": 1042,
         "location_id": 1, "ip_address": "10.20.1.37", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
         "outcome": "allowed", "changed_fields": [], "reason": "",
         "hash": "3b8f1d2c6a90e4f7b15c28d9e03a6f4c7d1e8b25a94c0f3e6d7b2a18c5e9f40d"}]}}
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
