"""Reads of the operations brief: its settings, the history, who may open a past brief, the exceptions that need a
decision (read from the other modules' selectors, scoped to the compiler), and a stored brief turned back into what
its pages, its PDF and its email show.

Opening a past brief: reports.manage, and every permission its figures needed (the snapshot lists them). A brief
compiled by a senior practice manager may hold financial KPIs; an office manager who manages the brief but may not
see finances reads its date and status in the history, not its figures.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.cases.selectors import case_scoped, overdue_condition
from openpractice.compliance.models import NotificationDeadline
from openpractice.core.selectors import practice_timezone_name
from openpractice.facilities.models import WorkOrder
from openpractice.facilities.selectors_assets import OPEN as WORK_ORDER_OPEN
from openpractice.facilities.selectors_assets import overdue_work_orders
from openpractice.frontdesk.choices import MessageStatus
from openpractice.frontdesk.selectors_messages import messages_visible
from openpractice.frontdesk.selectors_stats import breach_condition
from openpractice.inventory.selectors.stock import below_reorder_point
from openpractice.workforce.selectors.credentials import expiring_credentials

from .charts import LineChart, format_value, line_chart
from .choices import BriefStatus
from .models import Brief, BriefSettings

BREACH_NOTICE_DAYS = 10
MAX_ITEMS = 10  # names listed per exception; the rest is a count


def practice_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(practice_timezone_name())


# --- settings and history --------------------------------------------------------------------------------------


def brief_settings_current() -> BriefSettings | None:
    """The practice's one settings row, or None before anyone saved it."""
    return BriefSettings.objects.select_related("updated_by").order_by("pk").first()


def recipient_choices() -> QuerySet[User]:
    """Staff who can receive the brief: active accounts with an email address."""
    return (User.objects.filter(is_active=True, deactivated_at__isnull=True).exclude(email="")
            .order_by("last_name", "first_name", "username"))


def staff_addresses(settings: BriefSettings) -> list[str]:
    """The staff recipients' addresses as they are now (a person deactivated since is left out)."""
    users = settings.recipients.filter(is_active=True, deactivated_at__isnull=True).exclude(email="")
    return [user.email.strip().lower() for user in users.order_by("pk")]


def extra_addresses(text: str) -> list[str]:
    """The outside addresses of the settings, one per line, without blanks or repeats (lower case)."""
    return list(dict.fromkeys(line.strip().lower() for line in text.splitlines() if line.strip()))


def brief_history(*, actor: Any) -> QuerySet[Brief]:
    """Past briefs for reports.manage holders (the view checks the permission), without their PDF bytes."""
    if not can(actor, Perm.REPORTS_MANAGE):
        return Brief.objects.none()
    return Brief.objects.select_related("created_by").defer("pdf")


def may_open(actor: Any, brief: Brief) -> bool:
    """reports.manage and every permission the brief's figures needed."""
    needed = brief.snapshot.get("permissions", []) if isinstance(brief.snapshot, dict) else []
    return can(actor, Perm.REPORTS_MANAGE) and all(can(actor, permission) for permission in needed)


def has_document(brief: Brief) -> bool:
    """Whether the brief was compiled (a snapshot and a PDF); a brief that failed before that holds only its error."""
    return isinstance(brief.snapshot, dict) and "version" in brief.snapshot


def brief_period_taken(*, start: dt.date, end: dt.date) -> bool:
    """Whether the schedule must leave this period alone: it already ran for it (whatever came of that: a failure
    is shown on the settings page rather than retried every hour), or someone sent it by hand."""
    return Brief.objects.filter(period_start=start, period_end=end).filter(
        Q(created_by__isnull=True) | Q(status__in=[BriefStatus.SENT, BriefStatus.PARTLY_SENT])).exists()


def latest_brief() -> Brief | None:
    return Brief.objects.select_related("created_by").defer("pdf").order_by("-created_at", "-pk").first()


