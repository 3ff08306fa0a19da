"""A/R aging, the KPIs, payer performance by code and underpayments, on known ledger and remittance data: every
bucket, total, numerator and denominator is checked against figures worked out by hand, and another location's
money stays invisible."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.billing.choices import (
    ClaimPaymentStatus,
    ClaimStatus,
    DenialCategory,
    EntryKind,
    Party,
    RemittanceClaimMatch,
    RemittanceImportStatus,
    StatusSource,
)
from openpractice.billing.models import (
    Claim,
    ClaimStatusChange,
    Denial,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
)
from openpractice.billing.selectors import receivables as selectors
from openpractice.billing.services.ledger import NewEntry, ledger_post
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory, make_claim
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

AS_OF = dt.date(2026, 11, 27)
_traces = count(1)


# --- shared helpers (the view and denial tests use them too) ---------------------------------------------------


def claim_for(location: Any, actor: Any, *, payer: Any, days_old: int = 10, amount: str = "100.00",
              code: str = "99213", status: str = ClaimStatus.ACCEPTED, patient: Any = None,
              as_of: dt.date = AS_OF) -> Claim:
    """A claim at `location` billed to `payer`, its date of service `days_old` days before `as_of`."""
    coverage = patient.coverages.filter(payer=payer).first() if patient is not None else None
    if coverage is None:
        coverage = CoverageFactory(patient=patient or PatientFactory(home_location=location), payer=payer)
    return make_claim(location=location, actor=actor, status=status, coverage=coverage,
                      date_of_service=as_of - dt.timedelta(days=days_old), lines=((code, Decimal(amount)),))


def post(claim: Claim, actor: Any, kind: str, amount: str, *, party: str = Party.PAYER,
         posted_on: dt.date | None = None) -> None:
    """One ledger entry on the claim (signed as the ledger wants it)."""
    ledger_post(actor=actor, posted_on=posted_on or claim.date_of_service, entries=[NewEntry(
        kind=kind, amount=Decimal(amount), party=party, patient_id=claim.patient_id, location_id=claim.location_id,
        payer_id=claim.payer_id if party == Party.PAYER else None, claim_id=claim.pk,
        service_date=claim.date_of_service)])


def to_patient(claim: Claim, actor: Any, amount: str, *, posted_on: dt.date | None = None) -> None:
    """Move `amount` from the payer to the patient (a PR transfer: a pair adding up to zero)."""
    value = Decimal(amount)
    common = {"patient_id": claim.patient_id, "location_id": claim.location_id, "claim_id": claim.pk,
              "service_date": claim.date_of_service}
    ledger_post(actor=actor, posted_on=posted_on or claim.date_of_service, entries=[
        NewEntry(kind=EntryKind.TRANSFER, amount=-value, party=Party.PAYER, payer_id=claim.payer_id, **common),
        NewEntry(kind=EntryKind.TRANSFER, amount=value, party=Party.PATIENT, **common)])


def remittance(actor: Any, payer: Any, *, paid_on: dt.date, amount: str = "0.00") -> Remittance:
    number = next(_traces)
    source = RemittanceImport.objects.create(
        filename=f"era{number}.835", sha256=hashlib.sha256(str(number).encode()).hexdigest(), size=100,
        status=RemittanceImportStatus.POSTED, imported_by=actor)
    return Remittance.objects.create(source=source, payer=payer, payer_key=f"PAYER{payer.pk}",
                                     payer_name=payer.name, trace_number=f"TRN{number:06d}",
                                     payment_amount=Decimal(amount), payment_date=paid_on, posted_by=actor)


def claim_payment(payment: Remittance, claim: Claim, *, status: str = ClaimPaymentStatus.PRIMARY,
                  paid: str = "0.00", charged: str | None = None, payer_claim_number: str = "PCN1") -> RemittanceClaim:
    return RemittanceClaim.objects.create(
        remittance=payment, claim=claim, match=RemittanceClaimMatch.MATCHED, claim_number=claim.claim_number,
        status_code=status, charge_amount=Decimal(charged or claim.total_charge), paid_amount=Decimal(paid),
        payer_claim_number=payer_claim_number, service_date=claim.date_of_service)


def paid_line(payment: RemittanceClaim, *, code: str = "99213", charged: str = "125.00", paid: str = "0.00",
              allowed: str | None = None, modifiers: tuple[str, ...] = (), position: int = 1,
              adjustments: tuple[tuple[str, str, str], ...] = ()) -> RemittanceLine:
    claim_line = payment.claim.lines.order_by("line_number").first() if payment.claim else None
    line = RemittanceLine.objects.create(
        remittance_claim=payment, position=position, claim_line=claim_line, procedure_code=code,
        modifiers=list(modifiers), charge_amount=Decimal(charged), paid_amount=Decimal(paid),
        allowed_amount=Decimal(allowed) if allowed is not None else None, service_date=payment.service_date)
    for group, reason, amount in adjustments:
        RemittanceAdjustment.objects.create(remittance_claim=payment, line=line, group_code=group,
                                            reason_code=reason, amount=Decimal(amount))
    return line


def denial_of(claim: Claim, actor: Any, *, category: str = DenialCategory.AUTHORIZATION,
              reasons: tuple[str, ...] = ("197",), remarks: tuple[str, ...] = ("N54",), amount: str = "100.00",
              paid_on: dt.date = AS_OF) -> Denial:
    """A denial as 835 posting raises it: a denied claim payment (CLP02 = 4) and its Denial row."""
    payment = claim_payment(remittance(actor, claim.payer, paid_on=paid_on), claim, status=ClaimPaymentStatus.DENIED)
    return Denial.objects.create(claim=claim, remittance_claim=payment, category=category,
                                 reason_codes=list(reasons), remark_codes=list(remarks), amount=Decimal(amount))


def status_change(claim: Claim, to_status: str, at: dt.datetime, from_status: str = "") -> None:
    ClaimStatusChange.objects.create(claim=claim, from_status=from_status, to_status=to_status,
                                     source=StatusSource.USER, at=at)


def moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
def biller(make_user: Any) -> Any:
    return make_user(Role.BILLER)


@pytest.fixture
def payers() -> tuple[Any, Any]:
    return PayerFactory(name="Acme Health"), PayerFactory(name="Blue Plan")


@pytest.fixture
def ledger(north: Any, south: Any, biller: Any, payers: tuple[Any, Any]) -> dict[str, Claim]:
    """Known balances at North (and one at South):
    - Acme: 100 at 10 days, 200 at 45 days, 300 at 75 days (of which 50 moved to the patient), 400 at 100 days;
    - Blue: 500 at 200 days, and a claim at 20 days paid in full (zero balance, invisible);
    - South: Acme 1,000 at 10 days."""
    acme, blue = payers
    claims = {
        "acme_10": claim_for(north, biller, payer=acme, days_old=10, amount="100.00"),
        "acme_45": claim_for(north, biller, payer=acme, days_old=45, amount="200.00"),
        "acme_75": claim_for(north, biller, payer=acme, days_old=75, amount="300.00"),
        "acme_100": claim_for(north, biller, payer=acme, days_old=100, amount="400.00"),
        "blue_200": claim_for(north, biller, payer=blue, days_old=200, amount="500.00"),
        "blue_paid": claim_for(north, biller, payer=blue, days_old=20, amount="80.00"),
        "south": claim_for(south, biller, payer=acme, days_old=10, amount="1000.00"),
    }
    for claim in claims.values():
        post(claim, biller, EntryKind.CHARGE, str(claim.total_charge))
    to_patient(claims["acme_75"], biller, "50.00")
    post(claims["blue_paid"], biller, EntryKind.PAYER_PAYMENT, "-80.00")
    return claims


# --- aging -----------------------------------------------------------------------------------------------------


def test_aging_puts_each_balance_in_the_bucket_of_its_date_of_service(ledger: Any, biller: Any,
                                                                       payers: Any) -> None:
    aging = selectors.aging_summary(actor=biller, as_of=AS_OF)
    acme, blue = (next(row for row in aging.payers if row.payer_id == payer.pk) for payer in payers)
    assert acme.amounts == (Decimal("1100.00"), Decimal("200.00"), Decimal("250.00"), Decimal("400.00"), 0)
    assert acme.total == Decimal("1950.00")
    assert blue.amounts == (0, 0, 0, 0, Decimal("500.00"))
    assert aging.patients.amounts == (0, 0, Decimal("50.00"), 0, 0)
    assert aging.payer_total.total == Decimal("2450.00")
    assert aging.total.amounts == (Decimal("1100.00"), Decimal("200.00"), Decimal("300.00"), Decimal("400.00"),
                                   Decimal("500.00"))
    assert aging.total.total == Decimal("2500.00")


def test_balances_paid_in_full_are_not_in_the_aging(ledger: Any, biller: Any) -> None:
    balances = selectors.aging_claims(actor=biller, as_of=AS_OF)
    assert ledger["blue_paid"].pk not in {balance.claim_id for balance in balances}
    assert selectors.aging_summary(actor=biller, as_of=AS_OF).total.count == 7  # 6 payer balances + 1 patient


def test_bucket_edges_are_30_60_90_and_120_days() -> None:
    ages = {0: 0, 30: 0, 31: 1, 60: 1, 61: 2, 90: 2, 91: 3, 120: 3, 121: 4, 5000: 4}
    for days, index in ages.items():
        assert selectors.bucket_of(AS_OF - dt.timedelta(days=days), AS_OF).index == index
    assert selectors.bucket_of(None, AS_OF).index == 0
    assert selectors.bucket_of(AS_OF + dt.timedelta(days=3), AS_OF).index == 0


def test_a_biller_of_one_location_sees_only_that_locations_balances(ledger: Any, make_user: Any, north: Any,
                                                                    south: Any) -> None:
    at_north = make_user(Role.BILLER, locations=[north])
    at_south = make_user(Role.BILLER, locations=[south])
    assert selectors.aging_summary(actor=at_north, as_of=AS_OF).total.total == Decimal("1500.00")
    assert selectors.aging_summary(actor=at_south, as_of=AS_OF).total.total == Decimal("1000.00")
    assert ledger["south"].pk not in {b.claim_id for b in selectors.aging_claims(actor=at_north, as_of=AS_OF)}


def test_someone_without_billing_view_sees_no_balance(ledger: Any, make_user: Any) -> None:
    front_desk = make_user(Role.FRONT_DESK)
    aging = selectors.aging_summary(actor=front_desk, as_of=AS_OF)
    assert aging.total.total == 0
    assert aging.payers == []


def test_narrowing_to_a_location_keeps_only_its_balances(ledger: Any, biller: Any, south: Any) -> None:
    assert selectors.aging_summary(actor=biller, as_of=AS_OF, location_id=south.pk).total.total == Decimal("1000.00")


def test_drill_down_of_a_payer_bucket_lists_its_claims(ledger: Any, biller: Any, payers: Any) -> None:
    acme = payers[0]
    cell = selectors.aging_claims(actor=biller, as_of=AS_OF, party=Party.PAYER, payer_id=acme.pk, bucket=0)
    assert {b.claim_id for b in cell} == {ledger["acme_10"].pk, ledger["south"].pk}
    older = selectors.aging_claims(actor=biller, as_of=AS_OF, party=Party.PAYER, payer_id=acme.pk, bucket=2)
    assert [(b.claim_id, b.balance) for b in older] == [(ledger["acme_75"].pk, Decimal("250.00"))]


def test_aging_by_patient_groups_the_patients_balances(ledger: Any, biller: Any) -> None:
    claim = ledger["acme_75"]
    other = claim_for(claim.location, biller, payer=claim.payer, days_old=130, patient=claim.patient)
    post(other, biller, EntryKind.CHARGE, "100.00")
    to_patient(other, biller, "30.00")
    rows = selectors.patient_aging_rows(selectors.aging_by_patient(actor=biller, as_of=AS_OF))
    assert len(rows) == 1
    assert rows[0].patient_id == claim.patient_id
    assert rows[0].amounts == (0, 0, Decimal("50.00"), 0, Decimal("30.00"))
    assert rows[0].total == Decimal("80.00")
    assert rows[0].count == 2
    mine = selectors.aging_claims(actor=biller, as_of=AS_OF, party=Party.PATIENT, patient_id=claim.patient_id)
    assert {b.claim_id for b in mine} == {claim.pk, other.pk}


def test_patients_sort_by_what_they_owe_over_120_days(biller: Any, north: Any, payers: Any) -> None:
    young = claim_for(north, biller, payer=payers[0], days_old=5)
    old = claim_for(north, biller, payer=payers[0], days_old=150)
    for claim, amount in ((young, "90.00"), (old, "10.00")):
        post(claim, biller, EntryKind.CHARGE, "100.00")
        to_patient(claim, biller, amount)
    by_total = list(selectors.aging_by_patient(actor=biller, as_of=AS_OF))
    by_over = list(selectors.aging_by_patient(actor=biller, as_of=AS_OF, sort="-over"))
    assert [row["patient_id"] for row in by_total] == [young.patient_id, old.patient_id]
    assert [row["patient_id"] for row in by_over] == [old.patient_id, young.patient_id]


# --- KPIs ------------------------------------------------------------------------------------------------------


def test_days_in_ar_divides_total_ar_by_the_average_daily_charge_of_90_days(biller: Any, north: Any,
                                                                            payers: Any) -> None:
    acme = payers[0]
    # 9,000 charged in the 90 days to AS_OF (100 a day), and 5,000 charged before that (not counted).
    recent = claim_for(north, biller, payer=acme, days_old=30, amount="9000.00")
    post(recent, biller, EntryKind.CHARGE, "9000.00", posted_on=AS_OF - dt.timedelta(days=89))
    old = claim_for(north, biller, payer=acme, days_old=200, amount="5000.00")
    post(old, biller, EntryKind.CHARGE, "5000.00", posted_on=AS_OF - dt.timedelta(days=90))
    post(recent, biller, EntryKind.PAYER_PAYMENT, "-8000.00", posted_on=AS_OF - dt.timedelta(days=10))
    post(old, biller, EntryKind.PAYER_PAYMENT, "-2500.00", posted_on=AS_OF - dt.timedelta(days=100))
    kpis = selectors.practice_kpis(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF)
    assert kpis.days_in_ar.numerator == Decimal("3500.00")  # 1,000 + 2,500 still open
    assert kpis.days_in_ar.denominator == Decimal("100.00")
    assert kpis.days_in_ar.value == Decimal("35.0")
    assert kpis.ar_over_120.numerator == Decimal("2500.00")
    assert kpis.ar_over_120.denominator == Decimal("3500.00")
    assert kpis.ar_over_120.value == Decimal("71.4")


def test_ar_at_a_past_date_takes_back_what_was_posted_after_it(biller: Any, north: Any, payers: Any) -> None:
    claim = claim_for(north, biller, payer=payers[0], days_old=60, amount="900.00")
    post(claim, biller, EntryKind.CHARGE, "900.00", posted_on=AS_OF - dt.timedelta(days=60))
    post(claim, biller, EntryKind.PAYER_PAYMENT, "-600.00", posted_on=AS_OF - dt.timedelta(days=5))
    end = AS_OF - dt.timedelta(days=10)
    kpis = selectors.practice_kpis(actor=biller, start=end - dt.timedelta(days=89), end=end)
    assert kpis.days_in_ar.numerator == Decimal("900.00")  # the payment came after `end`
    assert kpis.days_in_ar.denominator == Decimal("10.00")
    assert kpis.days_in_ar.value == Decimal("90.0")


def test_net_collection_rate_is_payments_over_charges_less_contractual_adjustments(
        biller: Any, north: Any, payers: Any) -> None:
    claim = claim_for(north, biller, payer=payers[0], days_old=20, amount="1000.00")
    day = AS_OF - dt.timedelta(days=15)
    post(claim, biller, EntryKind.CHARGE, "1000.00", posted_on=day)
    post(claim, biller, EntryKind.CONTRACTUAL, "-300.00", posted_on=day)
    post(claim, biller, EntryKind.PAYER_PAYMENT, "-500.00", posted_on=day)
    to_patient(claim, biller, "200.00", posted_on=day)
    post(claim, biller, EntryKind.PATIENT_PAYMENT, "-100.00", party=Party.PATIENT, posted_on=day)
    post(claim, biller, EntryKind.REFUND, "50.00", party=Party.PATIENT, posted_on=day)
    kpis = selectors.practice_kpis(actor=biller, start=AS_OF - dt.timedelta(days=29), end=AS_OF)
    rate = kpis.net_collection_rate
    assert rate.numerator == Decimal("550.00")  # 500 + 100 - 50 refunded
    assert rate.denominator == Decimal("700.00")  # 1,000 - 300
    assert rate.value == Decimal("78.6")


def test_clean_claim_rate_counts_first_submissions_no_rejection_followed(biller: Any, north: Any,
                                                                         payers: Any) -> None:
    acme = payers[0]
    in_period = AS_OF - dt.timedelta(days=20)
    clean = claim_for(north, biller, payer=acme)
    status_change(clean, ClaimStatus.SUBMITTED, moment(in_period))
    status_change(clean, ClaimStatus.ACCEPTED, moment(in_period + dt.timedelta(days=1)))
    rejected_once = claim_for(north, biller, payer=acme)
    status_change(rejected_once, ClaimStatus.SUBMITTED, moment(in_period))
    status_change(rejected_once, ClaimStatus.REJECTED, moment(in_period + dt.timedelta(days=1)))
    status_change(rejected_once, ClaimStatus.SUBMITTED, moment(in_period + dt.timedelta(days=3)))
    # First sent long before the period, rejected, sent again in it: not a first submission of the period.
    first_sent_earlier = claim_for(north, biller, payer=acme)
    status_change(first_sent_earlier, ClaimStatus.SUBMITTED, moment(AS_OF - dt.timedelta(days=200)))
    status_change(first_sent_earlier, ClaimStatus.REJECTED, moment(AS_OF - dt.timedelta(days=199)))
    status_change(first_sent_earlier, ClaimStatus.SUBMITTED, moment(in_period))
    # Made after every claim sent before the period: counted without looking back at older history.
    newer_clean = claim_for(north, biller, payer=acme)
    status_change(newer_clean, ClaimStatus.SUBMITTED, moment(in_period + dt.timedelta(days=2)))
    for claim, sent in ((clean, in_period), (rejected_once, in_period + dt.timedelta(days=3)),
                        (first_sent_earlier, in_period), (newer_clean, in_period + dt.timedelta(days=2))):
        Claim.objects.filter(pk=claim.pk).update(submitted_at=moment(sent))
    kpis = selectors.practice_kpis(actor=biller, start=AS_OF - dt.timedelta(days=29), end=AS_OF)
    assert (kpis.clean_claim_rate.numerator, kpis.clean_claim_rate.denominator) == (Decimal(2), Decimal(3))
    assert kpis.clean_claim_rate.value == Decimal("66.7")


def test_denial_rate_is_claims_denied_over_claims_adjudicated_in_the_period(biller: Any, north: Any,
                                                                            payers: Any) -> None:
    acme = payers[0]
    day = AS_OF - dt.timedelta(days=5)
    paid = claim_for(north, biller, payer=acme)
    claim_payment(remittance(biller, acme, paid_on=day), paid, paid="80.00")
    denied = claim_for(north, biller, payer=acme)
    denial_of(denied, biller, paid_on=day)
    partly = claim_for(north, biller, payer=acme)  # paid, but a line was denied: a Denial row
    line_denial = claim_payment(remittance(biller, acme, paid_on=day), partly, paid="40.00")
    Denial.objects.create(claim=partly, remittance_claim=line_denial, category=DenialCategory.CODING,
                          reason_codes=["4"], amount=Decimal("60.00"))
    reversal = claim_for(north, biller, payer=acme)  # a reversal does not adjudicate
    claim_payment(remittance(biller, acme, paid_on=day), reversal, status=ClaimPaymentStatus.REVERSAL)
    earlier = claim_for(north, biller, payer=acme)  # before the period
    denial_of(earlier, biller, paid_on=AS_OF - dt.timedelta(days=60))
    kpis = selectors.practice_kpis(actor=biller, start=AS_OF - dt.timedelta(days=29), end=AS_OF)
    assert (kpis.denial_rate.numerator, kpis.denial_rate.denominator) == (Decimal(2), Decimal(3))
    assert kpis.denial_rate.value == Decimal("66.7")


def test_kpis_without_data_show_no_value_rather_than_divide_by_zero(biller: Any) -> None:
    kpis = selectors.practice_kpis(actor=biller, start=AS_OF - dt.timedelta(days=29), end=AS_OF)
    assert [kpi.value for kpi in kpis] == [None] * 5


def test_kpis_count_only_the_locations_in_scope(make_user: Any, north: Any, south: Any, payers: Any,
                                                biller: Any) -> None:
    for location, amount in ((north, "900.00"), (south, "1800.00")):
        claim = claim_for(location, biller, payer=payers[0], days_old=10, amount=amount)
        post(claim, biller, EntryKind.CHARGE, amount, posted_on=AS_OF - dt.timedelta(days=10))
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    kpis = selectors.practice_kpis(actor=manager, start=AS_OF - dt.timedelta(days=89), end=AS_OF)
    assert kpis.days_in_ar.numerator == Decimal("900.00")
    assert kpis.days_in_ar.denominator == Decimal("10.00")


def test_a_period_ending_before_it_starts_is_refused(biller: Any) -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        selectors.practice_kpis(actor=biller, start=AS_OF, end=AS_OF - dt.timedelta(days=1))


# --- payer performance -----------------------------------------------------------------------------------------


def test_payer_performance_ranks_payers_by_average_paid_for_a_code(biller: Any, north: Any, payers: Any) -> None:
    acme, blue = payers
    day = AS_OF - dt.timedelta(days=10)
    for paid, allowed, submitted_days in (("80.00", "100.00", 20), ("90.00", "110.00", 30)):
        claim = claim_for(north, biller, payer=acme, days_old=40, amount="125.00")
        Claim.objects.filter(pk=claim.pk).update(submitted_at=moment(day - dt.timedelta(days=submitted_days)))
        paid_line(claim_payment(remittance(biller, acme, paid_on=day), claim, paid=paid), paid=paid, allowed=allowed)
    claim = claim_for(north, biller, payer=blue, days_old=40, amount="125.00")
    Claim.objects.filter(pk=claim.pk).update(submitted_at=moment(day - dt.timedelta(days=10)))
    paid_line(claim_payment(remittance(biller, blue, paid_on=day), claim, paid="70.00"), paid="70.00",
              adjustments=(("CO", "45", "40.00"), ("PR", "2", "15.00")))
    other = claim_for(north, biller, payer=blue, days_old=40, amount="30.00", code="36415")
    paid_line(claim_payment(remittance(biller, blue, paid_on=day), other, paid="9.00"), code="36415",
              charged="30.00", paid="9.00", allowed="12.00")

    rows = selectors.payer_performance(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF, code="99213")
    assert [(r.payer_name, r.count, r.average_allowed, r.average_paid, r.best) for r in rows] == [
        ("Acme Health", 2, Decimal("105.00"), Decimal("85.00"), True),
        ("Blue Plan", 1, Decimal("85.00"), Decimal("70.00"), False),  # allowed = 125 charged - 40 CO
    ]
    assert rows[0].average_days_to_pay == Decimal("25.0")
    assert rows[1].average_days_to_pay == Decimal("10.0")
    every_code = selectors.payer_performance(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF)
    assert [r.procedure_code for r in every_code] == ["36415", "99213", "99213"]


def test_payer_performance_leaves_out_denials_reversed_payments_and_other_locations(
        biller: Any, north: Any, south: Any, payers: Any, make_user: Any) -> None:
    acme = payers[0]
    day = AS_OF - dt.timedelta(days=10)
    kept = claim_for(north, biller, payer=acme)
    paid_line(claim_payment(remittance(biller, acme, paid_on=day), kept, paid="80.00"), paid="80.00")
    denied = claim_for(north, biller, payer=acme)
    paid_line(claim_payment(remittance(biller, acme, paid_on=day), denied, status=ClaimPaymentStatus.DENIED))
    reversed_claim = claim_for(north, biller, payer=acme)
    original = claim_payment(remittance(biller, acme, paid_on=day), reversed_claim, paid="500.00")
    paid_line(original, paid="500.00")
    taken_back = claim_payment(remittance(biller, acme, paid_on=day), reversed_claim,
                               status=ClaimPaymentStatus.REVERSAL, paid="-500.00")
    RemittanceClaim.objects.filter(pk=taken_back.pk).update(reverses=original)
    elsewhere = claim_for(south, biller, payer=acme)
    paid_line(claim_payment(remittance(biller, acme, paid_on=day), elsewhere, paid="20.00"), paid="20.00")
    at_north = make_user(Role.BILLER, locations=[north])
    rows = selectors.payer_performance(actor=at_north, start=AS_OF - dt.timedelta(days=89), end=AS_OF)
    assert [(r.count, r.average_paid) for r in rows] == [(1, Decimal("80.00"))]


# --- underpayments ---------------------------------------------------------------------------------------------


@pytest.fixture
def contract(payers: Any, biller: Any) -> Any:
    """Acme's contract: 99213 allowed 100.00, 99213-25 allowed 110.00."""
    schedule = FeeScheduleFactory(payer=payers[0], effective_from=dt.date(2024, 1, 1), created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("100.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", modifier="25", amount=Decimal("110.00"))
    return schedule


def test_a_line_paid_below_the_contract_is_an_underpayment(biller: Any, north: Any, payers: Any,
                                                           contract: Any) -> None:
    acme = payers[0]
    day = AS_OF - dt.timedelta(days=10)
    short = claim_for(north, biller, payer=acme)
    short_line = paid_line(claim_payment(remittance(biller, acme, paid_on=day), short, paid="70.00"), paid="70.00",
                           adjustments=(("CO", "45", "35.00"), ("PR", "2", "20.00")))
    full = claim_for(north, biller, payer=acme)
    paid_line(claim_payment(remittance(biller, acme, paid_on=day), full, paid="80.00"), paid="80.00",
              adjustments=(("CO", "45", "25.00"), ("PR", "2", "20.00")))
    within = claim_for(north, biller, payer=acme)  # 50 cents short: within the tolerance
    paid_line(claim_payment(remittance(biller, acme, paid_on=day), within, paid="79.50"), paid="79.50",
              adjustments=(("PR", "2", "20.00"),))
    rows = list(selectors.underpayments(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF))
    assert [row.pk for row in rows] == [short_line.pk]
    row = rows[0]
    assert (row.expected, row.paid_amount, row.patient_share, row.variance) == (
        Decimal("100.00"), Decimal("70.00"), Decimal("20.00"), Decimal("10.00"))
    assert row.remittance_claim.claim.claim_number == short.claim_number


def test_the_fee_for_the_lines_modifier_wins_over_the_bare_codes_fee(biller: Any, north: Any, payers: Any,
                                                                    contract: Any) -> None:
    acme = payers[0]
    claim = claim_for(north, biller, payer=acme)
    line = paid_line(claim_payment(remittance(biller, acme, paid_on=AS_OF), claim, paid="100.00"), paid="100.00",
                     modifiers=("25",))
    rows = list(selectors.underpayments(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF))
    assert [(row.pk, row.contract_fee, row.variance) for row in rows] == [(line.pk, Decimal("110.00"),
                                                                          Decimal("10.00"))]


def test_lines_of_a_payer_without_a_contract_for_the_code_are_not_underpayments(biller: Any, north: Any,
                                                                                payers: Any, contract: Any) -> None:
    blue = payers[1]
    claim = claim_for(north, biller, payer=blue)
    paid_line(claim_payment(remittance(biller, blue, paid_on=AS_OF), claim, paid="1.00"), paid="1.00")
    assert list(selectors.underpayments(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF)) == []


def test_a_contract_no_longer_in_force_on_the_date_of_service_does_not_apply(biller: Any, north: Any,
                                                                             payers: Any, contract: Any) -> None:
    contract.effective_to = AS_OF - dt.timedelta(days=30)
    contract.save(update_fields=["effective_to"])
    acme = payers[0]
    claim = claim_for(north, biller, payer=acme, days_old=10)
    paid_line(claim_payment(remittance(biller, acme, paid_on=AS_OF), claim, paid="1.00"), paid="1.00")
    assert list(selectors.underpayments(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF)) == []


def test_underpayments_at_another_location_are_invisible(make_user: Any, biller: Any, north: Any, south: Any,
                                                         payers: Any, contract: Any) -> None:
    acme = payers[0]
    claim = claim_for(south, biller, payer=acme)
    paid_line(claim_payment(remittance(biller, acme, paid_on=AS_OF), claim, paid="1.00"), paid="1.00")
    at_north = make_user(Role.BILLER, locations=[north])
    assert len(selectors.underpayments(actor=biller, start=AS_OF - dt.timedelta(days=89), end=AS_OF)) == 1
    assert list(selectors.underpayments(actor=at_north, start=AS_OF - dt.timedelta(days=89), end=AS_OF)) == []
