"""`openpractice seed --size small` with billing: charges for the visits, claims and their money, consistent with the
ledger's rules, once per database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models, transaction
from django.db.models import Count, Sum

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import CLAIM_TRANSITIONS, ChargeStatus, ClaimStatus, EntryKind, Party
from openpractice.billing.models import (
    AccountBalance,
    Charge,
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatusChange,
    Denial,
    LedgerEntry,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
)
from openpractice.billing.seed_large import seed_billing
from openpractice.billing.selectors.receivables import aging_summary, practice_kpis
from openpractice.billing.services.ledger import ledger_differences
from openpractice.billing.services.numbers import CLAIM_NUMBER, control_number_next
from openpractice.core.seeding import SeedRefused
from openpractice.core.selectors import practice_today
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo practice with the small bulk seed, made once for this module (a minute of work) inside a
    transaction rolled back after its last test; each test runs in a savepoint inside it. Returns what billing
    held before the seed."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("demo", stdout=StringIO(), stderr=StringIO())
            before = {"charges": set(Charge.objects.values_list("pk", flat=True)),
                      "claims": set(Claim.objects.values_list("pk", flat=True)),
                      "indexes": _indexes(), "out": StringIO()}
            call_command("seed", size="small", stdout=before["out"])
            yield before
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once: dict[str, Any], db: None) -> dict[str, Any]:
    return seeded_once


def _indexes() -> set[str]:
    """The names of the billing tables' indexes, as the database lists them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'billing_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'billing_%'")
        return {row[0] for row in cursor.fetchall()}


