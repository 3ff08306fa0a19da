"""Spend reports and vendor performance: a table per report for a period, and the same rows as CSV
(?format=csv). What each figure means is in selectors.spend.

Spend (by vendor, category or location; price history; savings; off-contract buying) is for inventory.manage,
over the locations where the user holds it; vendor performance for vendors.view, over theirs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.spreadsheet import csv_cell
from openpractice.core.web import permission_required

from .forms_purchasing import PeriodForm, PriceHistoryForm
from .selectors import spend as selectors

GROUP_LABELS = {"vendor": gettext_lazy("Vendor"), "category": gettext_lazy("Category"),
                "location": gettext_lazy("Location")}


def _period(request: HttpRequest, form_class: type[PeriodForm] = PeriodForm) -> tuple[PeriodForm, dict[str, Any] | None]:
    """The report's form and its cleaned values (None: nothing to report yet, or errors to show). Without a
    query, the last twelve months (and, for the price history, no item yet)."""
    today = practice_today()
    default = {"start": today - dt.timedelta(days=364), "end": today}
    if any(name in request.GET for name in form_class.base_fields):
        form = form_class(request.GET)
        return form, form.cleaned_data if form.is_valid() else None
    form = form_class(initial=default)
    return form, (default if set(form_class.base_fields) == {"start", "end"} else None)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params["format"] = "csv"
    return params.urlencode()


def _page(request: HttpRequest, template: str, form: PeriodForm, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"form": form, "csv_query": _csv_query(request), **context},
                  status=400 if form.is_bound and form.errors else 200)


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def spend_report(request: HttpRequest) -> HttpResponse:
    """Spend by vendor (default), category or location."""
    by = request.GET.get("by") or "vendor"
    by = by if by in selectors.GROUPINGS else "vendor"
    form, period = _period(request)
    rows: list[selectors.SpendRow] = []
    if period is not None:
        start, end = period["start"], period["end"]
        rows = selectors.spend_by(actor=request.user, by=by, start=start, end=end)
        if _wants_csv(request):
            return _csv(f"spend-by-{by}-{start}-{end}.csv", [str(GROUP_LABELS[by]), _("Received"), _("Invoiced")],
                        [(row.label, row.received, row.invoiced) for row in rows])
    return _page(request, "inventory/purchasing/spend_report.html", form, {
        "by": by, "groupings": list(GROUP_LABELS.items()), "group_label": GROUP_LABELS[by], "rows": rows,
        "total_received": sum((row.received for row in rows), Decimal("0.00")),
        "total_invoiced": sum((row.invoiced for row in rows), Decimal("0.00"))})


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def spend_prices(request: HttpRequest) -> HttpResponse:
    """An item's price history across vendors: their price schedules and what the practice paid."""
    form, period = _period(request, PriceHistoryForm)
    schedule: list[selectors.ScheduledPrice] = []
    paid: list[selectors.PaidPrice] = []
    item = None
    if period is not None:
        item = period["sku"]
        start, end = period["start"], period["end"]
        schedule, paid = selectors.price_history(actor=request.user, item=item, start=start, end=end)
        if _wants_csv(request):
            rows: list[tuple[Any, ...]] = [(_("Price schedule"), row.effective_from, row.vendor, "", row.packaging, "", row.price,
                     row.unit_price, row.contract) for row in schedule]
            rows += [(_("Order"), row.placed_on, row.vendor, row.order_number, row.packaging, row.quantity,
                      row.price, row.unit_price, row.location) for row in paid]
            return _csv(f"prices-{item.sku}-{start}-{end}.csv",
                        [_("Source"), _("Date"), _("Vendor"), _("Order"), _("Packaging"), _("Quantity"),
                         _("Price"), _("Per base unit"), _("Contract or location")], rows)
    return _page(request, "inventory/purchasing/spend_prices.html", form,
                 {"item": item, "schedule": schedule, "paid": paid})


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def spend_savings(request: HttpRequest) -> HttpResponse:
    """Savings a year from negotiations that ended in (partial) agreement."""
    form, period = _period(request)
    negotiations: list[Any] = []
    per_vendor: list[selectors.VendorSavings] = []
    total = Decimal("0.00")
    if period is not None:
        start, end = period["start"], period["end"]
        negotiations, per_vendor, total = selectors.negotiation_savings(start=start, end=end)
        if _wants_csv(request):
            return _csv(f"negotiation-savings-{start}-{end}.csv",
                        [_("Date"), _("Vendor"), _("Contract"), _("Outcome"), _("Savings a year")],
                        [(row.held_on, row.vendor.name, row.contract.title if row.contract else "",
                          row.get_outcome_display(), row.annual_savings) for row in negotiations])
    return _page(request, "inventory/purchasing/spend_savings.html", form,
                 {"negotiations": negotiations, "per_vendor": per_vendor, "total": total})


