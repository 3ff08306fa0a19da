"""The role dashboards: what each shows, who may open it, and the figures behind each panel.

Dashboards and who may open them (any one of the permissions; views_dashboards checks, 404 + audit otherwise):
- practice (the practice manager's picture): reports.financial or reports.operations;
- office (the office manager's day): reports.operations or frontdesk.configure;
- billing: reports.financial;
- hr: workforce.view;
- privacy (the privacy / compliance officer): compliance.incidents or compliance.manage.

Opening a dashboard never widens access: every panel and KPI tile checks its own permission (a panel the viewer
may not see is left out, not shown empty), every figure is scoped to the locations where the viewer holds that
permission, and the location filter narrows further (only to a location the viewer reaches for the dashboard).
A panel links to the list behind it only when the viewer may open that list.

Speed: every figure is an aggregate query (or a cached KPI figure, see reporting.kpis): the number of queries
of a dashboard is fixed, whatever the number of rows behind it (tests/test_dashboards_* compare two sizes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.models import Outcome
from openpractice.audit.selectors import audit_event_list
from openpractice.billing.choices import ClaimStatus, DenialCategory
from openpractice.billing.selectors.receivables import BUCKETS, aging_summary
from openpractice.billing.selectors.stats import claims_by_status, near_filing_limit_count, open_denials_by_category
from openpractice.cases.choices import OPEN_STATUSES as CASE_OPEN_STATUSES
from openpractice.cases.selectors import case_scoped, overdue_condition
from openpractice.compliance.selectors.associates import flagged_count
from openpractice.compliance.selectors.stats import campaign_progress, incident_summary, policy_review_counts
from openpractice.core.models import Location
from openpractice.core.selectors import practice_now
from openpractice.facilities.choices import WorkOrderStatus
from openpractice.facilities.selectors_stats import open_work_order_counts
from openpractice.frontdesk.selectors_stats import open_by_queue
from openpractice.inventory.selectors.stock import below_reorder_point, expiring
from openpractice.scheduling.selectors_stats import day_load_by_location
from openpractice.workforce.selectors.stats import (
    credential_summary,
    headcount_by_location,
    hiring_pipeline,
    on_pto,
    training_summary,
    turnover_counts,
)

from . import charts
from .kpis import KpiValue, kpi_definitions, kpi_trends, kpi_values

ROWS_SHOWN = 8
TREND_MONTHS = 12
EXPIRY_HORIZON_DAYS = 60
TOP_PAYERS = 8

# --- periods and filters ---------------------------------------------------------------------------------------

PERIODS: tuple[tuple[str, Any], ...] = (
    ("30d", gettext_lazy("Last 30 days")),
    ("month", gettext_lazy("This month")),
    ("quarter", gettext_lazy("This quarter")),
    ("year", gettext_lazy("This year")),
)
DEFAULT_PERIOD = "30d"


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a period of PERIODS, ending today."""
    if period == "month":
        return today.replace(day=1), today
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    if period == "30d":
        return today - dt.timedelta(days=29), today
    raise ValueError(f"unknown period {period!r}")


# --- the dashboards --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardSpec:
    key: str
    url_name: str
    title: Any
    description: Any
    permissions: frozenset[str]


DASHBOARDS: tuple[DashboardSpec, ...] = (
    DashboardSpec("practice", "reporting:dashboard_practice", gettext_lazy("Practice"),
                  gettext_lazy("Finances, receivables, staffing, compliance and cases: the practice manager's "
                               "picture."),
                  frozenset({Perm.REPORTS_FINANCIAL, Perm.REPORTS_OPERATIONS})),
    DashboardSpec("office", "reporting:dashboard_office", gettext_lazy("Office"),
                  gettext_lazy("Today's schedule, queues and service levels, stock and work orders: the office "
                               "manager's day."),
                  frozenset({Perm.REPORTS_OPERATIONS, Perm.FRONTDESK_CONFIGURE})),
    DashboardSpec("billing", "reporting:dashboard_billing", gettext_lazy("Billing"),
                  gettext_lazy("Receivables KPIs, aging, denials, claims by status and filing deadlines."),
                  frozenset({Perm.REPORTS_FINANCIAL})),
    DashboardSpec("hr", "reporting:dashboard_hr", gettext_lazy("Human resources"),
                  gettext_lazy("Headcount, turnover, hiring, training and credentials."),
                  frozenset({Perm.WORKFORCE_VIEW})),
    DashboardSpec("privacy", "reporting:dashboard_privacy", gettext_lazy("Privacy and compliance"),
                  gettext_lazy("Incidents and breach clocks, policy acknowledgements, HIPAA training, business "
                               "associates and denied accesses."),
                  frozenset({Perm.COMPLIANCE_INCIDENTS, Perm.COMPLIANCE_MANAGE})),
)
DASHBOARD_BY_KEY: dict[str, DashboardSpec] = {spec.key: spec for spec in DASHBOARDS}


