"""Requests for quotes: ask several vendors for prices on the same items, record their answers, compare side by
side and award one; the award becomes that vendor's price for the items from the award date (vendors.negotiate,
the practice manager's duty, because it commits the practice to a supplier)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..models import Item, RequestForQuote, RfqLine, RfqQuote, VendorItem


def _require(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.VENDORS_NEGOTIATE):
        raise refuse(actor=actor, permission=Perm.VENDORS_NEGOTIATE, action=action, target=target)


def rfq_create(*, actor: Any, title: str, due_on: dt.date, vendors: Sequence[Any],
               lines: Sequence[tuple[Item, int]]) -> RequestForQuote:
    _require(actor, "inventory.rfq_create")
    if len({vendor.pk for vendor in vendors}) < 2:
        raise ValidationError({"vendors": _("Ask at least two vendors.")})
    if not lines or len({item.pk for item, _quantity in lines}) != len(lines):
        raise ValidationError({"lines": _("List each item once.")})
    if any(quantity < 1 for _item, quantity in lines):
        raise ValidationError({"lines": _("Quantities are at least 1.")})
    with transaction.atomic():
        rfq = RequestForQuote(title=title.strip(), due_on=due_on, created_by=actor)
        rfq.full_clean()
        rfq.save(force_insert=True)
        rfq.vendors.set(list(vendors))
        RfqLine.objects.bulk_create([RfqLine(rfq=rfq, item=item, quantity=quantity) for item, quantity in lines])
        record(actor=actor, action="inventory.rfq_created", target=rfq, changed_fields=["vendors", "lines"])
    return rfq


def quote_record(*, actor: Any, rfq: RequestForQuote, vendor: Any, prices: Mapping[int, Decimal],
                 lead_days: int | None = None) -> list[RfqQuote]:
    """A vendor's answer: a unit price per line (by line id); recording again replaces their earlier answer."""
    _require(actor, "inventory.quote_record", rfq)
    if not rfq.vendors.filter(pk=vendor.pk).exists():
        raise ValidationError({"vendor": _("This vendor was not asked.")})
    lines = {line.pk: line for line in rfq.lines.all()}
    if set(prices) - set(lines):
        raise ValidationError(_("A price is for a line that is not in the request."))
    if any(price < 0 for price in prices.values()):
        raise ValidationError(_("Prices cannot be negative."))
    with transaction.atomic():
        if RequestForQuote.objects.select_for_update().get(pk=rfq.pk).awarded_vendor_id is not None:
            raise ValidationError(_("This request was already awarded."))
        RfqQuote.objects.filter(line__rfq=rfq, vendor=vendor).delete()
        quotes = RfqQuote.objects.bulk_create([
            RfqQuote(line=lines[line_id], vendor=vendor, unit_price=price, lead_days=lead_days)
            for line_id, price in prices.items()])
        record(actor=actor, action="inventory.quote_recorded", target=rfq, changed_fields=["quotes"],
               reason=f"vendor {vendor.pk}")
    return quotes


@dataclass(frozen=True)
class Comparison:
    """Per line: each vendor's price (None: no answer) and the lowest; per vendor: the total for the lines they
    priced and whether they priced them all."""

    vendors: list[Any]
    rows: list[tuple[RfqLine, list[Decimal | None], Decimal | None]]
    totals: list[Decimal]
    complete: list[bool]


def rfq_compare(rfq: RequestForQuote) -> Comparison:
    vendors = list(rfq.vendors.order_by("name"))
    lines = list(rfq.lines.select_related("item").order_by("pk"))
    prices = {(quote.line_id, quote.vendor_id): quote.unit_price
              for quote in RfqQuote.objects.filter(line__rfq=rfq)}
    rows, totals, complete = [], [Decimal("0")] * len(vendors), [True] * len(vendors)
    for line in lines:
        row: list[Decimal | None] = []
        for index, vendor in enumerate(vendors):
            price = prices.get((line.pk, vendor.pk))
            row.append(price)
            if price is None:
                complete[index] = False
            else:
                totals[index] += price * line.quantity
        known = [price for price in row if price is not None]
        rows.append((line, row, min(known) if known else None))
    return Comparison(vendors, rows, [total.quantize(Decimal("0.01")) for total in totals], complete)


def rfq_award(*, actor: Any, rfq: RequestForQuote, vendor: Any, effective_from: dt.date) -> RequestForQuote:
    """Award the request: the vendor's quoted prices become their prices for the items from `effective_from`."""
    _require(actor, "inventory.rfq_award", rfq)
    with transaction.atomic():
        locked = RequestForQuote.objects.select_for_update().get(pk=rfq.pk)
        if locked.awarded_vendor_id is not None:
            raise ValidationError(_("This request was already awarded."))
        quotes = list(RfqQuote.objects.filter(line__rfq=locked, vendor=vendor).select_related("line"))
        if len(quotes) != locked.lines.count():
            raise ValidationError({"vendor": _("Award only a vendor who priced every line.")})
        for quote in quotes:
            VendorItem.objects.update_or_create(
                vendor=vendor, item_id=quote.line.item_id, packaging=None, effective_from=effective_from,
                defaults={"price": quote.unit_price})
        locked.awarded_vendor, locked.awarded_at = vendor, timezone.now()
        locked.save(update_fields=["awarded_vendor", "awarded_at", "updated_at"])
        record(actor=actor, action="inventory.rfq_awarded", target=locked, changed_fields=["awarded_vendor"],
               reason=f"vendor {vendor.pk}")
    return locked
