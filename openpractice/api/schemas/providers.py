from __future__ import annotations

from typing import Any

from ninja import Schema

from .common import LocationRefOut


class ProviderOut(Schema):
    id: int
    first_name: str
    last_name: str
    credential: str
    kind: str
    npi: str
    taxonomy_code: str
    is_billing: bool
    is_rendering: bool
    is_active: bool
    locations: list[LocationRefOut]

    @staticmethod
    def resolve_locations(obj: Any) -> list[Any]:
        # Served from the selector's prefetch: no query per provider.
        return list(obj.locations.all())