def may_open(actor: Any, spec: DashboardSpec) -> bool:
    return any(can(actor, permission) for permission in spec.permissions)


def dashboards_for(*, actor: Any) -> list[DashboardSpec]:
    """The dashboards the actor may open (the index page)."""
    return [spec for spec in DASHBOARDS if may_open(actor, spec)]


def dashboard_locations(*, actor: Any, spec: DashboardSpec) -> list[Location]:
    """The locations the location filter offers: where the actor holds any of the dashboard's permissions."""
    ids: set[int] = set()
    for permission in spec.permissions:
        found = location_ids_where(actor, permission)
        if found is None:
            return list(Location.objects.filter(is_active=True).order_by("name", "pk"))
        ids |= found
    return list(Location.objects.filter(pk__in=sorted(ids)).order_by("name", "pk"))


# --- what a dashboard is made of -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    label: str
    value: str
    url: str = ""
    tone: str = ""  # "danger", "warn", "ok" or ""


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    empty: str = ""


@dataclass
class Panel:
    key: str
    title: str
    url: str = ""  # the list behind the panel ("" when the viewer may not open it)
    url_label: str = ""
    stats: list[Stat] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str = ""


@dataclass
class Dashboard:
    spec: DashboardSpec
    start: dt.date
    end: dt.date
    location_id: int | None
    now: dt.datetime
    kpis: list[KpiValue] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    kpi_tiles: list[tuple[KpiValue, str]] = field(default_factory=list)  # each KPI with its list, if openable


@dataclass(frozen=True)
class _Ask:
    actor: Any
    start: dt.date
    end: dt.date
    location_id: int | None
    now: dt.datetime  # practice-local

    @property
    def today(self) -> dt.date:
        return self.now.date()


@lru_cache(maxsize=256)
def _required(url_name: str) -> Any:
    """The permission the view behind `url_name` requires (its `required_permission`), or None."""
    try:
        view = resolve(reverse(url_name)).func
    except NoReverseMatch:
        return False
    return getattr(view, "required_permission", None)


def link(actor: Any, url_name: str, query: str = "") -> str:
    """The URL of a list, when the actor may open it (else "": a panel never links to a 404)."""
    required = _required(url_name)
    if required is False:
        return ""
    if isinstance(required, str) and not can(actor, required):
        return ""
    if isinstance(required, frozenset | set) and not any(can(actor, permission) for permission in required):
        return ""
    return reverse(url_name) + (f"?{query}" if query else "")


def _num(value: int | Decimal | None, unit: str = "count") -> str:
    return charts.format_value(value, unit)


def _month_label(day: dt.date) -> str:
    return date_format(day, "M y")


# --- shared panels ---------------------------------------------------------------------------------------------

FINANCE_KEYS = ("days_in_ar", "clean_claim_rate", "denial_rate", "net_collection_rate", "ar_over_120",
                "collections")
RATE_KEYS = ("clean_claim_rate", "denial_rate", "net_collection_rate")


def _kpis(ask: _Ask, keys: Sequence[str]) -> list[KpiValue]:
    return kpi_values(actor=ask.actor, start=ask.start, end=ask.end, keys=keys, location_id=ask.location_id,
                      now=ask.now)


def _trend_panel(ask: _Ask, kpis: Sequence[KpiValue], *, key: str, title: str, single: Sequence[str],
                 combined: Sequence[str], combined_title: str, url_name: str, url_label: str) -> Panel | None:
    """Twelve months of the `single` KPIs (one chart each, with the target line) and of the `combined` ones
    (one chart, a line each)."""
    wanted = [*single, *combined]
    trends = kpi_trends(actor=ask.actor, keys=wanted, months=TREND_MONTHS, end=ask.today,
                        location_id=ask.location_id)
    if not trends:
        return None
    by_key = {value.key: value for value in kpis}
    definitions = {definition.key: definition for definition in kpi_definitions()}
    panel = Panel(key=key, title=title, url=link(ask.actor, url_name), url_label=url_label)
    for kpi_key in single:
        if kpi_key not in trends:
            continue
        points = trends[kpi_key]
        definition = definitions[kpi_key]
        target = by_key[kpi_key].target if kpi_key in by_key else None
        panel.charts.append(charts.line_chart(
            title=_("%(kpi)s by month") % {"kpi": definition.label}, chart_id=f"trend-{kpi_key}",
            labels=[_month_label(first) for first, _value in points],
            series=[(definition.label, [value for _first, value in points])], unit=definition.unit, target=target,
            description=definition.definition))
    shown = [kpi_key for kpi_key in combined if kpi_key in trends]
    if shown:
        first_points = trends[shown[0]]
        panel.charts.append(charts.line_chart(
            title=combined_title, chart_id=f"trend-{key}-rates",
            labels=[_month_label(first) for first, _value in first_points],
            series=[(definitions[kpi_key].label, [value for _first, value in trends[kpi_key]]) for kpi_key in shown],
            unit=definitions[shown[0]].unit))
    return panel


