from __future__ import annotations

from ninja import Schema

from .common import LocationRefOut


class GrantOut(Schema):
    role: str
    tier: str
    all_locations: bool
    location_ids: list[int]


class MeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "username": "jsample", "display_name": "Avery Example, MD", "email": "jordan.sample@example.org",
         "auth_method": "", "roles": [{"role": "", "tier": "", "all_locations": False, "location_ids": [12]}],
         "tiers": [""], "all_locations": False, "locations": [{"id": 12, "name": "North Clinic", "code": "north"}],
         "permissions": [""]}]}}
    id: int
    username: str
    display_name: str
    email: str
    auth_method: str
    roles: list[GrantOut]
    tiers: list[str]
    all_locations: bool
    locations: list[LocationRefOut]
    permissions: list[str]
