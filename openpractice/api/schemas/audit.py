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
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class AuditEventOut(Schema):
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
