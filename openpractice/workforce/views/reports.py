"""Workforce reports: headcount, turnover, overdue training and expiring credentials for a period."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import permission_required

from ..selectors.reports import workforce_report


def _day(value: str | None, default: dt.date) -> tuple[dt.date, bool]:
    """The date in the query string, or the default; False when the value was given but is not a date."""
    if not value:
        return default, True
    try:
        return dt.date.fromisoformat(value), True
    except ValueError:
        return default, False


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def workforce_reports(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    end, end_ok = _day(request.GET.get("end"), today)
    start, start_ok = _day(request.GET.get("start"), end - dt.timedelta(days=364))
    errors = []
    if not (start_ok and end_ok):
        errors.append(_("Dates are written YYYY-MM-DD; the default period is shown."))
        start, end = today - dt.timedelta(days=364), today
    if end < start:
        errors.append(_("The period ends before it starts; the default period is shown."))
        start, end = today - dt.timedelta(days=364), today
    report = workforce_report(actor=request.user, start=start, end=end)
    return render(request, "workforce/reports/report.html", {"report": report, "errors": errors},
                  status=400 if errors else 200)
