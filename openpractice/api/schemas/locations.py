from __future__ import annotations

from typing import Any

from ninja import Schema

from .common import AddressOut, LocalTime, address_of


class OpeningHoursOut(Schema):
    weekday: int
    weekday_name: str
    opens_at: LocalTime
    closes_at: LocalTime

    @staticmethod
    def resolve_weekday_name(obj: Any) -> str:
        return str(obj.get_weekday_display())


class LocationOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "name": "North Clinic", "code": "north", "place_of_service": "11",
         "place_of_service_name": "Example", "phone": "555-0100", "npi": "1234567893", "is_active": True,
         "address": {"line1": "", "line2": "", "city": "Springfield", "state": "NC", "postal_code": "27601"},
         "opening_hours": [{"weekday": 1, "weekday_name": "Example", "opens_at": "08:30:00", "closes_at": "08:30:00"}]}]}}
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
