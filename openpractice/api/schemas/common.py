from __future__ import annotations

from ninja import Schema


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
