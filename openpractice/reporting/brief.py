"""The operations brief: which period a run covers, when the schedule is due, whose permissions compile it, and
the snapshot it stores (the figures, frozen, so a brief reads the same years later).

Whose permissions: the person who last saved the brief settings (BriefSettings.updated_by). The brief shows what
that person may see and says so. If that person is inactive or no longer holds reports.manage, the brief is not
compiled at all (BriefCompileError): a stale configuration must not keep sending figures on behalf of someone who
may no longer see them. Whoever saves the settings again becomes the compiler.

The snapshot is plain JSON: numbers as decimal strings, dates as ISO strings, labels already translated. It holds
counts and names of things (work orders, items, credentials and who holds them, queues), never a patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, grants
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_settings

from . import selectors_brief
from .choices import BriefFrequency
from .kpis import KpiValue, kpi_trend, kpi_values

SNAPSHOT_VERSION = 1
# Fortnights are the two-week blocks counted from this Monday, so every run agrees where a fortnight starts.
FORTNIGHT_EPOCH = dt.date(2024, 1, 1)
# The KPIs drawn as trends when the compiler may see them, in this order (the first CHART_COUNT visible).
CHART_PREFERENCE = ("days_in_ar", "net_collection_rate", "denial_rate", "no_show_rate", "clean_claim_rate",
                    "ar_over_120", "staff_turnover")
CHART_COUNT = 4
TREND_MONTHS = 12


class BriefCompileError(Exception):
    """The brief cannot be compiled (nobody to compile it with, or that person may no longer): the message is
    stored on the failed Brief and shown on the settings page."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_complete_period(frequency: str, today: dt.date) -> Period:
    """The last whole week (Monday to Sunday), fortnight or calendar month that ended before `today`."""
    if frequency == BriefFrequency.MONTHLY:
        end = _month_start(today) - dt.timedelta(days=1)
        return Period(_month_start(end), end)
    last_sunday = today - dt.timedelta(days=today.weekday() + 1)
    if frequency == BriefFrequency.FORTNIGHTLY:
        weeks = (last_sunday - FORTNIGHT_EPOCH).days // 7 + 1  # whole weeks from the epoch to last Sunday
        if weeks % 2:  # last Sunday closes the first week of a fortnight: the fortnight before is the last whole
            last_sunday -= dt.timedelta(days=7)
        return Period(last_sunday - dt.timedelta(days=13), last_sunday)
    return Period(last_sunday - dt.timedelta(days=6), last_sunday)


def previous_period(period: Period, frequency: str) -> Period:
    """The period before `period`, of the same kind (the calendar month before, for monthly briefs)."""
    if frequency == BriefFrequency.MONTHLY:
        end = period.start - dt.timedelta(days=1)
        return Period(_month_start(end), end)
    return Period(period.start - dt.timedelta(days=period.days), period.start - dt.timedelta(days=1))


def is_due(*, frequency: str, weekday: int, hour: int, local_now: dt.datetime) -> bool:
    """Whether the schedule sends a brief at `local_now` (practice time). Weekly: on `weekday` from `hour` on;
    fortnightly: the same, in the first week after a fortnight ends; monthly: on the 1st from `hour` on. Later
    hours of the same day still count, so a worker that was down at `hour` catches up; the caller makes sure a
    period is sent once."""
    if local_now.hour < hour:
        return False
    today = local_now.date()
    if frequency == BriefFrequency.MONTHLY:
        return today.day == 1
    if today.weekday() != weekday:
        return False
    if frequency == BriefFrequency.FORTNIGHTLY:
        return (today - last_complete_period(frequency, today).end).days <= 7
    return True


def period_label(period: Period, frequency: str) -> str:
    if frequency == BriefFrequency.MONTHLY:
        return date_format(period.start, "F Y")
    return _("%(start)s to %(end)s") % {"start": date_format(period.start, "M j, Y"),
                                        "end": date_format(period.end, "M j, Y")}


# --- the compiler ----------------------------------------------------------------------------------------------


def check_compiler(user: Any) -> None:
    """Raise BriefCompileError unless `user` may compile the brief: active and holding reports.manage."""
    if user is None:
        raise BriefCompileError(_("Nobody has saved the brief settings yet: the brief is compiled with the "
                                  "permissions of the person who last saved them. Save the settings first."))
    name = user.get_full_name() or user.get_username()
    if not user.is_active or user.deactivated_at is not None:
        raise BriefCompileError(_(
            "The brief is compiled with the permissions of %(name)s, who last saved the settings, and that account "
            "is no longer active. Someone who manages the brief must save the settings again.") % {"name": name})
    if not can(user, Perm.REPORTS_MANAGE):
        raise BriefCompileError(_(
            "The brief is compiled with the permissions of %(name)s, who last saved the settings, and they no longer "
            "hold the reports permission (reports.manage). Someone who manages the brief must save the settings "
            "again.") % {"name": name})