def _cents(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def test_seed_small_charges_the_visits_bills_the_covered_ones_and_writes_one_audit_event(
        seeded: dict[str, Any]) -> None:
    new_charges = Charge.objects.exclude(pk__in=seeded["charges"])
    # Every checked-out visit up to a few days ago has its charge (the last days' may wait for the coder).
    uncharged = Appointment.objects.filter(status=AppointmentStatus.COMPLETED, charge__isnull=True,
                                           starts_at__date__lt=practice_today() - dt.timedelta(days=3))
    assert not uncharged.exists()
    assert not new_charges.exclude(appointment__status=AppointmentStatus.COMPLETED).exists()
    charges = new_charges.count()
    assert charges > 7_000
    lines = ChargeLine.objects.filter(charge__in=new_charges).count()
    assert 1.1 * charges <= lines <= 1.4 * charges
    claims = Claim.objects.exclude(pk__in=seeded["claims"])
    # Most visits are billed; self-pay visits keep an open charge, without a claim.
    assert 0.7 * charges <= claims.count() <= 0.9 * charges
    assert not new_charges.filter(status=ChargeStatus.OPEN, claims__isnull=False).exists()
    assert new_charges.filter(status=ChargeStatus.BILLED).count() == claims.count()
    # A claim bills what its charge holds, line by line.
    assert ClaimLine.objects.filter(claim__in=claims).count() == ChargeLine.objects.filter(
        charge__claims__in=claims).count()
    for claim in claims.annotate(lines_total=Sum("lines__amount")).order_by("pk")[:200]:
        assert claim.lines_total == claim.total_charge
    assert AuditEvent.objects.filter(action="billing.bulk_seeded").count() == 1
    assert "charges" in seeded["out"].getvalue()
    # The claim numbers seeded are taken: the next claim gets a number after them.
    top = max(int(number[2:]) for number in claims.values_list("claim_number", flat=True))
    assert control_number_next(CLAIM_NUMBER) == top + 1
    # The indexes dropped for the load are back.
    assert _indexes() == seeded["indexes"]


def test_seeded_balances_equal_the_sums_of_their_ledger_entries(seeded: dict[str, Any]) -> None:
    assert ledger_differences() == []
    assert LedgerEntry.objects.count() > 30_000
    # Each claim's charge entries add up to its total; payer and patient money moves only through entries.
    charged = dict(LedgerEntry.objects.filter(kind=EntryKind.CHARGE).exclude(claim__pk__in=seeded["claims"])
                   .values_list("claim_id").annotate(total=Sum("amount")))
    for pk, total in Claim.objects.exclude(pk__in=seeded["claims"]).values_list("pk", "total_charge"):
        assert _cents(charged[pk]) == total
    assert not AccountBalance.objects.filter(party=Party.PAYER, payer__isnull=True).exists()


def test_seeded_remittances_balance_as_an_835_does(seeded: dict[str, Any]) -> None:
    """BPR02 = the sum of CLP04; for a claim payment CLP03 - CLP04 = the sum of its CAS amounts; for a line
    SVC02 - SVC03 = the sum of its CAS amounts."""
    seeded_payments = RemittanceClaim.objects.exclude(claim__pk__in=seeded["claims"]).exclude(claim__isnull=True)
    paid = dict(seeded_payments.values_list("remittance_id").annotate(total=Sum("paid_amount")))
    for pk, amount in Remittance.objects.filter(pk__in=list(paid)).values_list("pk", "payment_amount"):
        assert amount == _cents(paid[pk])
    adjusted: dict[int, Decimal] = defaultdict(Decimal)
    for pk, amount in RemittanceAdjustment.objects.filter(remittance_claim__in=seeded_payments).values_list(
            "remittance_claim_id", "amount"):
        adjusted[pk] += amount
    for payment in seeded_payments:
        assert payment.charge_amount - payment.paid_amount == adjusted[payment.pk]
    for line in RemittanceLine.objects.filter(remittance_claim__in=seeded_payments).annotate(
            cas=Sum("adjustments__amount")).order_by("pk")[:500]:
        assert line.charge_amount - line.paid_amount == _cents(line.cas)


def test_seeded_claims_moved_only_as_the_lifecycle_allows_and_stand_where_their_history_ends(
        seeded: dict[str, Any]) -> None:
    claims = Claim.objects.exclude(pk__in=seeded["claims"])
    last: dict[int, str] = {}
    for claim_id, from_status, to_status in ClaimStatusChange.objects.filter(claim__in=claims).order_by(
            "claim_id", "at", "pk").values_list("claim_id", "from_status", "to_status"):
        if from_status:
            assert to_status in CLAIM_TRANSITIONS[from_status], (claim_id, from_status, to_status)
            assert last[claim_id] == from_status
        else:
            assert to_status == ClaimStatus.DRAFT
        last[claim_id] = to_status
    statuses = dict(claims.values_list("pk", "status"))
    assert last == statuses
    counts = dict(claims.values_list("status").annotate(n=Count("pk")))
    assert counts[ClaimStatus.PAID] > 0.85 * len(statuses)
    for status in (ClaimStatus.ACCEPTED, ClaimStatus.CLOSED):
        assert counts.get(status, 0) > 0


def test_seeded_receivables_give_realistic_kpis_and_aging(seeded: dict[str, Any]) -> None:
    biller = User.objects.get(username="biller")
    # A quarter that ends before the demo's own weeks: at size small the demo's visits, dense and recent (charged,
    # mostly not paid yet), would outweigh the bulk seed's in the last 90 days.
    end = practice_today() - dt.timedelta(days=45)
    kpis = practice_kpis(actor=biller, start=end - dt.timedelta(days=89), end=end)
    for kpi, low, high in ((kpis.days_in_ar, 20, 70), (kpis.clean_claim_rate, 88, 99), (kpis.denial_rate, 3, 12),
                           (kpis.net_collection_rate, 85, 100), (kpis.ar_over_120, 5, 35)):
        assert kpi.value is not None, kpi.key
        assert low <= kpi.value <= high, (kpi.key, kpi.value)
    aging = aging_summary(actor=biller)
    open_total = _cents(AccountBalance.objects.exclude(balance=0).aggregate(total=Sum("balance"))["total"])
    assert aging.total.total == open_total
    assert all(amount > 0 for amount in aging.payer_total.amounts)
    assert all(amount > 0 for amount in aging.patients.amounts)
    denials = Denial.objects.exclude(claim__pk__in=seeded["claims"])
    adjudicated = RemittanceClaim.objects.exclude(claim__pk__in=seeded["claims"]).values("claim").distinct().count()
    assert 0.04 * adjudicated <= denials.count() <= 0.10 * adjudicated
    assert {"open", "resolved", "written_off"} <= set(denials.values_list("status", flat=True))


def test_seeded_rows_point_only_at_rows_that_exist(seeded: dict[str, Any]) -> None:
    """The load does not check foreign keys row by row (PostgreSQL): every reference is checked here."""
    broken = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("billing").get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey):
                    continue
                target = field.related_model._meta  # type: ignore[union-attr]
                table, column = model._meta.db_table, field.column
                cursor.execute(  # names from the models' metadata only
                    f"SELECT COUNT(*) FROM {table} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target.db_table} p WHERE p.{target.pk.column} = c.{column})")
                if cursor.fetchone()[0]:
                    broken.append(f"{table}.{column}")
    assert broken == []


def test_a_second_billing_seed_is_refused_and_adds_nothing(seeded: dict[str, Any]) -> None:
    counts = (Charge.objects.count(), Claim.objects.count(), LedgerEntry.objects.count(),
              AccountBalance.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError, match="bulk-seeded already"):
        call_command("seed", size="small", stdout=StringIO())
    with pytest.raises(SeedRefused, match="billing has been bulk-seeded already"):
        seed_billing({"size": "small", "seed": 1, "report": []})
    assert (Charge.objects.count(), Claim.objects.count(), LedgerEntry.objects.count(),
            AccountBalance.objects.count(), AuditEvent.objects.count()) == counts
