"""Reads of a patient's account: the ledger with its running balance, what the patient and each payer owe, the
open claims, payments, refunds, write-offs and the payment plan (whether the patient keeps up with it is
computed here, never stored).

Scope is the patient's home location: billing.view (billing staff) or billing.collect_payments (the front desk,
who sees what is due and takes payments; nothing clinical is read here: claims appear by number, date and
payer). A page of the account is a fixed number of queries whatever the number of entries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_search_condition

from ..choices import Party, WriteOffStatus
from ..models import AccountBalance, Claim, LedgerEntry, PatientPayment, PaymentPlan, Refund, WriteOff

ACCOUNT_PERMISSIONS: tuple[str, ...] = (Perm.BILLING_VIEW, Perm.BILLING_COLLECT)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=12, decimal_places=2)


def account_location_ids(actor: Any, permission: str | None = None) -> frozenset[int] | None:
    """Where the actor may open patient accounts (billing.view or billing.collect_payments), or where they hold
    `permission`; None means every location."""
    if permission is not None:
        return location_ids_where(actor, permission)
    ids: set[int] = set()
    for wanted in ACCOUNT_PERMISSIONS:
        found = location_ids_where(actor, wanted)
        if found is None:
            return None
        ids |= found
    return frozenset(ids)


def in_scope(queryset: QuerySet[Any], ids: frozenset[int] | None, field_name: str) -> QuerySet[Any]:
    """`queryset` limited to rows whose `field_name` is one of `ids` (None: every location)."""
    return queryset if ids is None else queryset.filter(**{f"{field_name}__in": ids})


def account_patient_scoped(*, actor: Any, permission: str | None = None) -> QuerySet[Patient]:
    """Patients whose account the actor may open (or, with `permission`, act on), by home location."""
    return in_scope(Patient.objects.select_related("home_location"), account_location_ids(actor, permission),
                     "home_location_id")


def account_patient_search(*, actor: Any, text: str, limit: int = 20) -> list[Patient]:
    """Patients in scope matching typed text (name, date of birth, phone, account number); at most `limit`."""
    condition = patient_search_condition(text.strip()[:100])
    if condition is None:
        return []
    return list(account_patient_scoped(actor=actor).filter(condition, merged_into__isnull=True)
                .order_by("last_name", "first_name", "pk")[:limit])


# --- payments -------------------------------------------------------------------------------------------------


def cents(value: Any) -> Decimal:
    """An amount summed by the database, in cents (SQLite hands sums back without their two decimals)."""
    return Decimal(value or 0).quantize(CENT)


def entry_sum(*, claimed: bool) -> Any:
    """How much of the payment its ledger entries put on claims (or on the account), as a positive amount."""
    entries = (LedgerEntry.objects.filter(payment_id=OuterRef("pk"), claim__isnull=not claimed).order_by()
               .values("payment_id").annotate(total=Sum("amount")).values("total"))
    return Value(ZERO, output_field=MONEY) - Coalesce(Subquery(entries, output_field=MONEY), Value(ZERO),
                                                      output_field=MONEY)


def refund_sum() -> Coalesce:
    refunds = (Refund.objects.filter(payment_id=OuterRef("pk")).order_by().values("payment_id")
               .annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(refunds, output_field=MONEY), Value(ZERO), output_field=MONEY)


def payment_scoped(*, actor: Any, permission: str | None = None) -> QuerySet[PatientPayment]:
    """Payments taken at the actor's locations, each with `applied_total` (put on claims), `credit_total` (kept on
    the account) and `refunded_total` (refunds naming it): one query."""
    queryset = PatientPayment.objects.select_related("patient", "location", "received_by").annotate(
        applied_total=entry_sum(claimed=True), credit_total=entry_sum(claimed=False),
        refunded_total=refund_sum())
    return in_scope(queryset, account_location_ids(actor, permission), "location_id")


def payment_list(*, actor: Any, patient_id: int | None = None, received_from: dt.date | None = None,
                 received_to: dt.date | None = None, method: str = "") -> QuerySet[PatientPayment]:
    queryset = payment_scoped(actor=actor)
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if received_from is not None:
        queryset = queryset.filter(received_on__gte=received_from)
    if received_to is not None:
        queryset = queryset.filter(received_on__lte=received_to)
    if method:
        queryset = queryset.filter(method=method)
    return queryset


@dataclass(frozen=True)
class Application:
    claim: Claim | None  # None: kept on the account as a credit
    amount: Decimal  # positive: how much of the payment went there


def payment_applications(payment: PatientPayment) -> list[Application]:
    """Where a payment went: per claim (oldest first) and the credit left on the account."""
    totals: dict[int | None, Decimal] = defaultdict(Decimal)
    claims: dict[int, Claim] = {}
    for entry in (LedgerEntry.objects.filter(payment=payment).select_related("claim")
                  .only("amount", "claim_id", "claim__claim_number", "claim__date_of_service", "claim__location_id")):
        totals[entry.claim_id] -= entry.amount
        if entry.claim is not None:
            claims[entry.claim.pk] = entry.claim
    ordered = sorted(claims.values(), key=lambda claim: (claim.date_of_service, claim.pk))
    rows = [Application(claim, totals[claim.pk]) for claim in ordered if totals[claim.pk]]
    if totals.get(None):
        rows.append(Application(None, totals[None]))
    return rows


# --- the account ----------------------------------------------------------------------------------------------


def dollars(amount: Decimal) -> str:
    """-$20.00 rather than $-20.00."""
    return f"-${-amount:.2f}" if amount < 0 else f"${amount:.2f}"


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    balance: Decimal  # everything owed after this entry (patient and payers)
    patient_balance: Decimal  # what the patient owes after this entry

    @property
    def amount_text(self) -> str:
        return dollars(self.entry.amount)

    @property
    def balance_text(self) -> str:
        return dollars(self.balance)

    @property
    def patient_balance_text(self) -> str:
        return dollars(self.patient_balance)


@dataclass
class ClaimBalance:
    claim: Claim
    payer_balance: Decimal = ZERO
    patient_balance: Decimal = ZERO

    @property
    def payer_text(self) -> str:
        return dollars(self.payer_balance)

    @property
    def patient_text(self) -> str:
        return dollars(self.patient_balance)


@dataclass(frozen=True)
class PayerBalance:
    payer_id: int
    name: str
    balance: Decimal


@dataclass(frozen=True)
class PaymentRow:
    payment: PatientPayment
    applied: Decimal  # to claims
    credit: Decimal  # left on the account
    refunded: Decimal

    @property
    def refundable(self) -> Decimal:
        return max(ZERO, self.payment.amount - self.refunded)


@dataclass(frozen=True)
class PlanStatus:
    plan: PaymentPlan
    installments: int  # how many the plan has (the last may be smaller)
    installments_due: int  # due by today
    expected: Decimal  # what should have been paid by today
    paid: Decimal  # payments received since the plan started (less refunds of them)
    next_due_on: dt.date | None  # None: the plan is paid off
    next_amount: Decimal

    @property
    def behind(self) -> bool:
        return self.paid < self.expected

    @property
    def behind_by(self) -> Decimal:
        return max(ZERO, self.expected - self.paid)

    @property
    def paid_off(self) -> bool:
        return self.paid >= self.plan.total


@dataclass
class PatientAccount:
    patient: Patient
    ledger: list[LedgerRow] = field(default_factory=list)
    patient_balance: Decimal = ZERO  # what the patient owes over all claims and the account (below 0: a credit)
    payer_balances: list[PayerBalance] = field(default_factory=list)
    claims: list[ClaimBalance] = field(default_factory=list)  # claims with something open, oldest first
    payments: list[PaymentRow] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    write_offs: list[WriteOff] = field(default_factory=list)
    plan: PlanStatus | None = None

    @property
    def amount_due(self) -> Decimal:
        return max(ZERO, self.patient_balance)

    @property
    def credit(self) -> Decimal:
        return max(ZERO, -self.patient_balance)

    @property
    def payer_total(self) -> Decimal:
        return sum((row.balance for row in self.payer_balances), ZERO)

    @property
    def total(self) -> Decimal:
        return self.patient_balance + self.payer_total

    @property
    def pending_write_offs(self) -> list[WriteOff]:
        return [write_off for write_off in self.write_offs if write_off.status == WriteOffStatus.PENDING]

    @property
    def refundable_payments(self) -> list[PaymentRow]:
        return [row for row in self.payments if row.refundable > 0]


def _add_months(day: dt.date, months: int, day_of_month: int) -> dt.date:
    month_index = day.month - 1 + months
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, day_of_month)


def plan_due_dates(plan: PaymentPlan) -> list[dt.date]:
    """Every installment's due date: the first on `starts_on`, then on `day_of_month` of each following month."""
    count = int((Decimal(plan.total) / Decimal(plan.installment)).to_integral_value(rounding=ROUND_CEILING))
    return [plan.starts_on] + [_add_months(plan.starts_on, n, plan.day_of_month) for n in range(1, count)]


