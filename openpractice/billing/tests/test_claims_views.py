"""Claim pages: the list, the claim page (what is billed, the scrubber's findings, the history) and the actions
the lifecycle permits. billing.view to see, billing.manage to act, scoped by the claim's location."""

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
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import BatchStatus, ChargeStatus, ClaimFrequency, ClaimStatus
from openpractice.billing.models import Charge, Claim, ClaimBatch, ClaimIssue, ClaimStatusChange
from openpractice.billing.services.claim_status import claim_transition
from openpractice.billing.tests.factories import BillingSettingsFactory, make_claim
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north", first_name="Bea", last_name="Biller")


@pytest.fixture
def as_biller(signed_in: Callable[[User], Client], biller: User) -> Client:
    BillingSettingsFactory()
    return signed_in(biller)


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def sent(claim: Claim, status: str = ClaimStatus.ACCEPTED, number: str = "ICN-1") -> Claim:
    Claim.objects.filter(pk=claim.pk).update(status=status, payer_claim_number=number,
                                             submitted_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    claim.refresh_from_db()
    return claim


# --- list ------------------------------------------------------------------------------------------------------


def test_the_claim_list_shows_the_claims_of_the_billers_locations(as_biller: Client, biller: User, north: Location,
                                                                  south: Location) -> None:
    mine = make_claim(location=north, actor=biller)
    other = make_claim(location=south, actor=biller)
    response = as_biller.get(reverse("billing:claim_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.claim_number in body
    assert other.claim_number not in body


def test_the_claim_list_filters_by_status_and_payer(as_biller: Client, biller: User, north: Location) -> None:
    held = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    by_status = as_biller.get(reverse("billing:claim_list"), {"status": "held"})
    assert [c.pk for c in by_status.context["table"].page.object_list] == [held.pk]
    by_payer = as_biller.get(reverse("billing:claim_list"), {"payer": held.payer_id})
    assert [c.pk for c in by_payer.context["table"].page.object_list] == [held.pk]
    by_number = as_biller.get(reverse("billing:claim_list"), {"q": held.claim_number})
    assert [c.pk for c in by_number.context["table"].page.object_list] == [held.pk]


def test_the_claim_list_finds_claims_at_my_location_for_patients_registered_elsewhere(
        as_biller: Client, biller: User, north: Location, south: Location) -> None:
    """The search runs on the claims in my scope, not on the patients registered at my locations."""
    visitor = PatientFactory(home_location=south, last_name="Quenneville")
    coverage = CoverageFactory(patient=visitor)
    mine = make_claim(location=north, actor=biller, coverage=coverage)
    make_claim(location=south, actor=biller, coverage=coverage)  # not my location
    make_claim(location=north, actor=biller)  # another patient
    for text in ("quenn", visitor.account_number):
        response = as_biller.get(reverse("billing:claim_list"), {"q": text})
        assert [c.pk for c in response.context["table"].page.object_list] == [mine.pk]
    nothing = as_biller.get(reverse("billing:claim_list"), {"q": "!!"})
    assert list(nothing.context["table"].page.object_list) == []


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_claim_list_costs_the_same_queries_for_3_or_15_claims(as_biller: Client, biller: User,
                                                                   north: Location) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
            ClaimIssue.objects.create(claim=claim, rule="npi", severity="error", message="Bad NPI")
            ClaimIssue.objects.create(claim=claim, rule="zip", severity="warning", message="ZIP+4")

    add(3)
    few = _queries(as_biller, reverse("billing:claim_list"))
    add(12)
    assert _queries(as_biller, reverse("billing:claim_list")) == few


def test_a_front_desk_clerk_cannot_open_the_claim_list(signed_in: Callable[[User], Client],
                                                       make_user: Callable[..., User], north: Location) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])
    assert signed_in(clerk).get(reverse("billing:claim_list")).status_code == 404
    assert denied(clerk) == 1


# --- the claim page --------------------------------------------------------------------------------------------


def test_the_claim_page_shows_what_is_billed_what_to_fix_and_the_history(as_biller: Client, biller: User,
                                                                         north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    ClaimStatusChange.objects.create(claim=claim, from_status="", to_status="draft", actor=biller,
                                     reason="built from charge")
    claim_transition(actor=biller, claim=claim, to_status=ClaimStatus.HELD, source="scrubber",
                     reason="NPI check digit")
    ClaimIssue.objects.create(claim=claim, rule="npi", severity="error", line_number=1,
                              message="The rendering provider's NPI fails its check digit.",
                              fix_hint="Correct the NPI on the provider's record.")
    response = as_biller.get(claim.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "99213" in body
    assert "E11.9" in body
    assert "$125.00" in body
    assert "fails its check digit" in body
    assert "Correct the NPI on the provider" in body
    assert claim.charge.get_absolute_url() in body
    assert "Bea Biller" in body
    assert "NPI check digit" in body
    assert "built from charge" in body
    event = AuditEvent.objects.get(action="patients.viewed", actor=biller)
    assert event.patient_id == claim.patient_id


def _batched(claim: Claim, status: str) -> Claim:
    batch = ClaimBatch.objects.create(interchange_control_number=5, group_control_number=5, file_name="b5.837",
                                      usage_indicator="T", status=status)
    Claim.objects.filter(pk=claim.pk).update(batch=batch)
    return Claim.objects.get(pk=claim.pk)


def test_a_claim_rejected_after_its_batch_was_sent_offers_scrub_rebuild_and_status(as_biller: Client, biller: User,
                                                                                   north: Location) -> None:
    claim = _batched(sent(make_claim(location=north, actor=biller), status=ClaimStatus.REJECTED),
                     BatchStatus.SUBMITTED)
    response = as_biller.get(claim.get_absolute_url())
    body = response.content.decode()
    assert response.context["can_scrub"]
    assert response.context["can_rebuild"]
    assert response.context["status_form"] is not None
    assert reverse("billing:claim_rebuild", args=[claim.pk]) in body
    assert claim.batch.get_absolute_url() in body
    moved = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]), {"to_status": "draft"})
    assert moved.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def test_a_claim_waiting_in_a_batch_offers_no_action(as_biller: Client, biller: User, north: Location) -> None:
    claim = _batched(make_claim(location=north, actor=biller, status=ClaimStatus.READY), BatchStatus.BUILT)
    response = as_biller.get(claim.get_absolute_url())
    assert not response.context["can_scrub"]
    assert not response.context["can_rebuild"]
    assert response.context["status_form"] is None
    refused = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]), {"to_status": "draft"})
    assert refused.status_code == 400
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY


