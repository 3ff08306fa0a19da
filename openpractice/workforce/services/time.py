"""Time and payroll-prep writes: clocking in and out, weekly hours, corrections, PTO requests and their approval,
pay periods and their close.

Rules (documented for payroll):
- Everybody records their own worked time (clock in/out, or hours per day on a weekly timesheet). workforce.payroll
  at the employee's main location (scope.py) records or corrects anyone's time; a correction's source is
  "correction".
- PTO is requested by the employee (or by payroll for them) and approved or denied by workforce.payroll in scope,
  never by the requester. Approval writes one PTO time entry per weekday (Monday–Friday) of the request, the
  request's hours spread evenly over those days (rounded to the cent of an hour, the remainder on the last day);
  the default request is 8 hours per weekday.
- A pay period is created and closed by workforce.payroll at every location. Once closed, no time entry dated in
  it may be created, changed or written by a PTO approval: the services refuse. The most recent closed period may
  be reopened (same permission, a reason required, audited) to correct it; an older one may not.
- Refusals are audited before any transaction opens, so they are kept; they change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_now, practice_today

from ..choices import EmployeeStatus, PayPeriodStatus, PtoStatus, TimeKind, TimeSource
from ..models import Employee, PayPeriod, PtoRequest, TimeEntry
from ..selectors.scope import employees_scoped
from ..selectors.time import closed_days, week_start, weekdays_between

HOURS_PER_PTO_DAY = Decimal("8")
CENT = Decimal("0.01")
ENTRY_FIELDS: tuple[str, ...] = ("work_date", "kind", "hours", "note")


def _is_payroll_for(actor: Any, employee: Employee) -> bool:
    return employees_scoped(actor=actor, permission=Perm.WORKFORCE_PAYROLL, include_self=False).filter(
        pk=employee.pk).exists()


def _is_self(actor: Any, employee: Employee) -> bool:
    return employee.user_id is not None and employee.user_id == getattr(actor, "pk", None)


def _authorize(*, actor: Any, employee: Employee, action: str, target: Any = None, allow_self: bool = True) -> bool:
    """workforce.payroll over the employee, or (when allowed) the employee themself. Returns True when the actor
    acts as payroll (their writes are corrections)."""
    if _is_payroll_for(actor, employee):
        return True
    if allow_self and _is_self(actor, employee):
        return False
    raise refuse(actor=actor, permission=Perm.WORKFORCE_PAYROLL, action=action, target=target or employee)


def _ensure_open(days: Iterable[dt.date]) -> None:
    closed = closed_days(days)
    if closed:
        raise ValidationError(
            _("The pay period of %(day)s is closed: its time cannot change.") % {"day": min(closed)},
            code="period_closed")


def _ensure_not_terminated(employee: Employee) -> None:
    if employee.status == EmployeeStatus.TERMINATED:
        raise ValidationError(_("%(name)s no longer works here.") % {"name": employee}, code="terminated")


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError as exc:
        raise ValidationError({"hours": _("Enter a number of hours.")}) from exc
    if hours < 0 or hours > 24:
        raise ValidationError({"hours": _("Hours in a day are between 0 and 24.")}, code="hours_range")
    return hours


# --- clock in / out ---------------------------------------------------------------------------------------------


def clock_in(*, actor: Any, employee: Employee) -> TimeEntry:
    """Start a shift now. Only the employee clocks themself in; one open clock-in per person."""
    action = "workforce.clock_in"
    if not _is_self(actor, employee):
        raise refuse(actor=actor, permission="self", action=action, target=employee,
                     reason="only the employee clocks in")
    _ensure_not_terminated(employee)
    now = practice_now()
    _ensure_open([now.date()])
    entry = TimeEntry(employee=employee, work_date=now.date(), kind=TimeKind.WORKED, source=TimeSource.CLOCK,
                      clock_in=now, created_by=actor)
    entry.full_clean(validate_constraints=False)  # one open clock-in: the database decides (race-safe)
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
            record(actor=actor, action="workforce.clocked_in", target=entry, location_id=employee.location_id,
                   changed_fields=["clock_in"])
    except IntegrityError as exc:
        raise ValidationError(_("You are already clocked in."), code="already_clocked_in") from exc
    return entry


def clock_out(*, actor: Any, employee: Employee) -> TimeEntry:
    """End the open shift now; its hours are the time between, to the cent of an hour. The shift belongs to the
    day it started on."""
    action = "workforce.clock_out"
    if not _is_self(actor, employee):
        raise refuse(actor=actor, permission="self", action=action, target=employee,
                     reason="only the employee clocks out")
    now = practice_now()
    with transaction.atomic():
        entry = (TimeEntry.objects.select_for_update()
                 .filter(employee=employee, clock_in__isnull=False, clock_out__isnull=True).first())
        if entry is None:
            raise ValidationError(_("You are not clocked in."), code="not_clocked_in")
        _ensure_open([entry.work_date])
        assert entry.clock_in is not None
        seconds = Decimal((now - entry.clock_in).total_seconds())
        hours = (seconds / Decimal(3600)).quantize(CENT, rounding=ROUND_HALF_UP)
        if hours > 24:
            raise ValidationError(_("This shift is longer than 24 hours: ask payroll to correct it."),
                                  code="shift_too_long")
        entry.clock_out = now
        entry.hours = hours
        entry.full_clean()
        entry.save(update_fields=["clock_out", "hours"])
        record(actor=actor, action="workforce.clocked_out", target=entry, location_id=employee.location_id,
               changed_fields=["clock_out", "hours"])
    return entry


# --- weekly timesheet ---------------------------------------------------------------------------------------------


def timesheet_save_week(*, actor: Any, employee: Employee, week_of: dt.date,
                        hours: Mapping[dt.date, Decimal | None]) -> list[TimeEntry]:
    """Set the hours worked on days of the week (Monday–Sunday) containing `week_of`: each day given gets one
    weekly entry with those hours (replacing the day's earlier weekly entries; empty or 0 removes them). Clock
    entries, PTO and holidays are left alone. Days in a closed pay period are refused."""
    action = "workforce.timesheet_save"
    as_payroll = _authorize(actor=actor, employee=employee, action=action)
    monday = week_start(week_of)
    days = {monday + dt.timedelta(days=offset) for offset in range(7)}
    outside = sorted(set(hours) - days)
    if outside:
        raise ValidationError(_("%(day)s is not in this week.") % {"day": outside[0]}, code="outside_week")
    cleaned = {day: (_hours(value) if value not in (None, "") else Decimal(0)) for day, value in hours.items()}
    if not as_payroll:
        _ensure_not_terminated(employee)
    source = TimeSource.CORRECTION if as_payroll else TimeSource.WEEKLY
    editable = (TimeEntry.objects.filter(employee=employee, work_date__in=list(cleaned), kind=TimeKind.WORKED,
                                         source__in=[TimeSource.WEEKLY, TimeSource.CORRECTION]))
    saved: list[TimeEntry] = []
    with transaction.atomic():
        existing: dict[dt.date, list[TimeEntry]] = {}
        for entry in editable.select_for_update().order_by("work_date", "pk"):
            existing.setdefault(entry.work_date, []).append(entry)
        changed_days = [day for day, value in cleaned.items()
                        if [e.hours for e in existing.get(day, [])] != ([value] if value else [])]
        if not changed_days:
            return []
        _ensure_open(changed_days)
        for day in sorted(changed_days):
            for old in existing.get(day, []):
                record(actor=actor, action="workforce.time_entry_deleted", target=old,
                       location_id=employee.location_id, changed_fields=["hours"])
                old.delete()
            if cleaned[day]:
                entry = TimeEntry(employee=employee, work_date=day, kind=TimeKind.WORKED, source=source,
                                  hours=cleaned[day], created_by=actor)
                entry.full_clean()
                entry.save(force_insert=True)
                record(actor=actor, action="workforce.time_entry_created", target=entry,
                       location_id=employee.location_id, changed_fields=["work_date", "hours"])
                saved.append(entry)
    return saved


# --- single entries (API, corrections) ----------------------------------------------------------------------------


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(ENTRY_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def time_entry_create(*, actor: Any, employee: Employee, data: Mapping[str, Any]) -> TimeEntry:
    """One day's hours. The employee records worked time for themself; payroll records any kind (a holiday, a
    correction) for the employees it reaches."""
    action = "workforce.time_entry_create"
    as_payroll = _authorize(actor=actor, employee=employee, action=action)
    _check_keys(data)
    kind = data.get("kind") or TimeKind.WORKED
    if kind != TimeKind.WORKED and not as_payroll:
        raise ValidationError({"kind": _("PTO is requested and approved; holidays are entered by payroll.")},
                              code="kind_not_allowed")
    if "work_date" not in data or "hours" not in data:
        raise ValidationError(_("Give the date and the hours."), code="required")
    if not as_payroll:
        _ensure_not_terminated(employee)
    entry = TimeEntry(employee=employee, work_date=data["work_date"], kind=kind, hours=_hours(data["hours"]),
                      note=data.get("note") or "", created_by=actor,
                      source=TimeSource.CORRECTION if as_payroll else TimeSource.WEEKLY)
    entry.full_clean()
    _ensure_open([entry.work_date])
    with transaction.atomic():
        entry.save(force_insert=True)
        record(actor=actor, action="workforce.time_entry_created", target=entry, location_id=employee.location_id,
               changed_fields=[name for name in ENTRY_FIELDS if name in data])
    return entry


def time_entry_update(*, actor: Any, entry: TimeEntry, data: Mapping[str, Any]) -> TimeEntry:
    """Change an entry's date, kind, hours or note. The employee changes their own worked time (not a running
    clock-in, not PTO); payroll changes any entry it reaches, and the entry becomes a correction. Both the old
    and the new date must be in open pay periods."""
    action = "workforce.time_entry_update"
    employee = entry.employee
    as_payroll = _authorize(actor=actor, employee=employee, action=action, target=entry)
    _check_keys(data)
    if not as_payroll and (entry.kind != TimeKind.WORKED or data.get("kind", TimeKind.WORKED) != TimeKind.WORKED):
        raise ValidationError({"kind": _("Only payroll changes PTO and holiday time.")}, code="kind_not_allowed")
    values = dict(data)
    if "hours" in values:
        values["hours"] = _hours(values["hours"])
    changed = [name for name in values if getattr(entry, name) != values[name]]
    if not changed:
        return entry
    with transaction.atomic():
        locked = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.clock_in is not None and locked.clock_out is None:
            raise ValidationError(_("Clock out first: a running shift has no hours yet."), code="clock_open")
        _ensure_open({locked.work_date, values.get("work_date", locked.work_date)})
        for name in changed:
            setattr(locked, name, values[name])
        fields = list(changed)
        if as_payroll and locked.source != TimeSource.CORRECTION:
            locked.source = TimeSource.CORRECTION
            fields.append("source")
        locked.full_clean()
        locked.save(update_fields=fields)
        record(actor=actor, action="workforce.time_entry_updated", target=locked,
               location_id=employee.location_id, changed_fields=changed)
    for name in fields:
        setattr(entry, name, getattr(locked, name))
    return entry


# --- PTO ------------------------------------------------------------------------------------------------------


MAX_PTO_REQUEST_DAYS = 366


def pto_request_create(*, actor: Any, employee: Employee, starts_on: dt.date, ends_on: dt.date,
                       hours: Decimal | None = None, reason: str = "") -> PtoRequest:
    """Ask for time off from `starts_on` to `ends_on`; hours default to 8 per weekday in the range."""
    action = "workforce.pto_request_create"
    _authorize(actor=actor, employee=employee, action=action)
    _ensure_not_terminated(employee)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day cannot be before the first.")}, code="dates_order")
    if (ends_on - starts_on).days >= MAX_PTO_REQUEST_DAYS:
        # A longer absence is a leave of absence, handled by HR, not a time-off request (and a typo'd year).
        raise ValidationError({"ends_on": ValidationError(_("A time-off request covers at most %(days)s days."),
                                                          code="too_long", params={"days": MAX_PTO_REQUEST_DAYS})})
    weekdays = weekdays_between(starts_on, ends_on)
    if not weekdays:
        raise ValidationError({"ends_on": _("The request covers no weekday.")}, code="no_weekday")
    total = HOURS_PER_PTO_DAY * len(weekdays) if hours is None else Decimal(hours).quantize(CENT)
    if total <= 0 or total > 24 * len(weekdays):
        raise ValidationError({"hours": _("Between 0 and 24 hours a weekday.")}, code="hours_range")
    request = PtoRequest(employee=employee, starts_on=starts_on, ends_on=ends_on, hours=total,
                         reason=reason.strip()[:300], created_by=actor)
    request.full_clean()
    with transaction.atomic():
        request.save(force_insert=True)
        record(actor=actor, action="workforce.pto_requested", target=request, location_id=employee.location_id,
               changed_fields=["starts_on", "ends_on", "hours"])
    return request


def pto_request_cancel(*, actor: Any, request: PtoRequest) -> PtoRequest:
    """The requester (or payroll) withdraws a request still waiting for a decision."""
    _authorize(actor=actor, employee=request.employee, action="workforce.pto_request_cancel", target=request)
    with transaction.atomic():
        locked = PtoRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PtoStatus.PENDING:
            raise ValidationError(_("Only a request waiting for a decision can be cancelled."), code="not_pending")
        locked.status = PtoStatus.CANCELLED
        locked.save(update_fields=["status"])
        record(actor=actor, action="workforce.pto_cancelled", target=locked,
               location_id=request.employee.location_id, changed_fields=["status"])
    request.status = locked.status
    return request


def pto_day_hours(request: PtoRequest) -> list[tuple[dt.date, Decimal]]:
    """The request's hours spread evenly over its weekdays (remainder on the last day)."""
    days = weekdays_between(request.starts_on, request.ends_on)
    each = (Decimal(request.hours) / len(days)).quantize(CENT, rounding=ROUND_HALF_UP)
    split = [(day, each) for day in days]
    split[-1] = (days[-1], Decimal(request.hours) - each * (len(days) - 1))
    return split