def _aging_panel(ask: _Ask, *, by_payer: bool) -> Panel:
    """A/R by age bucket (reports.financial): payers and patients, or (by_payer) the largest payers."""
    aging = aging_summary(actor=ask.actor, as_of=ask.today, permission=Perm.REPORTS_FINANCIAL,
                          location_id=ask.location_id)
    names = [bucket.label for bucket in BUCKETS]
    if by_payer:
        payers = sorted(aging.payers, key=lambda row: (-row.total, row.label))
        shown = payers[:TOP_PAYERS]
        rows: list[tuple[str, Sequence[Decimal]]] = [(row.label or _("(no payer)"), row.amounts) for row in shown]
        rest = payers[TOP_PAYERS:]
        if rest:
            rows.append((_("Other payers (%(count)s)") % {"count": len(rest)},
                         [sum((row.amounts[index] for row in rest), Decimal(0)) for index in range(len(BUCKETS))]))
        rows.append((_("Patients"), aging.patients.amounts))
    else:
        rows = [(_("Payers"), aging.payer_total.amounts), (_("Patients"), aging.patients.amounts)]
    if not aging.total.count:
        rows = []
    chart = charts.stacked_bar_chart(
        title=_("A/R by age (days since the date of service)"), chart_id="ar-aging", segment_names=names, rows=rows,
        unit="$", description=_("Open balances on %(day)s, split into age buckets.") % {
            "day": date_format(aging.as_of)})
    over = aging.total.over_120
    return Panel(
        key="aging", title=_("Accounts receivable"), url=link(ask.actor, "billing:receivables"),
        url_label=_("A/R aging"),
        stats=[Stat(_("Total A/R"), _num(aging.total.total, "$")),
               Stat(_("Owed by payers"), _num(aging.payer_total.total, "$")),
               Stat(_("Owed by patients"), _num(aging.patients.total, "$")),
               Stat(_("Over 120 days"), _num(over, "$"), tone="warn" if over else "")],
        charts=[chart])


def _denials_panel(ask: _Ask) -> Panel:
    counts = open_denials_by_category(actor=ask.actor, permission=Perm.REPORTS_FINANCIAL,
                                      location_id=ask.location_id)
    bars = [(str(label), counts.get(value, 0)) for value, label in DenialCategory.choices]
    total = sum(count for _label, count in bars)
    urls = [link(ask.actor, "billing:denial_list", f"category={value}") for value, _label in DenialCategory.choices]
    chart = charts.bar_chart(
        title=_("Open denials by category"), chart_id="denials-by-category", bars=bars if total else [],
        horizontal=True, unit="count", urls=urls if all(urls) else None, value_heading=_("Open denials"),
        description=_("Denials still being worked (open, appealed, corrected claim sent)."))
    return Panel(key="denials", title=_("Denials"), url=link(ask.actor, "billing:denial_list"),
                 url_label=_("Denials worklist"), stats=[Stat(_("Open denials"), _num(total))], charts=[chart])


def _staffing_panel(ask: _Ask) -> Panel:
    panel = Panel(key="staffing", title=_("Staffing"), url=link(ask.actor, "workforce:workforce_reports"),
                  url_label=_("Workforce reports"))
    counts = turnover_counts(actor=ask.actor, periods=[(ask.start, ask.end)], location_id=ask.location_id)[0]
    average = Decimal(counts.headcount_start + counts.headcount_end) / 2
    turnover = (Decimal(counts.separations) * 100 / average) if average else None
    panel.stats += [Stat(_("Headcount"), _num(counts.headcount_end)),
                    Stat(_("Hires"), _num(counts.hires)), Stat(_("Separations"), _num(counts.separations)),
                    Stat(_("Turnover"), _num(turnover, "%"))]
    if can(ask.actor, Perm.WORKFORCE_HIRING):
        pipeline = hiring_pipeline(actor=ask.actor, location_id=ask.location_id)
        panel.stats += [Stat(_("Open requisitions"), _num(pipeline.open_requisitions),
                             url=link(ask.actor, "workforce:requisition_list")),
                        Stat(_("Requisitions awaiting approval"), _num(pipeline.awaiting_approval),
                             tone="warn" if pipeline.awaiting_approval else "")]
    if can(ask.actor, Perm.WORKFORCE_PAYROLL):
        panel.stats.append(Stat(_("On time off today"), _num(on_pto(actor=ask.actor, day=ask.today,
                                                                   location_id=ask.location_id))))
    return panel


