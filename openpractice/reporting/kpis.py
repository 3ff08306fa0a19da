"""The KPI registry: every indicator the dashboards, the operations brief and the API show, its definition, who may
see it, and how it is measured — with the practice's target and a status against it.

Definitions follow /work/shared/DOMAIN.md ("Practice KPIs") for the seven practice KPIs; the operational ones are
counts a manager acts on. Every figure is read through the owning module's selectors, scoped to the locations
where the actor holds the KPI's permission (and optionally narrowed to one location), and computed in the
database with aggregate queries: the number of queries depends on the KPIs asked for, never on the rows.

Two kinds of KPI:
- period KPIs (rates, days, money) are measured over a period; `previous` is the same KPI over the period of
  equal length just before, and `kpi_trend` gives one value per calendar month;
- snapshot KPIs (counts of what is overdue or due now) describe today's state. The modules keep no history of it,
  so they have no previous value, and a trend has a value only for the current month.

Speed. The receivables KPIs cost about 250 ms per period on PostgreSQL with a million charge lines
(docs/benchmarks.md), so a dashboard with a previous period and twelve months of trend cannot compute them on
every request. Period figures are kept in Django's cache, per source, period, scope (the locations where the
actor holds the source's permission), location filter and language: five minutes while a period reaches today,
six hours once it is over. People with the same scope share them; nothing is cached per person, and a cached
figure never crosses scopes. Snapshot counts are one cheap query each and are not cached.

Status against target (`kpi_status`): with a ceiling (at most), a value at or under the target is "met", over it
but not past `warn_at` is "close", past `warn_at` (or over the target when there is no warn_at) is "missed"; a
floor (at least) mirrors it. No value or no target: "none".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.billing.selectors.receivables import Kpi as BillingKpi
from openpractice.billing.selectors.receivables import practice_kpis
from openpractice.cases.selectors_reports import overdue_count as cases_overdue_count
from openpractice.compliance.selectors.policies import review_due
from openpractice.compliance.selectors.stats import notices_managed
from openpractice.core.selectors import practice_now
from openpractice.facilities.selectors_assets import overdue_work_orders
from openpractice.frontdesk.selectors_stats import first_response_median, sla_counts
from openpractice.inventory.selectors.stock import below_reorder_point
from openpractice.scheduling.selectors_stats import no_show_counts
from openpractice.workforce.selectors.credentials import expiring_credentials
from openpractice.workforce.selectors.stats import turnover_counts
from openpractice.workforce.selectors.training import overdue_list

from .charts import format_value
from .choices import Direction
from .models import KpiTarget

TENTH = Decimal("0.1")
CENT = Decimal("0.01")
CREDENTIAL_HORIZON_DAYS = 30
NOTICE_HORIZON_DAYS = 14
MAX_TREND_MONTHS = 36
CACHE_VERSION = 1
CACHE_SECONDS_CURRENT = 300
CACHE_SECONDS_PAST = 6 * 3600


class Unit:
    PERCENT = "%"
    DAYS = "days"
    MONEY = "$"
    COUNT = "count"
    HOURS = "hours"


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # Unit.*
    better: str  # Direction.AT_MOST when lower is better, AT_LEAST when higher is better
    permission: str  # the Perm needed to see it; figures are scoped to the locations where it is held
    definition: str
    snapshot: bool = False  # today's state (no previous value, no history)
    url_name: str = ""  # the list or report behind the figure
    url_query: str = ""


@dataclass(frozen=True)
class KpiValue:
    definition: KpiDefinition
    value: Decimal | None  # None when undefined (nothing to divide by)
    previous: Decimal | None  # the same KPI over the previous period of equal length
    target: Decimal | None
    warn_at: Decimal | None
    status: str  # "met" | "close" | "missed" | "none"
    detail: str  # numerator and denominator in words, may be ""

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def change(self) -> Decimal | None:
        """value − previous, when both are known."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def direction(self) -> str:
        return self.definition.better

    @property
    def display(self) -> str:
        return format_value(self.value, self.definition.unit)

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.definition.unit)

    @property
    def target_display(self) -> str:
        return format_value(self.target, self.definition.unit) if self.target is not None else ""

    @property
    def warn_display(self) -> str:
        return format_value(self.warn_at, self.definition.unit) if self.warn_at is not None else ""

    @property
    def change_display(self) -> str:
        """The change since the previous period, signed ("+1.5%", "−2 d"), "" when unknown."""
        change = self.change
        if change is None:
            return ""
        text = format_value(abs(change), self.definition.unit)
        return ("+" if change > 0 else "−" if change < 0 else "±") + text

    @property
    def improved(self) -> bool | None:
        """Whether the change since the previous period went the better way (None: no change known or none)."""
        change = self.change
        if not change:
            return None
        return (change < 0) == (self.definition.better == Direction.AT_MOST)

    @property
    def status_label(self) -> str:
        if self.value is None:
            return _("No data")
        return {"met": _("On target"), "close": _("Close to target"), "missed": _("Off target"),
                "none": _("No target set")}[self.status]


