"""Patient account pages: the account (billing staff and the front desk, nothing clinical), taking a payment
(a form sent twice posts once), refunds, write-offs and their approval, payment plans, the payments list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import EntryKind, PaymentMethod, WriteOffStatus
from openpractice.billing.models import BillingSettings, Claim, LedgerEntry, PatientPayment, PaymentPlan, WriteOff
from openpractice.billing.services import patient_payments as services
from openpractice.billing.tests.factories import BillingSettingsFactory
from openpractice.billing.tests.test_patient_payments_services import (
    assert_ledger_sound,
    balance,
    denied,
    money_state,
    owed_claim,
)
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


# --- samples for tests/test_routes.py -------------------------------------------------------------------------


def route_payments(world: Any, actor: Any) -> tuple[PatientPayment, PatientPayment]:
    """A payment of a North patient taken at North, and one at South (tests/test_routes.py SAMPLES["payment"])."""
    cache: dict[str, Any] = world.__dict__.setdefault("_patient_payment_samples", {})
    if "payment" not in cache:
        cache["payment"] = tuple(
            PatientPayment.objects.create(patient=PatientFactory(home_location=location), location=location,
                                          amount=Decimal("10.00"), method=PaymentMethod.CASH,
                                          received_on=dt.date(2026, 11, 2), received_by=world.stranger)
            for location in (world.north, world.south))
    return cache["payment"]


def route_write_offs(world: Any, actor: Any) -> tuple[WriteOff, WriteOff]:
    """A write-off waiting for approval at North and one at South, asked for by someone else than `actor`
    (tests/test_routes.py SAMPLES["writeoff"])."""
    cache: dict[str, Any] = world.__dict__.setdefault("_patient_payment_samples", {})
    if "writeoff" not in cache:
        cache["writeoff"] = tuple(
            WriteOff.objects.create(patient=PatientFactory(home_location=location), party="patient", location=location,
                                    amount=Decimal("80.00"), reason="hardship", status=WriteOffStatus.PENDING,
                                    requested_by=world.stranger)
            for location in (world.north, world.south))
    return cache["writeoff"]


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
def claim(biller: User, north: Location) -> Claim:
    BillingSettingsFactory()
    return owed_claim(actor=biller, location=north, patient_owes=Decimal("40.00"), payer_owes=Decimal("60.00"))


def account_url(patient: Patient | int) -> str:
    return reverse("billing:patient_account", kwargs={"patient_id": patient if isinstance(patient, int)
                                                      else patient.pk})


def payment_url(patient: Patient) -> str:
    return reverse("billing:patient_payment_create", kwargs={"patient_id": patient.pk})


def viewed(user: User, patient: Patient) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient.pk).count()


# --- the account ----------------------------------------------------------------------------------------------


def test_the_account_shows_what_is_owed_the_open_claims_and_the_ledger(
        signed_in: Callable[[User], Client], biller: User, desk: User, claim: Claim) -> None:
    services.patient_payment_record(actor=desk, patient=claim.patient, amount="15.00", method=PaymentMethod.CARD,
                                    received_on=dt.date(2026, 11, 3), reference="1234")
    response = signed_in(biller).get(account_url(claim.patient))
    assert response.status_code == 200
    account = response.context["account"]
    assert (account.amount_due, account.payer_total) == (Decimal("25.00"), Decimal("60.00"))
    body = response.content.decode()
    for shown in ("$25.00", "$60.00", claim.claim_number):
        assert shown in body
    assert claim.get_absolute_url() in body  # a biller may open the claim
    assert viewed(biller, claim.patient) == 1


def test_the_front_desk_sees_the_amount_due_and_nothing_clinical(signed_in: Callable[[User], Client], desk: User,
                                                                 claim: Claim) -> None:
    response = signed_in(desk).get(account_url(claim.patient))
    assert response.status_code == 200
    body = response.content.decode()
    assert "$40.00" in body
    for clinical in ("E11.9", "E119", "I10", "99213"):  # diagnoses and procedures
        assert clinical not in body
    assert claim.get_absolute_url() not in body  # the claim page is not theirs to open
    assert reverse("billing:patient_payment_create", kwargs={"patient_id": claim.patient_id}) in body
    assert reverse("billing:patient_refund_create", kwargs={"patient_id": claim.patient_id}) not in body


def test_a_provider_with_billing_view_opens_the_account_but_cannot_take_payments(
        signed_in: Callable[[User], Client], make_user: Callable[..., User], north: Location, claim: Claim) -> None:
    provider = make_user(Role.PROVIDER, locations=[north])
    client = signed_in(provider)
    response = client.get(account_url(claim.patient))
    assert response.status_code == 200
    assert payment_url(claim.patient) not in response.content.decode()
    assert client.get(payment_url(claim.patient)).status_code == 404


def test_the_account_of_a_patient_of_another_location_is_404_and_audited(
        signed_in: Callable[[User], Client], make_user: Callable[..., User], south: Location, claim: Claim) -> None:
    other = make_user(Role.FRONT_DESK, locations=[south])
    assert signed_in(other).get(account_url(claim.patient)).status_code == 404
    assert denied(other) == 1
    assert viewed(other, claim.patient) == 0


def test_a_role_without_billing_view_or_collect_gets_404(signed_in: Callable[[User], Client],
                                                         make_user: Callable[..., User], north: Location,
                                                         claim: Claim) -> None:
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    assert signed_in(nurse).get(account_url(claim.patient)).status_code == 404
    assert denied(nurse) == 1


def test_the_account_page_takes_the_same_number_of_queries_whatever_the_entries(
        signed_in: Callable[[User], Client], biller: User, desk: User, north: Location, claim: Claim) -> None:
    client = signed_in(biller)

    def queries() -> int:
        client.get(account_url(claim.patient))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(account_url(claim.patient)).status_code == 200
        return len(captured)

    services.payment_plan_create(actor=desk, patient=claim.patient, total="30.00", installment="10.00",
                                 starts_on=dt.date(2026, 11, 1))
    few = queries()
    for day in range(1, 6):
        owed_claim(actor=biller, location=north, patient_owes=Decimal("10.00"), payer_owes=Decimal("5.00"),
                   date_of_service=dt.date(2026, 10, day), like=claim)
        services.patient_payment_record(actor=desk, patient=claim.patient, amount="7.00",
                                        method=PaymentMethod.CASH, received_on=dt.date(2026, 11, day))
        services.write_off_request(actor=biller, patient=claim.patient, claim=None, party="patient",
                                   amount="1.00", reason="small balance")
    assert queries() == few


# --- taking a payment -----------------------------------------------------------------------------------------


def _form(client: Client, patient: Patient) -> dict[str, Any]:
    response = client.get(payment_url(patient))
    assert response.status_code == 200
    form = response.context["form"]
    return {"amount": "25.00", "method": "card", "received_on": "2026-11-20", "reference": "auth 7781", "note": "",
            "idempotency_key": form.initial["idempotency_key"]}


def test_taking_a_payment_posts_it_and_shows_the_receipt(signed_in: Callable[[User], Client], desk: User,
                                                         claim: Claim) -> None:
    client = signed_in(desk)
    response = client.post(payment_url(claim.patient), _form(client, claim.patient))
    payment = PatientPayment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:payment_detail", kwargs={"pk": payment.pk})
    assert (payment.amount, payment.received_by, payment.location_id) == (Decimal("25.00"), desk,
                                                                          claim.patient.home_location_id)
    assert balance(claim) == Decimal("15.00")
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert claim.claim_number in receipt.content.decode()
    assert_ledger_sound()


def test_the_payment_form_sent_twice_posts_once(signed_in: Callable[[User], Client], desk: User,
                                                claim: Claim) -> None:
    client = signed_in(desk)
    data = _form(client, claim.patient)
    first = client.post(payment_url(claim.patient), data)
    second = client.post(payment_url(claim.patient), data)
    assert PatientPayment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.PATIENT_PAYMENT).count() == 1
    assert first["Location"] == second["Location"]
    assert balance(claim) == Decimal("15.00")
    shown = [str(message) for message in client.get(second["Location"]).context["messages"]]
    assert any("already recorded" in message for message in shown)
    assert_ledger_sound()


def test_two_renderings_of_the_form_are_two_payments(signed_in: Callable[[User], Client], desk: User,
                                                     claim: Claim) -> None:
    client = signed_in(desk)
    client.post(payment_url(claim.patient), _form(client, claim.patient))
    client.post(payment_url(claim.patient), _form(client, claim.patient))
    assert PatientPayment.objects.count() == 2
    assert (balance(claim), balance(None, patient=claim.patient)) == (Decimal("0.00"), Decimal("-10.00"))
    assert_ledger_sound()


def test_a_used_form_sent_with_another_amount_is_refused_and_offers_a_fresh_key(
        signed_in: Callable[[User], Client], desk: User, claim: Claim) -> None:
    client = signed_in(desk)
    data = _form(client, claim.patient)
    client.post(payment_url(claim.patient), data)
    before = money_state()
    response = client.post(payment_url(claim.patient), {**data, "amount": "30.00"})
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert response.context["form"]["idempotency_key"].value() != data["idempotency_key"]
    assert money_state() == before


@pytest.mark.parametrize(("changes", "text"), [
    ({"amount": "250000.00"}, "check the amount"),
    ({"idempotency_key": ""}, "expired"),
    ({"method": "check", "reference": ""}, "check number"),
])
def test_the_payment_form_explains_what_is_wrong_and_posts_nothing(
        signed_in: Callable[[User], Client], desk: User, claim: Claim, changes: dict[str, str], text: str) -> None:
    client = signed_in(desk)
    before = money_state()
    response = client.post(payment_url(claim.patient), {**_form(client, claim.patient), **changes})
    assert response.status_code == 400
    assert text in response.content.decode()
    assert money_state() == before


def test_the_front_desk_of_another_location_cannot_post_a_payment(
        signed_in: Callable[[User], Client], make_user: Callable[..., User], south: Location, claim: Claim) -> None:
    other = make_user(Role.FRONT_DESK, locations=[south])
    before = money_state()
    response = signed_in(other).post(payment_url(claim.patient), {
        "amount": "5.00", "method": "cash", "received_on": "2026-11-20", "idempotency_key": "x"})
    assert response.status_code == 404
    assert money_state() == before
    assert denied(other) == 1


# --- refunds, write-offs, plans -------------------------------------------------------------------------------


def test_a_biller_refunds_the_credit(signed_in: Callable[[User], Client], biller: User, desk: User,
                                     claim: Claim) -> None:
    payment = services.patient_payment_record(actor=desk, patient=claim.patient, amount="50.00",
                                              method=PaymentMethod.CASH, received_on=dt.date(2026, 11, 20))
    client = signed_in(biller)
    url = reverse("billing:patient_refund_create", kwargs={"patient_id": claim.patient_id})
    assert client.get(account_url(claim.patient)).context["can_refund"] is True
    too_much = client.post(url, {"amount": "10.01", "method": "cash", "reason": "overpaid", "payment": payment.pk})
    assert too_much.status_code == 400
    response = client.post(url, {"amount": "10.00", "method": "cash", "reason": "overpaid", "payment": payment.pk})
    assert response.status_code == 302
    assert payment.refunds.get().amount == Decimal("10.00")
    assert balance(None, patient=claim.patient) == Decimal("0.00")
    assert_ledger_sound()


def test_the_front_desk_cannot_open_the_refund_page(signed_in: Callable[[User], Client], desk: User,
                                                    claim: Claim) -> None:
    url = reverse("billing:patient_refund_create", kwargs={"patient_id": claim.patient_id})
    before = money_state()
    client = signed_in(desk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1.00", "method": "cash", "reason": "x"}).status_code == 404
    assert money_state() == before
    assert denied(desk) == 2


def test_a_large_write_off_waits_for_a_senior_manager_who_approves_it(
        signed_in: Callable[[User], Client], biller: User, senior: User, claim: Claim) -> None:
    BillingSettings.objects.update(write_off_approval_threshold=Decimal("20.00"))
    url = reverse("billing:patient_writeoff_create", kwargs={"patient_id": claim.patient_id})
    response = signed_in(biller).post(url, {"claim": claim.pk, "party": "patient", "amount": "30.00",
                                            "reason": "hardship"})
    assert response.status_code == 302
    write_off = WriteOff.objects.get()
    assert write_off.status == WriteOffStatus.PENDING
    assert balance(claim) == Decimal("40.00")

    approver = signed_in(senior)
    pending = approver.get(reverse("billing:writeoff_pending"))
    assert pending.status_code == 200
    assert reverse("billing:writeoff_decide", kwargs={"pk": write_off.pk}) in pending.content.decode()
    assert viewed(senior, claim.patient) == 1
    decided = approver.post(reverse("billing:writeoff_decide", kwargs={"pk": write_off.pk}), {"decision": "approve"})
    assert decided.status_code == 302
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.APPROVED
    assert balance(claim) == Decimal("10.00")
    assert_ledger_sound()


def test_rejecting_a_write_off_from_the_page_needs_a_reason_that_the_account_then_shows(
        signed_in: Callable[[User], Client], biller: User, senior: User, claim: Claim) -> None:
    BillingSettings.objects.update(write_off_approval_threshold=Decimal("20.00"))
    signed_in(biller).post(reverse("billing:patient_writeoff_create", kwargs={"patient_id": claim.patient_id}),
                           {"claim": claim.pk, "party": "patient", "amount": "30.00", "reason": "hardship"})
    write_off = WriteOff.objects.get()
    approver = signed_in(senior)
    url = reverse("billing:writeoff_decide", kwargs={"pk": write_off.pk})
    approver.post(url, {"decision": "reject", "note": ""})
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.PENDING
    approver.post(url, {"decision": "reject", "note": "Set up a payment plan instead."})
    write_off.refresh_from_db()
    assert (write_off.status, write_off.decision_note) == (WriteOffStatus.REJECTED, "Set up a payment plan instead.")
    assert balance(claim) == Decimal("40.00")
    account = approver.get(reverse("billing:patient_account", kwargs={"patient_id": claim.patient_id}))
    assert "Set up a payment plan instead." in account.content.decode()


def test_a_senior_manager_cannot_decide_their_own_write_off_from_the_page(
        signed_in: Callable[[User], Client], senior: User, claim: Claim) -> None:
    BillingSettings.objects.update(write_off_approval_threshold=Decimal("20.00"))
    write_off = services.write_off_request(actor=senior, patient=claim.patient, claim=claim, party="patient",
                                           amount="30.00", reason="hardship")
    client = signed_in(senior)
    page = client.get(reverse("billing:writeoff_pending")).content.decode()
    assert "Your request" in page
    assert reverse("billing:writeoff_decide", kwargs={"pk": write_off.pk}) not in page
    before = money_state()
    response = client.post(reverse("billing:writeoff_decide", kwargs={"pk": write_off.pk}), {"decision": "approve"},
                           follow=True)
    assert any("another senior manager" in str(message) for message in response.context["messages"])
    assert money_state() == before
    assert denied(senior) == 1


def test_the_pending_list_takes_the_same_number_of_queries_whatever_the_rows(
        signed_in: Callable[[User], Client], biller: User, senior: User, north: Location) -> None:
    BillingSettingsFactory()
    client = signed_in(senior)

    def add_one() -> None:
        claim = owed_claim(actor=biller, location=north, patient_owes=Decimal("90.00"))
        services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party="patient",
                                   amount="80.00", reason="hardship")

    add_one()
    client.get(reverse("billing:writeoff_pending"))
    one = _queries_per_page(client, reverse("billing:writeoff_pending"))
    for _ in range(4):
        add_one()
    assert _queries_per_page(client, reverse("billing:writeoff_pending")) == one


def _queries_per_page(client: Client, url: str) -> int:
    """Queries of one page view, less those writing audit events (one per patient shown, by rule)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(1 for query in captured.captured_queries if "audit_auditevent" not in query["sql"])


