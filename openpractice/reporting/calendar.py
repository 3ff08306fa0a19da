"""The compliance calendar's sources: every dated obligation of every module, as calendar items.

Each source reads its module through that module's selectors, scoped to the viewer (the selector applies the
role and location rule of its module), and only when the viewer holds the source's permission somewhere: someone
with none of them gets no item and no query. Each source costs one to three queries whatever the number of rows
(`values()` reads only the columns an item needs, with the location name joined in), and returns at most
MAX_PER_SOURCE items, the soonest first, saying when it left some out.

No item carries PHI: a claim shows its number and payer, a case its number, a breach notice its incident number;
never a patient's name, an incident's or a case's own words.

Status of an item: "done" when the module records it as done (a renewed credential, a completed training, a sent
notice, a closed pay period, a logged check, a finished work order, a resolved case), else "overdue" when its date
has passed, "due soon" within DUE_SOON_DAYS, "upcoming" after that.

Rules worth knowing:
- preventive maintenance: a plan's next due date, and its next occurrences in the range projected from its interval
  (future ones only), plus the preventive work orders already opened (by their maintenance date);
- safety checks: weekly and monthly checkpoints show one item per period (dated the period's last day); daily and
  twice-daily ones show only the days whose entries are missing and may still be recorded late (the last
  BACKDATE_DAYS days): a daily reading is not something to plan for;
- contracts: the end (or renewal) date and, with a notice period, the last day to give notice;
- business associate agreements: the review date and the end date of each agreement in force (an end that a later
  agreement with the same associate covers is done).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from calendar import monthrange
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.billing.selectors.filing_deadlines import filing_deadlines
from openpractice.cases import selectors as case_selectors
from openpractice.cases.choices import OPEN_STATUSES as CASE_OPEN_STATUSES
from openpractice.cases.choices import CaseStatus
from openpractice.compliance.choices import AgreementStatus, NotificationAudience, VersionStatus
from openpractice.compliance.selectors import associates as associate_selectors
from openpractice.compliance.selectors import notification_deadlines as deadline_selectors
from openpractice.compliance.selectors import policies as policy_selectors
from openpractice.core.selectors import practice_timezone_name
from openpractice.facilities import selectors_assets, selectors_dated, selectors_safety
from openpractice.facilities.choices import (
    AssetStatus,
    IntervalUnit,
    SafetyFrequency,
    WorkOrderSource,
    WorkOrderStatus,
)
from openpractice.inventory.selectors import stock as stock_selectors
from openpractice.vendors import selectors as vendor_selectors
from openpractice.vendors.choices import ContractStatus
from openpractice.workforce.choices import EmployeeStatus, PayPeriodStatus, TrainingStatus
from openpractice.workforce.selectors import credentials as credential_selectors
from openpractice.workforce.selectors import time as time_selectors
from openpractice.workforce.selectors import training as training_selectors

DUE_SOON_DAYS = 14
MAX_PER_SOURCE = 1000
# Late entries of a daily safety check can be recorded for this many days (facilities' rule).
BACKDATE_DAYS = selectors_safety.BACKDATE_DAYS
# A plan projected from a past due date stops after this many occurrences (an interval of one day over a year).
MAX_OCCURRENCES = 400

OVERDUE, DUE_SOON, UPCOMING, DONE = "overdue", "due_soon", "upcoming", "done"
STATUSES: dict[str, Any] = {
    OVERDUE: gettext_lazy("Overdue"), DUE_SOON: gettext_lazy("Due soon"), UPCOMING: gettext_lazy("Upcoming"),
    DONE: gettext_lazy("Done"),
}

MODULES: dict[str, Any] = {
    "workforce": gettext_lazy("Workforce"),
    "compliance": gettext_lazy("Compliance"),
    "vendors": gettext_lazy("Vendors"),
    "facilities": gettext_lazy("Facilities"),
    "billing": gettext_lazy("Billing"),
    "cases": gettext_lazy("Cases"),
    "inventory": gettext_lazy("Inventory"),
}


@dataclass(frozen=True)
class Kind:
    slug: str
    module: str
    label: Any


KINDS: dict[str, Kind] = {kind.slug: kind for kind in (
    Kind("credential_expiry", "workforce", gettext_lazy("Credential expiry")),
    Kind("training_due", "workforce", gettext_lazy("Training due")),
    Kind("pay_period_close", "workforce", gettext_lazy("Pay period close")),
    Kind("policy_review", "compliance", gettext_lazy("Policy review")),
    Kind("baa_review", "compliance", gettext_lazy("BAA review")),
    Kind("baa_expiry", "compliance", gettext_lazy("BAA end")),
    Kind("breach_notice", "compliance", gettext_lazy("Breach notification deadline")),
    Kind("contract_notice", "vendors", gettext_lazy("Contract notice deadline")),
    Kind("contract_end", "vendors", gettext_lazy("Contract end or renewal")),
    Kind("maintenance_due", "facilities", gettext_lazy("Preventive maintenance")),
    Kind("safety_check", "facilities", gettext_lazy("Safety check")),
    Kind("work_order_due", "facilities", gettext_lazy("Work order due")),
    Kind("timely_filing", "billing", gettext_lazy("Timely filing limit")),
    Kind("case_due", "cases", gettext_lazy("Case due")),
    Kind("lot_expiry", "inventory", gettext_lazy("Stock lot expiry")),
)}


@dataclass(frozen=True)
class CalendarItem:
    """One dated obligation. `url` is the object's page (a path); `uid` is stable across reads (the feed's UID)."""

    date: dt.date
    kind: str
    title: str
    status: str
    url: str
    uid: str
    location_id: int | None = None
    location_name: str = ""

    @property
    def module(self) -> str:
        return KINDS[self.kind].module

    @property
    def module_label(self) -> Any:
        return MODULES[self.module]

    @property
    def kind_label(self) -> Any:
        return KINDS[self.kind].label

    @property
    def status_label(self) -> Any:
        return STATUSES[self.status]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.date, self.module, self.kind, self.title, self.uid)


@dataclass(frozen=True)
class Window:
    """What to collect: the dates (both included), today (for the status), one location or all, some kinds or all."""

    start: dt.date
    end: dt.date
    today: dt.date
    location_id: int | None = None
    kinds: frozenset[str] = frozenset()

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    def status(self, on: dt.date, *, done: bool = False) -> str:
        if done:
            return DONE
        if on < self.today:
            return OVERDUE
        if on <= self.today + dt.timedelta(days=DUE_SOON_DAYS):
            return DUE_SOON
        return UPCOMING

    def located(self, field: str) -> Q:
        """The location filter on `field` (nothing without one)."""
        return Q(**{field: self.location_id}) if self.location_id is not None else Q()

    @property
    def practice_wide_allowed(self) -> bool:
        """Items with no location (policies, agreements, contracts, pay periods) show only without a location
        filter: they are not any one location's."""
        return self.location_id is None


