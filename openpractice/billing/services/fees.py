"""Writes to fee schedules: the practice's standard fees and payer contract schedules (allowed amounts).

Fee schedules are practice-wide reference data (no patient, no location): they price the charges of every
location, so changing them takes billing.manage at ALL locations (services/authorization.authorize_practice_wide),
checked here as well as in the views. Two standard schedules, or two schedules of one payer, never cover the same
date, so a date of service has one fee. Amounts are read by money.parse_money. Every write is audited in its
transaction; a refusal is audited before the transaction opens, so the refusal's audit row is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from openpractice.audit.services import record
from openpractice.patients.models import Payer

from ..codes.modifiers import is_modifier, normalize_modifier
from ..codes.procedures import normalize_procedure_code, procedure_code_problem
from ..models import FeeSchedule, FeeScheduleEntry
from ..money import parse_money
from .authorization import authorize_practice_wide
from .codes import CsvReport, csv_rows, procedure_codes_ensure, read_upload

SCHEDULE_FIELDS: tuple[str, ...] = ("name", "payer", "effective_from", "effective_to")
_ATTNAMES = {"name": "name", "payer": "payer_id", "effective_from": "effective_from", "effective_to": "effective_to"}
_LOCK_NAMESPACE = 4_000_001  # pg_advisory_xact_lock(namespace, payer id or 0)

FeeImportReport = CsvReport


def _lock_schedules_of(payer_id: int | None) -> None:
    """Make overlap checks of one kind (standard, or one payer's) take turns. SQLite transactions already
    take the write lock up front (IMMEDIATE); PostgreSQL needs a lock, and there may be no row to lock yet."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, payer_id or 0])


def _lock_schedule(schedule: FeeSchedule) -> None:
    """Writers of one schedule's fees take turns (no ordering: its default joins the nullable payer)."""
    list(FeeSchedule.objects.select_for_update().filter(pk=schedule.pk).order_by().values_list("pk"))


def _describe(schedule: FeeSchedule) -> str:
    until = schedule.effective_to.isoformat() if schedule.effective_to else _("no end date")
    return _("“%(name)s” (%(start)s to %(until)s)") % {
        "name": schedule.name, "start": schedule.effective_from.isoformat(), "until": until}


def _check_no_overlap(schedule: FeeSchedule) -> None:
    others = FeeSchedule.objects.exclude(pk=schedule.pk).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=schedule.effective_from))
    if schedule.effective_to is not None:
        others = others.filter(effective_from__lte=schedule.effective_to)
    others = others.filter(payer__isnull=True) if schedule.payer_id is None else others.filter(
        payer_id=schedule.payer_id)
    clash = others.order_by("effective_from").first()
    if clash is None:
        return
    if schedule.payer_id is None:
        message = _("The standard fee schedule %(other)s already covers some of these dates. Only one standard "
                    "schedule can be in force on a date: end that one earlier or choose other dates.")
    else:
        message = _("This payer's schedule %(other)s already covers some of these dates. Only one schedule per "
                    "payer can be in force on a date: end that one earlier or choose other dates.")
    raise ValidationError({"effective_from": message % {"other": _describe(clash)}}, code="overlap")


def _full_clean(schedule: FeeSchedule) -> None:
    if schedule.effective_to is not None and schedule.effective_from is not None \
            and schedule.effective_to < schedule.effective_from:
        raise ValidationError({"effective_to": _("The end date must be on or after the start date.")},
                              code="dates_ordered")
    schedule.full_clean()


def fee_schedule_create(*, actor: Any, name: str, effective_from: date, payer: Payer | None = None,
                        effective_to: date | None = None) -> FeeSchedule:
    """A new schedule: standard (no payer) or a payer's contract. Its dates may not overlap another schedule
    of the same kind."""
    authorize_practice_wide(actor=actor, action="billing.fee_schedule_create")
    schedule = FeeSchedule(name=(name or "").strip(), payer=payer, effective_from=effective_from,
                           effective_to=effective_to, created_by=actor)
    _full_clean(schedule)
    with transaction.atomic():
        _lock_schedules_of(schedule.payer_id)
        _check_no_overlap(schedule)
        schedule.save(force_insert=True)
        record(actor=actor, action="billing.fee_schedule_created", target=schedule,
               changed_fields=[name for name in SCHEDULE_FIELDS if getattr(schedule, name) not in (None, "")])
    return schedule


