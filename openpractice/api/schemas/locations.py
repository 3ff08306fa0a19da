from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from .common import AddressOut, address_of


class OpeningHoursOut(Schema):
    weekday: int
    weekday_name: str
    opens_at: dt.time
    closes_at: dt.time

    @staticmethod
    def resolve_weekday_name(obj: Any) -> str:
        return str(obj.get_weekday_display())


class LocationOut(Schema):
    id: int
    name: str
    code: str
    place_of_service: str
    place_of_service_name: str
    phone: str
    npi: str
    is_active: bool
    address: AddressOut
    opening_hours: list[OpeningHoursOut]

    @staticmethod
    def resolve_address(obj: Any) -> AddressOut:
        return address_of(obj)

    @staticmethod
    def resolve_opening_hours(obj: Any) -> list[Any]:
        # Served from the selector's prefetch: no query per location.
        return list(obj.opening_hours.all())
