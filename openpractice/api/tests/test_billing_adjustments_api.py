"""/write-offs, /refunds and /payment-plans: the patient-money records of the account page through the API. Reads
need billing.view or billing.collect_payments at the record's location; writes go through the account page's
services with their rules (threshold and approval by someone else, credit caps, one active plan). The POSTs that
move money run once per Idempotency-Key. Out of role or out of scope answers 404 (audited) and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import EntryKind, Party, WriteOffStatus
from openpractice.billing.models import Claim, LedgerEntry, PaymentPlan, Refund, WriteOff
from openpractice.billing.services import patient_payments as services
from openpractice.billing.tests.test_patient_payments_services import (
    assert_ledger_sound,
    balance,
    denied,
    money_state,
    owed_claim,
    pay,
)
from openpractice.core.models import Location
from openpractice.integrations.models import IdempotencyRecord
from openpractice.patients.tests.factories import PatientFactory

from ..idempotency import HEADER, REPLAYED_HEADER
from .conftest import API, TokenClient, token_client_for

pytestmark = pytest.mark.django_db

WRITE_OFFS, REFUNDS, PLANS = f"{API}/write-offs", f"{API}/refunds", f"{API}/payment-plans"


def post(client: TokenClient, url: str, body: dict[str, Any], key: str | None = "key-1") -> Any:
    headers = dict(client.headers)
    if key is not None:
        headers[HEADER] = key
    return client.client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def viewed(user: User, patient_id: int) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient_id).count()


def list_queries(client: TokenClient, url: str) -> int:
    """Queries of one list call, the audit trail's own rows aside (one INSERT per page whatever its size)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, response.content
    return sum(1 for query in captured.captured_queries if "audit_auditevent" not in query["sql"])


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
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse-north")


@pytest.fixture
def south_biller(make_user: Callable[..., User], south: Location) -> User:
    return make_user(Role.BILLER, locations=[south], username="biller-south")


@pytest.fixture
def claim(biller: User, north: Location) -> Claim:
    """A North claim: the patient owes 40.00, the payer 60.00 (the default approval threshold is 50.00)."""
    return owed_claim(actor=biller, location=north, patient_owes=Decimal("40.00"), payer_owes=Decimal("60.00"))


def write_off_body(claim: Claim, **changes: Any) -> dict[str, Any]:
    return {"patient_id": claim.patient_id, "claim_id": claim.pk, "party": "patient", "amount": "15.00",
            "reason": "Small balance after secondary", **changes}


# --- write-offs -----------------------------------------------------------------------------------------------


def test_a_write_off_at_or_below_the_threshold_posts_at_once(biller: User, claim: Claim) -> None:
    response = post(token_client_for(biller), WRITE_OFFS, write_off_body(claim))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["party"], body["claim_number"]) == (
        "approved", "15.00", "patient", claim.claim_number)
    assert body["requested_by"]["username"] == "biller-north"
    assert balance(claim) == Decimal("25.00")
    assert LedgerEntry.objects.filter(kind=EntryKind.WRITE_OFF, claim=claim).values_list("amount", flat=True).get() \
        == Decimal("-15.00")
    assert_ledger_sound()


def test_a_write_off_above_the_threshold_waits_until_another_senior_manager_approves_it(
        biller: User, senior: User, claim: Claim) -> None:
    asked = post(token_client_for(biller), WRITE_OFFS, write_off_body(claim, party="payer", amount="60.00"))
    assert asked.status_code == 201, asked.content
    assert asked.json()["status"] == "pending"
    assert balance(claim, party=Party.PAYER) == Decimal("60.00")  # nothing posted yet
    decided = post(token_client_for(senior), f"{WRITE_OFFS}/{asked.json()['id']}/decide", {"decision": "approve"},
                   key="decide-1")
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["decided_by"]["username"]) == ("approved", "senior-north")
    assert balance(claim, party=Party.PAYER) == Decimal("0.00")
    assert_ledger_sound()


def test_a_rejection_needs_a_note_and_posts_nothing(biller: User, senior: User, claim: Claim) -> None:
    write_off = services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party=Party.PAYER,
                                           amount="60.00", reason="Timely filing")
    client = token_client_for(senior)
    before = money_state()
    refused = post(client, f"{WRITE_OFFS}/{write_off.pk}/decide", {"decision": "reject"}, key="r-1")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "decision_note"]
    assert money_state() == before
    rejected = post(client, f"{WRITE_OFFS}/{write_off.pk}/decide", {"decision": "reject", "note": "Appeal first"},
                    key="r-2")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert balance(claim, party=Party.PAYER) == Decimal("60.00")
    again = post(client, f"{WRITE_OFFS}/{write_off.pk}/decide", {"decision": "approve"}, key="r-3")
    assert again.status_code == 422  # already decided
    assert WriteOff.objects.get().status == WriteOffStatus.REJECTED


