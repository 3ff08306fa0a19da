"""Bulk billing for `openpractice seed --size ...` (benchmarks and load tests): five years of receivables.

Runs after the bulk appointments (40). Every checked-out visit up to today gets a charge (an E/M line, sometimes
a lab or procedure line: about 1.2 lines a charge, a million lines at size large), except the last days' visits
still waiting to be coded. A visit of a patient with primary coverage in force on the date of service gets its
claim, sent a day or two later; then, as a practice's history would have it:

- about 3 % held by the scrubber and fixed a few days later; about 5 % rejected by the payer's 277CA and sent again;
- answered by the payer's 835 two to four weeks after acceptance: the payer's payment, the contractual adjustment
  (CO-45) and the patient's share (PR-1/2/3: deductible, coinsurance, copay) moved to the patient, per line;
- about 7 % denied (a Denial row, category from its CARC/RARC codes); most are appealed and paid on appeal, the
  rest written off some months later (an approved WriteOff, the claim closed);
- the patients pay their share within weeks (PatientPayment rows), in two parts for some; most of the rest is
  written off as bad debt after five to seven months, a little stays open; a few claims are never answered (and
  written off once past the payer's filing limit).

Everything dated after today has not happened: recent claims are still ready, submitted, accepted or rejected,
recent denials open, recent patient shares unpaid, so A/R aging and the KPIs (selectors/receivables.py) read
realistic figures. Visits of patients without coverage in force keep an open charge (self-pay), as the demo's do.
The bulk patients' policies start up to six years back, so a covered patient whose policy started after the first
seeded visit gets an earlier, ended primary policy (same payer or another) for the visits before it.

The money follows services/ledger.py exactly: the entries a posting would write (the charge per line when the
claim is built; per line the payer payment, CO and PR transfer pair from the 835; patient payments and write-offs
on the claim), and one AccountBalance per (patient, claim, party, payer) equal to the sum of its entries.
Secondary claims, claim batches and statements are not seeded: the patient's share stays with the patient.

Loaded like benchmarks/bench_ar.py: rows of plain values (COPY on PostgreSQL, executemany on SQLite), ids given
here, the ledger and the claims' status history appended in the order they happened, foreign keys consistent by
construction (PostgreSQL checks them per row only when the role may not switch that off: minutes more), and the
tables' plain indexes dropped for the load and built again after it (each in one sorted pass).
Deterministic for a seed and a day; ONE summary audit event; refuses, before writing anything, without the
demo's biller and fee schedule or when billing was bulk-seeded already.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max

from openpractice.accounts.models import RoleAssignment
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.seeding import SeedRefused, large_seeder
from openpractice.core.selectors import practice_get, practice_timezone_name
from openpractice.patients.models import Coverage, Patient, Payer, PayerPlan
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, Provider

from .choices import ClaimPaymentStatus, ClaimStatus, DenialStatus, EntryKind, Party, StatusSource
from .demo import DIAGNOSES, VISIT_CODES
from .denial_categories import categorize
from .models import (
    AccountBalance,
    BillingSettings,
    Charge,
    ChargeDiagnosis,
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatusChange,
    ControlNumber,
    Denial,
    FeeScheduleEntry,
    LedgerEntry,
    PatientPayment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
    WriteOff,
)
from .services.numbers import CLAIM_NUMBER, claim_number_format, control_number_next

SEEDED_ACTION = "billing.bulk_seeded"
BATCH_ROWS = 20_000  # rows per COPY / executemany

# How the history goes (shares of claims, or of the step before).
EXTRA_LINE_SHARE = 0.15  # visits with a lab or procedure line besides the E/M code
SECOND_DIAGNOSIS_SHARE = 0.3
HELD_SHARE = 0.03  # held by the scrubber, fixed one to four days later
REJECTED_SHARE = 0.05  # rejected by the payer's 277CA, sent again two to eight days later
UNANSWERED_SHARE = 0.002  # accepted and never answered (lost by the payer): written off after a year or so
DENIED_SHARE = 0.07
APPEALED_SHARE = 0.8  # of denials
PAID_ON_APPEAL_SHARE = 0.85  # of appeals
PAID_IN_FULL_SHARE = 0.8  # of patient shares: paid in one payment; then in two payments
PAID_IN_PARTS_SHARE = 0.1
BAD_DEBT_SHARE = 0.95  # of the unpaid patient shares: written off after five to seven months; the rest stays open
CHARGE_LAG = (0, 0, 0, 1, 1, 2)  # days from the visit to its charge (the coder's backlog)
# (CARC, RARC) of denials, with weights: eligibility, authorization, coding, timely filing, duplicate, other.
DENIAL_CODES: tuple[tuple[str, str, int], ...] = (
    ("27", "N30", 22), ("197", "N54", 20), ("11", "M76", 15), ("4", "", 8), ("29", "", 5), ("18", "", 10),
    ("96", "N130", 12), ("50", "N115", 8),
)
APPEAL_NOTES = ("Appeal sent with the visit note.", "Corrected coding, appeal sent.",
                "Coverage confirmed with the payer; reprocessing requested.")
PAYMENT_METHODS = (("card", "Card"), ("card", "Card"), ("card", "Card"), ("check", "Check"), ("cash", "Cash"),
                   ("ach", "Bank transfer"))
ALL_DIAGNOSES = sorted({code for lists in DIAGNOSES.values() for codes in lists for code in codes})
# Payers without a contract schedule pay this share of the practice's fees (percent), by payer.
ALLOWED_PERCENT = (58, 62, 66, 70, 74, 78, 82)


def _fields(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [str(model._meta.get_field(name).column) for name in names]  # type: ignore[union-attr]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _Table:
    """Rows of one table, appended in batches: COPY on PostgreSQL, executemany on SQLite. Values are ids, None
    and text the databases read as the column's type (see _Clock and _money); text that comes from the database
    (names, member IDs) goes through _Clock.text first."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        self.model = model
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(column) for column in _fields(model, names))
        self.width = len(names)
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        # Only quoted names from the model's metadata go into the SQL; the values are bound or copied.
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if connection.vendor == "postgresql":
                # COPY's text format, written here: psycopg's write_row, value by value, took a third of the
                # load. None comes out of str() as a whole field "None" (never the first: ids lead every row;
                # text from the database that says exactly that was escaped by _Clock.text), then is made \N;
                # twice, for two in a row.
                text = "\n".join(["\t".join(map(str, row)) for row in self.rows]) + "\n"
                text = text.replace("\tNone\t", "\t\\N\t").replace("\tNone\t", "\t\\N\t").replace(
                    "\tNone\n", "\t\\N\n")
                with raw.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    copy.write(text.encode())
            else:
                marks = ", ".join("?" * self.width)
                raw.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})",  # noqa: S608
                                self.rows)
        self.written += len(self.rows)
        self.rows = []