Collected = tuple[list[CalendarItem], bool]  # the items, and whether MAX_PER_SOURCE left some out
Collector = Callable[[Any, Window], Collected]


@dataclass(frozen=True)
class Source:
    """A module's dated obligations: the kinds it gives, the permission(s) that open it (any one, somewhere)."""

    slug: str
    label: Any
    kinds: tuple[str, ...]
    permissions: tuple[str, ...]
    collect: Collector

    def visible_to(self, actor: Any) -> bool:
        return any(can(actor, permission) for permission in self.permissions)


def _capped(rows: Sequence[Any]) -> tuple[Sequence[Any], bool]:
    return rows[:MAX_PER_SOURCE], len(rows) > MAX_PER_SOURCE


def _employee_name(row: dict[str, Any]) -> str:
    return f"{row['employee__preferred_name'] or row['employee__first_name']} {row['employee__last_name']}"


def _path(name: str, pk: int) -> str:
    return reverse(name, kwargs={"pk": pk})


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the practice's time zone."""
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


# --- workforce ---------------------------------------------------------------------------------------------------


def _credentials(actor: Any, window: Window) -> Collected:
    """Held credentials of employees on staff that expire in the range; a renewed one is done."""
    rows, cut = _capped(list(
        credential_selectors.credentials_scoped(actor=actor, include_self=False)
        .exclude(employee__status=EmployeeStatus.TERMINATED)
        .filter(window.located("employee__location_id"), expires_on__gte=window.start, expires_on__lte=window.end)
        .order_by("expires_on", "pk")
        .values("pk", "expires_on", "renewed_by__id", "credential_type__code", "employee__first_name",
                "employee__preferred_name", "employee__last_name", "employee__location_id",
                "employee__location__name")[:MAX_PER_SOURCE + 1]))
    return [CalendarItem(
        date=row["expires_on"], kind="credential_expiry",
        title=_("%(code)s of %(name)s expires") % {"code": row["credential_type__code"], "name": _employee_name(row)},
        status=window.status(row["expires_on"], done=row["renewed_by__id"] is not None),
        url=_path("workforce:credential_detail", row["pk"]), uid=f"credential-{row['pk']}",
        location_id=row["employee__location_id"], location_name=row["employee__location__name"] or "",
    ) for row in rows], cut


