"""Requests for quotes: ask several vendors for prices on the same items, record each answer, compare side by side
(services.quotes.rfq_compare) and award one vendor, whose quoted prices become their prices from a date.

Requests are practice-wide: those who see vendors (vendors.view) see them; asking, recording and awarding is
negotiating for the practice (vendors.negotiate; the services check it again).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from .forms_purchasing import AwardForm, QuoteForm, RfqForm, rfq_line_formset
from .models import RequestForQuote
from .selectors import purchasing as selectors
from .services import quotes as services

SORTS = {"title": "title", "created": "created_at", "due": "due_on", "awarded": "awarded_vendor__name"}
RFQ_EXPORT = Export(name="requests for quotes", object_type="inventory.requestforquote", columns=[
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Written"), "created_at"),
    Column(gettext_lazy("Answers due"), "due_on"),
    Column(gettext_lazy("Vendors"), "vendor_count"),
    Column(gettext_lazy("Items"), "line_count"),
    Column(gettext_lazy("Awarded to"), "awarded_vendor.name"),
])


def _rfq(request: HttpRequest, pk: int) -> RequestForQuote:
    return get_scoped_or_404(request, selectors.rfq_all(), permission=Perm.VENDORS_VIEW, pk=pk)


def _to_rfq(rfq: RequestForQuote) -> HttpResponse:
    return redirect(reverse("inventory:rfq_detail", kwargs={"pk": rfq.pk}))


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def rfq_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.rfq_rows(), sorts=SORTS, default_sort="-created", search_fields=("title",),
                 element_id="rfq-table")
    return render_table(request, "inventory/purchasing/rfq_list.html", {
        "table": rows, "table_template": "inventory/purchasing/rfq_table.html", "export": RFQ_EXPORT,
        "may_create": can(request.user, Perm.VENDORS_NEGOTIATE)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_NEGOTIATE)
def rfq_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = RfqForm(data, vendors=selectors.active_vendors())
    lines = rfq_line_formset(data=data)
    if request.method == "POST":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        created: list[RequestForQuote] = []
        if form_ok and lines_ok and run_service(form, lambda: created.append(services.rfq_create(
                actor=request.user, title=form.cleaned_data["title"], due_on=form.cleaned_data["due_on"],
                vendors=form.chosen_vendors(), lines=lines.entries()))):
            messages.success(request, _("Request for quotes saved: send it to the vendors and record their answers "
                                        "here."))
            return _to_rfq(created[0])
    return render(request, "inventory/purchasing/rfq_form.html", {"form": form, "lines": lines},
                  status=400 if form.errors or lines.total_error_count() else 200)


def _detail(request: HttpRequest, rfq: RequestForQuote, *, status: int = 200, **bound: Any) -> HttpResponse:
    comparison = services.rfq_compare(rfq)
    negotiates = can(request.user, Perm.VENDORS_NEGOTIATE) and rfq.awarded_vendor_id is None
    lines = [row[0] for row in comparison.rows]
    context: dict[str, Any] = {
        "rfq": rfq, "comparison": comparison,
        "columns": list(zip(comparison.vendors, comparison.totals, comparison.complete, strict=True)),
        "rows": [(line, list(zip(comparison.vendors, prices, strict=True)), lowest)
                 for line, prices, lowest in comparison.rows],
        "quote_form": QuoteForm(vendors=comparison.vendors, lines=lines, auto_id="quote_%s") if negotiates else None,
        "award_form": AwardForm(vendors=[vendor for vendor, complete in zip(comparison.vendors, comparison.complete,
                                                                            strict=True) if complete],
                                initial={"effective_from": practice_today()}, auto_id="award_%s")
        if negotiates else None,
    }
    context.update(bound)
    return render(request, "inventory/purchasing/rfq_detail.html", context, status=status)


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def rfq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _rfq(request, pk))


@require_POST
@permission_required(Perm.VENDORS_NEGOTIATE)
def rfq_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one vendor's answer (recording again replaces it)."""
    rfq = _rfq(request, pk)
    form = QuoteForm(request.POST, vendors=selectors.rfq_vendors(rfq), lines=list(rfq.lines.select_related("item")),
                     auto_id="quote_%s")
    if form.is_valid() and run_service(form, lambda: services.quote_record(
            actor=request.user, rfq=rfq, vendor=form.chosen_vendor(), prices=form.prices(),
            lead_days=form.cleaned_data["lead_days"])):
        messages.success(request, _("Quote from %(vendor)s recorded.") % {"vendor": form.chosen_vendor()})
        return _to_rfq(rfq)
    return _detail(request, rfq, status=400, quote_form=form)


@require_POST
@permission_required(Perm.VENDORS_NEGOTIATE)
def rfq_award(request: HttpRequest, pk: int) -> HttpResponse:
    """Award the request: the vendor's quoted prices become their prices for the items from the date given."""
    rfq = _rfq(request, pk)
    form = AwardForm(request.POST, vendors=selectors.rfq_vendors(rfq), auto_id="award_%s")
    if form.is_valid() and run_service(form, lambda: services.rfq_award(
            actor=request.user, rfq=rfq, vendor=form.chosen_vendor(),
            effective_from=form.cleaned_data["effective_from"])):
        messages.success(request, _("Awarded to %(vendor)s; their prices apply from %(day)s.")
                         % {"vendor": form.chosen_vendor(), "day": form.cleaned_data["effective_from"]})
        return _to_rfq(rfq)
    return _detail(request, rfq, status=400, award_form=form)