class UnknownKpi(LookupError):
    """A KPI key that is not in the registry, or that the actor may not see (the same answer: no existence leak)."""


STATUSES = ("met", "close", "missed", "none")


def kpi_status(*, value: Decimal | None, direction: str, target: Decimal | None, warn_at: Decimal | None) -> str:
    """Where `value` stands against the target: "met", "close" (past the target, not past warn_at), "missed" or
    "none" (no value or no target)."""
    if value is None or target is None:
        return "none"
    if direction == Direction.AT_LEAST:
        if value >= target:
            return "met"
        return "close" if warn_at is not None and value >= warn_at else "missed"
    if value <= target:
        return "met"
    return "close" if warn_at is not None and value <= warn_at else "missed"


# --- the registry ----------------------------------------------------------------------------------------------

# The module that measures each KPI; KPIs of one source are measured together (one set of queries).
_SOURCE: dict[str, str] = {
    "days_in_ar": "billing", "clean_claim_rate": "billing", "denial_rate": "billing",
    "net_collection_rate": "billing", "ar_over_120": "billing", "collections": "billing",
    "no_show_rate": "schedule",
    "staff_turnover": "turnover",
    "sla_breach_rate": "frontdesk", "first_response_median": "frontdesk",
    "overdue_work_orders": "facilities",
    "items_below_par": "inventory",
    "overdue_training": "training",
    "credentials_expiring": "credentials",
    "overdue_cases": "cases",
    "policy_reviews_overdue": "policies",
    "breach_notices_due": "incidents",
}