def _trainings(actor: Any, window: Window) -> Collected:
    """Training assignments due in the range; completed or waived ones are done."""
    rows, cut = _capped(list(
        training_selectors.assignment_scoped(actor=actor, include_self=False)
        .exclude(employee__status=EmployeeStatus.TERMINATED)
        .filter(window.located("employee__location_id"), due_on__gte=window.start, due_on__lte=window.end)
        .order_by("due_on", "pk")
        .values("pk", "due_on", "status", "course__title", "employee__first_name", "employee__preferred_name",
                "employee__last_name", "employee__location_id", "employee__location__name")[:MAX_PER_SOURCE + 1]))
    return [CalendarItem(
        date=row["due_on"], kind="training_due",
        title=_("%(course)s for %(name)s") % {"course": row["course__title"], "name": _employee_name(row)},
        status=window.status(row["due_on"], done=row["status"] != TrainingStatus.ASSIGNED),
        url=_path("workforce:training_detail", row["pk"]), uid=f"training-{row['pk']}",
        location_id=row["employee__location_id"], location_name=row["employee__location__name"] or "",
    ) for row in rows], cut


def _pay_periods(actor: Any, window: Window) -> Collected:
    """Pay periods ending in the range (practice-wide): closing them is what the payroll export needs."""
    if not window.practice_wide_allowed:
        return [], False
    rows, cut = _capped(list(
        time_selectors.pay_period_list().filter(ends_on__gte=window.start, ends_on__lte=window.end)
        .order_by("ends_on", "pk").values("pk", "starts_on", "ends_on", "status")[:MAX_PER_SOURCE + 1]))
    url = reverse("workforce:payperiod_list")
    return [CalendarItem(
        date=row["ends_on"], kind="pay_period_close",
        title=_("Close the pay period %(start)s – %(end)s") % {
            "start": row["starts_on"].strftime("%m/%d"), "end": row["ends_on"].strftime("%m/%d")},
        status=window.status(row["ends_on"], done=row["status"] == PayPeriodStatus.CLOSED),
        url=url, uid=f"payperiod-{row['pk']}",
    ) for row in rows], cut


# --- compliance --------------------------------------------------------------------------------------------------


def _policy_reviews(actor: Any, window: Window) -> Collected:
    """Policies in force whose review falls in the range (practice-wide)."""
    if not window.practice_wide_allowed:
        return [], False
    rows, cut = _capped(list(
        policy_selectors.versions_visible(actor=actor)
        .filter(status=VersionStatus.PUBLISHED, policy__retired_at__isnull=True,
                next_review_on__gte=window.start, next_review_on__lte=window.end)
        .order_by("next_review_on", "pk")
        .values("pk", "policy_id", "policy__title", "next_review_on")[:MAX_PER_SOURCE + 1]))
    return [CalendarItem(
        date=row["next_review_on"], kind="policy_review",
        title=_("Review the policy “%(title)s”") % {"title": row["policy__title"]},
        status=window.status(row["next_review_on"]),
        url=_path("compliance:policy_detail", row["policy_id"]), uid=f"policyversion-{row['pk']}",
    ) for row in rows], cut