def test_the_person_who_asked_cannot_decide_their_own_write_off(senior: User, claim: Claim) -> None:
    asked = post(token_client_for(senior), WRITE_OFFS, write_off_body(claim, party="payer", amount="60.00"))
    assert asked.json()["status"] == "pending"
    before = money_state()
    response = post(token_client_for(senior), f"{WRITE_OFFS}/{asked.json()['id']}/decide", {"decision": "approve"},
                    key="own")
    assert response.status_code == 403
    assert "another senior manager" in response.json()["message"]
    assert money_state() == before
    assert denied(senior) == 1


def test_a_write_off_retried_with_its_key_is_posted_once(biller: User, senior: User, claim: Claim) -> None:
    client = token_client_for(biller)
    first = post(client, WRITE_OFFS, write_off_body(claim), key="wo-1")
    state = money_state()
    again = post(client, WRITE_OFFS, write_off_body(claim), key="wo-1")
    assert (again.status_code, again[REPLAYED_HEADER], again.json()) == (201, "true", first.json())
    assert money_state() == state
    assert WriteOff.objects.count() == 1
    assert balance(claim) == Decimal("25.00")
    other = post(client, WRITE_OFFS, write_off_body(claim, amount="1.00"), key="wo-1")
    assert other.json()["code"] == "idempotency_key_reused"
    assert money_state() == state
    assert post(client, WRITE_OFFS, write_off_body(claim), key=None).json()["code"] == "idempotency_key_required"
    assert money_state() == state

    pending = services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party=Party.PAYER,
                                         amount="60.00", reason="Timely filing")
    approver = token_client_for(senior)
    decided = post(approver, f"{WRITE_OFFS}/{pending.pk}/decide", {"decision": "approve"}, key="d-1")
    entries = LedgerEntry.objects.count()
    replayed = post(approver, f"{WRITE_OFFS}/{pending.pk}/decide", {"decision": "approve"}, key="d-1")
    assert (replayed.status_code, replayed[REPLAYED_HEADER], replayed.json()) == (200, "true", decided.json())
    assert LedgerEntry.objects.count() == entries
    assert_ledger_sound()


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "40.01"}, "amount"),  # more than is open
    ({"amount": "0"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"reason": "   "}, "reason"),
    ({"party": "payer", "claim_id": None}, "claim"),
])
def test_a_write_off_that_makes_no_sense_is_422_and_posts_nothing(biller: User, claim: Claim,
                                                                  changes: dict[str, Any], field: str) -> None:
    before = money_state()
    response = post(token_client_for(biller), WRITE_OFFS, write_off_body(claim, **changes))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert money_state() == before
    assert not IdempotencyRecord.objects.exists()  # a refused call keeps no key: it may be retried fixed


def test_a_write_off_naming_a_patient_or_claim_out_of_reach_is_422(biller: User, south_biller: User,
                                                                   south: Location, claim: Claim) -> None:
    south_claim = owed_claim(actor=south_biller, location=south, patient_owes=Decimal("10.00"))
    other_claim = owed_claim(actor=biller, location=claim.location, patient_owes=Decimal("10.00"))
    client = token_client_for(biller)
    before = money_state()
    assert post(client, WRITE_OFFS, write_off_body(south_claim), key="a").json()["errors"][0]["loc"] == [
        "body", "patient_id"]
    assert post(client, WRITE_OFFS, write_off_body(claim, claim_id=other_claim.pk), key="b").json()["errors"][0][
        "loc"] == ["body", "claim_id"]
    assert post(client, WRITE_OFFS, write_off_body(claim, party="gold"), key="c").status_code == 422
    assert money_state() == before


