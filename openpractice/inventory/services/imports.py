"""CSV imports of the item catalogue and vendor price lists: every row is checked first; if any row is wrong,
nothing is written and the report lists each problem by line; otherwise everything is written in one
transaction. Files are read as UTF-8 (with or without a byte-order mark), at most 5 MB and 50,000 rows.

Columns (header row required, order free, names case-insensitive):
    sku, name, category, unit, lot_tracked, preferred_vendor,            (the item; only sku is required for a
    vendor, vendor_sku, packaging, units_per_package, price, effective_from   known item's price line)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.vendors.models import Vendor

from ..choices import ItemCategory
from ..models import Item, Packaging, VendorItem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
KNOWN = ("sku", "name", "category", "unit", "lot_tracked", "preferred_vendor", "vendor", "vendor_sku", "packaging",
         "units_per_package", "price", "effective_from")
TRUE, FALSE = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}


@dataclass
class ImportReport:
    rows: int = 0
    items_created: int = 0
    items_updated: int = 0
    prices_added: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    price: Decimal | None = None
    effective_from: dt.date | None = None
    units: int | None = None


def _rows(content: bytes, report: ImportReport) -> list[_Row]:
    if len(content) > MAX_BYTES:
        report.errors.append(_("The file is larger than 5 MB."))
        return []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(_("The file is not UTF-8 text (save it from the spreadsheet as CSV UTF-8)."))
        return []
    if "\x00" in text:  # a binary file; PostgreSQL text cannot hold NUL either
        report.errors.append(_("This is a binary file, not a CSV text file."))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "sku" not in header:
        report.errors.append(_("The first line must name the columns, including sku."))
        return []
    unknown = sorted(set(header) - set(KNOWN) - {""})
    if unknown:
        report.errors.append(_("Unknown column(s): %(names)s.") % {"names": ", ".join(unknown)})
        return []
    reader.fieldnames = header
    rows = []
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                report.errors.append(_("More than %(max)s rows.") % {"max": MAX_ROWS})
                return []
            if raw.get(None):  # more cells than columns
                report.errors.append(_("Line %(n)s: more cells than columns.") % {"n": number})
                continue
            values = {key: (value or "").strip() for key, value in raw.items() if key}
            if any(values.values()):
                rows.append(_Row(number, values))
    except csv.Error as exc:
        report.errors.append(_("The file is not valid CSV: %(error)s") % {"error": exc})
        return []
    report.rows = len(rows)
    return rows


def _check(rows: list[_Row], report: ImportReport) -> tuple[dict[str, Item], dict[str, Vendor]]:
    wanted = sorted({r.values.get("sku", "").upper() for r in rows} - {""})
    items: dict[str, Item] = {item.sku.upper(): item
                              for item in Item.objects.annotate(sku_upper=Upper("sku")).filter(sku_upper__in=wanted)}
    vendor_names = {r.values.get(key, "").lower() for r in rows for key in ("vendor", "preferred_vendor")} - {""}
    vendors = {vendor.name.lower(): vendor for vendor in Vendor.objects.all() if vendor.name.lower() in vendor_names}
    seen: set[tuple[str, str, str, str]] = set()
    defined: set[str] = set()  # new items defined on an earlier line
    for row in rows:
        v, where = row.values, _("Line %(n)s") % {"n": row.line}
        sku = v.get("sku", "")
        if not sku or len(sku) > 40:
            report.errors.append(_("%(where)s: an item number (sku) of at most 40 characters is required.")
                                 % {"where": where})
            continue
        known = sku.upper() in items or sku.upper() in defined
        if not known:
            defined.add(sku.upper())
            if not v.get("name"):
                report.errors.append(_("%(where)s: new item %(sku)s needs a name.") % {"where": where, "sku": sku})
            if v.get("category", "").lower() not in ItemCategory.values:
                report.errors.append(_("%(where)s: category must be one of %(choices)s.") % {
                    "where": where, "choices": ", ".join(ItemCategory.values)})
        if v.get("lot_tracked", "").lower() not in TRUE | FALSE:
            report.errors.append(_("%(where)s: lot_tracked must be yes or no.") % {"where": where})
        for key in ("vendor", "preferred_vendor"):
            if v.get(key) and v[key].lower() not in vendors:
                report.errors.append(_("%(where)s: no vendor named %(name)s.") % {"where": where, "name": v[key]})
        if v.get("price") or v.get("vendor"):
            if not v.get("vendor"):
                report.errors.append(_("%(where)s: a price needs its vendor.") % {"where": where})
            try:
                row.price = Decimal(v.get("price", "").replace("$", "").replace(",", ""))
                if not row.price.is_finite() or row.price < 0 or row.price >= Decimal("1e8"):
                    raise InvalidOperation
            except InvalidOperation:
                report.errors.append(_("%(where)s: the price must be an amount such as 12.50.") % {"where": where})
            try:
                row.effective_from = dt.date.fromisoformat(v.get("effective_from", ""))
            except ValueError:
                report.errors.append(_("%(where)s: effective_from must be a date such as 2026-01-31.")
                                     % {"where": where})
            if v.get("packaging"):
                try:
                    row.units = int(v.get("units_per_package", ""))
                    if row.units < 1:
                        raise ValueError
                except ValueError:
                    report.errors.append(_("%(where)s: units_per_package must be a whole number of at least 1.")
                                         % {"where": where})
            line_key = (sku.upper(), v.get("vendor", "").lower(), v.get("packaging", "").lower(),
                        v.get("effective_from", ""))
            if line_key in seen:
                report.errors.append(_("%(where)s: the same price line appears twice.") % {"where": where})
            seen.add(line_key)
    return items, vendors


def catalogue_import(*, actor: Any, content: bytes) -> ImportReport:
    """Check the whole file, then write all of it or nothing."""
    if not can(actor, Perm.INVENTORY_MANAGE):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.catalogue_import")
    report = ImportReport()
    rows = _rows(content, report)
    if report.errors:
        return report
    items, vendors = _check(rows, report)
    if report.errors:
        return report
    with transaction.atomic():
        for row in rows:
            v = row.values
            item = items.get(v["sku"].upper())
            fields: dict[str, Any] = {}
            if v.get("name"):
                fields["name"] = v["name"]
            if v.get("category"):
                fields["category"] = v["category"].lower()
            if v.get("unit"):
                fields["base_unit"] = v["unit"]
            if v.get("lot_tracked"):
                fields["lot_tracked"] = v["lot_tracked"].lower() in TRUE
            if v.get("preferred_vendor"):
                fields["preferred_vendor"] = vendors[v["preferred_vendor"].lower()]
            if item is None:
                item = Item(sku=v["sku"], **fields)
                item.full_clean()
                item.save(force_insert=True)
                items[item.sku.upper()] = item
                report.items_created += 1
            elif any(getattr(item, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(item, name, value)
                item.full_clean(validate_unique=False)
                item.save()
                report.items_updated += 1
            if row.price is not None and row.effective_from is not None:
                packaging = None
                if v.get("packaging"):
                    packaging, _created = Packaging.objects.get_or_create(
                        item=item, name=v["packaging"], defaults={"base_quantity": row.units or 1})
                    if packaging.base_quantity != row.units:
                        raise ValidationError(_("Line %(n)s: %(pack)s of %(sku)s holds %(units)s, not %(given)s.")
                                              % {"n": row.line, "pack": packaging.name, "sku": item.sku,
                                                 "units": packaging.base_quantity, "given": row.units})
                vendor = vendors[v["vendor"].lower()]
                VendorItem.objects.update_or_create(
                    vendor=vendor, item=item, packaging=packaging, effective_from=row.effective_from,
                    defaults={"price": row.price, "vendor_sku": v.get("vendor_sku", "")[:60]})
                report.prices_added += 1
        record(actor=actor, action="inventory.catalogue_imported", object_type="inventory.item",
               changed_fields=["items", "prices"],
               reason=f"{report.rows} rows: {report.items_created} new, {report.items_updated} changed, "
                      f"{report.prices_added} prices")
    return report