# --- exceptions that need a decision ---------------------------------------------------------------------------


def _section(key: str, title: str, permission: str, count: int, items: list[str]) -> dict[str, Any]:
    return {"key": key, "title": title, "permission": permission, "count": count, "items": items[:MAX_ITEMS],
            "more": max(0, count - MAX_ITEMS)}


def _breach_notices(actor: Any, today: dt.date) -> dict[str, Any]:
    """Open notices due within BREACH_NOTICE_DAYS (or overdue) of the incidents the actor manages. The scope is
    compliance's incident_scoped rule (compliance.incidents where the incident is; a practice-wide incident only
    for holders everywhere), read on the model: compliance's selector module imports its services, which
    reporting may not (import-linter)."""
    notices_query = NotificationDeadline.objects.filter(
        done_on__isnull=True, due_on__lte=today + dt.timedelta(days=BREACH_NOTICE_DAYS))
    ids = location_ids_where(actor, Perm.COMPLIANCE_INCIDENTS)
    if ids is not None:
        notices_query = notices_query.filter(incident__location_id__in=sorted(ids))
    notices = list(notices_query.order_by("due_on", "pk"))
    items = []
    for notice in notices:
        days = (notice.due_on - today).days
        when = (_("overdue by %(days)s days") % {"days": -days} if days < 0
                else _("due today") if days == 0 else _("due in %(days)s days") % {"days": days})
        audience = notice.get_audience_display() + (f" ({notice.state})" if notice.state else "")
        # The incident's number only: its title is free text and might name someone.
        items.append(_("Incident %(number)s: notice to %(audience)s by %(date)s, %(when)s") % {
            "number": notice.incident_id, "audience": audience, "date": notice.due_on.isoformat(), "when": when})
    return _section("breach_notices", _("Breach notification deadlines within %(days)s days")
                    % {"days": BREACH_NOTICE_DAYS}, Perm.COMPLIANCE_INCIDENTS, len(items), items)


def _expired_credentials(actor: Any, today: dt.date) -> dict[str, Any]:
    credentials = expiring_credentials(actor=actor, today=today, within_days=0).filter(expires_on__lt=today)
    rows = list(credentials[:MAX_ITEMS])
    items = [_("%(person)s: %(credential)s expired %(date)s") % {
        "person": f"{row.employee.first_name} {row.employee.last_name}", "credential": row.credential_type.name,
        "date": row.expires_on.isoformat() if row.expires_on else ""} for row in rows]
    return _section("expired_credentials", _("Expired credentials of current staff"), Perm.WORKFORCE_VIEW,
                    credentials.count(), items)