def test_a_biller_at_north_cannot_open_a_south_claim(as_biller: Client, biller: User, south: Location) -> None:
    claim = make_claim(location=south, actor=biller)
    response = as_biller.get(claim.get_absolute_url())
    assert response.status_code == 404
    assert denied(biller) == 1
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()


def test_a_practice_manager_entry_sees_a_claim_without_actions(signed_in: Callable[[User], Client],
                                                               make_user: Callable[..., User], biller: User,
                                                               north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    response = signed_in(manager).get(claim.get_absolute_url())
    assert response.status_code == 200
    assert reverse("billing:claim_scrub", args=[claim.pk]) not in response.content.decode()


def test_a_practice_manager_entry_cannot_change_a_claims_status(signed_in: Callable[[User], Client],
                                                                make_user: Callable[..., User], biller: User,
                                                                north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller))
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    response = signed_in(manager).post(reverse("billing:claim_change_status", args=[claim.pk]),
                                       {"to_status": "paid"})
    assert response.status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACCEPTED
    assert not ClaimStatusChange.objects.exists()
    assert denied(manager) == 1


# --- actions ---------------------------------------------------------------------------------------------------


def test_scrub_again_moves_the_claim_to_ready_or_held(as_biller: Client, biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    response = as_biller.post(reverse("billing:claim_scrub", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status in (ClaimStatus.READY, ClaimStatus.HELD)
    assert claim.scrubbed_at is not None


def test_rebuild_copies_the_charge_again(as_biller: Client, biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    claim.charge.lines.update(amount=Decimal("99.00"))
    response = as_biller.post(reverse("billing:claim_rebuild", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.total_charge == Decimal("99.00")


def test_rebuilding_a_sent_claim_says_to_correct_it(as_biller: Client, biller: User, north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller))
    response = as_biller.post(reverse("billing:claim_rebuild", args=[claim.pk]), follow=True)
    assert "corrected with a corrected claim" in response.content.decode()


def test_the_status_form_moves_the_claim_and_records_the_payers_number(as_biller: Client, biller: User,
                                                                       north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller), number="")
    response = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]),
                              {"to_status": "paid", "reason": "", "payer_claim_number": "ICN-77"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (ClaimStatus.PAID, "ICN-77")
    change = claim.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("accepted", "paid", biller)


def test_denying_without_a_reason_is_refused_on_the_form(as_biller: Client, biller: User, north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller))
    response = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]),
                              {"to_status": "denied", "reason": ""})
    assert response.status_code == 400
    assert "Say why the claim is denied" in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACCEPTED


def test_a_refused_status_move_keeps_the_payers_number_unchanged_too(as_biller: Client, biller: User,
                                                                     north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller), number="")
    response = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]),
                              {"to_status": "closed", "reason": "", "payer_claim_number": "ICN-77"})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (ClaimStatus.ACCEPTED, "")


def test_a_corrected_claim_is_built_from_its_page(as_biller: Client, biller: User, north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller), number="")
    url = reverse("billing:claim_correct", args=[claim.pk])
    assert as_biller.get(url).status_code == 200
    refused = as_biller.post(url, {"payer_claim_number": ""})
    assert refused.status_code == 400
    response = as_biller.post(url, {"payer_claim_number": "ICN-5"})
    corrected = Claim.objects.get(frequency_code=ClaimFrequency.CORRECTED)
    assert response["Location"] == corrected.get_absolute_url()
    assert corrected.original_claim == claim
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CLOSED


def test_the_correct_page_explains_why_a_draft_cannot_be_replaced(as_biller: Client, biller: User,
                                                                  north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    response = as_biller.get(reverse("billing:claim_correct", args=[claim.pk]))
    assert "Only a claim the payer has" in response.content.decode()
    response = as_biller.post(reverse("billing:claim_correct", args=[claim.pk]), {"payer_claim_number": "X1"})
    assert response.status_code == 400
    assert Claim.objects.count() == 1


def test_a_void_claim_is_built_and_scrubbed(as_biller: Client, biller: User, north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller), status=ClaimStatus.PAID)
    response = as_biller.post(reverse("billing:claim_void", args=[claim.pk]))
    void = Claim.objects.get(frequency_code=ClaimFrequency.VOID)
    assert response["Location"] == void.get_absolute_url()
    assert void.scrubbed_at is not None


def _with_secondary(north: Location, biller: User) -> Any:
    patient = PatientFactory(home_location=north)
    primary = CoverageFactory(patient=patient, rank=1)
    CoverageFactory(patient=patient, rank=2, payer=PayerFactory(name="Second Payer"))
    return sent(make_claim(location=north, actor=biller, coverage=primary), status=ClaimStatus.PARTIAL)


def test_the_secondary_claim_is_built_with_the_primarys_payment(as_biller: Client, biller: User,
                                                                north: Location) -> None:
    primary = _with_secondary(north, biller)
    url = reverse("billing:claim_build_secondary", args=[primary.pk])
    assert as_biller.get(url).status_code == 200
    response = as_biller.post(url, {"paid": "100.00", "paid_on": "2026-11-20", "group_1": "CO", "reason_1": "45",
                                    "amount_1": "25.00"})
    secondary = Claim.objects.get(payer_rank=2)
    assert response["Location"] == secondary.get_absolute_url()
    assert secondary.prior_payer_paid == Decimal("100.00")
    assert list(secondary.prior_adjustments.values_list("group_code", "reason_code")) == [("CO", "45")]


def test_an_unbalanced_primary_payment_is_shown_on_the_form(as_biller: Client, biller: User,
                                                            north: Location) -> None:
    primary = _with_secondary(north, biller)
    response = as_biller.post(reverse("billing:claim_build_secondary", args=[primary.pk]),
                              {"paid": "100.00", "paid_on": "2026-11-20"})
    assert response.status_code == 400
    assert "payment plus adjustments must equal the charge" in response.content.decode()
    assert not Claim.objects.filter(payer_rank=2).exists()