REASON_LABELS = {
    selectors.ABOVE_CONTRACT: gettext_lazy("Above the vendor's contract price"),
    selectors.OTHER_VENDOR: gettext_lazy("Another vendor has a contract price"),
    selectors.NO_CONTRACT: gettext_lazy("No contract price for this item"),
    selectors.NOT_IN_CATALOGUE: gettext_lazy("Not in the catalogue"),
}


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def spend_offcontract(request: HttpRequest) -> HttpResponse:
    """Order lines not bought at an active contract price."""
    form, period = _period(request)
    lines: list[selectors.OffContractLine] = []
    if period is not None:
        start, end = period["start"], period["end"]
        lines = selectors.off_contract(actor=request.user, start=start, end=end)
        if _wants_csv(request):
            return _csv(f"off-contract-{start}-{end}.csv",
                        [_("Date"), _("Order"), _("Vendor"), _("Location"), _("Item"), _("Quantity"),
                         _("Unit price"), _("Amount"), _("Why"), _("Contract vendor"), _("Contract price"),
                         _("Paid above contract")],
                        [(row.placed_on, row.order_number, row.vendor, row.location, row.what, row.quantity,
                          row.unit_price, row.amount, REASON_LABELS[row.reason], row.contract_vendor,
                          row.contract_price if row.contract_price is not None else "", row.overspend)
                         for row in lines])
    summary = [(label, sum(1 for row in lines if row.reason == reason),
                sum((row.amount for row in lines if row.reason == reason), Decimal("0.00")))
               for reason, label in REASON_LABELS.items()]
    return _page(request, "inventory/purchasing/spend_offcontract.html", form, {
        "lines": [(row, REASON_LABELS[row.reason]) for row in lines], "summary": summary,
        "total": sum((row.amount for row in lines), Decimal("0.00")),
        "overspend": sum((row.overspend for row in lines), Decimal("0.00"))})


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def vendorperf_report(request: HttpRequest) -> HttpResponse:
    """Per vendor: fill rate and on-time rate of the orders placed in the period."""
    form, period = _period(request)
    rows: list[selectors.VendorPerformance] = []
    if period is not None:
        start, end = period["start"], period["end"]
        rows = selectors.vendor_performance(actor=request.user, start=start, end=end, today=practice_today())
        if _wants_csv(request):
            return _csv(f"vendor-performance-{start}-{end}.csv",
                        [_("Vendor"), _("Orders"), _("Ordered"), _("Received"), _("Damaged"), _("Back ordered"),
                         _("Fill rate %"), _("Deliveries measured"), _("On time"), _("On-time rate %")],
                        [(row.vendor, row.orders, row.ordered, row.received, row.damaged, row.back_ordered,
                          "" if row.fill_rate is None else row.fill_rate, row.deliveries_measured,
                          row.deliveries_on_time, "" if row.on_time_rate is None else row.on_time_rate)
                         for row in rows])
    return _page(request, "inventory/purchasing/vendorperf_report.html", form, {
        "rows": rows, "may_spend": can(request.user, Perm.INVENTORY_MANAGE)})