def _overdue_work_orders(actor: Any, today: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Preventive maintenance past its date (facilities' own selector) and open work orders past their response or
    resolution time (facilities' overdue rule, read on the model: its selector module imports its services)."""
    preventive = overdue_work_orders(actor=actor, today=today).values("pk")
    late = WorkOrder.objects.filter(WORK_ORDER_OPEN, Q(responded_at__isnull=True, respond_by__lt=now)
                                    | Q(resolve_by__lt=now))
    ids = location_ids_where(actor, Perm.FACILITIES_VIEW)
    if ids is not None:
        late = late.filter(location_id__in=sorted(ids))
    rows = (WorkOrder.objects.filter(Q(pk__in=preventive) | Q(pk__in=late.values("pk")))
            .select_related("location").order_by("resolve_by", "due_on", "pk"))
    items = [_("Work order %(number)s: %(title)s (%(location)s)") % {
        "number": row.pk, "title": row.title, "location": row.location.name} for row in rows[:MAX_ITEMS]]
    return _section("overdue_work_orders", _("Overdue work orders"), Perm.FACILITIES_VIEW, rows.count(), items)


def _below_par(actor: Any) -> dict[str, Any]:
    levels = below_reorder_point(actor=actor)
    items = [_("%(item)s at %(place)s, %(location)s: %(on_hand)s on hand, par %(par)s") % {
        "item": level.item.name, "place": level.place.name, "location": level.place.location.name,
        "on_hand": level.on_hand, "par": level.par}  # type: ignore[attr-defined]  # annotated by the selector
        for level in levels[:MAX_ITEMS]]
    return _section("below_par", _("Items at or below their reorder point"), Perm.INVENTORY_VIEW, levels.count(),
                    items)


def _sla_breaches(actor: Any, now: dt.datetime) -> dict[str, Any]:
    breached = (messages_visible(actor=actor).exclude(status=MessageStatus.CLOSED).filter(breach_condition(now))
                .order_by().values("queue__name").annotate(count=Count("pk")).order_by("-count", "queue__name"))
    rows = list(breached)
    items = [_("%(queue)s: %(count)s") % {"queue": row["queue__name"], "count": row["count"]} for row in rows]
    return _section("sla_breaches", _("Open messages past a service level, by queue"), Perm.FRONTDESK_VIEW,
                    sum(row["count"] for row in rows), items)


def _overdue_cases(actor: Any, today: dt.date) -> dict[str, Any]:
    rows = list(case_scoped(actor=actor).filter(overdue_condition(today)).order_by()
                .values("category__name").annotate(count=Count("pk")).order_by("-count", "category__name"))
    items = [_("%(category)s: %(count)s") % {"category": row["category__name"], "count": row["count"]}
             for row in rows]
    return _section("overdue_cases", _("Overdue patient cases, by category"), Perm.CASES_VIEW,
                    sum(row["count"] for row in rows), items)


def brief_exceptions(*, actor: Any, today: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """What needs a decision today, from each module whose permission the actor holds (a module out of the actor's
    reach is left out, not shown as zero). Counts and names of things, never a patient."""
    sections: list[dict[str, Any]] = []
    if can(actor, Perm.COMPLIANCE_INCIDENTS):
        sections.append(_breach_notices(actor, today))
    if can(actor, Perm.WORKFORCE_VIEW):
        sections.append(_expired_credentials(actor, today))
    if can(actor, Perm.FACILITIES_VIEW):
        sections.append(_overdue_work_orders(actor, today, now))
    if can(actor, Perm.INVENTORY_VIEW):
        sections.append(_below_par(actor))
    if can(actor, Perm.FRONTDESK_VIEW):
        sections.append(_sla_breaches(actor, now))
    if can(actor, Perm.CASES_VIEW):
        sections.append(_overdue_cases(actor, today))
    return sections


# --- a stored brief, for its page, its PDF and its email -------------------------------------------------------


def _decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def format_figure(value: Decimal | None, unit: str) -> str:
    """A KPI figure as the brief prints it: "12.5%", "34.2 days", "$1,234.00", "7"."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:,.1f}%"
    if unit == "$":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if unit == "count":
        return f"{int(value):,}"
    if unit == "days":
        return _("%(value)s days") % {"value": f"{value:,.1f}"}
    if unit == "hours":
        return _("%(value)s h") % {"value": f"{value:,.1f}"}
    return f"{value:,}"


def _change(value: Decimal | None, previous: Decimal | None, unit: str, better: str) -> tuple[str, str]:
    """The change against the previous period as text ("+1.5 pts") and whether it is "better", "worse" or ""."""
    if value is None or previous is None:
        return "", ""
    delta = value - previous
    if not delta:
        return _("no change"), ""
    sign = "+" if delta > 0 else "−"
    magnitude = abs(delta)
    if unit == "%":
        text = _("%(sign)s%(value)s pts") % {"sign": sign, "value": f"{magnitude:,.1f}"}
    else:
        text = sign + format_figure(magnitude, unit)
    improved = delta < 0 if better == "at_most" else delta > 0
    return text, "better" if improved else "worse"


@dataclass
class KpiLine:
    key: str
    label: str
    definition: str
    value: str
    previous: str
    target: str
    status: str
    status_label: str
    change: str
    change_sense: str
    detail: str


@dataclass
class BriefDocument:
    """A stored brief as its templates read it: everything comes from the snapshot, nothing from today's data."""

    practice: str
    period_label: str
    previous_label: str
    period_start: str
    period_end: str
    as_of: str
    compiled_at: dt.datetime | None
    compiler_name: str
    scope: list[str]
    kpis: list[KpiLine] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    charts: list[LineChart] = field(default_factory=list)

    @property
    def exception_count(self) -> int:
        return sum(int(section.get("count") or 0) for section in self.exceptions)


def _status_label(status: str) -> str:
    return str({"met": _("On target"), "close": _("Close to target"), "missed": _("Off target"),
                "none": _("No target")}.get(status, status))


def brief_document(brief: Brief) -> BriefDocument:
    """The brief's figures from its snapshot, formatted for display (its page, PDF and email)."""
    snapshot: dict[str, Any] = brief.snapshot or {}
    compiled = snapshot.get("compiled_at")
    compiled_at = dt.datetime.fromisoformat(compiled).astimezone(practice_zone()) if compiled else None
    document = BriefDocument(
        practice=str(snapshot.get("practice", "")),
        period_label=str(snapshot.get("period", {}).get("label", "")),
        previous_label=str(snapshot.get("previous", {}).get("label", "")),
        period_start=str(snapshot.get("period", {}).get("start", brief.period_start.isoformat())),
        period_end=str(snapshot.get("period", {}).get("end", brief.period_end.isoformat())),
        as_of=str(snapshot.get("as_of", "")),
        compiled_at=compiled_at,
        compiler_name=str(snapshot.get("compiler", {}).get("name", "")),
        scope=[str(line) for line in snapshot.get("compiler", {}).get("scope", [])],
        exceptions=list(snapshot.get("exceptions", [])),
    )
    for row in snapshot.get("kpis", []):
        unit = str(row.get("unit", ""))
        value, previous = _decimal(row.get("value")), _decimal(row.get("previous"))
        target, warn_at = _decimal(row.get("target")), _decimal(row.get("warn_at"))
        change, sense = _change(value, previous, unit, str(row.get("better", "")))
        target_text = ""
        if target is not None:
            target_text = (_("at most %(value)s") if row.get("better") == "at_most" else _("at least %(value)s")) % {
                "value": format_figure(target, unit)}
            if warn_at is not None:
                target_text += " " + _("(off target past %(value)s)") % {"value": format_figure(warn_at, unit)}
        status = str(row.get("status", "none"))
        document.kpis.append(KpiLine(
            key=str(row.get("key", "")), label=str(row.get("label", "")), definition=str(row.get("definition", "")),
            value=format_figure(value, unit), previous=format_figure(previous, unit) if previous is not None else "—",
            target=target_text or "—", status=status, status_label=_status_label(status), change=change,
            change_sense=sense, detail=str(row.get("detail", ""))))
    document.charts = [chart_data(chart) for chart in snapshot.get("charts", [])]
    return document


def chart_data(chart: dict[str, Any]) -> LineChart:
    """One trend of the snapshot (a value per month) as a line chart, with the target when there was one."""
    points = [(dt.date.fromisoformat(month), _decimal(value)) for month, value in chart.get("points", [])]
    label, unit = str(chart.get("label", "")), str(chart.get("unit", ""))
    target = _decimal(chart.get("target"))
    return line_chart(
        title=_("%(kpi)s, month by month") % {"kpi": label},
        labels=[date_format(month, "M Y") for month, _value in points],
        series=[(label, [value for _month, value in points])], unit=unit, target=target,
        target_label=_("Target %(value)s") % {"value": format_value(target, unit)} if target is not None else "",
        description=_("%(kpi)s for each of the last %(count)s months, as it stood when the brief was compiled.")
        % {"kpi": label, "count": len(points)},
        chart_id=f"brief-{chart.get('key', 'kpi')}", width=640, height=220)
