"""Charge pages: the list with the visits still to be coded, a stand-alone charge, the charge page and its
editors, void and build claim. Permissions: billing.view to see, billing.manage to change, scoped by location."""

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
from openpractice.billing.choices import ChargeStatus, ClaimStatus
from openpractice.billing.models import Charge, ChargeLine, Claim
from openpractice.billing.tests.factories import (
    BillingSettingsFactory,
    FeeScheduleEntryFactory,
    FeeScheduleFactory,
    make_charge,
    make_claim,
)
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

pytestmark = pytest.mark.django_db

DOS = dt.date(2026, 11, 2)


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north", first_name="Bea", last_name="Biller")


@pytest.fixture
def as_biller(signed_in: Callable[[User], Client], biller: User) -> Client:
    return signed_in(biller)


def checked_out(location: Location, **fields: Any) -> Any:
    provider = fields.pop("provider", None) or ProviderFactory(locations=[location])
    return AppointmentFactory(patient=PatientFactory(home_location=location), provider=provider, location=location,
                              starts_at=dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC), status="completed", **fields)


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


# --- list ------------------------------------------------------------------------------------------------------


def test_the_charge_list_shows_charges_and_the_visits_still_to_be_coded(as_biller: Client, biller: User,
                                                                       north: Location, south: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    waiting = checked_out(north)
    checked_out(south)  # another location: not shown
    response = as_biller.get(reverse("billing:charge_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert charge.patient.account_number in body
    assert waiting.patient.account_number in body
    assert reverse("billing:charge_create_for_appointment", args=[waiting.pk]) in body
    assert response.context["to_code_count"] == 1


def test_the_charge_list_hides_other_locations_charges(as_biller: Client, biller: User, north: Location,
                                                       south: Location) -> None:
    make_charge(location=north, actor=biller)
    elsewhere = make_charge(location=south, actor=biller)
    response = as_biller.get(reverse("billing:charge_list"))
    shown = [c.pk for c in response.context["table"].page.object_list]
    assert len(shown) == 1
    assert elsewhere.pk not in shown


def test_the_charge_list_filters_by_status_and_patient(as_biller: Client, biller: User, north: Location) -> None:
    open_charge = make_charge(location=north, actor=biller)
    void = make_charge(location=north, actor=biller)
    Charge.objects.filter(pk=void.pk).update(status=ChargeStatus.VOID)
    by_status = as_biller.get(reverse("billing:charge_list"), {"status": "void"})
    assert [c.pk for c in by_status.context["table"].page.object_list] == [void.pk]
    by_patient = as_biller.get(reverse("billing:charge_list"), {"q": open_charge.patient.account_number})
    assert [c.pk for c in by_patient.context["table"].page.object_list] == [open_charge.pk]
    assert AuditEvent.objects.filter(actor=biller, action="patients.searched").count() == 1


def test_the_charge_list_finds_charges_at_my_location_for_patients_registered_elsewhere(
        as_biller: Client, biller: User, north: Location, south: Location) -> None:
    """The search runs on the charges in my scope, not on the patients registered at my locations."""
    visitor = PatientFactory(home_location=south, last_name="Quenneville")
    coverage = CoverageFactory(patient=visitor)
    mine = make_charge(location=north, actor=biller, coverage=coverage)
    make_charge(location=south, actor=biller, coverage=coverage)  # not my location
    make_charge(location=north, actor=biller)  # another patient
    for text in ("Quenneville", visitor.account_number):
        response = as_biller.get(reverse("billing:charge_list"), {"q": text})
        assert [c.pk for c in response.context["table"].page.object_list] == [mine.pk]


def _list_queries(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches (practice settings) first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_charge_list_costs_the_same_queries_for_3_or_15_charges(as_biller: Client, biller: User,
                                                                     north: Location) -> None:
    for _ in range(3):
        make_charge(location=north, actor=biller, lines=(("99213", Decimal(1)), ("J1100", Decimal(2))))
        checked_out(north)
    few = _list_queries(as_biller, reverse("billing:charge_list"))
    for _ in range(12):
        make_charge(location=north, actor=biller, lines=(("99213", Decimal(1)), ("J1100", Decimal(2))))
        checked_out(north)
    assert _list_queries(as_biller, reverse("billing:charge_list")) == few


def test_a_front_desk_clerk_cannot_open_the_charge_list(signed_in: Callable[[User], Client],
                                                        make_user: Callable[..., User], north: Location) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])
    response = signed_in(clerk).get(reverse("billing:charge_list"))
    assert response.status_code == 404
    assert denied(clerk) == 1


# --- from a visit ----------------------------------------------------------------------------------------------


def test_enter_charges_starts_the_charge_of_a_visit(as_biller: Client, north: Location) -> None:
    appointment = checked_out(north)
    response = as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]))
    charge = Charge.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response["Location"] == charge.get_absolute_url()