def _money(cents: int) -> str:
    """Cents as the text of a NUMERIC(…, 2): exact (a float holds any sum of cents seeded here to well under
    half a cent)."""
    return f"{cents / 100:.2f}"


class _Clock:
    """Days as ordinals; a day (and minutes into it, practice time) as the text each database reads back as
    that date or instant. Cached: a handful of distinct instants a day."""

    def __init__(self, zone: zoneinfo.ZoneInfo) -> None:
        self.zone = zone
        self.sqlite = connection.vendor != "postgresql"
        self._days: dict[int, str] = {}
        self._moments: dict[tuple[int, int], str] = {}

    def text(self, value: str) -> str:
        """Text from the database as COPY reads it back unchanged (backslashes, tabs, line ends escaped; a value
        that is exactly "None" written with an escape so that it is not taken for a NULL)."""
        if self.sqlite:
            return value
        value = value.translate(_COPY_ESCAPES)
        return "\\x4eone" if value == "None" else value

    def day(self, ordinal: int) -> str:
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def at(self, ordinal: int, minute: int) -> str:
        key = (ordinal, minute)
        text = self._moments.get(key)
        if text is None:
            local = dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(minute // 60, minute % 60),
                                        tzinfo=self.zone)
            utc = local.astimezone(dt.UTC).replace(tzinfo=None)
            # SQLite: naive UTC, as Django stores an aware datetime there; PostgreSQL: with its offset.
            text = self._moments[key] = f"{utc:%Y-%m-%d %H:%M:%S}" + ("" if self.sqlite else "+00")
        return text


def _weekday(ordinal: int) -> int:
    """The first Monday-to-Friday day on or after `ordinal` (offices and payers work weekdays)."""
    weekday = (ordinal - 1) % 7  # date.fromordinal(1) is a Monday
    return ordinal + (7 - weekday if weekday >= 5 else 0)


Policy = tuple[int, int, int, int | None, str, int]


@dataclass
class _Setup:
    biller_id: int
    manager_id: int
    # patient -> primary policies (pk, payer, from, to, member ID, copay in cents), the latest first
    coverages: dict[int, list[Policy]]
    names: dict[int, str]
    payers: dict[int, tuple[str, str, str]]  # pk -> name, electronic id, filing indicator
    fees: dict[str, int]  # the standard schedule, cents
    allowed: dict[int, dict[str, int]]  # payer -> code -> allowed cents
    locations: dict[int, str]  # pk -> place of service
    billing_providers: set[int]
    threshold: int  # write-offs above it wait for a senior's approval (cents)
    group_npi: str