def _agreements(actor: Any, window: Window) -> Collected:
    """Review dates and end dates of the business associate agreements in force (practice-wide)."""
    if not window.practice_wide_allowed:
        return [], False
    visible = associate_selectors.agreements_visible(actor=actor)
    later = visible.filter(associate_id=OuterRef("associate_id"), status=AgreementStatus.ACTIVE).exclude(
        pk=OuterRef("pk")).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    in_range: Q = Q()
    if window.wants("baa_review"):
        in_range |= Q(review_on__gte=window.start, review_on__lte=window.end)
    if window.wants("baa_expiry"):
        in_range |= Q(expires_on__gte=window.start, expires_on__lte=window.end)
    rows, cut = _capped(list(
        visible.filter(in_range, status=AgreementStatus.ACTIVE).annotate(renewed=Exists(later))
        .order_by("pk").values("pk", "associate__name", "review_on", "expires_on", "renewed")[:MAX_PER_SOURCE + 1]))
    items: list[CalendarItem] = []
    for row in rows:
        url = _path("compliance:agreement_detail", row["pk"])
        review, ends = row["review_on"], row["expires_on"]
        if window.wants("baa_review") and review is not None and window.start <= review <= window.end:
            items.append(CalendarItem(
                date=review, kind="baa_review",
                title=_("Review the BAA with %(name)s") % {"name": row["associate__name"]},
                status=window.status(review),
                url=url, uid=f"baa-review-{row['pk']}-{review:%Y%m%d}"))
        if window.wants("baa_expiry") and ends is not None and window.start <= ends <= window.end:
            items.append(CalendarItem(
                date=ends, kind="baa_expiry",
                title=_("The BAA with %(name)s ends") % {"name": row["associate__name"]},
                status=window.status(ends, done=bool(row["renewed"])),
                url=url, uid=f"baa-end-{row['pk']}"))
    return items, cut


def _breach_notices(actor: Any, window: Window) -> Collected:
    """Notices a breach requires (individuals, media, HHS), by their due date; a notice given is done."""
    rows, cut = _capped(list(
        deadline_selectors.deadlines_visible(actor=actor)
        .filter(window.located("incident__location_id"), due_on__gte=window.start, due_on__lte=window.end)
        .order_by("due_on", "pk")
        .values("pk", "due_on", "done_on", "audience", "state", "incident_id", "incident__location_id",
                "incident__location__name")[:MAX_PER_SOURCE + 1]))
    audiences = dict(NotificationAudience.choices)
    items = []
    for row in rows:
        audience = str(audiences.get(row["audience"], row["audience"]))
        if row["state"]:
            audience = f"{audience} {row['state']}"
        items.append(CalendarItem(
            date=row["due_on"], kind="breach_notice",
            title=_("Breach notice to %(audience)s (incident %(number)s)") % {
                "audience": audience, "number": row["incident_id"]},
            status=window.status(row["due_on"], done=row["done_on"] is not None),
            url=_path("compliance:incident_detail", row["incident_id"]), uid=f"breach-notice-{row['pk']}",
            location_id=row["incident__location_id"], location_name=row["incident__location__name"] or ""))
    return items, cut


# --- vendors -----------------------------------------------------------------------------------------------------