def plan_status(plan: PaymentPlan, *, payments: list[PaymentRow], today: dt.date) -> PlanStatus:
    """How the patient keeps up: installments due by `today` against the payments received since the plan
    started (refunds of them deducted)."""
    dates = plan_due_dates(plan)
    due = sum(1 for day in dates if day <= today)
    expected = min(plan.total, plan.installment * due)
    paid = sum((row.payment.amount - row.refunded for row in payments if row.payment.received_on >= plan.starts_on),
               ZERO)
    upcoming = [day for day in dates if day > today]
    next_due: dt.date | None
    if paid >= plan.total:
        next_due = None
    elif paid < expected:  # behind: the oldest installment not covered yet is the one due
        next_due = dates[min(int(paid // plan.installment), len(dates) - 1)]
    else:
        next_due = upcoming[0] if upcoming else None
    next_amount = min(plan.installment, plan.total - paid) if next_due is not None else ZERO
    return PlanStatus(plan=plan, installments=len(dates), installments_due=due, expected=expected, paid=paid,
                      next_due_on=next_due, next_amount=max(ZERO, next_amount))


def active_plan(*, patient: Patient) -> PaymentPlan | None:
    """The patient's active payment plan (there is at most one). The caller has the patient in scope."""
    return PaymentPlan.objects.filter(patient=patient, is_active=True).first()


def patient_may_be_seen(actor: Any, patient: Patient) -> bool:
    ids = account_location_ids(actor)
    return ids is None or patient.home_location_id in ids


def patient_account(*, actor: Any, patient: Patient, today: dt.date) -> PatientAccount:
    """The whole account of one patient in the actor's scope (Patient.DoesNotExist otherwise). Seven queries,
    whatever the number of entries, claims or payments."""
    if not patient_may_be_seen(actor, patient):
        raise Patient.DoesNotExist("patient not in scope")
    account = PatientAccount(patient=patient)

    total = patient_total = ZERO
    for entry in (LedgerEntry.objects.filter(patient=patient).select_related("claim", "payer")
                  .only("kind", "amount", "party", "posted_on", "memo", "payment_id", "claim_id", "payer_id",
                        "reverses_id", "claim__claim_number", "claim__date_of_service", "claim__location_id",
                        "payer__name")
                  .order_by("posted_on", "pk")):
        total += entry.amount
        if entry.party == Party.PATIENT:
            patient_total += entry.amount
        account.ledger.append(LedgerRow(entry, total, patient_total))

    claims: dict[int, ClaimBalance] = {}
    payers: dict[int, list[Any]] = {}
    for row in (AccountBalance.objects.filter(patient=patient).exclude(balance=0).select_related("claim", "payer")
                .only("balance", "party", "claim_id", "payer_id", "claim__claim_number", "claim__date_of_service",
                      "claim__location_id", "claim__status", "claim__payer_rank", "payer__name")):
        if row.party == Party.PATIENT:
            account.patient_balance += row.balance
        else:
            payer = payers.setdefault(row.payer_id or 0, [row.payer.name if row.payer else "", ZERO])
            payer[1] += row.balance
        if row.claim is not None:
            line = claims.setdefault(row.claim_id or 0, ClaimBalance(row.claim))
            if row.party == Party.PATIENT:
                line.patient_balance += row.balance
            else:
                line.payer_balance += row.balance
    account.payer_balances = sorted((PayerBalance(pk, name, amount) for pk, (name, amount) in payers.items()
                                     if amount), key=lambda row: row.name)
    account.claims = sorted((line for line in claims.values() if line.patient_balance or line.payer_balance),
                            key=lambda line: (line.claim.date_of_service, line.claim.pk))

    account.payments = [
        PaymentRow(payment, applied=cents(payment.applied_total), credit=cents(payment.credit_total),
                   refunded=cents(payment.refunded_total))
        for payment in (PatientPayment.objects.filter(patient=patient).select_related("received_by").annotate(
            applied_total=entry_sum(claimed=True), credit_total=entry_sum(claimed=False),
            refunded_total=refund_sum()).order_by("-received_on", "-pk"))
    ]
    account.refunds = list(Refund.objects.filter(patient=patient).select_related("created_by", "payment")
                           .order_by("-refunded_on", "-pk"))
    account.write_offs = list(WriteOff.objects.filter(patient=patient)
                              .select_related("requested_by", "decided_by", "claim")
                              .only("amount", "party", "reason", "status", "requested_at", "decided_at",
                                    "location_id", "patient_id", "claim_id", "requested_by_id", "decided_by_id",
                                    "claim__claim_number", "claim__date_of_service", "requested_by__username",
                                    "requested_by__first_name", "requested_by__last_name", "decided_by__username",
                                    "decided_by__first_name", "decided_by__last_name")
                              .order_by("-requested_at", "-pk"))
    plan = active_plan(patient=patient)
    if plan is not None:
        account.plan = plan_status(plan, payments=account.payments, today=today)
    return account


# --- write-offs waiting for approval --------------------------------------------------------------------------


def write_off_scoped(*, actor: Any, permission: str = Perm.BILLING_WRITE_OFF) -> QuerySet[WriteOff]:
    queryset = WriteOff.objects.select_related("patient", "claim", "requested_by", "location")
    return in_scope(queryset, location_ids_where(actor, permission), "location_id")


def write_offs_pending(*, actor: Any) -> QuerySet[WriteOff]:
    """Write-offs waiting for approval at the locations where the actor approves write-offs, oldest first."""
    return write_off_scoped(actor=actor).filter(status=WriteOffStatus.PENDING).order_by("requested_at", "pk")


def claims_with_open_balance(*, patient: Patient) -> list[Claim]:
    """The patient's claims with something still owed (by the patient or a payer), oldest first: the choices of
    the write-off form."""
    ids = (AccountBalance.objects.filter(patient=patient, claim__isnull=False).filter(~Q(balance=0))
           .values("claim_id"))
    return list(Claim.objects.filter(pk__in=ids).select_related("payer")
                .only("claim_number", "date_of_service", "payer__name").order_by("date_of_service", "pk"))
