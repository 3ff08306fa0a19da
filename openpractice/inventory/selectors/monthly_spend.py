"""What vendors billed for supplies, by month of the invoice date and by the location the order was for: the supplies
actuals of practice finances (reporting). One grouped query.

Only invoices the practice accepted count: "ready to pay" (matched three ways, or a mismatch someone else accepted
with a reason) and "paid". An invoice still entered or waiting on a mismatch is not yet an agreed cost. The amount is
the invoice's total as printed (what the practice owes), not the sum of its lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from openpractice.accounts.permissions import location_ids_where

from ..choices import InvoiceStatus
from ..models import VendorInvoice

ACCEPTED = (InvoiceStatus.READY, InvoiceStatus.PAID)
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class MonthlySpend:
    year: int
    month: int
    location_id: int
    amount: Decimal
    invoices: int


def invoiced_by_month(*, actor: Any, permission: str, start: dt.date, end: dt.date,
                      location_ids: Iterable[int] | None = None) -> list[MonthlySpend]:
    """Accepted vendor invoices dated `start` to `end` (both included), summed per month and per location of their
    order, at the actor's locations for `permission` (and among `location_ids` when given). One query."""
    invoices = VendorInvoice.objects.filter(status__in=ACCEPTED, invoice_date__gte=start, invoice_date__lte=end)
    reach = location_ids_where(actor, permission)
    if reach is not None:
        invoices = invoices.filter(order__location_id__in=sorted(reach))
    if location_ids is not None:
        invoices = invoices.filter(order__location_id__in=sorted(set(location_ids)))
    grouped = (invoices.order_by()
               .values("order__location_id", invoice_year=ExtractYear("invoice_date"),
                       invoice_month=ExtractMonth("invoice_date"))
               .annotate(amount=Sum("total", output_field=MONEY), invoices=Count("pk"))
               .order_by("order__location_id", "invoice_year", "invoice_month"))
    return [MonthlySpend(year=row["invoice_year"], month=row["invoice_month"], location_id=row["order__location_id"],
                         amount=Decimal(row["amount"] or 0).quantize(CENT, rounding=ROUND_HALF_UP),
                         invoices=row["invoices"])
            for row in grouped]