def _contracts(actor: Any, window: Window) -> Collected:
    """Active contracts: the end (or renewal) date, and the notice deadline (end less the notice period). The
    deadline is computed here (date arithmetic with a column differs between the databases): the query takes the
    contracts ending from the range's start on, at most MAX_PER_SOURCE, soonest end first."""
    if not window.practice_wide_allowed:
        return [], False
    found: list[Any] = list(
        vendor_selectors.contracts_visible(actor=actor).filter(status=ContractStatus.ACTIVE, ends_on__gte=window.start)
        .order_by("ends_on", "pk")
        .values("pk", "title", "vendor__name", "ends_on", "notice_days", "auto_renews")[:MAX_PER_SOURCE + 1])
    rows, cut = _capped(found)
    items: list[CalendarItem] = []
    for row in rows:
        url = _path("vendors:contract_detail", row["pk"])
        names = {"title": row["title"], "vendor": row["vendor__name"]}
        ends: dt.date = row["ends_on"]
        if window.wants("contract_end") and ends <= window.end:
            title = (_("“%(title)s” with %(vendor)s renews") if row["auto_renews"]
                     else _("“%(title)s” with %(vendor)s ends")) % names
            items.append(CalendarItem(date=ends, kind="contract_end", title=title, status=window.status(ends),
                                      url=url, uid=f"contract-end-{row['pk']}-{ends:%Y%m%d}"))
        notice = ends - dt.timedelta(days=row["notice_days"])
        if window.wants("contract_notice") and row["notice_days"] and window.start <= notice <= window.end:
            items.append(CalendarItem(
                date=notice, kind="contract_notice",
                title=_("Last day to give notice on “%(title)s” with %(vendor)s") % names,
                status=window.status(notice), url=url, uid=f"contract-notice-{row['pk']}-{ends:%Y%m%d}"))
    return items, cut


# --- facilities --------------------------------------------------------------------------------------------------


def _occurrences(first: dt.date, interval: int, unit: str, window: Window) -> Iterable[dt.date]:
    """The plan's next due date and, after it, the dates its interval gives that are still ahead."""
    for k in range(MAX_OCCURRENCES):
        day = (first + dt.timedelta(days=interval * k) if unit == IntervalUnit.DAYS
               else add_months(first, interval * k))
        if day > window.end:
            return
        if day >= window.start and (k == 0 or day >= window.today):
            yield day


def _maintenance(actor: Any, window: Window) -> Collected:
    """Preventive maintenance: plans by date (their next due date and the next ones projected) and the preventive
    work orders opened for a date. Two queries."""
    plans: list[Any] = list(
        selectors_assets.plans_visible(actor=actor)
        .filter(window.located("asset__location_id"), is_active=True, next_due_on__isnull=False,
                next_due_on__lte=window.end)
        .exclude(interval_unit=IntervalUnit.METER).exclude(asset__status=AssetStatus.RETIRED)
        .order_by("next_due_on", "pk")
        .values("pk", "title", "interval", "interval_unit", "next_due_on", "asset__name", "asset__location_id",
                "asset__location__name")[:MAX_PER_SOURCE + 1])
    items: list[CalendarItem] = []
    for plan in plans[:MAX_PER_SOURCE]:
        for day in _occurrences(plan["next_due_on"], plan["interval"], plan["interval_unit"], window):
            items.append(CalendarItem(
                date=day, kind="maintenance_due",
                title=_("%(plan)s: %(asset)s") % {"plan": plan["title"], "asset": plan["asset__name"]},
                status=window.status(day), url=_path("facilities:plan_detail", plan["pk"]),
                uid=f"plan-{plan['pk']}-{day:%Y%m%d}", location_id=plan["asset__location_id"],
                location_name=plan["asset__location__name"] or ""))
    orders: list[Any] = list(
        selectors_dated.work_orders_in_scope(actor=actor)
        .filter(window.located("location_id"), source=WorkOrderSource.PREVENTIVE, due_on__gte=window.start,
                due_on__lte=window.end)
        .exclude(status=WorkOrderStatus.CANCELLED).order_by("due_on", "pk")
        .values("pk", "title", "due_on", "status", "location_id", "location__name")[:MAX_PER_SOURCE + 1])
    for row in orders[:MAX_PER_SOURCE]:
        items.append(CalendarItem(
            date=row["due_on"], kind="maintenance_due", title=row["title"],  # the plan's title and the asset's
            status=window.status(row["due_on"], done=row["status"] in (WorkOrderStatus.DONE,
                                                                         WorkOrderStatus.VERIFIED)),
            url=_path("facilities:workorder_detail", row["pk"]), uid=f"workorder-pm-{row['pk']}",
            location_id=row["location_id"], location_name=row["location__name"] or ""))
    items.sort(key=lambda item: item.sort_key)
    return items[:MAX_PER_SOURCE], len(plans) > MAX_PER_SOURCE or len(orders) > MAX_PER_SOURCE \
        or len(items) > MAX_PER_SOURCE


