"""Catalogue writes: items, their packagings, vendor prices (price schedules), storage places and par levels.

inventory.manage (anywhere for the practice-wide catalogue; at the place's location for places and par levels).
Every change is audited with the fields it touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location

from ..models import Item, Packaging, ParLevel, StoragePlace, VendorItem

ITEM_FIELDS: tuple[str, ...] = ("sku", "name", "category", "base_unit", "lot_tracked", "preferred_vendor",
                                "description", "is_active")


def _require(actor: Any, action: str, target: Any = None, location: Any = None) -> None:
    if not can(actor, Perm.INVENTORY_MANAGE, location):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action=action, target=target)


def _clean(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


def item_save(*, actor: Any, data: Mapping[str, Any], item: Item | None = None) -> Item:
    """Add or change a catalogue item. The item number is unique ignoring case; an item that already has lots
    keeps tracking them."""
    _require(actor, "inventory.item_save", item)
    values = _clean(data, ITEM_FIELDS)
    target = item or Item()
    if item is not None and values.get("lot_tracked") is False and item.lots.exists():
        raise ValidationError({"lot_tracked": _("Stock of this item is kept by lot; it keeps tracking lots.")})
    with transaction.atomic():
        changed = [name for name, value in values.items() if getattr(target, name) != value]
        for name in changed:
            setattr(target, name, values[name])
        target.full_clean(validate_unique=False)
        sku_taken = Item.objects.filter(sku__iexact=target.sku)
        if target.pk:
            sku_taken = sku_taken.exclude(pk=target.pk)
        if sku_taken.exists():
            raise ValidationError({"sku": _("Another item has this number.")})
        if target.pk is None:
            target.save(force_insert=True)
        elif changed:
            target.save(update_fields=[*changed, "updated_at"])
        else:
            return target
        record(actor=actor, action="inventory.item_saved", target=target, changed_fields=changed)
    return target


def packaging_add(*, actor: Any, item: Item, name: str, base_quantity: int) -> Packaging:
    _require(actor, "inventory.packaging_add", item)
    packaging = Packaging(item=item, name=name.strip(), base_quantity=base_quantity)
    packaging.full_clean()
    with transaction.atomic():
        packaging.save(force_insert=True)
        record(actor=actor, action="inventory.packaging_added", target=item, changed_fields=["packagings"])
    return packaging


def price_add(*, actor: Any, item: Item, vendor: Any, price: Decimal, effective_from: dt.date,
              packaging: Packaging | None = None, vendor_sku: str = "", contract: Any = None) -> VendorItem:
    """A new price from a date; the previous open-ended price of the same vendor and packaging ends the day
    before, so the schedule has no overlaps."""
    _require(actor, "inventory.price_add", item)
    if packaging is not None and packaging.item_id != item.pk:
        raise ValidationError({"packaging": _("The packaging is not the item's.")})
    if contract is not None and contract.vendor_id != vendor.pk:
        raise ValidationError({"contract": _("Choose one of this vendor's contracts.")})
    with transaction.atomic():
        earlier = VendorItem.objects.select_for_update().filter(
            vendor=vendor, item=item, packaging=packaging, effective_to__isnull=True,
            effective_from__lt=effective_from).order_by("-effective_from").first()
        price_row = VendorItem(vendor=vendor, item=item, packaging=packaging, vendor_sku=vendor_sku.strip(),
                               price=price, effective_from=effective_from, contract=contract)
        price_row.full_clean(validate_unique=False)
        if VendorItem.objects.filter(vendor=vendor, item=item, packaging=packaging,
                                     effective_from=effective_from).exists():
            raise ValidationError({"effective_from": _("There is already a price from this date.")})
        if earlier is not None:
            earlier.effective_to = effective_from - dt.timedelta(days=1)
            earlier.save(update_fields=["effective_to"])
        price_row.save(force_insert=True)
        record(actor=actor, action="inventory.price_added", target=item, changed_fields=["prices"],
               reason=f"vendor {vendor.pk} from {effective_from.isoformat()}")
    return price_row


def place_save(*, actor: Any, location: Location, name: str, kind: str,
               place: StoragePlace | None = None, is_active: bool = True) -> StoragePlace:
    _require(actor, "inventory.place_save", place, location)
    if place is not None and place.location_id != location.pk:  # moving it: the place's own location counts too
        _require(actor, "inventory.place_save", place, place.location_id)
    if place is not None and place.location_id != location.pk and place.levels.exclude(quantity=0).exists():
        raise ValidationError({"location": _("Move the stock out before moving the place to another location.")})
    if place is not None and not is_active and place.levels.exclude(quantity=0).exists():
        raise ValidationError({"is_active": _("Move the stock out before retiring the place.")})
    target = place or StoragePlace()
    target.location, target.name, target.kind, target.is_active = location, name.strip(), kind, is_active
    target.full_clean()
    with transaction.atomic():
        target.save()
        record(actor=actor, action="inventory.place_saved", target=target, location_id=location.pk,
               changed_fields=["location", "name", "kind", "is_active"])
    return target


def par_set(*, actor: Any, item: Item, place: StoragePlace, par: int | None, reorder_point: int = 0) -> None:
    """Set (or with par=None remove) the par level and reorder point of an item at a place."""
    _require(actor, "inventory.par_set", place, place.location_id)
    with transaction.atomic():
        if par is None:
            ParLevel.objects.filter(item=item, place=place).delete()
        else:
            if not isinstance(par, int) or not isinstance(reorder_point, int) or par < 1 or reorder_point < 0:
                raise ValidationError({"par": _("Par and reorder point are whole numbers (par at least 1).")})
            if reorder_point >= par:
                raise ValidationError({"reorder_point": _("The reorder point must be below the par level.")})
            ParLevel.objects.update_or_create(item=item, place=place,
                                              defaults={"par": par, "reorder_point": reorder_point})
        record(actor=actor, action="inventory.par_set", target=place, location_id=place.location_id,
               changed_fields=["par", "reorder_point"], reason=f"item {item.pk}")