def test_the_primarys_payment_is_recorded_on_the_secondary_claim(as_biller: Client, biller: User,
                                                                 north: Location) -> None:
    primary = _with_secondary(north, biller)
    as_biller.post(reverse("billing:claim_build_secondary", args=[primary.pk]), {})
    secondary = Claim.objects.get(payer_rank=2)
    url = reverse("billing:claim_prior_payment", args=[secondary.pk])
    assert as_biller.get(url).status_code == 200
    response = as_biller.post(url, {"paid": "125.00", "paid_on": "2026-11-20"})
    assert response.status_code == 302
    secondary.refresh_from_db()
    assert secondary.prior_payer_paid == Decimal("125.00")


def _viewed(biller: User) -> list[tuple[int | None, str]]:
    return list(AuditEvent.objects.filter(actor=biller, action="patients.viewed").order_by("pk")
                .values_list("patient_id", "reason"))


@pytest.mark.parametrize(("name", "title"), [("claim_correct", "Corrected claim"), ("claim_void", "Void claim")])
def test_the_corrected_and_void_claim_pages_log_the_phi_read(as_biller: Client, biller: User, north: Location,
                                                             name: str, title: str) -> None:
    claim = sent(make_claim(location=north, actor=biller))
    response = as_biller.get(reverse(f"billing:{name}", args=[claim.pk]))
    assert claim.patient.last_name in response.content.decode()
    assert _viewed(biller) == [(claim.patient_id, f"claim {claim.claim_number}: {title}")]


def test_the_payment_pages_log_the_phi_read(as_biller: Client, biller: User, north: Location) -> None:
    primary = _with_secondary(north, biller)
    assert as_biller.get(reverse("billing:claim_build_secondary", args=[primary.pk])).status_code == 200
    as_biller.post(reverse("billing:claim_build_secondary", args=[primary.pk]), {})
    secondary = Claim.objects.get(payer_rank=2)
    assert as_biller.get(reverse("billing:claim_prior_payment", args=[secondary.pk])).status_code == 200
    assert _viewed(biller) == [
        (primary.patient_id, f"claim {primary.claim_number}: Secondary claim"),
        (primary.patient_id, f"claim {secondary.claim_number}: The primary payer's payment"),
    ]


def test_the_claim_page_shown_again_with_a_form_error_logs_the_phi_read(as_biller: Client, biller: User,
                                                                        north: Location) -> None:
    claim = sent(make_claim(location=north, actor=biller))
    response = as_biller.post(reverse("billing:claim_change_status", args=[claim.pk]), {"to_status": "denied"})
    assert response.status_code == 400
    assert _viewed(biller) == [(claim.patient_id, f"claim {claim.claim_number}")]


def test_a_biller_at_north_cannot_act_on_a_south_claim(as_biller: Client, biller: User, south: Location) -> None:
    claim = sent(make_claim(location=south, actor=biller))
    for name in ("claim_scrub", "claim_rebuild", "claim_change_status", "claim_correct", "claim_void",
                 "claim_build_secondary", "claim_prior_payment"):
        assert as_biller.post(reverse(f"billing:{name}", args=[claim.pk]), {"to_status": "paid"}).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACCEPTED
    assert Claim.objects.count() == 1
    assert denied(biller) == 7


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_claim_list_exports_every_filtered_claim_and_audits_each_patient(
        as_biller: Client, biller: User, north: Location, south: Location, file_format: str) -> None:
    from openpractice.core.tests.exports import export_rows

    held = [make_claim(location=north, actor=biller, status=ClaimStatus.HELD) for _ in range(3)]
    make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    make_claim(location=south, actor=biller, status=ClaimStatus.HELD)
    page = as_biller.get(reverse("billing:claim_list"), {"status": "held"})
    assert "export=csv" in page.content.decode()
    response = as_biller.get(reverse("billing:claim_list"), {"status": "held", "sort": "number",
                                                             "export": file_format})
    rows = export_rows(response)
    assert rows[0][:3] == ["Claim", "Frequency", "Date of service"]
    assert [row[0] for row in rows[1:]] == sorted(claim.claim_number for claim in held)
    exported = AuditEvent.objects.filter(actor=biller, action="patients.exported")
    assert sorted(event.patient_id or 0 for event in exported) == sorted(claim.patient_id for claim in held)