def test_enter_charges_twice_opens_the_existing_charge(as_biller: Client, north: Location) -> None:
    appointment = checked_out(north)
    as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]))
    response = as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]), follow=True)
    charge = Charge.objects.get()
    assert response.redirect_chain[-1][0] == charge.get_absolute_url()
    assert "already has charge" in response.content.decode()


def test_enter_charges_for_a_visit_not_checked_out_says_why(as_biller: Client, north: Location) -> None:
    appointment = checked_out(north)
    appointment.status = "checked_in"
    appointment.save()
    response = as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]), follow=True)
    assert "Only a checked-out visit can be charged" in response.content.decode()
    assert not Charge.objects.exists()


def test_a_biller_at_north_cannot_charge_a_south_visit(as_biller: Client, biller: User, south: Location) -> None:
    appointment = checked_out(south)
    response = as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]))
    assert response.status_code == 404
    assert not Charge.objects.exists()
    assert denied(biller) == 1


def test_a_practice_manager_entry_cannot_enter_charges(signed_in: Callable[[User], Client],
                                                       make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    appointment = checked_out(north)
    response = signed_in(manager).post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]))
    assert response.status_code == 404
    assert not Charge.objects.exists()
    assert denied(manager) == 1


# --- stand-alone -----------------------------------------------------------------------------------------------


def test_a_stand_alone_charge_is_started_from_the_patients_account_number(as_biller: Client, biller: User,
                                                                         north: Location) -> None:
    patient = PatientFactory(home_location=north)
    provider = ProviderFactory(locations=[north])
    search = as_biller.get(reverse("billing:charge_create"), {"q": patient.account_number})
    assert f"?patient={patient.account_number}" in search.content.decode()
    response = as_biller.post(reverse("billing:charge_create"), {
        "patient_account": patient.account_number.lower(), "location": north.pk, "rendering_provider": provider.pk,
        "date_of_service": "2026-11-02", "place_of_service": "", "prior_authorization": ""})
    charge = Charge.objects.get()
    assert response.status_code == 302
    assert (charge.patient, charge.location, charge.place_of_service, charge.created_by) == (patient, north, "11",
                                                                                             biller)


def test_a_stand_alone_charge_for_an_unknown_account_is_refused_on_the_form(as_biller: Client,
                                                                          north: Location) -> None:
    provider = ProviderFactory(locations=[north])
    response = as_biller.post(reverse("billing:charge_create"), {
        "patient_account": "P9999999", "location": north.pk, "rendering_provider": provider.pk,
        "date_of_service": "2026-11-02"})
    assert response.status_code == 400
    assert "No active patient with this account number" in response.content.decode()
    assert not Charge.objects.exists()


# --- the charge page -------------------------------------------------------------------------------------------


def test_the_charge_page_shows_the_coding_and_logs_the_phi_read(as_biller: Client, biller: User,
                                                                north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = as_biller.get(charge.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "E11.9" in body
    assert "99213" in body
    assert "$125.00" in body
    assert 'name="part" value="diagnoses"' in body
    event = AuditEvent.objects.get(actor=biller, action="patients.viewed")
    assert event.patient_id == charge.patient_id


def test_a_provider_sees_a_charge_without_its_editors(signed_in: Callable[[User], Client],
                                                      make_user: Callable[..., User], biller: User,
                                                      north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    doctor = make_user(Role.PROVIDER, locations=[north])
    response = signed_in(doctor).get(charge.get_absolute_url())
    assert response.status_code == 200
    assert 'name="part"' not in response.content.decode()


def test_a_biller_at_north_cannot_open_a_south_charge(as_biller: Client, biller: User, south: Location) -> None:
    charge = make_charge(location=south, actor=biller)
    response = as_biller.get(charge.get_absolute_url())
    assert response.status_code == 404
    assert denied(biller) == 1
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()


def test_the_diagnosis_editor_saves_the_codes(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]),
                              {"part": "diagnoses", "code_1": "i10", "code_2": "E11.9", "code_3": ""})
    assert response.status_code == 302
    assert list(charge.diagnoses.values_list("code", flat=True)) == ["I10", "E119"]
    assert charge.lines.get().pointers == [2]


def test_the_diagnosis_editor_shows_why_a_code_is_refused(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]),
                              {"part": "diagnoses", "code_1": "E11", "code_2": "I10"})
    assert response.status_code == 400
    assert "E11 is a category, not a billable code" in response.content.decode()
    assert list(charge.diagnoses.values_list("code", flat=True)) == ["E119", "I10"]