def kpi_definitions() -> list[KpiDefinition]:
    """Every KPI of the registry, in the order the pages show them (translated for the active language)."""
    most, least = Direction.AT_MOST, Direction.AT_LEAST
    fin, ops = Perm.REPORTS_FINANCIAL, Perm.REPORTS_OPERATIONS
    return [
        KpiDefinition("days_in_ar", _("Days in A/R"), Unit.DAYS, most, fin,
                      _("Total A/R ÷ average daily gross charges over the last 90 days, at the end of the period."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("clean_claim_rate", _("Clean claim rate"), Unit.PERCENT, least, fin,
                      _("Claims accepted on first submission ÷ claims first submitted in the period."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("denial_rate", _("Denial rate"), Unit.PERCENT, most, fin,
                      _("Claims denied ÷ claims adjudicated (remittances paid in the period)."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("net_collection_rate", _("Net collection rate"), Unit.PERCENT, least, fin,
                      _("Payments ÷ (charges − contractual adjustments), all posted in the period."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("ar_over_120", _("A/R over 120 days"), Unit.PERCENT, most, fin,
                      _("A/R with a date of service more than 120 days before the end of the period, as a share "
                        "of total A/R."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("collections", _("Payments collected"), Unit.MONEY, least, fin,
                      _("Payer and patient payments posted in the period, net of refunds and recoupments."),
                      url_name="billing:receivables_kpis"),
        KpiDefinition("no_show_rate", _("No-show rate"), Unit.PERCENT, most, ops,
                      _("No-shows ÷ scheduled appointments (not cancelled, starting in the period, before now)."),
                      url_name="scheduling:schedule_day"),
        KpiDefinition("staff_turnover", _("Staff turnover"), Unit.PERCENT, most, Perm.WORKFORCE_VIEW,
                      _("Separations in the period ÷ average headcount (mean of the first and last day)."),
                      url_name="workforce:workforce_reports"),
        KpiDefinition("sla_breach_rate", _("Front-desk SLA breaches"), Unit.PERCENT, most, ops,
                      _("Calls, emails and messages received in the period that missed a service level (first "
                        "response or resolution) ÷ messages received."),
                      url_name="frontdesk:report"),
        KpiDefinition("first_response_median", _("First response (median)"), Unit.HOURS, most, ops,
                      _("Median time from receipt to first response, over the messages received in the period "
                        "and answered."),
                      url_name="frontdesk:report"),
        KpiDefinition("overdue_work_orders", _("Overdue maintenance"), Unit.COUNT, most, Perm.FACILITIES_VIEW,
                      _("Preventive work orders past their maintenance date and not done, today."), snapshot=True,
                      url_name="facilities:maintenance_overdue"),
        KpiDefinition("items_below_par", _("Items below reorder point"), Unit.COUNT, most, Perm.INVENTORY_VIEW,
                      _("Par levels (item and storage place) at or below their reorder point, today."),
                      snapshot=True, url_name="inventory:belowpar_list"),
        KpiDefinition("overdue_training", _("Overdue training"), Unit.COUNT, most, Perm.WORKFORCE_VIEW,
                      _("Training assignments of staff on the payroll past their due date and not completed, "
                        "today."), snapshot=True, url_name="workforce:training_overdue"),
        KpiDefinition("credentials_expiring", _("Credentials expiring in 30 days"), Unit.COUNT, most,
                      Perm.WORKFORCE_VIEW,
                      _("Licences and certifications held by current staff that expire within 30 days or have "
                        "expired without renewal, today."), snapshot=True, url_name="workforce:credential_expiring"),
        KpiDefinition("overdue_cases", _("Overdue cases"), Unit.COUNT, most, Perm.CASES_VIEW,
                      _("Open cases not acknowledged or not resolved by their due date, today."), snapshot=True,
                      url_name="cases:case_list"),
        KpiDefinition("policy_reviews_overdue", _("Policy reviews overdue"), Unit.COUNT, most, Perm.COMPLIANCE_VIEW,
                      _("Policies in force whose review date has passed, today (policies are practice-wide)."),
                      snapshot=True, url_name="compliance:policy_review_due"),
        KpiDefinition("breach_notices_due", _("Breach notices due"), Unit.COUNT, most, Perm.COMPLIANCE_INCIDENTS,
                      _("Breach notifications not yet sent that are due within 14 days or overdue, today."),
                      snapshot=True, url_name="compliance:incident_list"),
    ]


def kpi_definition(key: str) -> KpiDefinition:
    for definition in kpi_definitions():
        if definition.key == key:
            return definition
    raise UnknownKpi(key)


def visible_definitions(actor: Any, keys: Sequence[str] | None = None) -> list[KpiDefinition]:
    """The KPIs the actor may see (those of `keys` when given, in registry order). Unknown keys are refused."""
    definitions = kpi_definitions()
    if keys is not None:
        known = {definition.key for definition in definitions}
        unknown = sorted(set(keys) - known)
        if unknown:
            raise UnknownKpi(", ".join(unknown))
        definitions = [definition for definition in definitions if definition.key in set(keys)]
    return [definition for definition in definitions if can(actor, definition.permission)]


# --- measuring -------------------------------------------------------------------------------------------------

Period = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Figure:
    value: Decimal | None
    detail: str = ""


@dataclass
class _Context:
    actor: Any
    location_id: int | None
    now: dt.datetime  # practice-local
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return self.now.date()


def _quantize(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    if unit == Unit.COUNT:
        return Decimal(int(value))
    return value.quantize(CENT if unit == Unit.MONEY else TENTH, rounding=ROUND_HALF_UP)


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _amount(value: Decimal, is_money: bool) -> str:
    return f"${value:,.2f}" if is_money else f"{int(value):,}"


def _billing_detail(kpi: BillingKpi) -> str:
    return _("%(numerator_label)s: %(numerator)s; %(denominator_label)s: %(denominator)s") % {
        "numerator_label": kpi.numerator_label, "numerator": _amount(kpi.numerator, kpi.is_money),
        "denominator_label": kpi.denominator_label, "denominator": _amount(kpi.denominator, kpi.is_money)}


def _billing(context: _Context, periods: Sequence[Period]) -> list[dict[str, Figure]]:
    """The receivables KPIs of billing's practice_kpis (five queries per period)."""
    result = []
    for start, end in periods:
        kpis = practice_kpis(actor=context.actor, start=start, end=end, permission=Perm.REPORTS_FINANCIAL,
                             location_id=context.location_id)
        figures = {kpi.key: Figure(kpi.value, _billing_detail(kpi)) for kpi in kpis}
        payments = kpis.net_collection_rate.numerator
        figures["collections"] = Figure(payments, _("Payments posted %(start)s to %(end)s: %(amount)s") % {
            "start": start.isoformat(), "end": end.isoformat(), "amount": _amount(payments, True)})
        result.append(figures)
    return result


def _schedule(context: _Context, periods: Sequence[Period]) -> list[dict[str, Figure]]:
    counts = no_show_counts(actor=context.actor, periods=periods, permission=Perm.REPORTS_OPERATIONS,
                            now=context.now, location_id=context.location_id)
    return [{"no_show_rate": Figure(_rate(no_shows, scheduled), _(
        "%(no_shows)s no-shows of %(scheduled)s scheduled appointments") % {"no_shows": no_shows,
                                                                           "scheduled": scheduled})}
            for scheduled, no_shows in counts]


def _turnover(context: _Context, periods: Sequence[Period]) -> list[dict[str, Figure]]:
    result = []
    for counts in turnover_counts(actor=context.actor, periods=periods, location_id=context.location_id):
        average = Decimal(counts.headcount_start + counts.headcount_end) / 2
        value = ((Decimal(counts.separations) * 100 / average).quantize(TENTH, rounding=ROUND_HALF_UP)
                 if average else None)
        result.append({"staff_turnover": Figure(value, _(
            "%(separations)s separations; average headcount %(average)s (%(first)s on the first day, %(last)s on "
            "the last)") % {"separations": counts.separations, "average": f"{average.normalize():f}",
                            "first": counts.headcount_start, "last": counts.headcount_end})})
    return result


def _hours(value: dt.timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 3600).quantize(TENTH, rounding=ROUND_HALF_UP)


def _frontdesk(context: _Context, periods: Sequence[Period]) -> list[dict[str, Figure]]:
    """SLA breaches (one query for all periods) and the median first response (one query per period)."""
    counts = sla_counts(actor=context.actor, periods=periods, permission=Perm.REPORTS_OPERATIONS,
                        now=context.now, location_id=context.location_id)
    result = []
    for (start, end), row in zip(periods, counts, strict=True):
        median = first_response_median(actor=context.actor, start=start, end=end, answered=row.answered,
                                       permission=Perm.REPORTS_OPERATIONS, location_id=context.location_id)
        result.append({
            "sla_breach_rate": Figure(_rate(row.breached, row.received), _(
                "%(breached)s of %(received)s messages missed a service level") % {
                "breached": row.breached, "received": row.received}),
            "first_response_median": Figure(_hours(median), _(
                "Median over %(answered)s answered messages") % {"answered": row.answered}),
        })
    return result


def _snapshot_count(context: _Context, key: str) -> Figure:
    """Today's count for a snapshot KPI. One query."""
    actor, location_id, today = context.actor, context.location_id, context.today
    if key == "overdue_work_orders":
        work_orders = overdue_work_orders(actor=actor, today=today)
        if location_id is not None:
            work_orders = work_orders.filter(location_id=location_id)
        return Figure(Decimal(work_orders.count()))
    if key == "items_below_par":
        return Figure(Decimal(below_reorder_point(actor=actor, location_id=location_id).count()))
    if key == "overdue_training":
        assignments = overdue_list(actor=actor, today=today)
        if location_id is not None:
            assignments = assignments.filter(employee__location_id=location_id)
        return Figure(Decimal(assignments.count()))
    if key == "credentials_expiring":
        credentials = expiring_credentials(actor=actor, today=today, within_days=CREDENTIAL_HORIZON_DAYS)
        if location_id is not None:
            credentials = credentials.filter(employee__location_id=location_id)
        return Figure(Decimal(credentials.count()))
    if key == "overdue_cases":
        if location_id is None:
            return Figure(Decimal(cases_overdue_count(actor=actor, today=today)))
        from openpractice.cases.selectors import case_scoped, overdue_condition

        return Figure(Decimal(case_scoped(actor=actor).filter(overdue_condition(today), location_id=location_id)
                              .count()))
    if key == "policy_reviews_overdue":
        return Figure(Decimal(review_due(actor=actor, today=today).filter(next_review_on__lt=today).count()))
    if key == "breach_notices_due":
        notices = notices_managed(actor=actor).filter(
            done_on__isnull=True, due_on__lte=today + dt.timedelta(days=NOTICE_HORIZON_DAYS))
        if location_id is not None:
            notices = notices.filter(incident__location_id=location_id)
        return Figure(Decimal(notices.count()))
    raise UnknownKpi(key)


_PeriodSource = Callable[[_Context, Sequence[Period]], list[dict[str, Figure]]]
_PERIOD_SOURCES: dict[str, _PeriodSource] = {
    "billing": _billing, "schedule": _schedule, "turnover": _turnover, "frontdesk": _frontdesk}
# The permission whose locations scope each source's figures: with the location filter and the language of the
# details, the whole of what a cached figure depends on.
_SOURCE_PERMISSION: dict[str, str] = {
    "billing": Perm.REPORTS_FINANCIAL, "schedule": Perm.REPORTS_OPERATIONS, "turnover": Perm.WORKFORCE_VIEW,
    "frontdesk": Perm.REPORTS_OPERATIONS}


def _cache_key(context: _Context, source: str, period: Period) -> str:
    ids = location_ids_where(context.actor, _SOURCE_PERMISSION[source])
    scope = "all" if ids is None else ",".join(str(pk) for pk in sorted(ids))
    return (f"op:kpi:{CACHE_VERSION}:{source}:{period[0].isoformat()}:{period[1].isoformat()}:{scope}:"
            f"{context.location_id or ''}:{get_language() or ''}")


def _period_figures(context: _Context, source: str, periods: Sequence[Period]) -> list[dict[str, Figure]]:
    """The figures of one source for each period: from the cache when another request (of someone with the same
    scope) computed them lately, else computed together and kept — for CACHE_SECONDS_CURRENT when the period
    reaches today (figures still move), CACHE_SECONDS_PAST when it is over (later postings do not change them)."""
    keys = [_cache_key(context, source, period) for period in periods]
    found: dict[str, Any] = cache.get_many(keys)
    missing = [index for index, key in enumerate(keys) if key not in found]
    if missing:
        computed = _PERIOD_SOURCES[source](context, [periods[index] for index in missing])
        past: dict[str, Any] = {}
        current: dict[str, Any] = {}
        for index, figures in zip(missing, computed, strict=True):
            found[keys[index]] = figures
            (past if periods[index][1] < context.today else current)[keys[index]] = figures
        if past:
            cache.set_many(past, CACHE_SECONDS_PAST)
        if current:
            cache.set_many(current, CACHE_SECONDS_CURRENT)
    return [found[key] for key in keys]


def _measure(context: _Context, definitions: Iterable[KpiDefinition],
             periods: Sequence[Period]) -> dict[str, list[Figure]]:
    """Each period KPI of `definitions` over each of `periods`; each snapshot KPI once (today)."""
    definitions = list(definitions)
    sources = {_SOURCE[definition.key] for definition in definitions if not definition.snapshot}
    per_source = {source: _period_figures(context, source, periods) for source in sorted(sources)}
    figures: dict[str, list[Figure]] = {}
    for definition in definitions:
        if definition.snapshot:
            figures[definition.key] = [_snapshot_count(context, definition.key)]
        else:
            figures[definition.key] = [period[definition.key] for period in per_source[_SOURCE[definition.key]]]
    return figures


def previous_period(start: dt.date, end: dt.date) -> Period:
    """The period of equal length that ends the day before `start`."""
    previous_end = start - dt.timedelta(days=1)
    return previous_end - (end - start), previous_end


def kpi_targets(keys: Iterable[str]) -> dict[str, KpiTarget]:
    """The practice's targets of `keys` (targets are practice policy, not protected data). One query."""
    return {target.kpi: target for target in KpiTarget.objects.filter(kpi__in=sorted(set(keys)))}


def kpi_values(*, actor: Any, start: dt.date, end: dt.date, keys: Sequence[str] | None = None,
               location_id: int | None = None, now: dt.datetime | None = None) -> list[KpiValue]:
    """The KPIs the actor may see (of `keys`, when given) for the period `start`..`end` (practice days, both
    included), with the previous period's value, the practice's target and the status against it. `location_id`
    narrows every figure to one location (within the actor's scope). A bounded number of queries."""
    if start > end:
        raise ValueError("the period starts after it ends")
    definitions = visible_definitions(actor, keys)
    if not definitions:
        return []
    context = _Context(actor=actor, location_id=location_id, now=now or practice_now())
    figures = _measure(context, definitions, [(start, end), previous_period(start, end)])
    targets = kpi_targets(definition.key for definition in definitions)
    values = []
    for definition in definitions:
        current, *before = figures[definition.key]
        value = _quantize(current.value, definition.unit)
        previous = _quantize(before[0].value, definition.unit) if before else None
        target = targets.get(definition.key)
        target_value = target.target if target else None
        warn_at = target.warn_at if target else None
        direction = target.direction if target else definition.better
        values.append(KpiValue(
            definition=definition, value=value, previous=previous, target=target_value, warn_at=warn_at,
            status=kpi_status(value=value, direction=direction, target=target_value, warn_at=warn_at),
            detail=current.detail))
    return values


def month_periods(end: dt.date, months: int) -> list[Period]:
    """The `months` calendar months up to the one holding `end`, oldest first; the last ends at `end`."""
    periods: list[Period] = []
    first = end.replace(day=1)
    last = end
    for _index in range(months):
        periods.append((first, last))
        last = first - dt.timedelta(days=1)
        first = last.replace(day=1)
    return periods[::-1]


def kpi_trends(*, actor: Any, keys: Sequence[str], months: int = 12, end: dt.date | None = None,
               location_id: int | None = None) -> dict[str, list[tuple[dt.date, Decimal | None]]]:
    """kpi_trend for several KPIs at once (those of `keys` the actor may see; KPIs of one source are measured
    together). UnknownKpi for a key not in the registry; ValueError when `months` is not 1..36."""
    if not 1 <= months <= MAX_TREND_MONTHS:
        raise ValueError(f"months must be 1 to {MAX_TREND_MONTHS}")
    definitions = visible_definitions(actor, keys)
    if not definitions:
        return {}
    context = _Context(actor=actor, location_id=location_id, now=practice_now())
    periods = month_periods(end or context.today, months)
    figures = _measure(context, definitions, periods)
    this_month = context.today.replace(day=1)
    trends: dict[str, list[tuple[dt.date, Decimal | None]]] = {}
    for definition in definitions:
        if definition.snapshot:
            current = figures[definition.key][0].value
            trends[definition.key] = [(first, current if first == this_month else None) for first, _last in periods]
        else:
            trends[definition.key] = [(first, _quantize(figure.value, definition.unit)) for (first, _last), figure
                                      in zip(periods, figures[definition.key], strict=True)]
    return trends


def kpi_trend(*, actor: Any, key: str, months: int = 12, end: dt.date | None = None,
              location_id: int | None = None) -> list[tuple[dt.date, Decimal | None]]:
    """One value per calendar month (the month's first day, the value over that month — the last month up to
    `end`), oldest first. A snapshot KPI has a value only for the current month. UnknownKpi when the key is not
    in the registry or the actor may not see it; ValueError when `months` is not 1..36."""
    trends = kpi_trends(actor=actor, keys=[key], months=months, end=end, location_id=location_id)
    if key not in trends:
        raise UnknownKpi(key)
    return trends[key]


def kpi_warm(*, actor: Any, months: int = 12, days: int = 30, location_id: int | None = None) -> int:
    """Compute into the cache what the dashboards ask first for the actor's scope: every period KPI the actor may
    see over the last `days` days, the period before, and `months` months of trend. Meant for a periodic task run
    as someone holding the permissions at every location (their scope is the one most viewers share), so that
    the first dashboard view after the cache expires does not pay for a year of receivables figures. Returns how
    many KPIs were warmed."""
    definitions = [definition for definition in visible_definitions(actor) if not definition.snapshot]
    if not definitions:
        return 0
    context = _Context(actor=actor, location_id=location_id, now=practice_now())
    end = context.today
    start = end - dt.timedelta(days=days - 1)
    _measure(context, definitions, [(start, end), previous_period(start, end), *month_periods(end, months)])
    return len(definitions)