def test_the_write_off_list_shows_your_locations_audits_each_patient_once_and_filters(
        biller: User, desk: User, south_biller: User, south: Location, claim: Claim) -> None:
    first = services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party=Party.PATIENT,
                                       amount="5.00", reason="Courtesy")
    second = services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party=Party.PAYER,
                                        amount="60.00", reason="Timely filing")
    south_claim = owed_claim(actor=south_biller, location=south, patient_owes=Decimal("10.00"))
    services.write_off_request(actor=south_biller, patient=south_claim.patient, claim=south_claim,
                               party=Party.PATIENT, amount="5.00", reason="Courtesy")
    client = token_client_for(desk)  # the front desk reads the account's write-offs too
    body = client.get(WRITE_OFFS).json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    assert viewed(desk, claim.patient_id) == 1
    assert [item["id"] for item in client.get(WRITE_OFFS, {"status": "pending"}).json()["items"]] == [second.pk]
    assert [item["id"] for item in client.get(WRITE_OFFS, {"party": "patient"}).json()["items"]] == [first.pk]
    assert client.get(WRITE_OFFS, {"status": "maybe"}).status_code == 422
    detail = client.get(f"{WRITE_OFFS}/{first.pk}")
    assert (detail.status_code, detail.json()["reason"]) == (200, "Courtesy")
    assert viewed(desk, claim.patient_id) == 4  # the first page, two filtered pages, the detail


def test_a_write_off_of_another_location_is_404_and_the_attempt_audited(
        biller: User, senior: User, south_biller: User, south: Location) -> None:
    south_claim = owed_claim(actor=south_biller, location=south, patient_owes=Decimal("80.00"))
    pending = services.write_off_request(actor=south_biller, patient=south_claim.patient, claim=south_claim,
                                         party=Party.PATIENT, amount="70.00", reason="Hardship")
    response = token_client_for(biller).get(f"{WRITE_OFFS}/{pending.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert denied(biller) == 1
    before = money_state()
    decided = post(token_client_for(senior), f"{WRITE_OFFS}/{pending.pk}/decide", {"decision": "approve"})
    assert decided.status_code == 404
    assert money_state() == before
    assert denied(senior) == 1
    assert viewed(biller, south_claim.patient_id) == 0


def test_a_role_without_the_permissions_gets_404_on_write_offs_and_nothing_changes(
        nurse: User, desk: User, biller: User, claim: Claim) -> None:
    write_off = services.write_off_request(actor=biller, patient=claim.patient, claim=claim, party=Party.PATIENT,
                                           amount="5.00", reason="Courtesy")
    before = money_state()
    client = token_client_for(nurse)
    assert client.get(WRITE_OFFS).status_code == 404
    assert client.get(f"{WRITE_OFFS}/{write_off.pk}").status_code == 404
    assert post(client, WRITE_OFFS, write_off_body(claim)).status_code == 404
    # The front desk reads write-offs but neither asks for nor decides them.
    assert post(token_client_for(desk), WRITE_OFFS, write_off_body(claim)).status_code == 404
    assert post(token_client_for(desk), f"{WRITE_OFFS}/{write_off.pk}/decide", {"decision": "approve"}).status_code \
        == 404
    assert money_state() == before
    assert (denied(nurse), denied(desk)) == (3, 2)


def test_the_write_off_list_takes_the_same_queries_whatever_the_rows(biller: User, north: Location) -> None:
    def one_more() -> None:
        owed = owed_claim(actor=biller, location=north, patient_owes=Decimal("9.00"))
        services.write_off_request(actor=biller, patient=owed.patient, claim=owed, party=Party.PATIENT,
                                   amount="4.00", reason="Courtesy")

    client = token_client_for(biller)
    one_more()
    client.get(WRITE_OFFS)
    few = list_queries(client, WRITE_OFFS)
    for _ in range(4):
        one_more()
    assert list_queries(client, WRITE_OFFS) == few


# --- refunds --------------------------------------------------------------------------------------------------


@pytest.fixture
def overpaid(desk: User, claim: Claim) -> Any:
    """The patient paid 50.00 on the 40.00 they owed: 10.00 of credit on the account."""
    return pay(desk, claim.patient, "50.00")


def refund_body(claim: Claim, **changes: Any) -> dict[str, Any]:
    return {"patient_id": claim.patient_id, "amount": "6.00", "method": "cash", "reason": "Overpaid at check-out",
            **changes}


def test_a_refund_gives_back_part_of_the_credit(biller: User, claim: Claim, overpaid: Any) -> None:
    response = post(token_client_for(biller), REFUNDS, refund_body(claim, payment_id=overpaid.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["payment_id"], body["method"], body["patient"]["id"]) == (
        "6.00", overpaid.pk, "cash", claim.patient_id)
    assert balance(None, patient=claim.patient) == Decimal("-4.00")
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).values_list("amount", flat=True).get() == Decimal("6.00")
    assert_ledger_sound()


def test_a_refund_retried_with_its_key_is_given_once(biller: User, claim: Claim, overpaid: Any) -> None:
    client = token_client_for(biller)
    first = post(client, REFUNDS, refund_body(claim), key="refund-1")
    state = money_state()
    again = post(client, REFUNDS, refund_body(claim), key="refund-1")
    assert (again.status_code, again[REPLAYED_HEADER], again.json()) == (201, "true", first.json())
    assert money_state() == state
    assert Refund.objects.count() == 1
    assert balance(None, patient=claim.patient) == Decimal("-4.00")


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "10.01"}, "amount"),  # more than the credit
    ({"amount": "-1"}, "amount"),
    ({"method": "gold"}, "method"),
    ({"reason": ""}, "reason"),
    ({"refunded_on": (dt.date.today() + dt.timedelta(days=40)).isoformat()}, "refunded_on"),
])
def test_a_refund_that_makes_no_sense_is_422_and_posts_nothing(biller: User, claim: Claim, overpaid: Any,
                                                               changes: dict[str, Any], field: str) -> None:
    before = money_state()
    response = post(token_client_for(biller), REFUNDS, refund_body(claim, **changes))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"][-1] == field
    assert money_state() == before