def pto_request_decide(*, actor: Any, request: PtoRequest, approve: bool, note: str = "") -> PtoRequest:
    """Approve (writing the PTO time entries) or deny a pending request. workforce.payroll over the employee,
    never for one's own request."""
    action = "workforce.pto_request_decide"
    employee = request.employee
    if _is_self(actor, employee) or request.created_by_id == getattr(actor, "pk", None):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_PAYROLL, action=action, target=request,
                     reason="a PTO request is decided by someone else")
    if not _is_payroll_for(actor, employee):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_PAYROLL, action=action, target=request)
    if not approve and not note.strip():
        raise ValidationError({"decision_note": _("Say why the request is denied.")}, code="reason_required")
    split = pto_day_hours(request) if approve else []
    with transaction.atomic():
        locked = PtoRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PtoStatus.PENDING:
            raise ValidationError(_("This request was already decided or cancelled."), code="not_pending")
        if approve:
            _ensure_open(day for day, _hours_ in split)
        now = practice_now()
        locked.status = PtoStatus.APPROVED if approve else PtoStatus.DENIED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note.strip()[:300]
        locked.full_clean()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(actor=actor, action="workforce.pto_approved" if approve else "workforce.pto_denied", target=locked,
               location_id=employee.location_id, changed_fields=["status", "decision_note"])
        entries = [TimeEntry(employee=employee, work_date=day, kind=TimeKind.PTO, source=TimeSource.CORRECTION,
                             hours=hours, note=_("PTO request %(pk)s") % {"pk": locked.pk}, approved_by=actor,
                             approved_at=now, created_by=actor) for day, hours in split]
        for entry in entries:
            entry.full_clean()
            entry.save(force_insert=True)
            record(actor=actor, action="workforce.time_entry_created", target=entry,
                   location_id=employee.location_id, changed_fields=["work_date", "kind", "hours"],
                   reason=f"PTO request {locked.pk}")
    request.status, request.decided_by, request.decided_at = locked.status, actor, now
    request.decision_note = locked.decision_note
    return request


