"""Reads of receivables: A/R aging (by payer, by patient, down to the claims), the practice KPIs as DOMAIN.md
defines them, payer performance by code, and the underpayment variance worklist.

Scope. Every read is limited to the actor's locations for one permission: an account balance, a ledger entry and
a claim each carry their location. The pages that name patients or claims (aging, its drill-downs, underpayments)
use billing.view. The figures that name no one (aging totals by payer, KPIs, payer performance) take
`permission=`: their pages use reports.financial, so an auditor sees the practice's figures without seeing a
patient, and a provider or entry-level practice manager (billing.view only) sees the aging but not the KPIs.

Speed (benchmarks/bench_ar.py). Aging reads only the open balances: AccountBalance is the ledger's derived cache,
with a partial index on balance <> 0, so one grouped query reads a few thousand rows whatever the size of the
ledger. The KPIs read the ledger entries of the period once (index on posted_on, kind), grouped by kind. Today's
total A/R comes from the open balances; A/R at an earlier date is that total minus what was posted after it. The
clean claim rate reads the claims' submissions and rejections from the start of the period on (a partial index by
date), not the claims' whole history.

Aging is of today's balances (the cache holds no history); `as_of` is the day ages are counted from. A balance
with no date of service (money on account) counts as current (0-30).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_now

from ..choices import ClaimPaymentStatus, ClaimStatus, EntryKind, Party
from ..models import (
    AccountBalance,
    ClaimStatusChange,
    FeeScheduleEntry,
    LedgerEntry,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
CHARGE_DAYS = 90  # days in A/R: average daily gross charges over the last 90 days
OVER_DAYS = 120  # the last bucket: older than 120 days
DEFAULT_TOLERANCE = Decimal("1.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)

# CLP02 values that adjudicate a claim (a denial included); reversals, "not our claim" and predeterminations do not.
ADJUDICATED: tuple[str, ...] = (
    ClaimPaymentStatus.PRIMARY, ClaimPaymentStatus.SECONDARY, ClaimPaymentStatus.TERTIARY, ClaimPaymentStatus.DENIED,
    ClaimPaymentStatus.PRIMARY_FORWARDED, ClaimPaymentStatus.SECONDARY_FORWARDED,
    ClaimPaymentStatus.TERTIARY_FORWARDED,
)
# Payer performance and underpayments compare what a payer paid as the primary payer: a secondary payer pays what
# the primary left, which says nothing about its own rates.
PAID_AS_PRIMARY: tuple[str, ...] = (ClaimPaymentStatus.PRIMARY, ClaimPaymentStatus.PRIMARY_FORWARDED)


def today() -> dt.date:
    return practice_now().date()


# --- scope -----------------------------------------------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], *, actor: Any, permission: str, location_id: int | None,
            field: str = "location_id") -> QuerySet[Any]:
    """Rows at the actor's locations for `permission`, optionally narrowed to one of them."""
    ids = location_ids_where(actor, permission)
    if ids is not None:
        queryset = queryset.filter(**{f"{field}__in": sorted(ids)})
    if location_id is not None:
        queryset = queryset.filter(**{field: location_id})
    return queryset


class _NotZero(Func):
    """`NOT (balance = 0)` written as the partial index account_balance_open_idx states it on each database (its
    migration wrote `'0'` on SQLite, `0` on PostgreSQL): SQLite uses a partial index only when the query repeats
    the index's term (`= 0` does not match `= '0'`), and a literal never depends on how a driver binds values."""

    template = "NOT (%(expressions)s = 0)"
    output_field = BooleanField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="NOT (%(expressions)s = '0')", **extra)


def open_balances(*, actor: Any, permission: str = Perm.BILLING_VIEW,
                  location_id: int | None = None) -> QuerySet[AccountBalance]:
    """The account balances that are not zero, at the actor's locations."""
    return _scoped(AccountBalance.objects.filter(_NotZero("balance")), actor=actor, permission=permission,
                   location_id=location_id)


def _money_sum(field: str, condition: Q | None = None) -> Sum:
    return Sum(field, filter=condition, default=ZERO, output_field=MONEY)


