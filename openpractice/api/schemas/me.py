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
        {"id": 14, "username": "mlopez", "display_name": "Maria Lopez", "email": "maria.lopez@example.org",
         "auth_method": "token",
         "roles": [{"role": "biller", "tier": "standard", "all_locations": False, "location_ids": [1, 2]}],
         "tiers": ["standard"], "all_locations": False,
         "locations": [{"id": 1, "name": "Raleigh Main", "code": "ral"}, {"id": 2, "name": "Cary Office", "code": "cary"}],
         "permissions": ["billing.manage", "billing.post_payments", "billing.view", "patients.view_demographics", "patients.view_financial"]}]}}
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
