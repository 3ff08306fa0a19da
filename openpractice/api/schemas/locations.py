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
        {"id": 1, "name": "Raleigh Main", "code": "ral", "place_of_service": "11", "place_of_service_name": "Office",
         "phone": "919-555-0142", "npi": "1245319599", "is_active": True,
         "address": {"line1": "4200 Glenwood Ave", "line2": "Suite 210", "city": "Raleigh", "state": "NC", "postal_code": "27612"},
         "opening_hours": [{"weekday": 0, "weekday_name": "Monday", "opens_at": "08:00:00", "closes_at": "17:00:00"}, {"weekday": 1, "weekday_name": "Tuesday", "opens_at": "08:00:00", "closes_at": "17:00:00"}]}]}}
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