def test_a_refund_naming_another_patients_payment_is_422(biller: User, desk: User, claim: Claim, north: Location,
                                                         overpaid: Any) -> None:
    other = pay(desk, PatientFactory(home_location=north), "5.00")
    before = money_state()
    response = post(token_client_for(biller), REFUNDS, refund_body(claim, payment_id=other.pk))
    assert response.json()["errors"][0]["loc"] == ["body", "payment_id"]
    assert money_state() == before


def test_the_front_desk_reads_refunds_but_cannot_give_one(biller: User, desk: User, claim: Claim,
                                                         overpaid: Any) -> None:
    refund = services.refund_issue(actor=biller, patient=claim.patient, amount="2.00", method="cash",
                                   reason="Overpaid")
    client = token_client_for(desk)
    listed = client.get(REFUNDS).json()
    assert [item["id"] for item in listed["items"]] == [refund.pk]
    assert viewed(desk, claim.patient_id) == 1
    assert client.get(f"{REFUNDS}/{refund.pk}").json()["reason"] == "Overpaid"
    before = money_state()
    assert post(client, REFUNDS, refund_body(claim)).status_code == 404
    assert money_state() == before
    assert denied(desk) == 1


def test_a_refund_of_another_location_is_404_and_audited_and_a_nurse_sees_none(
        biller: User, nurse: User, south_biller: User, make_user: Callable[..., User], south: Location,
        claim: Claim, overpaid: Any) -> None:
    south_claim = owed_claim(actor=south_biller, location=south, patient_owes=Decimal("5.00"))
    pay(make_user(Role.FRONT_DESK, locations=[south]), south_claim.patient, "8.00")
    refund = services.refund_issue(actor=south_biller, patient=south_claim.patient, amount="3.00", method="cash",
                                   reason="Overpaid")
    assert token_client_for(biller).get(f"{REFUNDS}/{refund.pk}").status_code == 404
    assert token_client_for(biller).get(REFUNDS).json()["count"] == 0
    assert denied(biller) == 1
    client = token_client_for(nurse)
    before = money_state()
    assert client.get(REFUNDS).status_code == 404
    assert post(client, REFUNDS, refund_body(claim)).status_code == 404
    assert money_state() == before
    assert denied(nurse) == 2


def test_the_refund_list_takes_the_same_queries_whatever_the_rows(biller: User, desk: User,
                                                                  north: Location) -> None:
    def one_more() -> None:
        patient = PatientFactory(home_location=north)
        pay(desk, patient, "5.00")
        services.refund_issue(actor=biller, patient=patient, amount="2.00", method="cash", reason="Overpaid")

    client = token_client_for(biller)
    one_more()
    client.get(REFUNDS)
    few = list_queries(client, REFUNDS)
    for _ in range(4):
        one_more()
    assert list_queries(client, REFUNDS) == few


# --- payment plans --------------------------------------------------------------------------------------------


def plan_body(claim: Claim, **changes: Any) -> dict[str, Any]:
    return {"patient_id": claim.patient_id, "total": "40.00", "installment": "15.00", "starts_on": "2026-10-05",
            "day_of_month": 5, "note": "Agreed at check-out", **changes}


