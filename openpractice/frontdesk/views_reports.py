"""The front desk report (frontdesk.configure or reports.operations): volume by channel and category, first response
and resolution times, service-level breaches and each person's load, for a date range and a location. Counts only;
no message is shown, so nothing here is a PHI read."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from openpractice.core.selectors import practice_today
from openpractice.core.web import any_permission_required

from . import selectors_reports as selectors
from .forms_desk import ReportFilterForm

DEFAULT_DAYS = 30


def _hours(value: dt.timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 1) if value is not None else None


@require_GET
@any_permission_required(frozenset(selectors.REPORT_PERMISSIONS))
def report(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    locations = selectors.report_locations(actor=request.user)
    params = request.GET.copy()
    params.setdefault("start", (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    params.setdefault("end", today.isoformat())
    form = ReportFilterForm(params, locations=locations)
    result = None
    if form.is_valid():
        location = form.cleaned_data["location"]
        result = selectors.desk_report(actor=request.user, start=form.cleaned_data["start"],
                                       end=form.cleaned_data["end"], now=timezone.now(),
                                       location_id=location.pk if location is not None else None)
    return render(request, "frontdesk/reports/report.html", {
        "form": form, "report": result,
        "first_response_hours": (_hours(result.first_response.median), _hours(result.first_response.p90))
        if result else None,
        "resolution_hours": (_hours(result.resolution.median), _hours(result.resolution.p90)) if result else None,
    }, status=200 if result is not None else 400)