def _compliance_panel(ask: _Ask) -> Panel | None:
    panel = Panel(key="compliance", title=_("Compliance status"))
    if can(ask.actor, Perm.WORKFORCE_VIEW):
        training = training_summary(actor=ask.actor, today=ask.today, start=ask.start, end=ask.end,
                                    location_id=ask.location_id)
        credentials = credential_summary(actor=ask.actor, today=ask.today, location_id=ask.location_id)
        panel.stats += [
            Stat(_("Overdue training"), _num(training.overdue), url=link(ask.actor, "workforce:training_overdue"),
                 tone="danger" if training.overdue else "ok"),
            Stat(_("Credentials expiring in 30 days"), _num(credentials.within_30),
                 url=link(ask.actor, "workforce:credential_expiring"), tone="warn" if credentials.within_30 else ""),
            Stat(_("Credentials expired"), _num(credentials.expired),
                 url=link(ask.actor, "workforce:credential_expiring"), tone="danger" if credentials.expired else "")]
    if can(ask.actor, Perm.COMPLIANCE_VIEW):
        due, overdue = policy_review_counts(actor=ask.actor, today=ask.today)
        panel.stats += [
            Stat(_("Policy reviews due in 30 days"), _num(due - overdue),
                 url=link(ask.actor, "compliance:policy_review_due")),
            Stat(_("Policy reviews overdue"), _num(overdue), url=link(ask.actor, "compliance:policy_review_due"),
                 tone="danger" if overdue else "ok"),
            Stat(_("Business associates without a BAA"), _num(flagged_count(actor=ask.actor, today=ask.today)),
                 url=link(ask.actor, "compliance:associate_list"))]
    if can(ask.actor, Perm.COMPLIANCE_INCIDENTS):
        incidents = incident_summary(actor=ask.actor, today=ask.today, location_id=ask.location_id)
        panel.stats += [
            Stat(_("Open incidents"), _num(incidents.open), url=link(ask.actor, "compliance:incident_list")),
            Stat(_("Breach notices to send"), _num(incidents.notices_open),
                 url=link(ask.actor, "compliance:incident_list"), tone="warn" if incidents.notices_open else ""),
            Stat(_("Breach notices overdue"), _num(incidents.notices_overdue),
                 tone="danger" if incidents.notices_overdue else "ok")]
    return panel if panel.stats else None