def test_the_front_desk_agrees_a_plan_and_sees_how_the_patient_keeps_up(desk: User, claim: Claim) -> None:
    pay(desk, claim.patient, "15.00", received_on=dt.date(2026, 10, 5))
    response = post(token_client_for(desk), PLANS, plan_body(claim))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["installment"], body["is_active"], body["installments"]) == (
        "40.00", "15.00", True, 3)
    assert body["paid"] == "15.00"
    assert PaymentPlan.objects.get().created_by == desk
    assert LedgerEntry.objects.filter(kind=EntryKind.PATIENT_PAYMENT).count() == 1  # a plan posts nothing


def test_a_plan_retried_with_its_key_is_agreed_once_and_a_second_plan_is_refused(desk: User, claim: Claim) -> None:
    client = token_client_for(desk)
    first = post(client, PLANS, plan_body(claim), key="plan-1")
    again = post(client, PLANS, plan_body(claim), key="plan-1")
    assert (again.status_code, again[REPLAYED_HEADER], again.json()) == (201, "true", first.json())
    assert PaymentPlan.objects.count() == 1
    second = post(client, PLANS, plan_body(claim), key="plan-2")
    assert second.status_code == 422
    assert PaymentPlan.objects.count() == 1


def test_ending_a_plan_stops_it_once(desk: User, claim: Claim) -> None:
    plan = services.payment_plan_create(actor=desk, patient=claim.patient, total="40.00", installment="20.00",
                                        starts_on=dt.date(2026, 11, 1))
    client = token_client_for(desk)
    ended = client.post(f"{PLANS}/{plan.pk}/end")
    assert (ended.status_code, ended.json()["is_active"]) == (200, False)
    assert client.post(f"{PLANS}/{plan.pk}/end").status_code == 422
    assert [item["id"] for item in client.get(PLANS, {"active": "false"}).json()["items"]] == [plan.pk]
    assert client.get(PLANS, {"active": "true"}).json()["count"] == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"installment": "50.00"}, "installment"),  # more than the total
    ({"total": "0"}, "total"),
    ({"day_of_month": 29}, "day_of_month"),
])
def test_a_plan_that_makes_no_sense_is_422_and_nothing_is_kept(desk: User, claim: Claim, changes: dict[str, Any],
                                                               field: str) -> None:
    response = post(token_client_for(desk), PLANS, plan_body(claim, **changes))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == field
    assert not PaymentPlan.objects.exists()


def test_plans_out_of_role_or_scope_are_404_and_audited(desk: User, nurse: User, make_user: Callable[..., User],
                                                        south: Location, claim: Claim) -> None:
    south_patient = PatientFactory(home_location=south)
    south_plan = services.payment_plan_create(actor=make_user(Role.FRONT_DESK, locations=[south]),
                                              patient=south_patient, total="30.00", installment="10.00",
                                              starts_on=dt.date(2026, 11, 1))
    client = token_client_for(desk)
    assert client.get(f"{PLANS}/{south_plan.pk}").status_code == 404
    assert client.post(f"{PLANS}/{south_plan.pk}/end").status_code == 404
    assert post(client, PLANS, {**plan_body(claim), "patient_id": south_patient.pk}).json()["errors"][0]["loc"] == [
        "body", "patient_id"]
    assert denied(desk) == 2
    assert PaymentPlan.objects.get().is_active
    nursing = token_client_for(nurse)
    assert nursing.get(PLANS).status_code == 404
    assert post(nursing, PLANS, plan_body(claim)).status_code == 404
    assert PaymentPlan.objects.count() == 1
    assert denied(nurse) == 2


def test_the_plan_list_audits_each_patient_and_takes_the_same_queries_whatever_the_rows(
        desk: User, north: Location) -> None:
    def one_more() -> PaymentPlan:
        patient = PatientFactory(home_location=north)
        pay(desk, patient, "10.00")
        return services.payment_plan_create(actor=desk, patient=patient, total="30.00", installment="10.00",
                                            starts_on=dt.date(2026, 11, 1))

    client = token_client_for(desk)
    plan = one_more()
    body = client.get(PLANS).json()
    assert (body["count"], body["items"][0]["paid"]) == (1, "10.00")
    assert viewed(desk, plan.patient_id) == 1
    few = list_queries(client, PLANS)
    for _ in range(4):
        one_more()
    assert list_queries(client, PLANS) == few