def test_a_line_is_added_at_the_standard_fee(as_biller: Client, biller: User, north: Location) -> None:
    schedule = FeeScheduleFactory(created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99214", amount=Decimal("180.00"))
    charge = make_charge(location=north, actor=biller, lines=())
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]), {
        "part": "line_add", "procedure_code": "99214", "modifiers": "25", "units": "1", "pointers": "1 2",
        "amount": ""})
    assert response.status_code == 302
    line = charge.lines.get()
    assert (line.amount, line.modifiers, line.pointers) == (Decimal("180.00"), ["25"], [1, 2])


def test_a_line_without_a_fee_gets_the_message_on_the_form(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=())
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]), {
        "part": "line_add", "procedure_code": "99215", "units": "1", "pointers": "1"})
    assert response.status_code == 400
    assert "No standard fee for 99215: enter the charge or add it to the fee schedule" in response.content.decode()
    assert not charge.lines.exists()


def test_a_line_is_edited_on_its_own_page_and_repriced_when_the_units_change(as_biller: Client, biller: User,
                                                                            north: Location) -> None:
    schedule = FeeScheduleFactory(created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    charge = make_charge(location=north, actor=biller)
    line = charge.lines.get()
    url = reverse("billing:charge_edit", args=[charge.pk])
    assert as_biller.get(url, {"line": line.pk}).status_code == 200
    response = as_biller.post(url, {"part": "line", "line": line.pk, "procedure_code": "99213", "modifiers": "",
                                    "units": "2", "service_date_from": "2026-11-02",
                                    "service_date_to": "2026-11-02", "pointers": "1", "amount": "125.00"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.units, line.amount) == (Decimal(2), Decimal("250.00"))


def _viewed(biller: User) -> list[tuple[int | None, str]]:
    return list(AuditEvent.objects.filter(actor=biller, action="patients.viewed").order_by("pk")
                .values_list("patient_id", "reason"))


def test_the_header_and_line_forms_log_the_phi_read(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    url = reverse("billing:charge_edit", args=[charge.pk])
    header = as_biller.get(url)
    assert charge.patient.last_name in header.content.decode()
    as_biller.get(url, {"line": charge.lines.get().pk})
    assert _viewed(biller) == [(charge.patient_id, f"charge {charge.pk}: header"),
                               (charge.patient_id, f"charge {charge.pk}: line")]


def test_the_charge_page_shown_again_with_a_form_error_logs_the_phi_read(as_biller: Client, biller: User,
                                                                         north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]), {"part": "diagnoses",
                                                                                 "code_1": "Z99.99"})
    assert response.status_code == 400
    assert _viewed(biller) == [(charge.patient_id, f"charge {charge.pk}")]


def test_changing_a_billed_charge_says_its_ready_claim_went_back_to_draft(as_biller: Client, biller: User,
                                                                          north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    url = reverse("billing:charge_edit", args=[claim.charge_id])
    response = as_biller.post(url, {"date_of_service": "2026-11-02", "place_of_service": "02",
                                    "rendering_provider": claim.rendering_provider_id}, follow=True)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT
    said = [str(message) for message in response.context["messages"]]
    assert said == ["Charge saved.", f"This charge is billed: claim {claim.claim_number} is back in draft. Rebuild "
                                     "it so it carries the change."]


def test_a_line_is_removed(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    line = charge.lines.get()
    response = as_biller.post(reverse("billing:charge_edit", args=[charge.pk]), {"part": "line_delete",
                                                                                 "line": line.pk})
    assert response.status_code == 302
    assert not ChargeLine.objects.filter(pk=line.pk).exists()


def test_the_header_form_saves_the_changes(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    url = reverse("billing:charge_edit", args=[charge.pk])
    assert as_biller.get(url).status_code == 200
    response = as_biller.post(url, {"date_of_service": "2026-11-02", "place_of_service": "02",
                                    "rendering_provider": charge.rendering_provider_id, "billing_provider": "",
                                    "referring_provider": "", "prior_authorization": "AUTH7"})
    assert response.status_code == 302
    charge.refresh_from_db()
    assert (charge.place_of_service, charge.prior_authorization) == ("02", "AUTH7")


def test_a_provider_cannot_post_to_the_editors(signed_in: Callable[[User], Client], make_user: Callable[..., User],
                                               biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    doctor = make_user(Role.PROVIDER, locations=[north])
    response = signed_in(doctor).post(reverse("billing:charge_edit", args=[charge.pk]),
                                      {"part": "diagnoses", "code_1": "I10"})
    assert response.status_code == 404
    assert list(charge.diagnoses.values_list("code", flat=True)) == ["E119", "I10"]
    assert denied(doctor) == 1


def test_a_billed_charge_whose_claim_was_sent_shows_no_editors(as_biller: Client, biller: User,
                                                               north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.SUBMITTED)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    response = as_biller.get(claim.charge.get_absolute_url())
    body = response.content.decode()
    assert 'name="part"' not in body
    assert "corrected with a corrected claim" in body


# --- void and build claim --------------------------------------------------------------------------------------


def test_void_voids_the_charge(as_biller: Client, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_void", args=[charge.pk]))
    assert response.status_code == 302
    assert Charge.objects.get(pk=charge.pk).status == ChargeStatus.VOID


def test_build_claim_builds_and_scrubs_the_claim(as_biller: Client, biller: User, north: Location) -> None:
    BillingSettingsFactory()
    charge = make_charge(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_build_claim", args=[charge.pk]))
    claim = Claim.objects.get(charge=charge)
    assert response.status_code == 302
    assert response["Location"] == claim.get_absolute_url()
    assert claim.status in (ClaimStatus.READY, ClaimStatus.HELD)
    assert claim.scrubbed_at is not None


def test_build_claim_without_coverage_explains_on_the_charge(as_biller: Client, biller: User,
                                                             north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    charge.patient.coverages.all().delete()
    response = as_biller.post(reverse("billing:charge_build_claim", args=[charge.pk]), follow=True)
    assert response.redirect_chain[-1][0] == charge.get_absolute_url()
    assert "no primary insurance in force" in response.content.decode()
    assert not Claim.objects.exists()


def test_build_claim_twice_opens_the_open_claim(as_biller: Client, biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    response = as_biller.post(reverse("billing:charge_build_claim", args=[claim.charge_id]))
    assert response["Location"] == claim.get_absolute_url()
    assert Claim.objects.count() == 1


# --- from the appointment page ----------------------------------------------------------------------------------


def test_a_checked_out_appointment_offers_enter_charges_then_open_charges(as_biller: Client, biller: User,
                                                                         north: Location) -> None:
    appointment = checked_out(north)
    page = as_biller.get(appointment.get_absolute_url()).content.decode()
    assert reverse("billing:charge_create_for_appointment", args=[appointment.pk]) in page
    assert "Enter charges" in page
    as_biller.post(reverse("billing:charge_create_for_appointment", args=[appointment.pk]))
    page = as_biller.get(appointment.get_absolute_url()).content.decode()
    assert "Open charges" in page
    assert reverse("billing:charge_detail", args=[Charge.objects.get().pk]) in page


def test_the_appointment_page_offers_no_charges_to_the_front_desk_or_before_check_out(
    signed_in: Callable[[User], Client], make_user: Callable[..., User], biller: User, north: Location
) -> None:
    done = checked_out(north)
    clerk_page = signed_in(make_user(Role.FRONT_DESK, locations=[north])).get(done.get_absolute_url())
    assert "Enter charges" not in clerk_page.content.decode()
    booked = checked_out(north)
    booked.status = "booked"
    booked.save()
    biller_page = signed_in(biller).get(booked.get_absolute_url())
    assert "Enter charges" not in biller_page.content.decode()