def cents(value: Any) -> Decimal:
    """A sum as the database returns it, in cents (SQLite adds decimals as floats: 0.1 + 0.2 is not 0.3)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- aging -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    index: int
    label: str
    low: int  # youngest age in the bucket, in days
    high: int | None  # oldest, None for no limit


BUCKETS: tuple[Bucket, ...] = (
    Bucket(0, "0–30", 0, 30), Bucket(1, "31–60", 31, 60), Bucket(2, "61–90", 61, 90), Bucket(3, "91–120", 91, 120),
    Bucket(4, "120+", OVER_DAYS + 1, None),
)


def bucket_q(bucket: Bucket, as_of: dt.date, field: str = "service_date") -> Q:
    """Rows whose `field` (a date of service) is `bucket.low` to `bucket.high` days before `as_of`. A date after
    `as_of` and a missing date count as current."""
    condition = Q()
    if bucket.high is not None:
        condition &= Q(**{f"{field}__gte": as_of - dt.timedelta(days=bucket.high)})
    if bucket.low > 0:
        condition &= Q(**{f"{field}__lte": as_of - dt.timedelta(days=bucket.low)})
    if bucket.index == 0:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def bucket_of(service_date: dt.date | None, as_of: dt.date) -> Bucket:
    age = 0 if service_date is None else max(0, (as_of - service_date).days)
    return next(bucket for bucket in BUCKETS if bucket.high is None or age <= bucket.high)


def _bucket_sums(as_of: dt.date) -> dict[str, Any]:
    sums: dict[str, Any] = {f"b{bucket.index}": _money_sum("balance", bucket_q(bucket, as_of)) for bucket in BUCKETS}
    sums["total"] = _money_sum("balance")
    sums["count"] = Count("pk")
    return sums


@dataclass(frozen=True)
class AgingRow:
    """One line of an aging table: an amount per bucket, the total and how many balances make it up."""

    label: str
    amounts: tuple[Decimal, ...]
    total: Decimal
    count: int
    party: str = Party.PAYER
    payer_id: int | None = None
    patient_id: int | None = None
    account_number: str = ""

    @property
    def cells(self) -> list[tuple[Bucket, Decimal]]:
        return list(zip(BUCKETS, self.amounts, strict=True))

    @property
    def over_120(self) -> Decimal:
        return self.amounts[-1]

    @classmethod
    def from_values(cls, label: str, values: Mapping[str, Any], **fields: Any) -> AgingRow:
        return cls(label=label, amounts=tuple(cents(values[f"b{bucket.index}"]) for bucket in BUCKETS),
                   total=cents(values["total"]), count=values["count"], **fields)

    @classmethod
    def add(cls, label: str, rows: Iterable[AgingRow], **fields: Any) -> AgingRow:
        rows = list(rows)
        return cls(label=label, amounts=tuple(sum((row.amounts[b.index] for row in rows), ZERO) for b in BUCKETS),
                   total=sum((row.total for row in rows), ZERO), count=sum(row.count for row in rows), **fields)


@dataclass(frozen=True)
class Aging:
    as_of: dt.date
    payers: list[AgingRow]  # one per payer, by name
    payer_total: AgingRow  # every insurance balance
    patients: AgingRow  # every patient balance
    total: AgingRow

    def share(self, row: AgingRow) -> list[Decimal | None]:
        """Each bucket of `row` as a percentage of its total (for the chart and the table)."""
        return [percent(amount, row.total) for amount in row.amounts]


def aging_summary(*, actor: Any, as_of: dt.date | None = None, permission: str = Perm.BILLING_VIEW,
                  location_id: int | None = None) -> Aging:
    """Open balances by bucket: one row per payer (what payers owe), one for patients, and totals. One query."""
    day = as_of or today()
    grouped = (open_balances(actor=actor, permission=permission, location_id=location_id).order_by()
               .values("party", "payer_id", "payer__name").annotate(**_bucket_sums(day)))
    payers: list[AgingRow] = []
    patient_rows: list[AgingRow] = []
    for values in grouped:
        if values["party"] == Party.PAYER:
            payers.append(AgingRow.from_values(values["payer__name"] or "", values, party=Party.PAYER,
                                               payer_id=values["payer_id"]))
        else:
            patient_rows.append(AgingRow.from_values("", values, party=Party.PATIENT))
    payers.sort(key=lambda row: (row.label.lower(), row.payer_id or 0))
    payer_total = AgingRow.add(_("All payers"), payers)
    patients = AgingRow.add(_("Patients"), patient_rows, party=Party.PATIENT)
    return Aging(as_of=day, payers=payers, payer_total=payer_total, patients=patients,
                 total=AgingRow.add(_("Total A/R"), [payer_total, patients], party=""))


PATIENT_SORTS: dict[str, str] = {"total": "total", "over": f"b{BUCKETS[-1].index}", "name": "patient__last_name",
                                 "count": "count"}


def aging_by_patient(*, actor: Any, as_of: dt.date | None = None, sort: str = "-total",
                     permission: str = Perm.BILLING_VIEW, location_id: int | None = None) -> QuerySet[Any]:
    """What each patient owes (patient balances), by bucket: one grouped row per patient (dicts with b0..b4,
    total, count and the patient's name and account number). `sort` is a key of PATIENT_SORTS, "-" for
    descending; anything else sorts by the total, largest first."""
    day = as_of or today()
    key = sort.lstrip("-")
    ordering = PATIENT_SORTS.get(key, "total")
    descending = sort.startswith("-") if key in PATIENT_SORTS else True
    return (open_balances(actor=actor, permission=permission, location_id=location_id)
            .filter(party=Party.PATIENT).order_by()
            .values("patient_id", "patient__last_name", "patient__first_name", "patient__account_number")
            .annotate(**_bucket_sums(day))
            .order_by(f"-{ordering}" if descending else ordering, "patient_id"))


def patient_aging_rows(rows: Iterable[Mapping[str, Any]]) -> list[AgingRow]:
    return [AgingRow.from_values(f"{values['patient__last_name']}, {values['patient__first_name']}", values,
                                 party=Party.PATIENT, patient_id=values["patient_id"],
                                 account_number=values["patient__account_number"]) for values in rows]


def aging_claims(*, actor: Any, as_of: dt.date | None = None, party: str = "", payer_id: int | None = None,
                 patient_id: int | None = None, bucket: int | None = None, permission: str = Perm.BILLING_VIEW,
                 location_id: int | None = None) -> QuerySet[AccountBalance]:
    """The drill-down: the open balances (one per claim and party) behind a cell of the aging table, with claim,
    patient, payer and location joined in."""
    queryset = open_balances(actor=actor, permission=permission, location_id=location_id).select_related(
        "claim", "patient", "payer", "location")
    if party:
        queryset = queryset.filter(party=party)
    if payer_id is not None:
        queryset = queryset.filter(payer_id=payer_id)
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if bucket is not None:
        queryset = queryset.filter(bucket_q(BUCKETS[bucket], as_of or today()))
    return queryset


# --- KPIs ------------------------------------------------------------------------------------------------------


def percent(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Kpi:
    """One indicator with the numbers it is made of, so a reader can check it."""

    key: str
    label: str
    value: Decimal | None  # None when the denominator is zero
    unit: str  # "days" or "%"
    numerator: Decimal
    numerator_label: str
    denominator: Decimal
    denominator_label: str
    definition: str
    is_money: bool = True  # numerator and denominator are amounts (else counts)


@dataclass(frozen=True)
class Kpis:
    start: dt.date
    end: dt.date
    days_in_ar: Kpi
    clean_claim_rate: Kpi
    denial_rate: Kpi
    net_collection_rate: Kpi
    ar_over_120: Kpi

    def __iter__(self) -> Iterator[Kpi]:
        yield from (self.days_in_ar, self.clean_claim_rate, self.denial_rate, self.net_collection_rate,
                    self.ar_over_120)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the practice's time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_now().tzinfo)


# The kinds of entry the KPIs add up over a period (transfers, write-offs and other adjustments are not in them).
KPI_KINDS: tuple[str, ...] = (EntryKind.CHARGE, EntryKind.CONTRACTUAL, EntryKind.PAYER_PAYMENT,
                              EntryKind.PATIENT_PAYMENT, EntryKind.REFUND, EntryKind.PROVIDER_ADJUSTMENT)


def _ledger_figures(*, actor: Any, start: dt.date, end: dt.date, permission: str,
                    location_id: int | None) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Per kind of entry: the sum over the period and the sum over the 90 days to `end`. One query."""
    charges_from = end - dt.timedelta(days=CHARGE_DAYS - 1)
    entries = _scoped(LedgerEntry.objects.filter(posted_on__gte=min(start, charges_from), posted_on__lte=end,
                                                 kind__in=KPI_KINDS),
                      actor=actor, permission=permission, location_id=location_id)
    rows = list(entries.order_by().values("kind").annotate(
        period=_money_sum("amount", Q(posted_on__gte=start)),
        recent=_money_sum("amount", Q(posted_on__gte=charges_from))))
    return ({row["kind"]: cents(row["period"]) for row in rows},
            {row["kind"]: cents(row["recent"]) for row in rows})


def _posted_after(*, actor: Any, end: dt.date, permission: str, location_id: int | None) -> tuple[Decimal, Decimal]:
    """What was posted after `end` (nothing when `end` is today): to take today's balances back to `end`, in all
    and for the part dated more than 120 days before `end`. One query over the entries after `end` only."""
    over_cutoff = end - dt.timedelta(days=OVER_DAYS + 1)
    later = _scoped(LedgerEntry.objects.filter(posted_on__gt=end), actor=actor, permission=permission,
                    location_id=location_id).aggregate(
        total=_money_sum("amount"), over=_money_sum("amount", Q(service_date__lte=over_cutoff)))
    return cents(later["total"]), cents(later["over"])


# The statuses the clean claim rate reads from the claims' history (the partial index claim_change_sent_at_idx).
SENT_OR_REJECTED: tuple[str, ...] = (ClaimStatus.SUBMITTED, ClaimStatus.REJECTED)


class _SentOrRejected(Func):
    """`to_status IN ('submitted', 'rejected')` written as the partial index claim_change_sent_at_idx states it:
    like _NotZero, SQLite uses a partial index only when the query repeats the index's term, literally."""

    template = "%(expressions)s IN (" + ", ".join(f"'{status}'" for status in SENT_OR_REJECTED) + ")"
    output_field = BooleanField()


class _InList(Func):
    """`value IN (subquery)` for a subquery of a few rows used to look rows up by index: PostgreSQL is sent
    `value = ANY(ARRAY(subquery))`, which it plans as index lookups (it cannot know how many rows the subquery
    gives; as a semi-join it would hash the other side instead, reading all of it)."""

    template = "%(expressions)s"
    arg_joiner = " IN "
    output_field = BooleanField()

    def __init__(self, value: Any, subquery: Subquery) -> None:
        super().__init__(value, subquery)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", template="%(expressions)s)", **extra)


