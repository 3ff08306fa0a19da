"""Work order reports, for facilities.view and over the locations where the viewer holds it: equipment downtime
(work orders that reported it out of service, from opening to completion) and the firms' response times (from
dispatch to their first response and to done, against the SLA). The period is practice-local days, both
included; the last 90 days by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from openpractice.accounts.permissions import locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import permission_required

from . import selectors_work_orders as selectors
from .forms_work_orders import PeriodForm

DEFAULT_DAYS = 90
DOWNTIME_EXPORT = Export(name="equipment downtime", object_type="facilities.asset", columns=[
    Column(gettext_lazy("Tag"), "asset.tag"),
    Column(gettext_lazy("Equipment"), "asset.name"),
    Column(gettext_lazy("Location"), "asset.location.name"),
    Column(gettext_lazy("Times reported down"), "work_orders"),
    Column(gettext_lazy("Still down"), "still_down"),
    Column(gettext_lazy("Hours down"), "hours"),
])
RESPONSE_EXPORT = Export(name="firm response times", object_type="vendors.vendor", columns=[
    Column(gettext_lazy("Firm"), "vendor"),
    Column(gettext_lazy("Sent"), "dispatched"),
    Column(gettext_lazy("Answered"), "responded"),
    Column(gettext_lazy("Median hours to respond"), "median_response"),
    Column(gettext_lazy("Responded in time %"), "response_on_time_rate"),
    Column(gettext_lazy("Done"), "completed"),
    Column(gettext_lazy("Median hours to done"), "median_completion"),
    Column(gettext_lazy("Done in time %"), "completion_on_time_rate"),
])


def _period(request: HttpRequest) -> tuple[PeriodForm, dict[str, Any] | None]:
    today = practice_today()
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        return form, form.cleaned_data if form.is_valid() else None
    default = {"start": today - dt.timedelta(days=DEFAULT_DAYS - 1), "end": today}
    return PeriodForm(initial=default), default


def _bounds(period: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The period's practice-local days as aware datetimes [start, end)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period["start"], dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _location(request: HttpRequest) -> tuple[list[Any], int | None]:
    locations = list(locations_where(request.user, Perm.FACILITIES_VIEW).order_by("name", "pk"))
    try:
        chosen = int(request.GET.get("location") or "")
    except ValueError:
        chosen = 0
    return locations, chosen if chosen in {location.pk for location in locations} else None


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def downtime_report(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    locations, location_id = _location(request)
    rows: list[selectors.DowntimeRow] = []
    if period is not None:
        start, end = _bounds(period)
        rows = selectors.downtime_by_asset(actor=request.user, start=start, end=end, location_id=location_id)
        if export_format(request):
            return export_response(request, rows, DOWNTIME_EXPORT)
    return render(request, "facilities/work_orders/downtime_report.html", {
        "form": form, "rows": rows, "locations": locations, "location_id": location_id,
        "total_hours": round(sum(row.hours for row in rows), 1)}, status=200 if period is not None else 400)


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def vendorresponse_report(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    locations, location_id = _location(request)
    rows: list[selectors.VendorResponseRow] = []
    if period is not None:
        start, end = _bounds(period)
        rows = selectors.vendor_response_times(actor=request.user, start=start, end=end, location_id=location_id)
        if export_format(request):
            return export_response(request, rows, RESPONSE_EXPORT)
    return render(request, "facilities/work_orders/vendorresponse_report.html", {
        "form": form, "rows": rows, "locations": locations, "location_id": location_id},
        status=200 if period is not None else 400)