def _safety_checks(actor: Any, window: Window) -> Collected:
    """Safety checks: a weekly or monthly checkpoint's periods ending in the range (done once an entry is logged
    in the period), a daily one's missing entries of the last BACKDATE_DAYS days. Three queries."""
    checkpoints = list(selectors_safety.with_first_entry(
        selectors_safety.checkpoint_rows(actor=actor, location_id=window.location_id, active=True)))
    if not checkpoints:
        return [], False
    periodic = [c for c in checkpoints if c.frequency in (SafetyFrequency.WEEKLY, SafetyFrequency.MONTHLY)]
    daily = [c for c in checkpoints if c not in periodic]
    late_from = max(window.start, window.today - dt.timedelta(days=BACKDATE_DAYS))
    late_to = min(window.end, window.today - dt.timedelta(days=1))
    first_day = min(window.start.replace(day=1) - dt.timedelta(days=7), late_from)
    filled: dict[int, set[tuple[dt.date, str]]] = {}
    for checkpoint_id, log_date, slot_name in (
            selectors_safety.entries_visible(actor=actor)
            .filter(checkpoint_id__in=[c.pk for c in checkpoints], superseded_by__isnull=True,
                    log_date__gte=first_day, log_date__lte=min(window.end, window.today))
            .values_list("checkpoint_id", "log_date", "slot")):
        filled.setdefault(checkpoint_id, set()).add((log_date, slot_name))
    items: list[CalendarItem] = []
    for checkpoint in periodic:
        done = filled.get(checkpoint.pk, set())
        for slot in selectors_safety.expected_slots(checkpoint, since=window.start, until=window.end,
                                                    days_open=None):
            if slot.period_end < window.start:
                continue
            logged = any(slot.log_date <= day <= slot.period_end for day, _slot in done)
            items.append(CalendarItem(
                date=slot.period_end, kind="safety_check",
                title=_("%(name)s check (%(period)s)") % {"name": checkpoint.name, "period": slot.label},
                status=window.status(slot.period_end, done=logged),
                url=_path("facilities:checkpoint_detail", checkpoint.pk),
                uid=f"safety-{checkpoint.pk}-{slot.log_date:%Y%m%d}", location_id=checkpoint.location_id,
                location_name=checkpoint.location.name))
    if daily and late_from <= late_to:
        hours = selectors_safety.open_days(c.location_id for c in daily)
        for checkpoint in daily:
            done = filled.get(checkpoint.pk, set())
            missing: dict[dt.date, list[str]] = {}
            for slot in selectors_safety.expected_slots(checkpoint, since=late_from, until=late_to,
                                                        days_open=hours[checkpoint.location_id]):
                if (slot.log_date, slot.slot) not in done:
                    missing.setdefault(slot.log_date, []).append(selectors_safety.slot_label(slot.slot))
            for day, labels in missing.items():
                which = ", ".join(label for label in labels if label)
                items.append(CalendarItem(
                    date=day, kind="safety_check",
                    title=(_("%(name)s: entry missing (%(which)s)") % {"name": checkpoint.name, "which": which}
                           if which else _("%(name)s: entry missing") % {"name": checkpoint.name}),
                    status=OVERDUE, url=_path("facilities:checkpoint_detail", checkpoint.pk),
                    uid=f"safety-{checkpoint.pk}-{day:%Y%m%d}", location_id=checkpoint.location_id,
                    location_name=checkpoint.location.name))
    items.sort(key=lambda item: item.sort_key)
    return items[:MAX_PER_SOURCE], len(items) > MAX_PER_SOURCE