def scope_lines(user: Any) -> list[str]:
    """The compiler's roles as the brief states them: "Practice manager (senior), all locations"."""
    location_names = dict(Location.objects.values_list("pk", "name"))
    lines = []
    for grant in grants(user):
        role = str(Role(grant.role).label) if grant.role in Role.values else grant.role
        tier = str(Tier(grant.tier).label) if grant.tier in Tier.values else grant.tier
        where = (_("all locations") if grant.all_locations
                 else ", ".join(sorted(location_names.get(pk, str(pk)) for pk in grant.location_ids)))
        lines.append(f"{role} ({tier}), {where}")
    return lines


# --- the snapshot ----------------------------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _kpi_row(value: KpiValue) -> dict[str, Any]:
    definition = value.definition
    return {
        "key": definition.key,
        "label": str(definition.label),
        "unit": str(definition.unit),
        "better": str(definition.better),
        "definition": str(definition.definition),
        "value": _text(value.value),
        "previous": _text(value.previous),
        "target": _text(value.target),
        "warn_at": _text(value.warn_at),
        "status": value.status,
        "detail": str(value.detail or ""),
    }


def _charts(*, compiler: Any, visible: list[KpiValue], end: dt.date) -> list[dict[str, Any]]:
    """Monthly trends of up to CHART_COUNT period KPIs (snapshot KPIs have no history to draw)."""
    rows = {value.definition.key: value for value in visible if not value.definition.snapshot}
    chosen = [key for key in CHART_PREFERENCE if key in rows]
    chosen += [key for key in rows if key not in chosen]
    charts = []
    for key in chosen[:CHART_COUNT]:
        points = kpi_trend(actor=compiler, key=key, months=TREND_MONTHS, end=end)
        charts.append({
            "key": key,
            "label": str(rows[key].definition.label),
            "unit": str(rows[key].definition.unit),
            "target": _text(rows[key].target),
            "points": [[month.isoformat(), _text(amount)] for month, amount in points],
        })
    return charts


def _with_previous(values: list[KpiValue], before: list[KpiValue]) -> list[KpiValue]:
    """The KPIs with `previous` taken from `before` (the calendar month before, for a monthly brief)."""
    earlier = {value.definition.key: value.value for value in before}
    return [replace(value, previous=None if value.definition.snapshot else earlier.get(value.definition.key))
            for value in values]


def compose_snapshot(*, compiler: Any, frequency: str, period: Period, now: dt.datetime | None = None
                     ) -> dict[str, Any]:
    """Everything the brief shows, compiled with `compiler`'s permissions (check_compiler first). KPIs are for
    `period` against the period before and the targets; exceptions are as they stand `now` (the day it runs)."""
    check_compiler(compiler)
    now = now or timezone.now()
    local_now = timezone.localtime(now, selectors_brief.practice_zone())
    today = local_now.date()
    values = kpi_values(actor=compiler, start=period.start, end=period.end, now=local_now)
    previous = previous_period(period, frequency)
    if frequency == BriefFrequency.MONTHLY:
        # The registry compares with the days just before, of equal length; a month compares with the month before.
        values = _with_previous(values, kpi_values(actor=compiler, start=previous.start, end=previous.end,
                                                   now=local_now))
    exceptions = selectors_brief.brief_exceptions(actor=compiler, today=today, now=now)
    missed = [value for value in values if value.status == "missed"]
    if missed:
        exceptions.insert(0, {
            "key": "kpis_missed",
            "title": _("KPIs off target"),
            "permission": "",
            "count": len(missed),
            "items": [_("%(kpi)s: %(value)s against a target of %(target)s") % {
                "kpi": value.definition.label, "value": selectors_brief.format_figure(value.value,
                                                                                        value.definition.unit),
                "target": selectors_brief.format_figure(value.target, value.definition.unit)} for value in missed],
            "more": 0,
        })
    permissions = {Perm.REPORTS_MANAGE, *(str(value.definition.permission) for value in values),
                   *(section["permission"] for section in exceptions if section["permission"])}
    return {
        "version": SNAPSHOT_VERSION,
        "practice": practice_settings().name,
        "frequency": frequency,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "label": period_label(period, frequency)},
        "previous": {"start": previous.start.isoformat(), "end": previous.end.isoformat(),
                     "label": period_label(previous, frequency)},
        "compiled_at": now.isoformat(),
        "as_of": today.isoformat(),
        "compiler": {"id": compiler.pk, "name": compiler.get_full_name() or compiler.get_username(),
                     "scope": scope_lines(compiler)},
        "permissions": sorted(permissions),
        "kpis": [_kpi_row(value) for value in values],
        "exceptions": exceptions,
        "charts": _charts(compiler=compiler, visible=values, end=period.end),
    }
