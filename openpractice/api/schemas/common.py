from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import WithJsonSchema

# A wall-clock time of day without an offset ("08:30:00"), as opening hours and routing windows are kept. Pydantic
# documents `time` as JSON Schema's "time", which is RFC 3339 full-time and requires an offset ("08:30:00Z"): our
# answers would not match our own document. "partial-time" is RFC 3339's name for what we send.
LocalTime = Annotated[dt.time, WithJsonSchema({
    "type": "string", "format": "partial-time", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "examples": ["08:30:00"],
})]


class AddressOut(Schema):
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str


def address_of(obj: object) -> AddressOut:
    return AddressOut(
        line1=obj.address_line1,  # type: ignore[attr-defined]
        line2=obj.address_line2,  # type: ignore[attr-defined]
        city=obj.city,  # type: ignore[attr-defined]
        state=obj.state,  # type: ignore[attr-defined]
        postal_code=obj.postal_code,  # type: ignore[attr-defined]
    )


class LocationRefOut(Schema):
    id: int
    name: str
    code: str