def test_a_payment_plan_is_agreed_shown_and_ended_from_the_account(
        signed_in: Callable[[User], Client], desk: User, claim: Claim) -> None:
    client = signed_in(desk)
    url = reverse("billing:patient_plan_create", kwargs={"patient_id": claim.patient_id})
    assert client.post(url, {"total": "40.00", "installment": "50.00", "starts_on": "2026-11-01"}).status_code == 400
    response = client.post(url, {"total": "40.00", "installment": "20.00", "starts_on": "2026-11-01",
                                 "day_of_month": "1"})
    assert response.status_code == 302
    page = client.get(account_url(claim.patient))
    assert page.context["account"].plan.plan.installment == Decimal("20.00")
    assert "Behind by $20.00" in page.content.decode()
    ended = client.post(reverse("billing:patient_plan_end", kwargs={"patient_id": claim.patient_id}))
    assert ended.status_code == 302
    assert not PaymentPlan.objects.filter(is_active=True).exists()


# --- the payments list ----------------------------------------------------------------------------------------


def test_the_payments_list_shows_payments_of_my_locations_and_finds_accounts(
        signed_in: Callable[[User], Client], biller: User, desk: User, make_user: Callable[..., User],
        north: Location, south: Location, claim: Claim) -> None:
    services.patient_payment_record(actor=desk, patient=claim.patient, amount="15.00", method=PaymentMethod.CASH,
                                    received_on=dt.date(2026, 11, 20))
    elsewhere = PatientFactory(home_location=south, last_name="Southerly")
    services.patient_payment_record(actor=make_user(Role.FRONT_DESK, locations=[south]), patient=elsewhere,
                                    amount="9.00", method=PaymentMethod.CASH, received_on=dt.date(2026, 11, 20))
    client = signed_in(desk)
    response = client.get(reverse("billing:payment_list"))
    assert [row.patient_id for row in response.context["table"].page.object_list] == [claim.patient_id]
    found = client.get(reverse("billing:payment_list"), {"patient": claim.patient.last_name})
    assert [patient.pk for patient in found.context["patients"]] == [claim.patient_id]
    assert account_url(claim.patient) in found.content.decode()
    assert client.get(reverse("billing:payment_list"), {"patient": "Southerly"}).context["patients"] == []
    assert AuditEvent.objects.filter(actor=desk, action="patients.searched").count() == 2


def test_the_payments_list_takes_the_same_number_of_queries_whatever_the_rows(
        signed_in: Callable[[User], Client], desk: User, claim: Claim) -> None:
    client = signed_in(desk)

    def add_payment() -> None:
        services.patient_payment_record(actor=desk, patient=claim.patient, amount="5.00", method=PaymentMethod.CASH,
                                        received_on=dt.date(2026, 11, 20))

    add_payment()
    client.get(reverse("billing:payment_list"))
    one = _queries_per_page(client, reverse("billing:payment_list"))
    for _ in range(5):
        add_payment()
    assert _queries_per_page(client, reverse("billing:payment_list")) == one