def _refuse_if_unready(clock: _Clock) -> _Setup:
    """What the walk needs, read once; text from the database escaped for COPY (clock.text)."""
    text = clock.text
    if AuditEvent.objects.filter(action=SEEDED_ACTION).exists():
        raise SeedRefused("This database's billing has been bulk-seeded already (one bulk seed per database). "
                          "Seed a fresh demo database.")
    biller = (RoleAssignment.objects.filter(role=Role.BILLER, all_locations=True, user__is_active=True)
              .order_by("user_id").values_list("user_id", flat=True).first())
    fees = {code: round(amount * 100) for code, amount in FeeScheduleEntry.objects.filter(
        schedule__payer__isnull=True, modifier="").order_by("schedule__effective_from", "pk")
        .values_list("procedure_code", "amount")}
    if biller is None or not fees:
        raise SeedRefused("The demo practice's biller and fee schedule are missing: run `openpractice demo` on this "
                          "database first.")
    missing = {code for em, extras in VISIT_CODES.values() for code in [*em, *(c for x in extras for c in x)]
               } - set(fees)
    if missing:
        raise SeedRefused(f"The practice's fee schedule has no fee for {', '.join(sorted(missing))}.")
    manager = (RoleAssignment.objects.filter(role=Role.PRACTICE_MANAGER, tier=Tier.SENIOR, user__is_active=True)
               .order_by("user_id").values_list("user_id", flat=True).first())
    payers = {pk: (text(name), text(payer_id), text(indicator)) for pk, name, payer_id, indicator in
              Payer.objects.order_by("pk").values_list("pk", "name", "payer_id", "claim_filing_indicator")}
    allowed: dict[int, dict[str, int]] = {}
    for index, pk in enumerate(payers):
        percent = ALLOWED_PERCENT[index % len(ALLOWED_PERCENT)]
        allowed[pk] = {code: fee * percent // 100 for code, fee in fees.items()}
    for payer_id, code, amount in FeeScheduleEntry.objects.filter(schedule__payer__isnull=False, modifier="").order_by(
            "schedule__effective_from", "pk").values_list("schedule__payer_id", "procedure_code", "amount"):
        allowed[payer_id][code] = min(round(amount * 100), fees.get(code, 0))
    coverages: dict[int, list[Policy]] = defaultdict(list)
    for patient, pk, payer, start, end, member, copay in Coverage.objects.filter(rank=1).order_by(
            "patient_id", "-is_active", "-effective_from", "-pk").values_list(
            "patient_id", "pk", "payer_id", "effective_from", "effective_to", "member_id", "copay"):
        coverages[patient].append((pk, payer, start.toordinal(), end.toordinal() if end else None, text(member),
                                   round(copay * 100)))
    names = {pk: text(f"{last}, {first}".upper()[:120]) for pk, last, first in
             Patient.objects.values_list("pk", "last_name", "first_name")}
    threshold = BillingSettings.objects.filter(singleton=True).values_list(
        "write_off_approval_threshold", flat=True).first()
    if threshold is None:
        threshold = BillingSettings._meta.get_field("write_off_approval_threshold").default  # type: ignore[union-attr]
    practice = practice_get()
    return _Setup(
        biller_id=biller, manager_id=manager or biller, coverages=coverages, names=names, payers=payers,
        fees=fees, allowed=allowed,
        locations=dict(Location.objects.values_list("pk", "place_of_service")),
        billing_providers=set(Provider.objects.filter(is_billing=True).values_list("pk", flat=True)),
        threshold=round(threshold * 100), group_npi=practice.group_npi if practice else "")


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


@dataclass
class _Counts:
    charges: int = 0
    lines: int = 0
    claims: int = 0
    denials: int = 0
    write_offs: int = 0
    patient_payments: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


# Minutes into the day (practice time) at which things happen.
BUILT, SCRUBBED, ACKNOWLEDGED, APPEALED_AT, CORRECTED, SENT, POSTED, PAID_AT, WRITTEN_OFF = (
    540, 545, 480, 600, 615, 1020, 960, 690, 840)


class _Seeder:
    """Walks the visits in date order and writes what happened to each; the ledger and the claims' status history
    are held per day and written once no later visit can add to that day, so their ids follow the dates."""

    def __init__(self, setup: _Setup, *, rng: random.Random, today: int, clock: _Clock, first_claim_number: int
                 ) -> None:
        self.s = setup
        self.rng = rng
        self.today = today
        self.clock = clock
        self.counts = _Counts()
        self.number = first_claim_number
        self.ids: dict[type[models.Model], int] = {model: _next_id(model) for model in (
            Charge, ChargeDiagnosis, ChargeLine, Claim, ClaimLine, ClaimStatusChange, RemittanceClaim,
            RemittanceLine, RemittanceAdjustment, Denial, PatientPayment, WriteOff, LedgerEntry, AccountBalance)}
        self.first_remittance = max(_next_id(Remittance), _next_id(RemittanceImport))
        self.first_day = 0
        self.payer_index = {pk: index for index, pk in enumerate(sorted(setup.payers))}
        # Per remittance id: payer, day, paid, patient responsibility, adjustments (cents), claims, denied.
        self.remittances: dict[int, list[int]] = {}
        self.ledger: dict[int, list[tuple[Any, ...]]] = defaultdict(list)  # day -> entries (without id)
        self.history: dict[int, list[tuple[Any, ...]]] = defaultdict(list)  # day -> status changes (without id)
        self.t = {
            "charge": _Table(Charge, ("id", "created_at", "updated_at", "patient", "appointment", "location",
                                      "place_of_service", "rendering_provider", "billing_provider",
                                      "prior_authorization", "date_of_service", "status", "created_by")),
            "diagnosis": _Table(ChargeDiagnosis, ("id", "charge", "position", "code")),
            "charge_line": _Table(ChargeLine, (
                "id", "charge", "line_number", "procedure_code", "modifier1", "modifier2", "modifier3", "modifier4",
                "units", "service_date_from", "service_date_to", "pointer1", "amount")),
            "claim": _Table(Claim, (
                "id", "created_at", "updated_at", "claim_number", "charge", "patient", "location", "coverage",
                "payer", "payer_rank", "status", "frequency_code", "payer_claim_number", "date_of_service",
                "place_of_service", "rendering_provider", "billing_provider", "prior_authorization",
                "diagnosis_codes", "total_charge", "submitted_at", "scrubbed_at", "created_by")),
            "claim_line": _Table(ClaimLine, (
                "id", "claim", "charge_line", "line_number", "procedure_code", "modifiers", "units",
                "service_date_from", "service_date_to", "pointers", "amount")),
            "status": _Table(ClaimStatusChange, ("id", "claim", "from_status", "to_status", "source", "actor", "at",
                                                 "reason")),
            "rc": _Table(RemittanceClaim, (
                "id", "remittance", "occurrence", "claim", "match", "claim_number", "status_code", "charge_amount",
                "paid_amount", "patient_responsibility", "filing_indicator", "payer_claim_number", "patient_name",
                "member_id", "service_date", "remark_codes", "note")),
            "rl": _Table(RemittanceLine, (
                "id", "remittance_claim", "position", "claim_line", "procedure_code", "modifiers", "charge_amount",
                "paid_amount", "units", "service_date", "control_number", "allowed_amount", "remark_codes")),
            "cas": _Table(RemittanceAdjustment, ("id", "remittance_claim", "line", "group_code", "reason_code",
                                                 "amount")),
            "denial": _Table(Denial, ("id", "claim", "remittance_claim", "category", "reason_codes", "remark_codes",
                                      "amount", "status", "assigned_to", "note", "created_at", "resolved_at")),
            "payment": _Table(PatientPayment, ("id", "patient", "location", "amount", "method", "reference",
                                               "received_on", "idempotency_key", "note", "received_by",
                                               "created_at")),
            "write_off": _Table(WriteOff, ("id", "patient", "claim", "party", "location", "amount", "reason",
                                           "status", "requested_by", "requested_at", "decided_by", "decided_at",
                                           "decision_note")),
            "entry": _Table(LedgerEntry, (
                "id", "kind", "amount", "party", "patient", "payer", "location", "claim", "claim_line", "charge",
                "service_date", "posted_on", "group_code", "reason_code", "remittance_claim", "remittance",
                "payment", "memo", "created_by", "created_at")),
            "balance": _Table(AccountBalance, ("id", "key", "patient", "claim", "party", "payer", "location",
                                               "service_date", "balance", "updated_at")),
        }

    def take(self, model: type[models.Model]) -> int:
        pk = self.ids[model]
        self.ids[model] = pk + 1
        return pk

    # --- the walk ----------------------------------------------------------------------------------------------

    def run(self, visits: Sequence[tuple[int, int, int, int, int, str]]) -> None:
        """`visits`: (appointment, patient, provider, location, local day ordinal, type name), by day."""
        if visits:
            self.first_day = visits[0][4]
        current = 0
        for visit in visits:
            if visit[4] != current:
                self.flush_days(visit[4] - 1)
                current = visit[4]
            self.visit(*visit)
        self.flush_days(self.today)

    def flush_days(self, until: int) -> None:
        """Write the entries and status changes of every day up to `until`: no visit still to come (each on a
        later day) can add to them."""
        for queue, table, model in ((self.ledger, self.t["entry"], LedgerEntry),
                                    (self.history, self.t["status"], ClaimStatusChange)):
            for day in sorted(d for d in queue if d <= until):
                for row in queue.pop(day):
                    table.add((self.take(model), *row))

    def visit(self, appointment: int, patient: int, provider: int, location: int, day: int, kind: str) -> None:
        rng, s, clock = self.rng, self.s, self.clock
        charged = day + rng.choice(CHARGE_LAG)
        if charged > self.today:
            return  # still on the coder's list
        em_codes, extras = VISIT_CODES.get(kind, (["99213"], [[]]))
        codes = [rng.choice(em_codes)]
        if rng.random() < EXTRA_LINE_SHARE:
            codes += rng.choice([x for x in extras if x] or [[]])
        diagnoses: list[str] = list(rng.choice(DIAGNOSES.get(kind, [["I10"]])))
        if len(diagnoses) == 1 and rng.random() < SECOND_DIAGNOSIS_SHARE:
            second = rng.choice(ALL_DIAGNOSES)
            if second not in diagnoses:
                diagnoses.append(second)
        coverage = next((policy for policy in s.coverages.get(patient, ()) if policy[2] <= day
                         and (policy[3] is None or day <= policy[3])), None)
        charge = self.take(Charge)
        created = clock.at(charged, BUILT)
        billing_provider = provider if provider in s.billing_providers else None
        place = s.locations.get(location, "11")
        self.t["charge"].add((charge, created, created, patient, appointment, location, place, provider,
                              billing_provider, "", clock.day(day), "billed" if coverage else "open",
                              s.biller_id))
        for position, code in enumerate(diagnoses, start=1):
            self.t["diagnosis"].add((self.take(ChargeDiagnosis), charge, position, code))
        day_text = clock.day(day)
        lines: list[tuple[int, str, int]] = []  # charge line id, code, cents
        for number, code in enumerate(codes, start=1):
            line = self.take(ChargeLine)
            amount = s.fees[code]
            self.t["charge_line"].add((line, charge, number, code, "", "", "", "", "1.00", day_text, day_text, 1,
                                       _money(amount)))
            lines.append((line, code, amount))
        self.counts.charges += 1
        self.counts.lines += len(lines)
        if coverage is not None:
            _Claim(self, charge=charge, patient=patient, provider=provider, billing_provider=billing_provider,
                   location=location, place=place, day=day, charged=charged, coverage=coverage, lines=lines,
                   diagnoses=diagnoses).run()

    def remittance(self, payer: int, day: int) -> int:
        """The id of the payer's 835 payment on `day` (one a payer and day)."""
        pk = self.first_remittance + (day - self.first_day) * len(self.payer_index) + self.payer_index[payer]
        if pk not in self.remittances:
            self.remittances[pk] = [payer, day, 0, 0, 0, 0, 0]
        return pk

    def finish(self) -> None:
        for table in self.t.values():
            table.flush()
        imports = _Table(RemittanceImport, ("id", "filename", "sha256", "size", "status", "summary", "error",
                                            "imported_by", "imported_at"))
        payments = _Table(Remittance, ("id", "source", "payer", "payer_key", "payer_name", "trace_number",
                                       "payment_method", "payment_amount", "credit_debit", "payment_date",
                                       "production_date", "payee_npi", "posted_at", "posted_by"))
        clock = self.clock
        for pk in sorted(self.remittances):
            payer, day, paid, responsibility, adjusted, claims, denied = self.remittances[pk]
            name, electronic, _indicator = self.s.payers[payer]
            posted = clock.at(day, POSTED)
            summary = {"payments": 1, "claims_matched": claims, "claims_unmatched": 0, "paid_total": _money(paid),
                       "adjustment_total": _money(adjusted), "patient_responsibility_total": _money(responsibility),
                       "denied_claims": denied, "reversed_claims": 0, "duplicates_skipped": 0, "errors": [],
                       "notices": [], "dry_run": False, "import_id": pk}
            imports.add((pk, f"era-{electronic or payer}-{clock.day(day)}-{pk}.835", f"{pk:064x}",
                         900 + 420 * claims, "posted", json.dumps(summary), "", self.s.biller_id, posted))
            payments.add((pk, pk, payer, f"1{payer:09d}", name.upper()[:60], f"SEED{pk:010d}", "ACH", _money(paid),
                          "C", clock.day(day), clock.day(day - 1), self.s.group_npi, posted, self.s.biller_id))
        imports.flush()
        payments.flush()


class _Claim:
    """One primary claim's life, from its build to today: rows written as they happen."""

    def __init__(self, seeder: _Seeder, *, charge: int, patient: int, provider: int, billing_provider: int | None,
                 location: int, place: str, day: int, charged: int, coverage: Policy,
                 lines: list[tuple[int, str, int]], diagnoses: list[str]) -> None:
        self.x = seeder
        self.rng = seeder.rng
        self.pk = seeder.take(Claim)
        self.number = claim_number_format(seeder.number)
        seeder.number += 1
        self.charge, self.patient, self.provider, self.billing_provider = charge, patient, provider, billing_provider
        self.location, self.place, self.day, self.charged = location, place, day, charged
        self.coverage, self.payer = coverage[0], coverage[1]
        self.member, self.copay = coverage[4], coverage[5]
        self.diagnoses = diagnoses
        self.total = sum(amount for _line, _code, amount in lines)
        self.status = str(ClaimStatus.DRAFT)
        self.updated = charged
        self.updated_minute = BUILT
        self.submitted: int | None = None
        self.scrubbed = charged
        self.payer_claim_number = ""
        self.payer_balance = 0
        self.patient_balance = 0
        self.payer_touched: tuple[int, int] | None = None  # (day, minute) of the last payer entry
        self.patient_touched: tuple[int, int] | None = None
        self.lines: list[tuple[int, int, str, int]] = []  # claim line id, charge line id, code, cents
        day_text = seeder.clock.day(day)
        for number, (charge_line, code, amount) in enumerate(lines, start=1):
            line = seeder.take(ClaimLine)
            seeder.t["claim_line"].add((line, self.pk, charge_line, number, code, "[]", "1.00", day_text, day_text,
                                        "[1]", _money(amount)))
            self.lines.append((line, charge_line, code, amount))

    # --- writing ---

    def move(self, day: int, minute: int, to_status: str, source: str, reason: str) -> None:
        self.x.history[day].append((self.pk, self.status, str(to_status), str(source), self.x.s.biller_id,
                                    self.x.clock.at(day, minute), reason))
        self.status = str(to_status)
        self.updated, self.updated_minute = day, minute

    def entry(self, day: int, minute: int, kind: str, cents: int, party: str, *, claim_line: int | None = None,
              charge: bool = True, group: str = "", reason: str = "", remittance_claim: int | None = None,
              payment: int | None = None, memo: str = "") -> None:
        if not cents:
            return  # ledger_post skips zero amounts
        payer = self.payer if party == Party.PAYER else None
        clock = self.x.clock
        self.x.ledger[day].append((str(kind), _money(cents), str(party), self.patient, payer, self.location, self.pk,
                                   claim_line, self.charge if charge else None, clock.day(self.day), clock.day(day),
                                   group, reason, remittance_claim, None, payment, memo, self.x.s.biller_id,
                                   clock.at(day, minute)))
        if party == Party.PAYER:
            self.payer_balance += cents
            self.payer_touched = (day, minute)
        else:
            self.patient_balance += cents
            self.patient_touched = (day, minute)

    # --- the story ---

    def run(self) -> None:
        x, rng, today = self.x, self.rng, self.x.today
        try:
            self.build()
            ready = self.charged
            if rng.random() < HELD_SHARE:
                self.move(self.charged, SCRUBBED, ClaimStatus.HELD, StatusSource.SCRUBBER,
                          "scrubber: 1 error (diagnosis pointer or modifier)")
                ready = self.charged + rng.randint(1, 4)
                if ready > today:
                    return
                self.scrubbed = ready
                self.move(ready, CORRECTED, ClaimStatus.READY, StatusSource.SCRUBBER, "scrubber: no errors")
            else:
                self.move(self.charged, SCRUBBED, ClaimStatus.READY, StatusSource.SCRUBBER, "scrubber: no errors")
            sent = _weekday(ready + rng.randint(0, 1))
            if not self.send(sent):
                return
            acknowledged = sent + 1
            if acknowledged > today:
                return
            if rng.random() < REJECTED_SHARE:
                self.move(acknowledged, ACKNOWLEDGED, ClaimStatus.REJECTED, StatusSource.ACK_277CA,
                          "277CA A7:21: missing or invalid information (subscriber ID)")
                again = _weekday(acknowledged + rng.randint(2, 8))
                if again > today:
                    return
                self.scrubbed = again
                self.move(again, CORRECTED, ClaimStatus.READY, StatusSource.SCRUBBER, "scrubber: no errors")
                if not self.send(again):
                    return
                acknowledged = again + 1
                if acknowledged > today:
                    return
            self.move(acknowledged, ACKNOWLEDGED, ClaimStatus.ACCEPTED, StatusSource.ACK_277CA,
                      "277CA A2:20: accepted for adjudication")
            if rng.random() < UNANSWERED_SHARE:
                # Never answered: followed up for months, then written off as past the payer's filing limit.
                give_up = acknowledged + rng.randint(200, 400)
                if give_up <= today:
                    posted = self.write_off(give_up, Party.PAYER, self.payer_balance,
                                            "No answer from the payer within its filing limit")
                    self.move(posted, WRITTEN_OFF + 5, ClaimStatus.CLOSED, StatusSource.USER, "balance written off")
                return
            answered = _weekday(acknowledged + rng.randint(10, 30))
            if answered > today:
                return
            self.payer_claim_number = f"{x.s.payers[self.payer][1][:3] or 'PCN'}{self.pk:011d}"
            if rng.random() < DENIED_SHARE:
                self.deny(answered)
            else:
                self.pay(answered)
        finally:
            self.close()

    def build(self) -> None:
        x = self.x
        self.x.history[self.charged].append((self.pk, "", str(ClaimStatus.DRAFT), str(StatusSource.USER), x.s.biller_id,
                                             x.clock.at(self.charged, BUILT), f"built from charge {self.charge}"))
        for number, (_line, _charge_line, code, amount) in enumerate(self.lines, start=1):
            self.entry(self.charged, BUILT, EntryKind.CHARGE, amount, Party.PAYER, memo=f"line {number} {code}")

    def send(self, day: int) -> bool:
        if day > self.x.today:
            return False
        self.submitted = day
        self.move(day, SENT, ClaimStatus.SUBMITTED, StatusSource.BATCH, "sent in the day's batch to the payer")
        return True

    def answer(self, day: int, status_code: str, paid: int, responsibility: int, adjusted: int,
               remarks: list[str]) -> tuple[int, int]:
        """The claim payment (CLP) in the payer's 835 of `day`: (its id, the remittance's)."""
        x = self.x
        remittance = x.remittance(self.payer, day)
        totals = x.remittances[remittance]
        totals[2] += paid
        totals[3] += responsibility
        totals[4] += adjusted
        totals[5] += 1
        totals[6] += status_code == ClaimPaymentStatus.DENIED
        pk = x.take(RemittanceClaim)
        indicator = x.s.payers[self.payer][2]
        x.t["rc"].add((pk, remittance, 1, self.pk, "matched", self.number, str(status_code), _money(self.total),
                       _money(paid), _money(responsibility) if responsibility else None, indicator,
                       self.payer_claim_number, x.s.names.get(self.patient, ""), self.member,
                       x.clock.day(self.day), json.dumps(remarks), ""))
        return pk, remittance

    def pay(self, day: int) -> None:
        """The payer pays the allowed amount less the patient's share, line by line (CO-45 and PR adjustments);
        then the patient pays, or the share is written off, or it stays open."""
        x, rng = self.x, self.rng
        allowed_by_code = x.s.allowed[self.payer]
        roll = rng.random()
        shares: list[tuple[int, int, int, str]] = []  # allowed, paid, patient share, PR reason per line
        for index, (_line, _charge_line, code, amount) in enumerate(self.lines):
            allowed = min(amount, allowed_by_code.get(code, amount))
            if roll < 0.35:
                share, reason = 0, ""
            elif roll < 0.65 and self.copay:
                share, reason = (min(self.copay, allowed), "3") if index == 0 else (0, "")
            elif roll < 0.88:
                share, reason = allowed // 5, "2"
            else:
                share, reason = (allowed, "1") if index == 0 else (allowed // 5, "2")
            shares.append((allowed, allowed - share, share, reason))
        paid = sum(row[1] for row in shares)
        responsibility = sum(row[2] for row in shares)
        contractual = sum(amount - allowed for (_l, _c, _code, amount), (allowed, *_rest) in zip(
            self.lines, shares, strict=True))
        status_code = ClaimPaymentStatus.PRIMARY
        rc, _remittance = self.answer(day, status_code, paid, responsibility, contractual, [])
        day_text = x.clock.day(self.day)
        for position, ((line, _charge_line, code, amount), (allowed, line_paid, share, reason)) in enumerate(
                zip(self.lines, shares, strict=True), start=1):
            svc = x.take(RemittanceLine)
            x.t["rl"].add((svc, rc, position, line, code, "[]", _money(amount), _money(line_paid), "1", day_text,
                           str(line), _money(allowed), "[]"))
            if amount > allowed:
                x.t["cas"].add((x.take(RemittanceAdjustment), rc, svc, "CO", "45", _money(amount - allowed)))
            if share:
                x.t["cas"].add((x.take(RemittanceAdjustment), rc, svc, "PR", reason, _money(share)))
            self.entry(day, POSTED, EntryKind.PAYER_PAYMENT, -line_paid, Party.PAYER, claim_line=line,
                       remittance_claim=rc)
            self.entry(day, POSTED, EntryKind.CONTRACTUAL, -(amount - allowed), Party.PAYER, claim_line=line,
                       group="CO", reason="45", remittance_claim=rc)
            self.entry(day, POSTED, EntryKind.TRANSFER, -share, Party.PAYER, claim_line=line, group="PR",
                       reason=reason, remittance_claim=rc)
            self.entry(day, POSTED, EntryKind.TRANSFER, share, Party.PATIENT, claim_line=line, group="PR",
                       reason=reason, remittance_claim=rc)
        trace = f"SEED{_remittance:010d}"
        self.move(day, POSTED, ClaimStatus.PAID if self.payer_balance <= 0 else ClaimStatus.PARTIAL,
                  StatusSource.REMITTANCE, f"835 {trace}: paid {_money(paid)}")
        if responsibility:
            self.patient_pays(day, responsibility)

    def patient_pays(self, paid_on: int, owed: int) -> None:
        rng, today = self.rng, self.x.today
        roll = rng.random()
        if roll < PAID_IN_FULL_SHARE:
            self.patient_payment(paid_on + rng.randint(7, 70), owed)
        elif roll < PAID_IN_FULL_SHARE + PAID_IN_PARTS_SHARE:
            first = paid_on + rng.randint(10, 40)
            half = owed // 2
            if self.patient_payment(first, half):
                self.patient_payment(first + rng.randint(25, 60), owed - half)
        elif rng.random() < BAD_DEBT_SHARE:
            day = paid_on + rng.randint(150, 210)
            if day <= today:
                self.write_off(day, Party.PATIENT, owed, "Uncollectible after three statements (bad debt)")

    def patient_payment(self, day: int, cents: int) -> bool:
        if day > self.x.today or cents <= 0:
            return False
        x = self.x
        method, label = self.rng.choice(PAYMENT_METHODS)
        reference = f"{self.rng.randint(1000, 9999)}" if method == "check" else ""
        pk = x.take(PatientPayment)
        x.t["payment"].add((pk, self.patient, self.location, _money(cents), method, reference, x.clock.day(day), "",
                            "", x.s.biller_id, x.clock.at(day, PAID_AT)))
        self.entry(day, PAID_AT, EntryKind.PATIENT_PAYMENT, -cents, Party.PATIENT, charge=False, payment=pk,
                   memo=f"{label} payment {reference}".strip())
        x.counts.patient_payments += 1
        return True

    def write_off(self, day: int, party: str, cents: int, reason: str) -> int:
        """An approved write-off: at once up to the practice's threshold, else approved by a senior manager the
        next weekday (and posted then). Returns the day it was posted."""
        x = self.x
        pk = x.take(WriteOff)
        requested = x.clock.at(day, WRITTEN_OFF)
        posted_on = day if cents <= x.s.threshold else _weekday(day + 1)
        if posted_on > x.today:
            posted_on = day
        decided_by = None if cents <= x.s.threshold else x.s.manager_id
        x.t["write_off"].add((pk, self.patient, self.pk, str(party), self.location, _money(cents), reason, "approved",
                              x.s.biller_id, requested, decided_by, x.clock.at(posted_on, WRITTEN_OFF), ""))
        self.entry(posted_on, WRITTEN_OFF, EntryKind.WRITE_OFF, -cents, party, charge=False, memo=f"write-off {pk}")
        x.counts.write_offs += 1
        return posted_on

    def deny(self, day: int) -> None:
        """Denied: a Denial to work; appealed and paid for most, written off for the rest."""
        x, rng, today = self.x, self.rng, self.x.today
        carc, rarc, _weight = rng.choices(DENIAL_CODES, weights=[w for _c, _r, w in DENIAL_CODES])[0]
        remarks = [rarc] if rarc else []
        rc, remittance = self.answer(day, ClaimPaymentStatus.DENIED, 0, 0, 0, remarks)
        x.t["cas"].add((x.take(RemittanceAdjustment), rc, None, "CO", carc, _money(self.total)))
        self.move(day, POSTED, ClaimStatus.DENIED, StatusSource.REMITTANCE, f"835 SEED{remittance:010d}: denied")
        category, _step = categorize([carc], remarks)
        status, assigned, note, resolved = DenialStatus.OPEN, None, "", None
        give_up: int | None = None
        if rng.random() < APPEALED_SHARE:
            appealed = _weekday(day + rng.randint(5, 25))
            if appealed <= today:
                note = rng.choice(APPEAL_NOTES)
                status, assigned = DenialStatus.APPEALED, x.s.biller_id
                self.move(appealed, APPEALED_AT, ClaimStatus.APPEALED, StatusSource.USER, note)
                if rng.random() < PAID_ON_APPEAL_SHARE:
                    paid = _weekday(appealed + rng.randint(20, 75))
                    if paid <= today:
                        self.pay(paid)
                        status, resolved = DenialStatus.RESOLVED, x.clock.at(paid, POSTED)
                else:
                    give_up = appealed + rng.randint(90, 150)
        else:
            give_up = day + rng.randint(60, 200)
        if give_up is not None and give_up <= today:
            posted = self.write_off(give_up, Party.PAYER, self.payer_balance,
                                    f"Denied ({category.label}): not recoverable")
            self.move(posted, WRITTEN_OFF + 5, ClaimStatus.CLOSED, StatusSource.USER, "balance written off")
            status, resolved = DenialStatus.WRITTEN_OFF, x.clock.at(posted, WRITTEN_OFF)
        x.t["denial"].add((x.take(Denial), self.pk, rc, str(category), json.dumps([carc]), json.dumps(remarks),
                           _money(self.total), str(status), assigned, note, x.clock.at(day, POSTED), resolved))
        x.counts.denials += 1

    def close(self) -> None:
        """The claim row as it stands today, and its account balances."""
        x = self.x
        clock = x.clock
        x.t["claim"].add((
            self.pk, clock.at(self.charged, BUILT), clock.at(self.updated, self.updated_minute), self.number,
            self.charge, self.patient, self.location, self.coverage, self.payer, 1, self.status, "1",
            self.payer_claim_number, clock.day(self.day), self.place, self.provider, self.billing_provider, "",
            json.dumps(self.diagnoses), _money(self.total),
            clock.at(self.submitted, SENT) if self.submitted is not None else None,
            clock.at(self.scrubbed, SCRUBBED), x.s.biller_id))
        x.counts.claims += 1
        x.counts.statuses[self.status] += 1
        for party, balance, touched in ((Party.PAYER, self.payer_balance, self.payer_touched),
                                        (Party.PATIENT, self.patient_balance, self.patient_touched)):
            if touched is None:
                continue
            payer = self.payer if party == Party.PAYER else None
            x.t["balance"].add((x.take(AccountBalance), f"{self.patient}:{self.pk}:{party}:{payer or 0}",
                                self.patient, self.pk, str(party), payer, self.location, clock.day(self.day),
                                _money(balance), clock.at(*touched)))

SWITCHED_PAYER_SHARE = 0.4  # of earlier policies: with another payer than today's


def _earlier_policies(setup: _Setup, *, first_day: int, rng: random.Random, clock: _Clock) -> int:
    """An ended primary policy before today's for every covered patient whose policy started after the first
    seeded visit (the bulk patients' policies start up to six years back, so without these half the five years'
    visits would be self-pay). Returns how many were added. Same payer or another one; same subscriber."""
    plans: dict[int, list[int]] = defaultdict(list)
    for plan, payer in PayerPlan.objects.filter(is_active=True).order_by("pk").values_list("pk", "payer_id"):
        plans[payer].append(plan)
    payer_ids = sorted(setup.payers)
    current: dict[int, tuple[str, str, str, dt.date | None, str, str]] = {
        pk: (relationship, first, last, born, sex, group) for pk, relationship, first, last, born, sex, group in
        Coverage.objects.filter(rank=1, is_active=True, effective_to__isnull=True).values_list(
            "pk", "subscriber_relationship", "subscriber_first_name", "subscriber_last_name",
            "subscriber_date_of_birth", "subscriber_sex", "group_number")}
    table = _Table(Coverage, (
        "id", "created_at", "updated_at", "patient", "rank", "payer", "plan", "member_id", "group_number",
        "subscriber_relationship", "subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth",
        "subscriber_sex", "subscriber_address_line1", "subscriber_address_line2", "subscriber_city",
        "subscriber_state", "subscriber_postal_code", "effective_from", "effective_to", "copay", "is_active"))
    pk = _next_id(Coverage)
    for patient in sorted(setup.coverages):
        policies = setup.coverages[patient]
        latest = policies[0]
        if latest[0] not in current or any(policy[2] <= first_day for policy in policies):
            continue
        payer = latest[1] if rng.random() >= SWITCHED_PAYER_SHARE else rng.choice(payer_ids)
        start, end = first_day - rng.randint(30, 900), min(policy[2] for policy in policies) - 1
        relationship, first, last, born, sex, group = current[latest[0]]
        first, last, group = clock.text(first), clock.text(last), clock.text(group)
        member = f"{(setup.payers[payer][1] or 'MBR')[:3]}{rng.randint(10**8, 10**9 - 1)}"
        copay = latest[5]
        created = clock.at(start, BUILT)
        table.add((pk, created, created, patient, 1, payer, rng.choice(plans[payer]) if plans[payer] else None,
                   member, group, relationship, first, last, clock.day(born.toordinal()) if born else None, sex,
                   "", "", "", "", "", clock.day(start), clock.day(end), _money(copay), False))
        policies.append((pk, payer, start, end, member, copay))
        pk += 1
    table.flush()
    return table.written


def _visits(zone: zoneinfo.ZoneInfo, now: dt.datetime) -> list[tuple[int, int, int, int, int, str]]:
    """Checked-out visits without a charge, by time: (appointment, patient, provider, location, day, type)."""
    rows = []
    for pk, patient, provider, location, starts_at, kind in (
            Appointment.objects.filter(status=AppointmentStatus.COMPLETED, starts_at__lt=now, charge__isnull=True)
            .order_by("starts_at", "pk").values_list("pk", "patient_id", "provider_id", "location_id", "starts_at",
                                                     "appointment_type__name").iterator(chunk_size=20_000)):
        rows.append((pk, patient, provider, location, starts_at.astimezone(zone).date().toordinal(), kind))
    rows.sort(key=lambda row: row[4])  # stable: by local day, then as read
    return rows


def _drop_indexes(tables: Sequence[str]) -> list[str]:
    """Drop the plain (non-constraint) indexes of `tables` and return the statements that build them again: one
    sorted build per index after the load is several times faster than keeping them up to date row by row
    (COPY into the ledger: 2.2 s without its indexes, 9.2 s with them, at 380,000 rows). Unique and primary key
    constraints stay. Inside the seed's transaction: a failure restores them with everything else."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT i.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
                " ORDER BY 1", [list(tables)])
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"  # noqa: S608
                           f" AND tbl_name IN ({marks}) ORDER BY name", list(tables))
        found = cursor.fetchall()
        for name, _definition in found:
            # Index names as the database's catalogue gives them (quoted there on PostgreSQL).
            cursor.execute(f"DROP INDEX {name if connection.vendor == 'postgresql' else connection.ops.quote_name(name)}")
    return [definition for _name, definition in found]


def _build_indexes(tables: Sequence[str], definitions: Sequence[str]) -> None:
    """Build the dropped indexes again. PostgreSQL refuses to build an index on a table with foreign key checks
    still pending in the transaction (rows an earlier step inserted, or these rows when the checks could not be
    switched off): those checks are run first, by making the tables' deferred foreign keys immediate for a moment."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                           " WHERE t.relname = ANY(%s) AND c.contype = 'f' AND c.condeferrable AND c.condeferred"
                           " ORDER BY 1", [list(tables)])
            names = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
            if names:  # constraint names from the catalogue
                cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
                cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # sorts for the builds, this transaction only
        for definition in definitions:
            cursor.execute(definition)  # the definitions the catalogue gave


def _unchecked_foreign_keys() -> bool:
    """PostgreSQL: stop checking foreign keys row by row for this transaction (the rows are consistent by
    construction; millions of deferred checks would take most of the time). Needs a superuser; otherwise the
    checks stay on, which is slower but as correct."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


@large_seeder(60)
def seed_billing(context: dict[str, Any]) -> None:
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    clock = _Clock(zone)
    setup = _refuse_if_unready(clock)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(zone).date().toordinal()
    visits = _visits(zone, now)
    if not visits:
        raise SeedRefused("There are no checked-out visits to bill: run the scheduling seed first.")
    counter = ControlNumber.objects.select_for_update().filter(name=CLAIM_NUMBER).values_list(
        "last_value", flat=True).first()
    first_number = (counter or 0) + 1
    unchecked = _unchecked_foreign_keys()
    policies = _earlier_policies(setup, first_day=visits[0][4], rng=random.Random(context["seed"] * 1_000 + 61),
                                 clock=clock)
    seeder = _Seeder(setup, rng=random.Random(context["seed"] * 1_000 + 60), today=today, clock=clock,
                     first_claim_number=first_number)
    tables = [str(table.model._meta.db_table) for table in seeder.t.values()] + [
        Remittance._meta.db_table, RemittanceImport._meta.db_table]
    indexes = _drop_indexes(tables)
    seeder.run(visits)
    seeder.finish()
    _build_indexes(tables, indexes)
    used = seeder.number - first_number
    if used and control_number_next(CLAIM_NUMBER, count=used) != first_number:
        raise RuntimeError("claim numbers were taken while seeding")  # the counter is locked: cannot happen
    with connection.cursor() as cursor:
        if unchecked:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        if connection.vendor == "postgresql":
            seeded: list[type[models.Model]] = [*seeder.ids, Remittance, RemittanceImport, Coverage]
            for model in seeded:
                table = model._meta.db_table
                # Table names from the models' metadata only.
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    counts = seeder.counts
    entries = seeder.t["entry"].written
    record(actor=None, action=SEEDED_ACTION, object_type="billing.claim",
           changed_fields=["charges", "claims", "remittances", "denials", "patient_payments", "write_offs",
                           "ledger", "coverages"],
           reason=f"seed --size {context['size']}: {counts.charges} charges ({counts.lines} lines), "
                  f"{counts.claims} claims, {len(seeder.remittances)} remittances, {counts.denials} denials, "
                  f"{counts.patient_payments} patient payments, {counts.write_offs} write-offs, {entries} ledger "
                  f"entries, {policies} earlier (ended) primary policies")
    context["report"].append(f"{counts.charges:,} charges ({counts.lines:,} lines), {counts.claims:,} claims, "
                             f"{counts.denials:,} denials, {entries:,} ledger entries")
    context["billing"] = {"charges": counts.charges, "charge_lines": counts.lines, "claims": counts.claims,
                          "denials": counts.denials, "ledger_entries": entries,
                          "balances": seeder.t["balance"].written, "remittances": len(seeder.remittances),
                          "patient_payments": counts.patient_payments, "write_offs": counts.write_offs,
                          "earlier_policies": policies,
                          "claim_statuses": dict(counts.statuses)}