def fee_schedule_update(*, actor: Any, schedule: FeeSchedule, data: Mapping[str, Any]) -> FeeSchedule:
    """Change name, payer or dates (send only what changes); the dates are checked for overlaps again."""
    authorize_practice_wide(actor=actor, action="billing.fee_schedule_update", target=schedule)
    unknown = sorted(set(data) - set(SCHEDULE_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    with transaction.atomic():
        current = FeeSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = {name: getattr(current, _ATTNAMES[name]) for name in SCHEDULE_FIELDS}
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        _full_clean(current)
        changed = [name for name in SCHEDULE_FIELDS if getattr(current, _ATTNAMES[name]) != before[name]]
        if not changed:
            return current
        for payer_id in sorted({before["payer"], current.payer_id}, key=lambda value: value or 0):
            _lock_schedules_of(payer_id)
        _check_no_overlap(current)
        current.save(update_fields=[*changed, "updated_at"])
        record(actor=actor, action="billing.fee_schedule_updated", target=current, changed_fields=changed)
    return current


# --- entries ---------------------------------------------------------------------------------------------------


def parse_amount(value: Decimal | str) -> tuple[Decimal | None, str]:
    """(the fee with two decimals, "") for an amount more than 0 ("125", "125.5", Decimal("125.50")), else
    (None, the reason in plain words)."""
    try:
        return parse_money(value, allow_zero=False), ""
    except ValueError as error:
        message = str(error)
        return None, message[:1].lower() + message[1:]


def entry_problems(code: str, modifier: str, amount: Decimal | str) -> list[str]:
    """Why an entry (normalized code and modifier) cannot be saved, in plain words; [] when it can."""
    problems: list[str] = []
    code_problem = procedure_code_problem(code)
    if code_problem:
        problems.append(code_problem)
    if modifier and not is_modifier(modifier):
        problems.append(_("“%(modifier)s” is not a modifier we know (two letters or digits, such as 25, 26, TC)")
                        % {"modifier": modifier[:10]})
    _value, amount_problem = parse_amount(amount)
    if amount_problem:
        problems.append(amount_problem)
    return problems


def fee_entry_set(*, actor: Any, schedule: FeeSchedule, procedure_code: str, amount: Decimal | str,
                  modifier: str = "") -> FeeScheduleEntry:
    """Add or change the fee of one code (+ modifier) in a schedule."""
    authorize_practice_wide(actor=actor, action="billing.fee_entry_set", target=schedule)
    code, modifier = normalize_procedure_code(procedure_code or ""), normalize_modifier(modifier or "")
    problems = entry_problems(code, modifier, amount)
    if problems:
        raise ValidationError([message[:1].upper() + message[1:].rstrip(".") + "." for message in problems],
                              code="invalid")
    value = parse_amount(amount)[0]
    assert value is not None
    with transaction.atomic():
        _lock_schedule(schedule)
        entry = FeeScheduleEntry.objects.filter(schedule=schedule, procedure_code=code, modifier=modifier).first()
        if entry is None:
            entry = FeeScheduleEntry.objects.create(schedule=schedule, procedure_code=code, modifier=modifier,
                                                    amount=value)
            action = "billing.fee_entry_created"
        elif entry.amount != value:
            entry.amount = value
            entry.save(update_fields=["amount"])
            action = "billing.fee_entry_updated"
        else:
            return entry
        procedure_codes_ensure([code])
        record(actor=actor, action=action, target=schedule, changed_fields=["amount"],
               reason=f"{code}{'-' + modifier if modifier else ''}")
    return entry


def fee_entry_delete(*, actor: Any, entry: FeeScheduleEntry) -> bool:
    """Remove one fee. False when it was already gone (removed by someone else meanwhile): nothing is audited."""
    schedule = entry.schedule
    authorize_practice_wide(actor=actor, action="billing.fee_entry_delete", target=schedule)
    label = f"{entry.procedure_code}{'-' + entry.modifier if entry.modifier else ''}"
    with transaction.atomic():
        _lock_schedule(schedule)
        deleted, _detail = FeeScheduleEntry.objects.filter(pk=entry.pk, schedule=schedule).delete()
        if deleted:
            record(actor=actor, action="billing.fee_entry_deleted", target=schedule, changed_fields=["entries"],
                   reason=label)
    return bool(deleted)


# --- CSV import ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    code: str
    modifier: str
    amount: Decimal


def fee_schedule_import_csv(*, actor: Any, schedule: FeeSchedule, file: bytes | str | IO[bytes] | Any,
                            replace: bool) -> CsvReport:
    """Load fees from a CSV with the header code, modifier (optional), amount. Every row is checked first
    (code format, known modifier, amount > 0 with at most two decimals, no code + modifier twice); if any
    row is bad NOTHING is written and the report lists each bad line with the reason. With `replace`, entries
    the file does not list are removed, so the schedule becomes exactly the file; otherwise they stay."""
    authorize_practice_wide(actor=actor, action="billing.fee_schedule_import", target=schedule)
    report = CsvReport()
    text = read_upload(file, report)
    if text is None:
        return report
    rows: dict[tuple[str, str], _Row] = {}
    first_line: dict[tuple[str, str], int] = {}
    for line, values, reasons in csv_rows(text, required=("code", "amount"), optional=("modifier",),
                                          report=report):
        code = normalize_procedure_code(values["code"])
        modifier = normalize_modifier(values.get("modifier", ""))
        reasons.extend(entry_problems(code, modifier, values["amount"]))
        key = (code, modifier)
        if code and key in first_line:
            reasons.append(_("%(code)s%(modifier)s is also on line %(line)s") % {
                "code": code, "modifier": f" with modifier {modifier}" if modifier else "",
                "line": first_line[key]})
        if reasons:
            report.add_problem(line, values["code"][:20], reasons)
            continue
        first_line[key] = line
        amount = parse_amount(values["amount"])[0]
        assert amount is not None
        rows[key] = _Row(code=code, modifier=modifier, amount=amount)
    if not report.ok:
        return report
    with transaction.atomic():
        _lock_schedule(schedule)
        existing = {(entry.procedure_code, entry.modifier): entry
                    for entry in FeeScheduleEntry.objects.filter(schedule=schedule)}
        new = [FeeScheduleEntry(schedule=schedule, procedure_code=row.code, modifier=row.modifier,
                                amount=row.amount) for key, row in rows.items() if key not in existing]
        changed: list[FeeScheduleEntry] = []
        for key, row in rows.items():
            entry = existing.get(key)
            if entry is None:
                continue
            if entry.amount != row.amount:
                entry.amount = row.amount
                changed.append(entry)
            else:
                report.unchanged += 1
        stale = [entry.pk for key, entry in existing.items() if key not in rows] if replace else []
        if stale:
            for start in range(0, len(stale), 500):
                FeeScheduleEntry.objects.filter(pk__in=stale[start:start + 500]).delete()
        FeeScheduleEntry.objects.bulk_create(new, batch_size=1000)
        FeeScheduleEntry.objects.bulk_update(changed, ["amount"], batch_size=1000)
        procedure_codes_ensure(row.code for row in rows.values())
        report.created, report.updated, report.deleted = len(new), len(changed), len(stale)
        record(actor=actor, action="billing.fee_schedule_imported", target=schedule, changed_fields=["entries"],
               reason=f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
                      f"{report.deleted} removed")
    report.saved = True
    return report
