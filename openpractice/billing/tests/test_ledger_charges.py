"""Charges in the ledger: posted once per charge whatever happens to its claims (rebuilt, re-created, corrected,
voided), and the balance always on the claim being worked; the secondary claim takes the patient's share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.choices import EntryKind, Party
from openpractice.billing.models import AccountBalance, Charge, ChargeLine, Claim, LedgerEntry
from openpractice.billing.services import charges as charge_services
from openpractice.billing.services import claims as services
from openpractice.billing.services.ledger import ledger_differences, ledger_reverse
from openpractice.billing.services.remittance_posting import remittance_import
from openpractice.billing.tests.factories import make_charge, make_claim
from openpractice.billing.tests.remit_support import charge_ledger, era_for
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

LINES = (("99213", Decimal("100.00")), ("36415", Decimal("20.00")))
CENT = Decimal("0.01")  # SQLite's SUM() adds decimals as floating point: sums are rounded back to cents


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def charged(charge: Charge) -> Decimal:
    return (LedgerEntry.objects.filter(charge=charge, kind=EntryKind.CHARGE).aggregate(
        total=Sum("amount"))["total"] or Decimal(0)).quantize(CENT)


def owed(claim: Claim, party: str = Party.PAYER) -> Decimal:
    return (AccountBalance.objects.filter(claim=claim, party=party).aggregate(
        total=Sum("balance"))["total"] or Decimal(0)).quantize(CENT)


def sent(claim: Claim) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(status="accepted", payer_claim_number="ICN-1",
                                             submitted_at=dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC))
    Charge.objects.filter(pk=claim.charge_id).update(status="billed")
    claim.refresh_from_db()
    return claim


def test_building_a_claim_posts_each_line_of_its_charge_owed_by_the_payer(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=LINES)

    claim = services.claim_build(actor=biller, charge=charge)

    entries = list(LedgerEntry.objects.order_by("pk"))
    assert [(e.kind, e.amount, e.party, e.payer_id, e.claim_id, e.charge_id, e.claim_line_id) for e in entries] == [
        ("charge", Decimal("100.00"), "payer", claim.payer_id, claim.pk, charge.pk, None),
        ("charge", Decimal("20.00"), "payer", claim.payer_id, claim.pk, charge.pk, None)]
    assert [e.memo for e in entries] == ["line 1 99213", "line 2 36415"]
    assert all(e.service_date == charge.date_of_service and e.location_id == north.pk for e in entries)
    assert owed(claim) == Decimal("120.00")
    assert ledger_differences() == []


def test_rebuilding_posts_only_what_the_charge_fix_changed(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=LINES)
    claim = services.claim_build(actor=biller, charge=charge)
    services.claim_rebuild(actor=biller, claim=claim)
    assert LedgerEntry.objects.count() == 2  # nothing changed, nothing posted

    line = ChargeLine.objects.get(charge=charge, line_number=2)
    charge_services.charge_line_update(actor=biller, line=line, amount="35.00")
    services.claim_rebuild(actor=biller, claim=claim)

    assert charged(charge) == Decimal("135.00")
    assert LedgerEntry.objects.order_by("-pk").values_list("amount", "memo").first() == (Decimal("15.00"),
                                                                                        "charge changed")
    assert owed(claim) == Decimal("135.00")


def test_a_claim_built_again_after_the_first_was_closed_does_not_charge_twice(biller: User,
                                                                              north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=LINES)
    first = services.claim_build(actor=biller, charge=charge)
    services.claim_change_status(actor=biller, claim=first, to_status="closed", reason="wrong payer")

    second = services.claim_build(actor=biller, charge=charge)

    assert charged(charge) == Decimal("120.00")
    assert (owed(first), owed(second)) == (0, Decimal("120.00"))
    assert ledger_differences() == []


def test_a_corrected_claim_takes_over_what_the_payer_still_owes_on_the_original(biller: User,
                                                                                north: Location) -> None:
    original = sent(make_claim(location=north, actor=biller, lines=LINES))
    charge_ledger([original], biller)

    corrected = services.claim_correct(actor=biller, claim=original)

    assert (owed(original), owed(corrected)) == (0, Decimal("120.00"))
    assert charged(original.charge) == Decimal("120.00")
    transfers = LedgerEntry.objects.filter(kind=EntryKind.TRANSFER).order_by("pk")
    assert [(e.claim_id, e.amount) for e in transfers] == [(original.pk, Decimal("-120.00")),
                                                          (corrected.pk, Decimal("120.00"))]


def test_a_void_claim_moves_nothing_until_the_payer_confirms_it(biller: User, north: Location) -> None:
    original = sent(make_claim(location=north, actor=biller, lines=LINES))
    charge_ledger([original], biller)
    before = list(LedgerEntry.objects.values_list("pk", flat=True))

    services.claim_void(actor=biller, claim=original)

    assert list(LedgerEntry.objects.values_list("pk", flat=True)) == before
    assert owed(original) == Decimal("120.00")


def test_a_secondary_claim_built_by_hand_takes_the_patients_share_from_the_primary(biller: User,
                                                                                   north: Location) -> None:
    patient = PatientFactory(home_location=north)
    primary_coverage = CoverageFactory(patient=patient, rank=1)
    primary = make_claim(location=north, actor=biller, status="accepted", coverage=primary_coverage, lines=LINES)
    charge_ledger([primary], biller)
    remittance_import(actor=biller, filename="era.835",
                      data=era_for([primary], patient=Decimal("0.25")).encode())  # no secondary known yet
    assert owed(primary, Party.PATIENT) == Decimal("30.00")
    second_payer = PayerFactory(name="Second Mutual")
    CoverageFactory(patient=patient, rank=2, payer=second_payer)

    secondary = services.claim_build_secondary(actor=biller, claim=primary)

    assert owed(primary, Party.PATIENT) == 0
    assert owed(secondary) == Decimal("30.00")
    assert AccountBalance.objects.get(claim=secondary).payer == second_payer
    assert ledger_differences() == []


def test_a_claim_whose_lines_a_remittance_paid_cannot_be_rebuilt(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status="accepted", lines=LINES)
    charge_ledger([claim], biller)
    remittance_import(actor=biller, filename="era.835", data=era_for([claim]).encode())
    Claim.objects.filter(pk=claim.pk).update(status="rejected")  # e.g. a late 277CA rejection
    claim.refresh_from_db()

    with pytest.raises(ValidationError, match="corrected claim"):
        services.claim_rebuild(actor=biller, claim=claim)

    assert claim.lines.count() == 2


def test_posting_the_charge_of_a_claim_made_without_the_services_is_idempotent(biller: User,
                                                                               north: Location) -> None:
    claim = make_claim(location=north, actor=biller, lines=LINES)

    charge_ledger([claim, claim], biller)
    services.claim_post_charge(actor=biller, claim=claim)

    assert charged(claim.charge) == Decimal("120.00")
    assert LedgerEntry.objects.count() == 2


def test_without_billing_manage_no_charge_is_posted(make_user: Callable[..., User], biller: User,
                                                    north: Location) -> None:
    claim = make_claim(location=north, actor=biller, lines=LINES)
    desk = make_user(Role.FRONT_DESK, username="desk")

    with pytest.raises(PermissionDenied):
        services.claim_post_charge(actor=desk, claim=claim)

    assert not LedgerEntry.objects.exists()


def test_a_rebuild_after_a_charge_entry_was_reversed_posts_it_again_to_the_cent(biller: User,
                                                                                north: Location) -> None:
    # 282.13 + 1.01 - 282.13 summed by SQLite as floating point is 1.00999999999999: it must count as 1.01.
    charge = make_charge(location=north, actor=biller, lines=(("99213", Decimal("282.13")), ("36415", Decimal("1.01"))))
    claim = services.claim_build(actor=biller, charge=charge)
    first = LedgerEntry.objects.order_by("pk").first()
    assert first is not None
    ledger_reverse(actor=biller, entries=[first], posted_on=first.posted_on, memo="entered in error")

    services.claim_rebuild(actor=biller, claim=claim)

    assert LedgerEntry.objects.order_by("-pk").values_list("amount", flat=True).first() == Decimal("282.13")
    assert charged(charge) == Decimal("283.14")


def test_a_charge_voided_before_its_claim_went_out_leaves_the_ledger(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=LINES)
    claim = services.claim_build(actor=biller, charge=charge)
    charge_services.charge_void(actor=biller, charge=charge)

    services.charge_ledger_void(actor=biller, charge=charge)
    services.charge_ledger_void(actor=biller, charge=charge)  # nothing left the second time

    assert charged(charge) == 0
    assert owed(claim) == 0
    assert LedgerEntry.objects.filter(charge=charge).count() == 3
    assert ledger_differences() == []
