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
        {"id": 14, "username": "mlopez", "email": "maria.lopez@example.org", "first_name": "Maria",
         "last_name": "Lopez", "display_name": "Maria Lopez", "job_title": "Billing specialist", "is_active": True,
         "status": "active", "date_joined": "2025-04-07T13:00:00Z", "last_login": "2026-11-20T13:05:52Z",
         "deactivated_at": None,
         "roles": [{"role": "biller", "role_name": "Biller / coder", "tier": "standard", "tier_name": "Standard", "all_locations": False, "locations": [{"id": 1, "name": "Raleigh Main", "code": "ral"}, {"id": 2, "name": "Cary Office", "code": "cary"}]}]}]}}
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
