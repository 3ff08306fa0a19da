"""Reads for patient statements: who is due one, the runs, and the statements a person may see.

Who gets a statement (`statement_candidates`):
- A patient's balance is the sum of their open patient-party account balances (AccountBalance, party=patient).
- The balance goes to the patient's guarantor (Patient.guarantor; empty means the patient pays): one statement
  per guarantor covers the guarantor's own balance and their dependants'. Only the guarantor the patient's record
  names is followed (when C pays for B and B pays for A, A's balance is on B's statement), as the record says.
- A guarantor is due a statement when the total of those balances is positive and at least the minimum (the
  larger of BillingSettings.statement_minimum_balance and the run's minimum): a family owing 3 + 4 + 4 dollars
  gets one statement for 11, where a per-patient minimum would never bill any of it. A patient with a credit
  appears on the family's statement and lowers what is due.
- Statement cycles: a guarantor's cycle is the day of the month they were born on, with the 29th, 30th and 31st
  folded onto the 1st, 2nd and 3rd (so cycle days run 1-28, every month has each of them, and no day takes the
  births of four days, as clamping to the 28th would). Practices spread statements over the month like this so
  the phones and the mail desk see a steady trickle, and a birthday is something the front desk can explain and
  that does not change when a name does. A run with a cycle day takes only that cycle; without one, everybody.
- Nobody gets two statements within 25 days: a guarantor with a statement dated less than 25 days before or
  after the run's date (in any earlier run) is skipped.
- Delivery: email when the guarantor has an email address and prefers email as contact; otherwise print.

A statement belongs to its guarantor's account: a person sees it when they hold the permission at the guarantor's
home location and at the home location of every patient who names that guarantor (so a family spread over North
and South is for people who work at both, as a batch of North and South claims is). Runs themselves (a date, a
cycle, counts) hold no patient data and are listed for everybody with billing.view.

Selectors do not audit: the pages and files that show statements call the services that do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.lookups import any_of_chunk_size
from openpractice.patients.models import Patient, PreferredContact

from ..choices import Party
from ..models import AccountBalance, BillingSettings, Statement, StatementRun

ZERO = Decimal("0.00")
STATEMENT_GAP_DAYS = 25
# (label, first day, last day) of each aging bucket; the last one is open-ended.
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120), ("120+", 121, None),
)
EMAIL, PRINT = "email", "print"


def cycle_day_of(date_of_birth: dt.date) -> int:
    """The statement cycle (1-28) of a guarantor: their day of birth, the 29th-31st folded onto the 1st-3rd."""
    day = date_of_birth.day
    return day - 28 if day > 28 else day


def aging_bucket(service_date: dt.date | None, on: dt.date) -> str:
    """The bucket of a balance by its age in days on `on` (a missing or later date of service is current)."""
    age = max((on - service_date).days, 0) if service_date is not None else 0
    for label, _first, last in AGING_BUCKETS:
        if last is None or age <= last:
            return label
    return AGING_BUCKETS[-1][0]


def empty_buckets() -> dict[str, Decimal]:
    return {label: ZERO for label, _first, _last in AGING_BUCKETS}


def statement_minimum(run_minimum: Decimal) -> Decimal:
    """The larger of the practice's minimum (billing settings) and the run's."""
    practice_minimum = (BillingSettings.objects.filter(singleton=True)
                        .values_list("statement_minimum_balance", flat=True).first())
    return max(run_minimum, practice_minimum or ZERO)


@dataclass
class StatementCandidate:
    """A guarantor due a statement: what is owed, by whom, how old, and how it will be delivered."""

    guarantor_id: int
    delivery: str
    amount_due: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=empty_buckets)
    per_patient: dict[int, Decimal] = field(default_factory=dict)
    home_locations: dict[int, int] = field(default_factory=dict)  # patient (and guarantor) -> home location

    def aging_json(self) -> dict[str, Any]:
        """What Statement.aging stores: the buckets, and each patient's balance (ids as text: JSON keys)."""
        return {
            "buckets": {label: str(amount) for label, amount in self.buckets.items()},
            "patients": {str(pk): str(amount) for pk, amount in self.per_patient.items()},
        }