def _work_orders(actor: Any, window: Window) -> Collected:
    """Reported (not preventive) work orders by the day they are to be resolved; done or verified ones are done."""
    since, until = _day_bounds(window.start, window.end)
    rows, cut = _capped(list(
        selectors_dated.work_orders_in_scope(actor=actor)
        .filter(window.located("location_id"), resolve_by__gte=since, resolve_by__lt=until)
        .exclude(source=WorkOrderSource.PREVENTIVE).exclude(status=WorkOrderStatus.CANCELLED)
        .order_by("resolve_by", "pk")
        .values("pk", "title", "resolve_by", "status", "location_id", "location__name")[:MAX_PER_SOURCE + 1]))
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    items = []
    for row in rows:
        day = row["resolve_by"].astimezone(zone).date()
        items.append(CalendarItem(
            date=day, kind="work_order_due",
            title=_("Work order %(number)s: %(title)s") % {"number": row["pk"], "title": row["title"]},
            status=window.status(day, done=row["status"] in (WorkOrderStatus.DONE, WorkOrderStatus.VERIFIED)),
            url=_path("facilities:workorder_detail", row["pk"]), uid=f"workorder-{row['pk']}",
            location_id=row["location_id"], location_name=row["location__name"] or ""))
    return items, cut


# --- billing, cases, inventory -----------------------------------------------------------------------------------


def _timely_filing(actor: Any, window: Window) -> Collected:
    """Unsent claims whose timely-filing deadline falls in the range: claim number and payer, never the patient."""
    rows, cut = filing_deadlines(actor=actor, start=window.start, end=window.end, location_id=window.location_id,
                                 limit=MAX_PER_SOURCE)
    return [CalendarItem(
        date=row.deadline, kind="timely_filing",
        title=_("File claim %(number)s with %(payer)s") % {"number": row.claim_number, "payer": row.payer_name},
        status=window.status(row.deadline), url=_path("billing:claim_detail", row.claim_id),
        uid=f"claim-filing-{row.claim_id}", location_id=row.location_id, location_name=row.location_name,
    ) for row in rows], cut


def _cases(actor: Any, window: Window) -> Collected:
    """Cases to acknowledge and to resolve by their service-level dates: the case number only (a subject may
    name someone)."""
    rows, cut = _capped(list(
        case_selectors.case_scoped(actor=actor)
        .filter(window.located("location_id"),
                Q(acknowledge_due_on__gte=window.start, acknowledge_due_on__lte=window.end)
                | Q(resolve_due_on__gte=window.start, resolve_due_on__lte=window.end))
        .order_by("resolve_due_on", "pk")
        .values("pk", "status", "acknowledge_due_on", "resolve_due_on", "acknowledged_at", "location_id",
                "location__name")[:MAX_PER_SOURCE + 1]))
    items = []
    for row in rows:
        number = f"CASE-{row['pk']:05d}"
        url = _path("cases:case_detail", row["pk"])
        location = {"location_id": row["location_id"], "location_name": row["location__name"] or ""}
        acknowledge, resolve = row["acknowledge_due_on"], row["resolve_due_on"]
        if window.start <= acknowledge <= window.end:
            items.append(CalendarItem(
                date=acknowledge, kind="case_due", title=_("Acknowledge %(number)s") % {"number": number},
                status=window.status(acknowledge, done=row["status"] != CaseStatus.NEW
                                     or row["acknowledged_at"] is not None),
                url=url, uid=f"case-ack-{row['pk']}", **location))
        if window.start <= resolve <= window.end:
            items.append(CalendarItem(
                date=resolve, kind="case_due", title=_("Resolve %(number)s") % {"number": number},
                status=window.status(resolve, done=row["status"] not in CASE_OPEN_STATUSES),
                url=url, uid=f"case-resolve-{row['pk']}", **location))
    return items, cut


