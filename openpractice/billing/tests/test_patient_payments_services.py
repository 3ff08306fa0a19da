"""Patient money services: payments applied oldest visit first (the rest a credit) exactly once per key, refunds
up to the credit, write-offs with approval above the threshold by a senior manager other than the requester,
payment plans. After every operation the ledger and its balances agree (ledger_differences() is empty)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import EntryKind, Party, PaymentMethod, WriteOffStatus
from openpractice.billing.models import (
    AccountBalance,
    BillingSettings,
    Claim,
    LedgerEntry,
    PatientPayment,
    PaymentPlan,
    Refund,
    WriteOff,
)
from openpractice.billing.selectors.patient_accounts import patient_account, plan_due_dates
from openpractice.billing.services import patient_payments as services
from openpractice.billing.services.ledger import NewEntry, balance_key, ledger_differences, ledger_post
from openpractice.billing.tests.factories import BillingSettingsFactory, make_claim
from openpractice.core.models import Location
from openpractice.patients.models import Patient

pytestmark = pytest.mark.django_db

DOS = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 11, 20)


# --- helpers other billing tests share ------------------------------------------------------------------------


def owed_claim(*, actor: User, location: Location, patient_owes: Decimal, payer_owes: Decimal = Decimal("0.00"),
               date_of_service: dt.date = DOS, like: Claim | None = None) -> Claim:
    """A claim whose charge the payer passed partly to the patient: a CHARGE to the payer, then a TRANSFER of
    `patient_owes` from the payer to the patient (what an 835's PR adjustments do). With `like`, another claim
    of the same patient."""
    claim = make_claim(location=location, actor=actor, date_of_service=date_of_service,
                       coverage=like.coverage if like is not None else None,
                       lines=(("99213", patient_owes + payer_owes),))
    common: dict[str, Any] = {"patient_id": claim.patient_id, "location_id": claim.location_id, "claim_id": claim.pk,
                              "service_date": claim.date_of_service}
    ledger_post(actor=actor, posted_on=date_of_service, entries=[
        NewEntry(kind=EntryKind.CHARGE, amount=patient_owes + payer_owes, party=Party.PAYER, payer_id=claim.payer_id,
                 **common),
        NewEntry(kind=EntryKind.TRANSFER, amount=-patient_owes, party=Party.PAYER, payer_id=claim.payer_id, **common),
        NewEntry(kind=EntryKind.TRANSFER, amount=patient_owes, party=Party.PATIENT, **common),
    ])
    return claim


def balance(claim: Claim | None, *, patient: Patient | None = None, party: str = Party.PATIENT) -> Decimal:
    patient_id = claim.patient_id if claim is not None else patient.pk  # type: ignore[union-attr]
    payer_id = claim.payer_id if claim is not None and party == Party.PAYER else None
    row = AccountBalance.objects.filter(key=balance_key(patient_id, claim.pk if claim else None, party,
                                                        payer_id)).first()
    return row.balance if row is not None else Decimal("0.00")


def assert_ledger_sound() -> None:
    assert ledger_differences() == []


def money_state() -> tuple[Any, ...]:
    return (list(LedgerEntry.objects.order_by("pk").values_list("pk", "amount")),
            list(AccountBalance.objects.order_by("key").values_list("key", "balance")),
            list(PatientPayment.objects.order_by("pk").values()), list(Refund.objects.order_by("pk").values()),
            list(WriteOff.objects.order_by("pk").values()), list(PaymentPlan.objects.order_by("pk").values()))


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def pay(actor: User, patient: Patient, amount: str, **fields: Any) -> PatientPayment:
    values: dict[str, Any] = {"method": PaymentMethod.CASH, "received_on": TODAY, **fields}
    return services.patient_payment_record(actor=actor, patient=patient, amount=amount, **values)


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk-north")


@pytest.fixture
def senior(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="senior-north")


@pytest.fixture
def two_claims(biller: User, north: Location) -> tuple[Claim, Claim]:
    """A newer claim owing 30.00 and an older one owing 50.00, of one patient."""
    newer = owed_claim(actor=biller, location=north, patient_owes=Decimal("30.00"), payer_owes=Decimal("70.00"),
                       date_of_service=dt.date(2026, 10, 20))
    older = owed_claim(actor=biller, location=north, patient_owes=Decimal("50.00"), date_of_service=dt.date(2026, 9, 2),
                       like=newer)
    return older, newer


# --- payments -------------------------------------------------------------------------------------------------


def test_a_payment_pays_the_oldest_visit_first_and_keeps_the_rest_as_credit(
        desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, newer = two_claims
    payment = pay(desk, older.patient, "100.00")
    assert (balance(older), balance(newer), balance(None, patient=older.patient)) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("-20.00"))
    entries = list(LedgerEntry.objects.filter(payment=payment).order_by("pk").values_list("claim_id", "amount", "kind"))
    assert entries == [(older.pk, Decimal("-50.00"), EntryKind.PATIENT_PAYMENT),
                       (newer.pk, Decimal("-30.00"), EntryKind.PATIENT_PAYMENT),
                       (None, Decimal("-20.00"), EntryKind.PATIENT_PAYMENT)]
    assert balance(newer, party=Party.PAYER) == Decimal("70.00")  # the payer's part is not the patient's to pay
    assert AuditEvent.objects.filter(actor=desk, action="billing.patient_payment_recorded",
                                     patient_id=older.patient_id).count() == 1
    assert_ledger_sound()


def test_a_payment_smaller_than_the_oldest_balance_pays_part_of_it(desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, newer = two_claims
    pay(desk, older.patient, "20.50")
    assert (balance(older), balance(newer)) == (Decimal("29.50"), Decimal("30.00"))
    assert not LedgerEntry.objects.filter(claim__isnull=True).exists()
    assert_ledger_sound()


def test_a_payment_from_a_patient_who_owes_nothing_is_all_credit(desk: User, biller: User, north: Location) -> None:
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("0.00"), payer_owes=Decimal("80.00"))
    pay(desk, claim.patient, "15.00")
    assert balance(None, patient=claim.patient) == Decimal("-15.00")
    assert balance(claim, party=Party.PAYER) == Decimal("80.00")
    assert_ledger_sound()


def test_the_same_key_from_the_same_person_returns_the_first_payment_and_posts_nothing_again(
        desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    first = services.patient_payment_record_outcome(actor=desk, patient=older.patient, amount="40.00",
                                                    method=PaymentMethod.CARD, received_on=TODAY, reference="4242",
                                                    idempotency_key="k-1")
    entries = LedgerEntry.objects.count()
    again = services.patient_payment_record_outcome(actor=desk, patient=older.patient, amount=Decimal("40"),
                                                    method=PaymentMethod.CARD, received_on=TODAY, reference="4242",
                                                    idempotency_key="k-1")
    assert first.created
    assert not again.created
    assert again.payment.pk == first.payment.pk
    assert PatientPayment.objects.count() == 1
    assert LedgerEntry.objects.count() == entries
    assert balance(older) == Decimal("10.00")
    assert AuditEvent.objects.filter(action="billing.patient_payment_recorded").count() == 1
    assert_ledger_sound()


def test_the_same_key_for_a_different_payment_is_refused_and_posts_nothing(
        desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    pay(desk, older.patient, "40.00", idempotency_key="k-1")
    before = money_state()
    with pytest.raises(services.IdempotencyKeyReused) as raised:
        pay(desk, older.patient, "45.00", idempotency_key="k-1")
    assert "already used" in raised.value.messages[0]
    assert money_state() == before


def test_keys_belong_to_the_person_who_takes_the_payment(desk: User, biller: User,
                                                         two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    mine = pay(desk, older.patient, "10.00", idempotency_key="k-1")
    theirs = pay(biller, older.patient, "10.00", idempotency_key="k-1")
    assert mine.pk != theirs.pk
    assert balance(older) == Decimal("30.00")
    assert_ledger_sound()


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "more than 0"), ("-5.00", "negative"), ("10.005", "two decimals"), ("abc", "not an amount"),
    ("100000.01", "check the amount"), ("99999999999", "larger than"), ("NaN", "not an amount"),
])
def test_an_amount_that_is_not_a_real_payment_is_refused(desk: User, two_claims: tuple[Claim, Claim], amount: str,
                                                         message: str) -> None:
    older, _newer = two_claims
    before = money_state()
    with pytest.raises(ValidationError) as raised:
        pay(desk, older.patient, amount)
    assert message in " ".join(raised.value.message_dict["amount"])
    assert money_state() == before


def test_the_largest_payment_taken_is_one_hundred_thousand_dollars(desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    pay(desk, older.patient, "100000.00")
    assert balance(None, patient=older.patient) == Decimal("-99920.00")
    assert_ledger_sound()


def test_a_check_needs_its_number_and_a_payment_cannot_be_received_tomorrow(
        desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    with pytest.raises(ValidationError) as no_number:
        pay(desk, older.patient, "10.00", method=PaymentMethod.CHECK)
    assert "reference" in no_number.value.message_dict
    with pytest.raises(ValidationError) as future:
        pay(desk, older.patient, "10.00", received_on=services.practice_today() + dt.timedelta(days=1))
    assert "received_on" in future.value.message_dict
    with pytest.raises(ValidationError) as method:
        pay(desk, older.patient, "10.00", method="bitcoin")
    assert "method" in method.value.message_dict
    assert not PatientPayment.objects.exists()


def test_the_front_desk_of_another_location_cannot_take_the_payment_and_nothing_changes(
        make_user: Callable[..., User], south: Location, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    other_desk = make_user(Role.FRONT_DESK, locations=[south])
    before = money_state()
    with pytest.raises(PermissionDenied):
        pay(other_desk, older.patient, "10.00")
    assert money_state() == before
    assert denied(other_desk) == 1


@pytest.mark.parametrize(("role", "tier"), [(Role.PROVIDER, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY),
                                            (Role.CLINICAL_STAFF, Tier.STANDARD)])
def test_roles_without_collect_cannot_take_a_payment(make_user: Callable[..., User], north: Location, role: str,
                                                     tier: str, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    user = make_user(role, tier, locations=[north])
    before = money_state()
    with pytest.raises(PermissionDenied):
        pay(user, older.patient, "10.00")
    assert money_state() == before
    assert denied(user) == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_record_one_payment(make_user: Callable[..., User],
                                                              north: Location) -> None:
    """PostgreSQL: the second request passes the look-up before the first commits, waits at the insert on the
    unique key, then finds the first payment (the IntegrityError path). The first transaction commits only once
    the second is seen waiting for its lock."""
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (SQLite runs one writer at a time)")
    biller = make_user(Role.BILLER, locations=[north])
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("50.00"))
    desk = make_user(Role.FRONT_DESK, locations=[north])
    first_inserted, release_first = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = pay(desk, claim.patient, "20.00", idempotency_key="race")
                first_inserted.set()
                assert release_first.wait(30)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            results["first_error"] = error
            first_inserted.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            assert first_inserted.wait(30)
            results["second"] = pay(desk, claim.patient, "20.00", idempotency_key="race")
        except BaseException as error:  # noqa: BLE001
            results["second_error"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inserted.wait(30)
    # Wait (bounded) until the second request blocks on the first one's uncommitted row.
    waiting = False
    for _attempt in range(3000):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            waiting = cursor.fetchone()[0] > 0
        if waiting or "second" in results or "second_error" in results:
            break
        threading.Event().wait(0.01)
    release_first.set()
    for thread in threads:
        thread.join(30)
    assert "first_error" not in results, results
    assert "second_error" not in results, results
    assert waiting, "the second request never waited for the first one's row"
    assert results["second"].pk == results["first"].pk
    assert PatientPayment.objects.count() == 1
    assert balance(claim) == Decimal("30.00")
    assert LedgerEntry.objects.filter(kind=EntryKind.PATIENT_PAYMENT).count() == 1
    assert_ledger_sound()


# --- refunds --------------------------------------------------------------------------------------------------


def test_a_refund_gives_back_the_credit_and_no_more(biller: User, desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    patient = older.patient
    pay(desk, patient, "100.00")  # 20.00 beyond what is owed
    before = money_state()
    with pytest.raises(ValidationError) as too_much:
        services.refund_issue(actor=biller, patient=patient, amount="20.01", method=PaymentMethod.CASH,
                              reason="overpaid")
    assert "credit is $20.00" in too_much.value.message_dict["amount"][0]
    assert money_state() == before
    refund = services.refund_issue(actor=biller, patient=patient, amount="20.00", method=PaymentMethod.CASH,
                                   reason="overpaid")
    assert balance(None, patient=patient) == Decimal("0.00")
    assert LedgerEntry.objects.get(kind=EntryKind.REFUND).amount == Decimal("20.00")
    assert AuditEvent.objects.filter(action="billing.refund_issued", object_id=str(refund.pk),
                                     patient_id=patient.pk).count() == 1
    assert_ledger_sound()


def test_a_refund_is_refused_while_the_patient_owes_money_even_with_one_claim_overpaid(
        biller: User, two_claims: tuple[Claim, Claim]) -> None:
    older, newer = two_claims
    # The payer paid after the patient did: older is overpaid by 10.00, newer still owes 30.00.
    ledger_post(actor=biller, posted_on=TODAY, entries=[NewEntry(
        kind=EntryKind.PATIENT_PAYMENT, amount=Decimal("-60.00"), party=Party.PATIENT, patient_id=older.patient_id,
        location_id=older.location_id, claim_id=older.pk)])
    before = money_state()
    with pytest.raises(ValidationError) as raised:
        services.refund_issue(actor=biller, patient=older.patient, amount="10.00", method=PaymentMethod.CASH,
                              reason="overpaid")
    assert "no credit" in raised.value.message_dict["amount"][0]
    assert money_state() == before
    assert balance(newer) == Decimal("30.00")


def test_a_refund_takes_the_credit_of_an_overpaid_claim(biller: User, north: Location) -> None:
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("25.00"))
    ledger_post(actor=biller, posted_on=TODAY, entries=[NewEntry(
        kind=EntryKind.PATIENT_PAYMENT, amount=Decimal("-40.00"), party=Party.PATIENT, patient_id=claim.patient_id,
        location_id=claim.location_id, claim_id=claim.pk)])
    services.refund_issue(actor=biller, patient=claim.patient, amount="15.00", method=PaymentMethod.CHECK,
                          reason="overpaid")
    assert balance(claim) == Decimal("0.00")
    assert_ledger_sound()


def test_a_refund_of_one_payment_is_never_more_than_what_is_left_of_it(
        biller: User, desk: User, north: Location) -> None:
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("0.00"), payer_owes=Decimal("10.00"))
    first = pay(desk, claim.patient, "30.00")
    pay(desk, claim.patient, "50.00")  # credit now 80.00
    services.refund_issue(actor=biller, patient=claim.patient, payment=first, amount="25.00",
                          method=PaymentMethod.CASH, reason="asked for it back")
    before = money_state()
    with pytest.raises(ValidationError) as raised:
        services.refund_issue(actor=biller, patient=claim.patient, payment=first, amount="5.01",
                              method=PaymentMethod.CASH, reason="again")
    assert "at most $5.00" in raised.value.message_dict["amount"][0]
    assert money_state() == before
    services.refund_issue(actor=biller, patient=claim.patient, payment=first, amount="5.00",
                          method=PaymentMethod.CASH, reason="the rest")
    assert balance(None, patient=claim.patient) == Decimal("-50.00")
    assert_ledger_sound()


def test_the_front_desk_cannot_refund_and_nothing_changes(desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    pay(desk, older.patient, "100.00")
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.refund_issue(actor=desk, patient=older.patient, amount="5.00", method=PaymentMethod.CASH,
                              reason="overpaid")
    assert money_state() == before
    assert denied(desk) == 1


def test_a_refund_of_another_patients_payment_is_refused(biller: User, desk: User, north: Location) -> None:
    mine = owed_claim(actor=biller, location=north, patient_owes=Decimal("0.00"), payer_owes=Decimal("1.00"))
    other = owed_claim(actor=biller, location=north, patient_owes=Decimal("0.00"), payer_owes=Decimal("1.00"))
    payment = pay(desk, other.patient, "10.00")
    pay(desk, mine.patient, "10.00")
    with pytest.raises(ValidationError) as raised:
        services.refund_issue(actor=biller, patient=mine.patient, payment=payment, amount="1.00",
                              method=PaymentMethod.CASH, reason="x")
    assert "payment" in raised.value.message_dict
    assert not Refund.objects.exists()


# --- write-offs -----------------------------------------------------------------------------------------------


@pytest.fixture
def threshold() -> Decimal:
    BillingSettingsFactory()
    BillingSettings.objects.update(write_off_approval_threshold=Decimal("25.00"))
    return Decimal("25.00")


def test_a_write_off_at_the_threshold_posts_at_once(biller: User, threshold: Decimal,
                                                    two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="25.00", reason="small balance")
    assert write_off.status == WriteOffStatus.APPROVED
    assert balance(older) == Decimal("25.00")
    assert LedgerEntry.objects.get(kind=EntryKind.WRITE_OFF).amount == Decimal("-25.00")
    assert AuditEvent.objects.filter(action="billing.write_off_posted", object_id=str(write_off.pk)).count() == 1
    assert_ledger_sound()


def test_a_write_off_above_the_threshold_waits_and_posts_nothing(biller: User, threshold: Decimal,
                                                                  two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="25.01", reason="hardship")
    assert write_off.status == WriteOffStatus.PENDING
    assert balance(older) == Decimal("50.00")
    assert not LedgerEntry.objects.filter(kind=EntryKind.WRITE_OFF).exists()
    assert AuditEvent.objects.filter(action="billing.write_off_requested").count() == 1


def test_a_senior_manager_approves_and_the_write_off_posts(biller: User, senior: User, threshold: Decimal,
                                                           two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="40.00", reason="hardship")
    services.write_off_decide(actor=senior, write_off=write_off, approve=True)
    write_off.refresh_from_db()
    assert (write_off.status, write_off.decided_by) == (WriteOffStatus.APPROVED, senior)
    assert balance(older) == Decimal("10.00")
    assert AuditEvent.objects.filter(actor=senior, action="billing.write_off_approved").count() == 1
    with pytest.raises(ValidationError):  # decided once
        services.write_off_decide(actor=senior, write_off=write_off, approve=True)
    assert balance(older) == Decimal("10.00")
    assert_ledger_sound()


def test_the_requester_cannot_approve_their_own_write_off_even_as_a_senior_manager(
        senior: User, threshold: Decimal, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=senior, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="40.00", reason="hardship")
    before = money_state()
    with pytest.raises(PermissionDenied) as raised:
        services.write_off_decide(actor=senior, write_off=write_off, approve=True)
    assert "another senior manager" in str(raised.value)
    assert money_state() == before
    assert denied(senior) == 1


@pytest.mark.parametrize(("role", "tier"), [(Role.BILLER, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ADVANCED),
                                            (Role.FRONT_DESK, Tier.STANDARD)])
def test_only_a_senior_practice_manager_may_approve(make_user: Callable[..., User], north: Location, role: str,
                                                    tier: str, biller: User, threshold: Decimal,
                                                    two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="40.00", reason="hardship")
    user = make_user(role, tier, locations=[north])
    before = money_state()
    for approve in (True, False):
        with pytest.raises(PermissionDenied):
            services.write_off_decide(actor=user, write_off=write_off, approve=approve)
    assert money_state() == before
    assert denied(user) == 2


def test_a_senior_manager_of_another_location_cannot_approve(make_user: Callable[..., User], south: Location,
                                                             biller: User, threshold: Decimal,
                                                             two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="40.00", reason="hardship")
    other = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[south])
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.write_off_decide(actor=other, write_off=write_off, approve=True)
    assert money_state() == before


def test_rejecting_records_the_decision_and_posts_nothing(biller: User, senior: User, threshold: Decimal,
                                                          two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="40.00", reason="hardship")
    with pytest.raises(ValidationError) as refused:  # a rejection says why
        services.write_off_decide(actor=senior, write_off=write_off, approve=False, note="  ")
    assert "decision_note" in refused.value.message_dict
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.PENDING
    services.write_off_decide(actor=senior, write_off=write_off, approve=False, note="Offer a payment plan first.")
    write_off.refresh_from_db()
    assert (write_off.status, write_off.decided_by_id) == (WriteOffStatus.REJECTED, senior.pk)
    assert write_off.decision_note == "Offer a payment plan first."
    assert balance(older) == Decimal("50.00")
    assert not LedgerEntry.objects.filter(kind=EntryKind.WRITE_OFF).exists()
    assert AuditEvent.objects.filter(actor=senior, action="billing.write_off_rejected").count() == 1


def test_a_write_off_is_never_more_than_the_open_balance(biller: User, threshold: Decimal,
                                                         two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    before = money_state()
    with pytest.raises(ValidationError) as raised:
        services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                   amount="50.01", reason="x")
    assert "at most that" in raised.value.message_dict["amount"][0]
    assert money_state() == before


def test_approval_is_refused_when_payments_came_in_since_the_request(
        biller: User, desk: User, senior: User, threshold: Decimal, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="50.00", reason="hardship")
    pay(desk, older.patient, "20.00")  # the oldest claim first: 30.00 left on it
    before = money_state()
    with pytest.raises(ValidationError) as raised:
        services.write_off_decide(actor=senior, write_off=write_off, approve=True)
    assert "$30.00" in raised.value.messages[0]
    assert money_state() == before


def test_a_write_off_of_the_payer_balance_on_a_claim_and_of_the_whole_patient_balance(
        biller: User, threshold: Decimal, two_claims: tuple[Claim, Claim]) -> None:
    older, newer = two_claims
    services.write_off_request(actor=biller, patient=newer.patient, claim=newer, party=Party.PAYER, amount="20.00",
                               reason="timely filing")
    assert balance(newer, party=Party.PAYER) == Decimal("50.00")
    with pytest.raises(ValidationError):  # a payer balance needs its claim
        services.write_off_request(actor=biller, patient=newer.patient, claim=None, party=Party.PAYER,
                                   amount="1.00", reason="x")
    services.write_off_request(actor=biller, patient=older.patient, claim=None, party=Party.PATIENT,
                               amount="5.00", reason="small balance")
    assert (balance(older), balance(newer)) == (Decimal("45.00"), Decimal("30.00"))  # oldest first
    assert_ledger_sound()


def test_the_front_desk_cannot_write_off_and_nothing_changes(desk: User, threshold: Decimal,
                                                             two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.write_off_request(actor=desk, patient=older.patient, claim=older, party=Party.PATIENT,
                                   amount="5.00", reason="x")
    assert money_state() == before
    assert denied(desk) == 1


def test_without_billing_settings_the_default_threshold_applies(biller: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    assert not BillingSettings.objects.exists()
    assert services.write_off_threshold() == Decimal("50.00")
    write_off = services.write_off_request(actor=biller, patient=older.patient, claim=older, party=Party.PATIENT,
                                           amount="50.00", reason="small balance")
    assert write_off.status == WriteOffStatus.APPROVED


# --- payment plans --------------------------------------------------------------------------------------------


def test_one_active_payment_plan_per_patient(desk: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    plan = services.payment_plan_create(actor=desk, patient=older.patient, total="80.00", installment="20.00",
                                        starts_on=dt.date(2026, 10, 5))
    assert plan.day_of_month == 5
    with pytest.raises(ValidationError) as raised:
        services.payment_plan_create(actor=desk, patient=older.patient, total="80.00", installment="20.00",
                                     starts_on=TODAY)
    assert "already has an active payment plan" in raised.value.messages[0]
    services.payment_plan_end(actor=desk, plan=plan)
    services.payment_plan_create(actor=desk, patient=older.patient, total="60.00", installment="30.00",
                                 starts_on=TODAY, day_of_month=1)
    assert PaymentPlan.objects.filter(patient=older.patient, is_active=True).count() == 1
    assert AuditEvent.objects.filter(action__startswith="billing.payment_plan_").count() == 3


@pytest.mark.parametrize(("fields", "field"), [
    ({"total": "50.00", "installment": "60.00"}, "installment"),
    ({"total": "0", "installment": "0"}, "total"),
    ({"total": "50.00", "installment": "10.00", "day_of_month": 30}, "day_of_month"),
])
def test_a_plan_must_make_sense(desk: User, two_claims: tuple[Claim, Claim], fields: dict[str, Any],
                                field: str) -> None:
    older, _newer = two_claims
    with pytest.raises(ValidationError) as raised:
        services.payment_plan_create(actor=desk, patient=older.patient, starts_on=TODAY, **fields)
    assert field in raised.value.message_dict
    assert not PaymentPlan.objects.exists()


def test_a_provider_cannot_agree_a_plan(make_user: Callable[..., User], north: Location,
                                        two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    provider = make_user(Role.PROVIDER, locations=[north])
    with pytest.raises(PermissionDenied):
        services.payment_plan_create(actor=provider, patient=older.patient, total="80.00", installment="20.00",
                                     starts_on=TODAY)
    assert not PaymentPlan.objects.exists()
    assert denied(provider) == 1


def test_the_account_says_whether_the_patient_keeps_up_with_the_plan(
        desk: User, biller: User, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    plan = services.payment_plan_create(actor=desk, patient=older.patient, total="80.00", installment="30.00",
                                        starts_on=dt.date(2026, 9, 15), day_of_month=15)
    assert plan_due_dates(plan) == [dt.date(2026, 9, 15), dt.date(2026, 10, 15), dt.date(2026, 11, 15)]
    pay(desk, older.patient, "30.00", received_on=dt.date(2026, 9, 15))
    pay(desk, older.patient, "10.00", received_on=dt.date(2026, 9, 1))  # before the plan: not counted
    behind = patient_account(actor=biller, patient=older.patient, today=dt.date(2026, 10, 20)).plan
    assert behind is not None
    assert (behind.installments_due, behind.expected, behind.paid, behind.behind, behind.behind_by) == (
        2, Decimal("60.00"), Decimal("30.00"), True, Decimal("30.00"))
    assert behind.next_due_on == dt.date(2026, 10, 15)  # the oldest installment not covered
    pay(desk, older.patient, "30.00", received_on=dt.date(2026, 10, 21))
    on_track = patient_account(actor=biller, patient=older.patient, today=dt.date(2026, 10, 21)).plan
    assert on_track is not None
    assert not on_track.behind
    assert (on_track.next_due_on, on_track.next_amount) == (dt.date(2026, 11, 15), Decimal("20.00"))


def test_the_account_balances_and_running_ledger(desk: User, biller: User, two_claims: tuple[Claim, Claim]) -> None:
    older, newer = two_claims
    pay(desk, older.patient, "60.00")
    account = patient_account(actor=desk, patient=older.patient, today=TODAY)
    assert (account.patient_balance, account.amount_due, account.payer_total, account.total) == (
        Decimal("20.00"), Decimal("20.00"), Decimal("70.00"), Decimal("90.00"))
    assert [(line.claim.pk, line.patient_balance, line.payer_balance) for line in account.claims] == [
        (newer.pk, Decimal("20.00"), Decimal("70.00"))]
    assert account.ledger[-1].balance == Decimal("90.00")
    assert account.ledger[-1].patient_balance == Decimal("20.00")
    assert [(row.applied, row.credit, row.refunded) for row in account.payments] == [
        (Decimal("60.00"), Decimal("0.00"), Decimal("0.00"))]


def test_the_account_of_a_patient_of_another_location_is_not_read(
        make_user: Callable[..., User], south: Location, two_claims: tuple[Claim, Claim]) -> None:
    older, _newer = two_claims
    with pytest.raises(Patient.DoesNotExist):
        patient_account(actor=make_user(Role.FRONT_DESK, locations=[south]), patient=older.patient, today=TODAY)


def test_a_write_off_of_the_whole_balance_counts_the_credit(biller: User, desk: User, threshold: Decimal,
                                                            north: Location) -> None:
    """Owing 50.00 on a claim with a 20.00 credit on the account, the patient owes 30.00: no more is written off."""
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("50.00"))
    ledger_post(actor=biller, posted_on=TODAY, entries=[NewEntry(
        kind=EntryKind.PATIENT_PAYMENT, amount=Decimal("-20.00"), party=Party.PATIENT, patient_id=claim.patient_id,
        location_id=claim.location_id)])
    with pytest.raises(ValidationError) as raised:
        services.write_off_request(actor=biller, patient=claim.patient, claim=None, party=Party.PATIENT,
                                   amount="30.01", reason="x")
    assert "$30.00" in raised.value.message_dict["amount"][0]
    services.write_off_request(actor=biller, patient=claim.patient, claim=None, party=Party.PATIENT,
                               amount="20.00", reason="small balance")
    assert balance(claim) == Decimal("30.00")
    assert_ledger_sound()


def test_a_merged_patient_record_takes_no_payment(desk: User, biller: User, north: Location) -> None:
    claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("5.00"))
    survivor = owed_claim(actor=biller, location=north, patient_owes=Decimal("5.00")).patient
    Patient.objects.filter(pk=claim.patient_id).update(merged_into=survivor)
    claim.patient.refresh_from_db()
    with pytest.raises(ValidationError) as raised:
        pay(desk, claim.patient, "5.00")
    assert "merged" in raised.value.messages[0]
    assert not PatientPayment.objects.exists()