@dataclass(frozen=True)
class CandidatePreview:
    """What a run would do, before it is made (no patient data: counts and totals)."""

    statements: int
    email: int
    print: int
    total: Decimal
    skipped_recent: int
    below_minimum: int
    minimum: Decimal


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    size = any_of_chunk_size()
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def _patients(ids: Iterable[int], *fields: str) -> dict[int, tuple[Any, ...]]:
    rows: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in Patient.objects.filter(pk__any_of=chunk).order_by().values_list("pk", *fields):
            rows[row[0]] = row[1:]
    return rows


@dataclass
class _Selection:
    candidates: list[StatementCandidate]
    skipped_recent: int
    below_minimum: int
    minimum: Decimal


def _select(*, actor: Any, permission: str, statement_date: dt.date, cycle_day: int | None,
            minimum_balance: Decimal) -> _Selection:
    minimum = statement_minimum(minimum_balance)
    # Every open patient-party balance (the partial index on open balances serves this), summed per patient and
    # aged per balance row.
    per_patient: dict[int, Decimal] = defaultdict(Decimal)
    aged: dict[int, dict[str, Decimal]] = defaultdict(empty_buckets)
    for patient_id, service_date, balance in (
            AccountBalance.objects.filter(party=Party.PATIENT).exclude(balance=0).order_by()
            .values_list("patient_id", "service_date", "balance")):
        per_patient[patient_id] += balance
        aged[patient_id][aging_bucket(service_date, statement_date)] += balance
    owing = {pk: amount for pk, amount in per_patient.items() if amount != 0}
    patients = _patients(owing, "guarantor_id", "home_location_id")
    guarantor_of = {pk: (guarantor_id or pk) for pk, (guarantor_id, _home) in patients.items()}
    guarantors = _patients(set(guarantor_of.values()), "date_of_birth", "email", "preferred_contact",
                           "home_location_id")
    if cycle_day is not None:
        guarantors = {pk: row for pk, row in guarantors.items() if cycle_day_of(row[0]) == cycle_day}
    gap = dt.timedelta(days=STATEMENT_GAP_DAYS)
    recent: set[int] = set()
    for chunk in _chunks(sorted(guarantors)):
        recent.update(Statement.objects.filter(
            guarantor_id__any_of=chunk, run__statement_date__gt=statement_date - gap,
            run__statement_date__lt=statement_date + gap).values_list("guarantor_id", flat=True))
    by_guarantor: dict[int, StatementCandidate] = {}
    for patient_id in sorted(owing):
        guarantor_id = guarantor_of.get(patient_id)
        if guarantor_id is None or guarantor_id not in guarantors or guarantor_id in recent:
            continue
        candidate = by_guarantor.get(guarantor_id)
        if candidate is None:
            _dob, email, preferred, home = guarantors[guarantor_id]
            delivery = EMAIL if email and preferred == PreferredContact.EMAIL else PRINT
            candidate = by_guarantor[guarantor_id] = StatementCandidate(
                guarantor_id=guarantor_id, delivery=delivery, home_locations={guarantor_id: home})
        candidate.per_patient[patient_id] = owing[patient_id]
        candidate.home_locations[patient_id] = patients[patient_id][1]
        candidate.amount_due += owing[patient_id]
        for label, amount in aged[patient_id].items():
            candidate.buckets[label] += amount
    due = [candidate for candidate in by_guarantor.values()
           if candidate.amount_due > 0 and candidate.amount_due >= minimum]
    below = len(by_guarantor) - len(due)
    due = _in_scope(actor=actor, permission=permission, candidates=due)
    skipped = len({guarantor_of[pk] for pk in owing if guarantor_of.get(pk) in recent})
    return _Selection(candidates=sorted(due, key=lambda c: c.guarantor_id), skipped_recent=skipped,
                      below_minimum=below, minimum=minimum)


def _in_scope(*, actor: Any, permission: str, candidates: list[StatementCandidate]) -> list[StatementCandidate]:
    """Candidates whose guarantor and every dependant (with a balance or not) live at the actor's locations."""
    ids = location_ids_where(actor, permission)
    if ids is None:
        return candidates
    kept = [c for c in candidates if set(c.home_locations.values()) <= ids]
    outside: set[int] = set()
    for chunk in _chunks([c.guarantor_id for c in kept]):
        outside.update(Patient.objects.filter(guarantor_id__any_of=chunk).exclude(home_location_id__in=ids)
                       .values_list("guarantor_id", flat=True))
    return [c for c in kept if c.guarantor_id not in outside]


