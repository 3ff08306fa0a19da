from __future__ import annotations

from ninja import Schema

from .common import LocationRefOut


class GrantOut(Schema):
    role: str
    tier: str
    all_locations: bool
    location_ids: list[int]


class MeOut(Schema):
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
