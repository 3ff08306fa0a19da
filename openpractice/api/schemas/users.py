from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from .common import LocationRefOut


class RoleOut(Schema):
    role: str
    role_name: str
    tier: str
    tier_name: str
    all_locations: bool
    locations: list[LocationRefOut]

    @staticmethod
    def resolve_role_name(obj: Any) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_tier_name(obj: Any) -> str:
        return str(obj.get_tier_display())

    @staticmethod
    def resolve_locations(obj: Any) -> list[Any]:
        return list(obj.locations.all())


class UserOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "username": "jsample", "email": "jordan.sample@example.org", "first_name": "Jordan",
         "last_name": "Sample", "display_name": "Avery Example, MD", "job_title": "", "is_active": True,
         "status": "open", "date_joined": "2026-11-02T15:30:00Z", "last_login": "2026-11-02T15:30:00Z",
         "deactivated_at": "2026-11-02T15:30:00Z",
         "roles": [{"role": "", "role_name": "Example", "tier": "", "tier_name": "Example", "all_locations": False, "locations": [{"id": 12, "name": "North Clinic", "code": "north"}]}]}]}}
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    display_name: str
    job_title: str
    is_active: bool
    status: str = Field(description="active, invited, invitation_lapsed or deactivated")
    date_joined: dt.datetime
    last_login: dt.datetime | None
    deactivated_at: dt.datetime | None
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj: Any) -> list[Any]:
        # Served from the selector's prefetch of role_assignments and their locations.
        return list(obj.role_assignments.all())