def statement_candidates(*, actor: Any, statement_date: dt.date, cycle_day: int | None = None,
                         minimum_balance: Decimal = ZERO,
                         permission: str = Perm.BILLING_MANAGE) -> list[StatementCandidate]:
    """The guarantors due a statement on `statement_date` (see the module's docstring), among those the actor
    holds `permission` for, ordered by guarantor id."""
    return _select(actor=actor, permission=permission, statement_date=statement_date, cycle_day=cycle_day,
                   minimum_balance=minimum_balance).candidates


def statement_run_preview(*, actor: Any, statement_date: dt.date, cycle_day: int | None = None,
                          minimum_balance: Decimal = ZERO) -> CandidatePreview:
    """How many statements a run would make, by delivery, and their total (counts only: no patient data)."""
    selection = _select(actor=actor, permission=Perm.BILLING_MANAGE, statement_date=statement_date,
                        cycle_day=cycle_day, minimum_balance=minimum_balance)
    emails = sum(1 for candidate in selection.candidates if candidate.delivery == EMAIL)
    return CandidatePreview(
        statements=len(selection.candidates), email=emails, print=len(selection.candidates) - emails,
        total=sum((candidate.amount_due for candidate in selection.candidates), ZERO),
        skipped_recent=selection.skipped_recent, below_minimum=selection.below_minimum, minimum=selection.minimum)


# --- runs and statements -----------------------------------------------------------------------------------------


def statement_run_list(*, actor: Any) -> QuerySet[StatementRun]:
    """Every run, with its counts (statements, by delivery, emailed, failed) and total due, in one query. Runs
    carry no patient data; the counts are practice-wide."""
    return StatementRun.objects.select_related("created_by").annotate(
        statement_count=Count("statements"),
        email_count=Count("statements", filter=Q(statements__delivery=EMAIL)),
        emailed_count=Count("statements", filter=Q(statements__emailed_at__isnull=False)),
        failed_count=Count("statements", filter=~Q(statements__email_error="")),
        total_due=Sum("statements__amount_due"),
    ).order_by("-created_at", "-pk")


def statement_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Statement]:
    """Statements whose guarantor, and every patient naming that guarantor, live at locations where the actor
    holds `permission`."""
    queryset = Statement.objects.select_related("run", "guarantor", "guarantor__home_location")
    ids = location_ids_where(actor, permission)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    elsewhere = Patient.objects.filter(guarantor_id=OuterRef("guarantor_id")).exclude(home_location_id__in=ids)
    return queryset.filter(guarantor__home_location_id__in=ids).exclude(Exists(elsewhere))


def statement_run_statements(*, actor: Any, run: StatementRun,
                             permission: str = Perm.BILLING_VIEW) -> QuerySet[Statement]:
    """The statements of a run the actor may see, by guarantor name."""
    return statement_scoped(actor=actor, permission=permission).filter(run=run).order_by(
        "guarantor__last_name", "guarantor__first_name", "pk")


def statements_to_print(*, actor: Any, run: StatementRun) -> QuerySet[Statement]:
    """What goes into a run's printable PDF: its print statements, and email statements whose email failed and
    were not sent since, that the actor may send (billing.manage); in ZIP code order for presorted mail."""
    return (statement_scoped(actor=actor, permission=Perm.BILLING_MANAGE).filter(run=run)
            .filter(Q(delivery=PRINT) | (Q(delivery=EMAIL, emailed_at__isnull=True) & ~Q(email_error="")))
            .order_by("guarantor__postal_code", "guarantor__last_name", "guarantor__first_name", "pk"))


def statement_balances(statement: Statement) -> dict[int, Decimal]:
    """Each patient's balance on a statement (stored when the run was made), by patient id."""
    stored = (statement.aging or {}).get("patients", {})
    return {int(pk): Decimal(amount) for pk, amount in sorted(stored.items(), key=lambda item: int(item[0]))}


def statement_patient_ids(statement: Statement) -> list[int]:
    """Every patient a statement shows: the guarantor (name and address) first, then those with a balance."""
    return [statement.guarantor_id, *(pk for pk in statement_balances(statement) if pk != statement.guarantor_id)]


def statement_buckets(statement: Statement) -> list[tuple[str, Decimal]]:
    stored = (statement.aging or {}).get("buckets", {})
    return [(label, Decimal(stored.get(label, "0.00"))) for label, _first, _last in AGING_BUCKETS]