# --- pay periods ------------------------------------------------------------------------------------------------


def _require_payroll_everywhere(actor: Any, action: str, target: Any = None) -> None:
    if not has_all_locations(actor, Perm.WORKFORCE_PAYROLL):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_PAYROLL, action=action, target=target,
                     reason=f"{Perm.WORKFORCE_PAYROLL} at all locations required")


def pay_period_create(*, actor: Any, starts_on: dt.date, ends_on: dt.date) -> PayPeriod:
    """A new pay period; periods may not overlap."""
    _require_payroll_everywhere(actor, "workforce.pay_period_create")
    period = PayPeriod(starts_on=starts_on, ends_on=ends_on)
    period.full_clean()
    with transaction.atomic():
        if PayPeriod.objects.select_for_update().filter(starts_on__lte=ends_on, ends_on__gte=starts_on).exists():
            raise ValidationError(_("This period overlaps another pay period."), code="overlap")
        period.save(force_insert=True)
        record(actor=actor, action="workforce.pay_period_created", target=period,
               changed_fields=["starts_on", "ends_on"])
    return period


def pay_period_close(*, actor: Any, period: PayPeriod) -> PayPeriod:
    """Freeze the period's time. Refused while someone is still clocked in on a day of it, or before it ends."""
    _require_payroll_everywhere(actor, "workforce.pay_period_close", target=period)
    if period.ends_on >= practice_today():
        raise ValidationError(_("A pay period is closed after its last day."), code="not_ended")
    with transaction.atomic():
        locked = PayPeriod.objects.select_for_update().get(pk=period.pk)
        if locked.status == PayPeriodStatus.CLOSED:
            raise ValidationError(_("This pay period is already closed."), code="closed")
        running = TimeEntry.objects.filter(work_date__range=(locked.starts_on, locked.ends_on),
                                           clock_in__isnull=False, clock_out__isnull=True)
        if running.exists():
            raise ValidationError(_("Someone is still clocked in on a day of this period: clock them out first."),
                                  code="clock_open")
        locked.status, locked.closed_by, locked.closed_at = PayPeriodStatus.CLOSED, actor, practice_now()
        locked.full_clean()
        locked.save(update_fields=["status", "closed_by", "closed_at"])
        record(actor=actor, action="workforce.pay_period_closed", target=locked,
               changed_fields=["status", "closed_by", "closed_at"])
    period.status, period.closed_by, period.closed_at = locked.status, actor, locked.closed_at
    return period