def _lots(actor: Any, window: Window) -> Collected:
    """Stock on hand in lots that expire in the range, one item per storage place."""
    rows, cut = _capped(list(
        stock_selectors.level_scoped(actor=actor)
        .filter(window.located("place__location_id"), quantity__gt=0, lot__expires_on__gte=window.start,
                lot__expires_on__lte=window.end)
        .order_by("lot__expires_on", "pk")
        .values("pk", "quantity", "item_id", "item__name", "lot__number", "lot__expires_on", "place__name",
                "place__location_id", "place__location__name")[:MAX_PER_SOURCE + 1]))
    return [CalendarItem(
        date=row["lot__expires_on"], kind="lot_expiry",
        title=_("Lot %(lot)s of %(item)s expires (%(quantity)s in %(place)s)") % {
            "lot": row["lot__number"], "item": row["item__name"], "quantity": row["quantity"],
            "place": row["place__name"]},
        status=window.status(row["lot__expires_on"]), url=_path("inventory:item_detail", row["item_id"]),
        uid=f"stock-{row['pk']}-{row['lot__expires_on']:%Y%m%d}", location_id=row["place__location_id"],
        location_name=row["place__location__name"] or "",
    ) for row in rows], cut


SOURCES: tuple[Source, ...] = (
    Source("credentials", gettext_lazy("Credential expiries"), ("credential_expiry",), (Perm.WORKFORCE_VIEW,),
           _credentials),
    Source("training", gettext_lazy("Training due"), ("training_due",), (Perm.WORKFORCE_VIEW,), _trainings),
    Source("pay_periods", gettext_lazy("Pay period closes"), ("pay_period_close",), (Perm.WORKFORCE_PAYROLL,),
           _pay_periods),
    Source("policies", gettext_lazy("Policy reviews"), ("policy_review",), (Perm.COMPLIANCE_VIEW,),
           _policy_reviews),
    Source("agreements", gettext_lazy("Business associate agreements"), ("baa_review", "baa_expiry"),
           (Perm.COMPLIANCE_VIEW,), _agreements),
    Source("breach_notices", gettext_lazy("Breach notification deadlines"), ("breach_notice",),
           (Perm.COMPLIANCE_INCIDENTS,), _breach_notices),
    Source("contracts", gettext_lazy("Vendor contract renewals and notice deadlines"),
           ("contract_end", "contract_notice"), (Perm.VENDORS_VIEW,), _contracts),
    Source("maintenance", gettext_lazy("Preventive maintenance"), ("maintenance_due",), (Perm.FACILITIES_VIEW,),
           _maintenance),
    Source("safety", gettext_lazy("Safety checks"), ("safety_check",), (Perm.FACILITIES_VIEW,), _safety_checks),
    Source("work_orders", gettext_lazy("Work orders due"), ("work_order_due",), (Perm.FACILITIES_VIEW,),
           _work_orders),
    Source("timely_filing", gettext_lazy("Timely filing limits"), ("timely_filing",), (Perm.BILLING_VIEW,),
           _timely_filing),
    Source("cases", gettext_lazy("Cases due"), ("case_due",), (Perm.CASES_VIEW, Perm.CASES_STAFF), _cases),
    Source("lots", gettext_lazy("Stock lots expiring"), ("lot_expiry",), (Perm.INVENTORY_VIEW,), _lots),
)


def visible_sources(actor: Any) -> list[Source]:
    """The sources the actor's roles open (no query beyond the actor's grants)."""
    return [source for source in SOURCES if source.visible_to(actor)]


def collect(actor: Any, window: Window) -> tuple[list[CalendarItem], list[Source]]:
    """Every item of the window the actor may see, by date; and the sources that left items out (MAX_PER_SOURCE)."""
    items: list[CalendarItem] = []
    truncated: list[Source] = []
    if window.end < window.start:
        return items, truncated
    for source in visible_sources(actor):
        if not any(window.wants(kind) for kind in source.kinds):
            continue
        found, cut = source.collect(actor, window)
        items.extend(item for item in found if window.wants(item.kind))
        if cut:
            truncated.append(source)
    items.sort(key=lambda item: item.sort_key)
    return items, truncated
