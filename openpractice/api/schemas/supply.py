"""Supply chain: the small references the vendor, contract, item, stock, movement, purchase-order and rep-visit
operations share (a vendor, an item, a storage place, a lot, a packaging) and two input helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema


class VendorRefOut(Schema):
    id: int
    name: str


class ItemRefOut(Schema):
    id: int
    sku: str = Field(description="The practice's item number")
    name: str
    base_unit: str = Field(description="The unit stock is counted in (quantities are whole base units)")


class PlaceRefOut(Schema):
    id: int
    name: str
    kind: str = Field(description="supply_room, exam_room, samples, office or other")
    location_id: int


class LotOut(Schema):
    id: int
    number: str
    expires_on: dt.date | None


class PackagingOut(Schema):
    id: int
    name: str = Field(description="e.g. box, case")
    base_quantity: int = Field(description="Base units in one package (a case of 100: 100)")


def unknown(field: str, value: int, what: str) -> ValidationError:
    """The same answer for a row that does not exist and one the caller may not see (no existence leak)."""
    return ValidationError({field: _("There is no %(what)s with id %(id)s that you may use.") % {
        "what": what, "id": value}}, code="unknown_reference")


def referenced(queryset: Any, key: str, value: int | None, what: str) -> Any:
    """The row a request's `<name>_id` names (None stays None); an id not in `queryset` is refused like unknown."""
    if value is None:
        return None
    found = queryset.filter(pk=value).first()
    if found is None:
        raise unknown(key, value, what)
    return found


def refuse_nulls(data: dict[str, Any], nullable: tuple[str, ...] = ()) -> None:
    """PATCH bodies: null clears only the fields that may be empty."""
    for name, value in data.items():
        if value is None and name not in nullable:
            raise ValidationError({name: _("This field cannot be empty.")}, code="required")