def pay_period_reopen(*, actor: Any, period: PayPeriod, reason: str) -> PayPeriod:
    """Open a closed period again so its time can be corrected (the payroll export is then redone). Only the
    most recent closed period: reopening an older one would let time change under a later, closed payroll."""
    _require_payroll_everywhere(actor, "workforce.pay_period_reopen", target=period)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the pay period is reopened.")}, code="reason_required")
    with transaction.atomic():
        locked = PayPeriod.objects.select_for_update().get(pk=period.pk)
        if locked.status != PayPeriodStatus.CLOSED:
            raise ValidationError(_("This pay period is open."), code="open")
        latest = (PayPeriod.objects.filter(status=PayPeriodStatus.CLOSED).order_by("-starts_on")
                  .values_list("pk", flat=True).first())
        if latest != locked.pk:
            raise ValidationError(_("Only the most recent closed pay period can be reopened."), code="not_latest")
        locked.status, locked.closed_by, locked.closed_at = PayPeriodStatus.OPEN, None, None
        locked.full_clean()
        locked.save(update_fields=["status", "closed_by", "closed_at"])
        record(actor=actor, action="workforce.pay_period_reopened", target=locked,
               changed_fields=["status", "closed_by", "closed_at"], reason=reason[:200])
    period.status, period.closed_by, period.closed_at = locked.status, None, None
    return period