class _GroupedUnsorted(Func):
    """A column to group by, written `+column` on SQLite (its documented way to keep a term off an index).
    Otherwise SQLite reads the whole table in that column's order to save sorting the groups (for the clean
    claim rate, the claims' entire history through claim_status_change_idx) instead of the rows the WHERE clause
    picks by another index."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


def _clean_claims(*, actor: Any, start: dt.date, end: dt.date, permission: str,
                  location_id: int | None) -> tuple[int, int]:
    """(claims first submitted in the period, of those the ones no rejection followed): per claim, the first
    submission and the last rejection from its history, in one grouped query (a rejection after the first
    submission means it was not clean).

    Only the history from the start of the period on is grouped (claim_change_sent_at_idx, by date): a rejection
    before the period cannot follow a first submission in it, nor can a submission after it be one. Claims also
    submitted before the period are left out; finding them looks up (claim_status_change_idx) only the claims sent
    in the period whose id is not above every claim submitted before it. Ids grow as claims are created, so those
    are the few older claims sent (or sent again) in the period, however long the history; were ids out of order,
    the answer would be the same, only looked up for more claims."""
    since, until = _day_start(start), _day_start(end + dt.timedelta(days=1))
    sent_before = ClaimStatusChange.objects.filter(to_status=ClaimStatus.SUBMITTED, at__lt=since)
    newest_sent_before = Subquery(sent_before.order_by("-claim_id").values("claim_id")[:1])
    older_sent_in_period = ClaimStatusChange.objects.filter(
        _SentOrRejected("to_status"), to_status=ClaimStatus.SUBMITTED, at__gte=since, at__lt=until,
        claim_id__lte=newest_sent_before).order_by().values("claim_id")
    sent_before_too = sent_before.filter(_InList(F("claim_id"), Subquery(older_sent_in_period))).values("claim_id")
    # Rejections after the period may still follow a first submission in it.
    changes = _scoped(ClaimStatusChange.objects.filter(_SentOrRejected("to_status"), at__gte=since)
                      .filter(Q(to_status=ClaimStatus.REJECTED) | Q(at__lt=until))
                      .exclude(claim_id__in=sent_before_too),
                      actor=actor, permission=permission, location_id=location_id, field="claim__location_id")
    per_claim = changes.order_by().values(grouped=_GroupedUnsorted("claim_id")).annotate(
        first_sent=Min("at", filter=Q(to_status=ClaimStatus.SUBMITTED)),
        last_rejected=Max("at", filter=Q(to_status=ClaimStatus.REJECTED)),
    ).filter(first_sent__gte=since, first_sent__lt=until)
    counts = per_claim.aggregate(
        submitted=Count("grouped"),
        clean=Count("grouped", filter=Q(last_rejected__isnull=True) | Q(last_rejected__lte=F("first_sent"))))
    return counts["submitted"], counts["clean"]


def _denied_claims(*, actor: Any, start: dt.date, end: dt.date, permission: str,
                   location_id: int | None) -> tuple[int, int]:
    """(claims adjudicated in the period, of those the ones denied): by the remittances' payment dates (their
    posting date when the 835 gives none); denied is CLP02 = 4 or a Denial raised from the claim payment."""
    in_period = Q(remittance__payment_date__gte=start, remittance__payment_date__lte=end) | Q(
        remittance__payment_date__isnull=True, remittance__posted_at__gte=_day_start(start),
        remittance__posted_at__lt=_day_start(end + dt.timedelta(days=1)))
    adjudications = _scoped(RemittanceClaim.objects.filter(in_period, claim__isnull=False,
                                                           status_code__in=ADJUDICATED),
                            actor=actor, permission=permission, location_id=location_id,
                            field="claim__location_id")
    counts = adjudications.aggregate(
        adjudicated=Count("claim", distinct=True),
        denied=Count("claim", distinct=True,
                     filter=Q(status_code=ClaimPaymentStatus.DENIED) | Q(denial__isnull=False)))
    return counts["adjudicated"], counts["denied"]


def practice_kpis(*, actor: Any, start: dt.date, end: dt.date, permission: str = Perm.REPORTS_FINANCIAL,
                  location_id: int | None = None) -> Kpis:
    """The five receivables KPIs for the period `start`..`end` (inclusive), each with its numerator and
    denominator. Days in A/R and A/R over 120 days are measured at `end`. Five queries."""
    if start > end:
        raise ValueError("the period starts after it ends")
    period, recent = _ledger_figures(actor=actor, start=start, end=end, permission=permission,
                                     location_id=location_id)
    over_cutoff = end - dt.timedelta(days=OVER_DAYS + 1)
    balances = open_balances(actor=actor, permission=permission, location_id=location_id).aggregate(
        total=_money_sum("balance"), over=_money_sum("balance", Q(service_date__lte=over_cutoff)))
    later, later_over = _posted_after(actor=actor, end=end, permission=permission, location_id=location_id)
    ar_total = cents(balances["total"]) - later
    ar_over = cents(balances["over"]) - later_over

    charges_90 = recent.get(EntryKind.CHARGE, ZERO)
    daily = (charges_90 / CHARGE_DAYS).quantize(CENT, rounding=ROUND_HALF_UP)
    days = (ar_total / daily).quantize(TENTH, rounding=ROUND_HALF_UP) if daily else None

    submitted, clean = _clean_claims(actor=actor, start=start, end=end, permission=permission,
                                     location_id=location_id)
    adjudicated, denied = _denied_claims(actor=actor, start=start, end=end, permission=permission,
                                         location_id=location_id)

    # Money received, net of money given back: payer and patient payments, refunds and recoupments (entries
    # lowering what is owed are negative, so the sum is negated).
    payments = -sum((period.get(kind, ZERO) for kind in (EntryKind.PAYER_PAYMENT, EntryKind.PATIENT_PAYMENT,
                                                        EntryKind.REFUND, EntryKind.PROVIDER_ADJUSTMENT)), ZERO)
    charges = period.get(EntryKind.CHARGE, ZERO)
    contractual = -period.get(EntryKind.CONTRACTUAL, ZERO)
    collectible = charges - contractual

    return Kpis(
        start=start, end=end,
        days_in_ar=Kpi(
            key="days_in_ar", label=_("Days in A/R"), value=days, unit=_("days"),
            numerator=ar_total, numerator_label=_("Total A/R on %(day)s") % {"day": end.isoformat()},
            denominator=daily,
            denominator_label=_("Average daily gross charges (%(total)s charged in the %(days)s days to %(day)s)")
            % {"total": f"${charges_90:,.2f}", "days": CHARGE_DAYS, "day": end.isoformat()},
            definition=_("Total A/R ÷ average daily gross charges over the last 90 days.")),
        clean_claim_rate=Kpi(
            key="clean_claim_rate", label=_("Clean claim rate"), value=percent(clean, submitted), unit="%",
            numerator=Decimal(clean), numerator_label=_("Claims accepted on first submission (no rejection after "
                                                        "it)"),
            denominator=Decimal(submitted), denominator_label=_("Claims first submitted in the period"),
            definition=_("Claims accepted on first submission ÷ claims submitted."), is_money=False),
        denial_rate=Kpi(
            key="denial_rate", label=_("Denial rate"), value=percent(denied, adjudicated), unit="%",
            numerator=Decimal(denied), numerator_label=_("Claims denied"),
            denominator=Decimal(adjudicated), denominator_label=_("Claims adjudicated (remittances paid in the "
                                                                  "period)"),
            definition=_("Claims denied ÷ claims adjudicated."), is_money=False),
        net_collection_rate=Kpi(
            key="net_collection_rate", label=_("Net collection rate"), value=percent(payments, collectible),
            unit="%", numerator=payments, numerator_label=_("Payments (payer and patient, net of refunds and "
                                                            "recoupments)"),
            denominator=collectible,
            denominator_label=_("Charges %(charges)s − contractual adjustments %(contractual)s")
            % {"charges": f"${charges:,.2f}", "contractual": f"${contractual:,.2f}"},
            definition=_("Payments ÷ (charges − contractual adjustments), all posted in the period.")),
        ar_over_120=Kpi(
            key="ar_over_120", label=_("A/R over 120 days"), value=percent(ar_over, ar_total), unit="%",
            numerator=ar_over, numerator_label=_("A/R with a date of service more than 120 days before %(day)s")
            % {"day": end.isoformat()},
            denominator=ar_total, denominator_label=_("Total A/R on %(day)s") % {"day": end.isoformat()},
            definition=_("A/R older than 120 days as a share of total A/R.")),
    )


# --- remittance lines: payer performance and underpayments ----------------------------------------------------


def _paid_lines(*, actor: Any, start: dt.date, end: dt.date, permission: str,
                location_id: int | None) -> QuerySet[RemittanceLine]:
    """Service lines a payer paid as primary in the period (by payment date) on one of our claims, leaving out
    claim payments that were later reversed."""
    reversed_later = RemittanceClaim.objects.filter(reverses=OuterRef("remittance_claim"))
    lines = RemittanceLine.objects.filter(
        remittance_claim__claim__isnull=False, remittance_claim__status_code__in=PAID_AS_PRIMARY,
        remittance_claim__remittance__payer__isnull=False,
        remittance_claim__remittance__payment_date__gte=start, remittance_claim__remittance__payment_date__lte=end,
    ).exclude(Exists(reversed_later))
    return _scoped(lines, actor=actor, permission=permission, location_id=location_id,
                   field="remittance_claim__claim__location_id")


def _line_adjustments(group_code: str) -> Any:
    """The sum of a line's CAS adjustments of one group (0 when there are none)."""
    total = (RemittanceAdjustment.objects.filter(line=OuterRef("pk"), group_code=group_code).order_by()
             .values("line").annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


@dataclass(frozen=True)
class PayerCodeRow:
    payer_id: int
    payer_name: str
    procedure_code: str
    count: int
    average_allowed: Decimal
    average_paid: Decimal
    average_days_to_pay: Decimal | None
    best: bool  # the highest average paid for this code


def _days(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return (Decimal(value.total_seconds()) / 86400).quantize(TENTH, rounding=ROUND_HALF_UP)
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def payer_performance(*, actor: Any, start: dt.date, end: dt.date, code: str = "",
                      permission: str = Perm.REPORTS_FINANCIAL, location_id: int | None = None) -> list[PayerCodeRow]:
    """Per payer and CPT/HCPCS code, over lines paid as primary in the period: how many, the average allowed
    (the payer's AMT*B6, else charge − CO adjustments), the average paid and the average days from submission to
    payment. By code, the best-paying payer first. One query."""
    allowed = Coalesce("allowed_amount", ExpressionWrapper(F("charge_amount") - _line_adjustments("CO"),
                                                           output_field=MONEY), output_field=MONEY)
    days = ExpressionWrapper(F("remittance_claim__remittance__payment_date")
                             - TruncDate("remittance_claim__claim__submitted_at"), output_field=DurationField())
    lines = _paid_lines(actor=actor, start=start, end=end, permission=permission, location_id=location_id)
    if code:
        lines = lines.filter(procedure_code=code)
    grouped = lines.order_by().values(
        payer=F("remittance_claim__remittance__payer_id"), payer_name=F("remittance_claim__remittance__payer__name"),
        code=F("procedure_code"),
    ).annotate(
        count=Count("pk"), average_allowed=Avg(allowed, output_field=MONEY),
        average_paid=Avg("paid_amount", output_field=MONEY),
        average_days=Avg(days, filter=Q(remittance_claim__claim__submitted_at__isnull=False)),
    )
    rows = sorted(grouped, key=lambda row: (row["code"], -row["average_paid"], row["payer_name"], row["payer"]))
    result: list[PayerCodeRow] = []
    previous = None
    for row in rows:
        result.append(PayerCodeRow(
            payer_id=row["payer"], payer_name=row["payer_name"], procedure_code=row["code"], count=row["count"],
            average_allowed=Decimal(row["average_allowed"]).quantize(CENT, rounding=ROUND_HALF_UP),
            average_paid=Decimal(row["average_paid"]).quantize(CENT, rounding=ROUND_HALF_UP),
            average_days_to_pay=_days(row["average_days"]), best=row["code"] != previous))
        previous = row["code"]
    return result


def underpayments(*, actor: Any, start: dt.date, end: dt.date, tolerance: Decimal = DEFAULT_TOLERANCE,
                  payer_id: int | None = None, permission: str = Perm.BILLING_VIEW,
                  location_id: int | None = None) -> QuerySet[RemittanceLine]:
    """Lines paid as primary in the period where paid + patient responsibility (PR adjustments) falls short of the
    payer's contract (its fee schedule in force on the date of service: the fee for the code with the line's first
    modifier, else the bare code's, times the units billed) by more than `tolerance`. Each row carries
    `contract_fee`, `units_billed`, `expected`, `patient_share`, `received` and `variance`, with claim, patient
    and payer joined in. Lines whose payer has no contract fee for the code are left out."""
    service_on = Coalesce("service_date", "remittance_claim__service_date", "remittance_claim__claim__date_of_service")
    fee = FeeScheduleEntry.objects.filter(
        Q(schedule__effective_to__isnull=True) | Q(schedule__effective_to__gte=OuterRef("service_on")),
        Q(modifier="") | Q(modifier=OuterRef("first_modifier")),
        schedule__payer_id=OuterRef("remittance_claim__remittance__payer_id"),
        schedule__effective_from__lte=OuterRef("service_on"), procedure_code=OuterRef("procedure_code"),
    ).order_by("-modifier").values("amount")[:1]  # the modifier's own fee sorts before the bare code's ("")
    lines = _paid_lines(actor=actor, start=start, end=end, permission=permission, location_id=location_id)
    if payer_id is not None:
        lines = lines.filter(remittance_claim__remittance__payer_id=payer_id)
    return (
        lines.annotate(service_on=service_on, first_modifier=KT("modifiers__0"),
                       units_billed=Coalesce("claim_line__units", "units", Value(Decimal(1)),
                                             output_field=DecimalField(max_digits=9, decimal_places=3)),
                       patient_share=_line_adjustments("PR"))
        .annotate(contract_fee=Subquery(fee, output_field=MONEY))
        .filter(contract_fee__isnull=False)
        .annotate(expected=ExpressionWrapper(F("contract_fee") * F("units_billed"), output_field=MONEY),
                  received=ExpressionWrapper(F("paid_amount") + F("patient_share"), output_field=MONEY))
        .annotate(variance=ExpressionWrapper(F("expected") - F("received"), output_field=MONEY))
        .filter(variance__gt=tolerance)
        .select_related("remittance_claim__claim__patient", "remittance_claim__claim__location",
                        "remittance_claim__remittance__payer")
    )