def _cases_panel(ask: _Ask) -> Panel:
    cases = case_scoped(actor=ask.actor).order_by()
    if ask.location_id is not None:
        cases = cases.filter(location_id=ask.location_id)
    counts = cases.aggregate(
        open=Count("pk", filter=Q(status__in=CASE_OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_condition(ask.today)),
        escalated=Count("pk", filter=Q(status__in=CASE_OPEN_STATUSES, escalated_at__isnull=False)),
        received=Count("pk", filter=Q(received_on__gte=ask.start, received_on__lte=ask.end)))
    return Panel(key="cases", title=_("Disputes and grievances"), url=link(ask.actor, "cases:case_list"),
                 url_label=_("Cases"),
                 stats=[Stat(_("Open cases"), _num(counts["open"])),
                        Stat(_("Overdue"), _num(counts["overdue"]), tone="danger" if counts["overdue"] else "ok"),
                        Stat(_("Escalated"), _num(counts["escalated"])),
                        Stat(_("Received in the period"), _num(counts["received"]))])


# --- the five dashboards ---------------------------------------------------------------------------------------


def _practice(ask: _Ask, dashboard: Dashboard) -> None:
    actor = ask.actor
    dashboard.kpis = _kpis(ask, [*FINANCE_KEYS[:5], "no_show_rate", "staff_turnover", "sla_breach_rate"])
    if can(actor, Perm.REPORTS_FINANCIAL):
        trends = _trend_panel(ask, dashboard.kpis, key="finance-trends", title=_("Finance trends"),
                              single=["days_in_ar"], combined=RATE_KEYS,
                              combined_title=_("Claim and collection rates by month"),
                              url_name="billing:receivables_kpis", url_label=_("Receivables KPIs"))
        if trends is not None:
            dashboard.panels.append(trends)
        dashboard.panels.append(_aging_panel(ask, by_payer=False))
        dashboard.panels.append(_denials_panel(ask))
    _add_operations_trends(ask, dashboard)
    if can(actor, Perm.WORKFORCE_VIEW):
        dashboard.panels.append(_staffing_panel(ask))
    compliance = _compliance_panel(ask)
    if compliance is not None:
        dashboard.panels.append(compliance)
    if can(actor, Perm.CASES_VIEW) or can(actor, Perm.CASES_STAFF):
        dashboard.panels.append(_cases_panel(ask))


def _office(ask: _Ask, dashboard: Dashboard) -> None:
    actor = ask.actor
    dashboard.kpis = _kpis(ask, ["no_show_rate", "sla_breach_rate", "first_response_median", "overdue_work_orders",
                                 "items_below_par"])
    if can(actor, Perm.SCHEDULE_VIEW):
        dashboard.panels.append(_schedule_panel(ask))
    _add_operations_trends(ask, dashboard)
    for permission in (Perm.REPORTS_OPERATIONS, Perm.FRONTDESK_CONFIGURE):
        if can(actor, permission):
            dashboard.panels.append(_queues_panel(ask, permission))
            break
    if can(actor, Perm.INVENTORY_VIEW):
        dashboard.panels.append(_low_stock_panel(ask))
    if can(actor, Perm.FACILITIES_VIEW):
        dashboard.panels.append(_work_orders_panel(ask))
    if can(actor, Perm.INVENTORY_VIEW):
        dashboard.panels.append(_expiring_panel(ask))


def _add_operations_trends(ask: _Ask, dashboard: Dashboard) -> None:
    """No-shows and missed front-desk service levels by month (reports.operations)."""
    if not can(ask.actor, Perm.REPORTS_OPERATIONS):
        return
    panel = _trend_panel(ask, dashboard.kpis, key="operations-trends", title=_("Operations trends"), single=(),
                         combined=("no_show_rate", "sla_breach_rate"),
                         combined_title=_("No-shows and missed service levels by month"),
                         url_name="frontdesk:report", url_label=_("Front desk report"))
    if panel is not None:
        dashboard.panels.append(panel)


def _schedule_panel(ask: _Ask) -> Panel:
    loads = day_load_by_location(actor=ask.actor, day=ask.today, permission=Perm.SCHEDULE_VIEW,
                                 location_id=ask.location_id)
    names = [_("Booked"), _("Checked in"), _("Completed"), _("No-show")]
    chart = charts.stacked_bar_chart(
        title=_("Today's appointments by location"), chart_id="schedule-today", segment_names=names,
        rows=[(load.name, [load.booked, load.checked_in, load.completed, load.no_show]) for load in loads],
        unit="count", description=_("Appointments of today at each location, by where they stand (cancelled "
                                    "ones left out)."))
    return Panel(
        key="schedule", title=_("Today's schedule"), url=link(ask.actor, "scheduling:schedule_day"),
        url_label=_("Day schedule"),
        stats=[Stat(_("Appointments today"), _num(sum(load.scheduled for load in loads))),
               Stat(_("Still to come or not marked"), _num(sum(load.booked for load in loads))),
               Stat(_("Checked in now"), _num(sum(load.checked_in for load in loads))),
               Stat(_("Cancelled"), _num(sum(load.cancelled for load in loads)))],
        charts=[chart])


def _queues_panel(ask: _Ask, permission: str) -> Panel:
    rows = open_by_queue(actor=ask.actor, permission=permission, now=ask.now, location_id=ask.location_id)
    breached = sum(row.breached for row in rows)
    return Panel(
        key="queues", title=_("Queues and service levels"), url=link(ask.actor, "frontdesk:report"),
        url_label=_("Front desk report"),
        stats=[Stat(_("Open messages"), _num(sum(row.open for row in rows)),
                    url=link(ask.actor, "frontdesk:queue_home")),
               Stat(_("Past a service level"), _num(breached), tone="danger" if breached else "ok"),
               Stat(_("Due within the hour"), _num(sum(row.due_soon for row in rows)))],
        tables=[Table(_("Open messages per queue"), (_("Queue"), _("Open"), _("Past a service level"),
                                                     _("Due within the hour")),
                      [(row.name, _num(row.open), _num(row.breached), _num(row.due_soon))
                       for row in rows[:ROWS_SHOWN]], empty=_("No open message."))])


def _low_stock_panel(ask: _Ask) -> Panel:
    levels = below_reorder_point(actor=ask.actor, location_id=ask.location_id)
    count = levels.count()
    rows = [(f"{level.item.name}", f"{level.place.location.name} · {level.place.name}",
             _num(level.on_hand), _num(level.reorder_point))  # type: ignore[attr-defined]
            for level in levels[:ROWS_SHOWN]]
    return Panel(
        key="low-stock", title=_("Low stock"), url=link(ask.actor, "inventory:belowpar_list"),
        url_label=_("Items below par"),
        stats=[Stat(_("Items at or below reorder point"), _num(count), tone="warn" if count else "ok")],
        tables=[Table(_("Lowest stock"), (_("Item"), _("Place"), _("On hand"), _("Reorder point")), rows,
                      empty=_("Nothing below its reorder point."))])


def _work_orders_panel(ask: _Ask) -> Panel:
    counts = open_work_order_counts(actor=ask.actor, today=ask.today, location_id=ask.location_id)
    statuses = [(value, label) for value, label in WorkOrderStatus.choices
                if value in (WorkOrderStatus.NEW, WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS,
                             WorkOrderStatus.WAITING_FOR_PARTS)]
    bars = [(str(label), counts.by_status.get(value, 0)) for value, label in statuses]
    total = sum(counts.by_status.values())
    overdue = counts.maintenance_overdue
    chart = charts.bar_chart(title=_("Open work orders by status"), chart_id="work-orders", bars=bars if total else [],
                             horizontal=True, unit="count", value_heading=_("Work orders"))
    return Panel(
        key="work-orders", title=_("Work orders"), url=link(ask.actor, "facilities:workorder_list"),
        url_label=_("Work orders"),
        stats=[Stat(_("Open"), _num(total)),
               Stat(_("Urgent"), _num(counts.urgent), tone="danger" if counts.urgent else ""),
               Stat(_("Maintenance overdue"), _num(overdue), url=link(ask.actor, "facilities:maintenance_overdue"),
                    tone="danger" if overdue else "ok")],
        charts=[chart])


def _expiring_panel(ask: _Ask) -> Panel:
    levels = expiring(actor=ask.actor, today=ask.today, within_days=EXPIRY_HORIZON_DAYS)
    if ask.location_id is not None:
        levels = levels.filter(place__location_id=ask.location_id)
    counts = levels.order_by().aggregate(all=Count("pk"), expired=Count("pk", filter=Q(lot__expires_on__lt=ask.today)))
    rows = [(level.item.name, level.lot.number if level.lot else "", date_format(level.lot.expires_on)
             if level.lot and level.lot.expires_on else "", _num(level.quantity)) for level in levels[:ROWS_SHOWN]]
    return Panel(
        key="expiring", title=_("Stock expiring"), url=link(ask.actor, "inventory:expiring_list"),
        url_label=_("Expiring stock"),
        stats=[Stat(_("Lots expiring within 60 days"), _num(counts["all"] - counts["expired"]),
                    tone="warn" if counts["all"] - counts["expired"] else ""),
               Stat(_("Expired, still on the shelf"), _num(counts["expired"]),
                    tone="danger" if counts["expired"] else "ok")],
        tables=[Table(_("Soonest to expire"), (_("Item"), _("Lot"), _("Expires"), _("Quantity")), rows,
                      empty=_("Nothing expires in the next 60 days."))])


def _billing(ask: _Ask, dashboard: Dashboard) -> None:
    actor = ask.actor
    dashboard.kpis = _kpis(ask, FINANCE_KEYS)
    trends = _trend_panel(ask, dashboard.kpis, key="billing-trends", title=_("Trends"),
                          single=["days_in_ar", "collections"], combined=RATE_KEYS,
                          combined_title=_("Claim and collection rates by month"),
                          url_name="billing:receivables_kpis", url_label=_("Receivables KPIs"))
    if trends is not None:
        dashboard.panels.append(trends)
    dashboard.panels.append(_aging_panel(ask, by_payer=True))
    dashboard.panels.append(_denials_panel(ask))
    statuses = claims_by_status(actor=actor, permission=Perm.REPORTS_FINANCIAL, location_id=ask.location_id)
    bars = [(str(label), statuses.get(value, 0)) for value, label in ClaimStatus.choices
            if value not in (ClaimStatus.PAID, ClaimStatus.CLOSED)]
    total = sum(count for _label, count in bars)
    dashboard.panels.append(Panel(
        key="claims", title=_("Claims by status"), url=link(actor, "billing:claim_list"), url_label=_("Claims"),
        stats=[Stat(_("Claims in progress"), _num(total))],
        charts=[charts.bar_chart(title=_("Claims not yet paid or closed, by status"), chart_id="claims-by-status",
                                 bars=bars if total else [], horizontal=True, unit="count",
                                 value_heading=_("Claims"))]))
    near, late = near_filing_limit_count(actor=actor, permission=Perm.REPORTS_FINANCIAL, today=ask.today,
                                         location_id=ask.location_id)
    dashboard.panels.append(Panel(
        key="filing", title=_("Timely filing"), url=link(actor, "billing:worklists"), url_label=_("Worklists"),
        stats=[Stat(_("Unsent claims due within 30 days"), _num(near - late), tone="warn" if near - late else "ok"),
               Stat(_("Unsent claims past the payer's limit"), _num(late), tone="danger" if late else "ok")],
        note=_("Claims not yet sent (draft, held, ready or rejected): the date of service plus the payer's "
               "timely filing limit.")))


def _hr(ask: _Ask, dashboard: Dashboard) -> None:
    actor = ask.actor
    dashboard.kpis = _kpis(ask, ["staff_turnover", "overdue_training", "credentials_expiring"])
    heads = headcount_by_location(actor=actor, day=ask.today, location_id=ask.location_id)
    headcount = Panel(key="headcount", title=_("Headcount"), url=link(actor, "workforce:workforce_reports"),
                      url_label=_("Workforce reports"),
                      stats=[Stat(_("On staff today"), _num(sum(row.count for row in heads)))],
                      charts=[charts.bar_chart(title=_("Staff by main location"), chart_id="headcount",
                                               bars=[(row.label, row.count) for row in heads], horizontal=True,
                                               unit="count", value_heading=_("Staff"))])
    dashboard.panels.append(headcount)
    trend = _trend_panel(ask, dashboard.kpis, key="turnover", title=_("Turnover"), single=["staff_turnover"],
                         combined=(), combined_title="", url_name="workforce:workforce_reports",
                         url_label=_("Workforce reports"))
    if trend is not None:
        dashboard.panels.append(trend)
    if can(actor, Perm.WORKFORCE_HIRING):
        pipeline = hiring_pipeline(actor=actor, location_id=ask.location_id)
        dashboard.panels.append(Panel(
            key="hiring", title=_("Hiring pipeline"), url=link(actor, "workforce:requisition_list"),
            url_label=_("Requisitions"),
            stats=[Stat(_("Open requisitions"), _num(pipeline.open_requisitions)),
                   Stat(_("Awaiting approval"), _num(pipeline.awaiting_approval),
                        tone="warn" if pipeline.awaiting_approval else "")],
            charts=[charts.bar_chart(title=_("Applicants of open requisitions, by stage"), chart_id="hiring",
                                     bars=[(row.label, row.count) for row in pipeline.applicants_by_stage]
                                     if any(row.count for row in pipeline.applicants_by_stage) else [],
                                     unit="count", value_heading=_("Applicants"))]))
    training = training_summary(actor=actor, today=ask.today, start=ask.start, end=ask.end,
                                location_id=ask.location_id)
    dashboard.panels.append(Panel(
        key="training", title=_("Training"), url=link(actor, "workforce:training_list"),
        url_label=_("Training assignments"),
        stats=[Stat(_("Assigned, not completed"), _num(training.open)),
               Stat(_("Overdue"), _num(training.overdue), url=link(actor, "workforce:training_overdue"),
                    tone="danger" if training.overdue else "ok"),
               Stat(_("Completed in the period"), _num(training.completed_in_period)),
               Stat(_("Staff with HIPAA training current"), _hipaa_share(training.hipaa_current, training.staff))]))
    credentials = credential_summary(actor=actor, today=ask.today, location_id=ask.location_id)
    dashboard.panels.append(Panel(
        key="credentials", title=_("Licences and certifications"),
        url=link(actor, "workforce:credential_expiring"), url_label=_("Expiring credentials"),
        stats=[Stat(_("Expired"), _num(credentials.expired), tone="danger" if credentials.expired else "ok"),
               Stat(_("Expiring within 30 days"), _num(credentials.within_30),
                    tone="warn" if credentials.within_30 else ""),
               Stat(_("Expiring within 90 days"), _num(credentials.within_90))],
        charts=[charts.bar_chart(title=_("Expired or expiring within 90 days, by credential"),
                                 chart_id="credentials", bars=[(row.label, row.count) for row in
                                                               credentials.by_type[:ROWS_SHOWN]],
                                 horizontal=True, unit="count", value_heading=_("Credentials"))]))


def _hipaa_share(current: int, staff: int) -> str:
    if not staff:
        return "—"
    return _("%(current)s of %(staff)s (%(share)s)") % {
        "current": current, "staff": staff, "share": _num(Decimal(current * 100) / staff, "%")}


def _privacy(ask: _Ask, dashboard: Dashboard) -> None:
    actor = ask.actor
    dashboard.kpis = _kpis(ask, ["breach_notices_due", "policy_reviews_overdue"])
    if can(actor, Perm.COMPLIANCE_INCIDENTS):
        incidents = incident_summary(actor=actor, today=ask.today, location_id=ask.location_id)
        rows = [(_("#%(id)s %(title)s") % {"id": row.incident_id, "title": row.incident_title}, row.audience,
                 date_format(row.due_on),
                 _("%(days)s days late") % {"days": -row.days_left} if row.days_left < 0
                 else _("%(days)s days left") % {"days": row.days_left}) for row in incidents.next_notices]
        dashboard.panels.append(Panel(
            key="incidents", title=_("Incidents and breach clocks"), url=link(actor, "compliance:incident_list"),
            url_label=_("Incidents"),
            stats=[Stat(_("Open incidents"), _num(incidents.open)),
                   Stat(_("Breach not yet determined"), _num(incidents.awaiting_determination),
                        tone="warn" if incidents.awaiting_determination else ""),
                   Stat(_("Notices to send"), _num(incidents.notices_open)),
                   Stat(_("Notices overdue"), _num(incidents.notices_overdue),
                        tone="danger" if incidents.notices_overdue else "ok")],
            tables=[Table(_("Next breach notices due"), (_("Incident"), _("To"), _("Due"), _("Clock")), rows,
                          empty=_("No breach notice to send."))]))
    if can(actor, Perm.COMPLIANCE_VIEW):
        campaigns = campaign_progress(actor=actor)
        due, overdue = policy_review_counts(actor=actor, today=ask.today)
        dashboard.panels.append(Panel(
            key="policies", title=_("Policies and acknowledgements"), url=link(actor, "compliance:policy_list"),
            url_label=_("Policies"),
            stats=[Stat(_("Reviews due in 30 days"), _num(due - overdue),
                        url=link(actor, "compliance:policy_review_due")),
                   Stat(_("Reviews overdue"), _num(overdue), tone="danger" if overdue else "ok")],
            charts=[charts.bar_chart(
                title=_("Acknowledged, latest campaigns (%)"), chart_id="acknowledgements",
                bars=[(f"{row.policy_title} ({date_format(row.due_on)})", row.percent) for row in campaigns],
                horizontal=True, unit="%", value_heading=_("Acknowledged"),
                description=_("Share of the people asked who acknowledged the policy version."))]))
        training = training_summary(actor=actor, today=ask.today, start=ask.start, end=ask.end,
                                    location_id=ask.location_id, permission=Perm.COMPLIANCE_VIEW)
        flagged = flagged_count(actor=actor, today=ask.today)
        dashboard.panels.append(Panel(
            key="hipaa", title=_("HIPAA program"), url=link(actor, "compliance:associate_list"),
            url_label=_("Business associates"),
            stats=[Stat(_("Staff with HIPAA training current"), _hipaa_share(training.hipaa_current, training.staff),
                        tone="ok" if training.staff and training.hipaa_current == training.staff else "warn"),
                   Stat(_("Associates handling PHI without a BAA in force"), _num(flagged),
                        tone="danger" if flagged else "ok")]))
    if can(actor, Perm.AUDIT_VIEW):
        denied = audit_event_list(actor=actor, date_from=ask.start, date_to=ask.end, outcome=Outcome.DENIED)
        by_action = list(denied.order_by().values("action").annotate(n=Count("pk")).order_by("-n", "action")
                         [:ROWS_SHOWN])
        total = denied.order_by().count()
        dashboard.panels.append(Panel(
            key="denied", title=_("Denied accesses"), url=link(actor, "audit:event_list", "outcome=denied"),
            url_label=_("Audit log"),
            stats=[Stat(_("Denied in the period"), _num(total), tone="warn" if total else "ok")],
            charts=[charts.bar_chart(title=_("Denied accesses by action"), chart_id="denied-accesses",
                                     bars=[(row["action"], row["n"]) for row in by_action], horizontal=True,
                                     unit="count", value_heading=_("Denied"))]))


_BUILDERS: dict[str, Callable[[_Ask, Dashboard], None]] = {
    "practice": _practice, "office": _office, "billing": _billing, "hr": _hr, "privacy": _privacy}


def dashboard(*, actor: Any, key: str, start: dt.date, end: dt.date, location_id: int | None = None,
              now: dt.datetime | None = None) -> Dashboard:
    """The dashboard `key` as the actor may see it, for the period and (optionally) one location. The caller
    checks that the actor may open it (may_open) and that the location is one of dashboard_locations."""
    spec = DASHBOARD_BY_KEY[key]
    local_now = now or practice_now()
    ask = _Ask(actor=actor, start=start, end=end, location_id=location_id, now=local_now)
    result = Dashboard(spec=spec, start=start, end=end, location_id=location_id, now=local_now)
    _BUILDERS[key](ask, result)
    result.kpi_tiles = [(value, link(actor, value.definition.url_name, value.definition.url_query)
                         if value.definition.url_name else "") for value in result.kpis]
    return result
