"""Workforce reports: headcount, turnover, overdue training and expiring credentials for a period; time to hire
and time to fill for those who hire."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import permission_required

from ..selectors.reports import hiring_report, workforce_report


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
    # Time to hire / fill: for those who hire (over the requisitions they reach), else no section.
    hiring = (hiring_report(actor=request.user, start=start, end=end)
              if can(request.user, Perm.WORKFORCE_HIRING) else None)
    return render(request, "workforce/reports/report.html", {"report": report, "hiring": hiring, "errors": errors},
                  status=400 if errors else 200)
