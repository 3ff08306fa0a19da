"""The guarantor on the patient form: "Self" or another active patient in the user's scope, picked from a search
that never lists the whole patient table, and never a loop of patients paying for each other."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients import services
from openpractice.patients.models import Patient

from .factories import PatientFactory

pytestmark = pytest.mark.django_db


def _form(location: Location, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Nora", "last_name": "Lindqvist", "date_of_birth": "2012-03-09", "sex": "F",
        "home_location": location.pk, "address_line1": "5 Pine Street", "city": "Raleigh", "state": "NC",
        "postal_code": "27603", "phone_mobile": "919-555-0142", "preferred_contact": "mobile",
        "preferred_language": "English", "guarantor": "",
    }
    data.update(changes)
    return data


def _edit_data(patient: Patient, **changes: Any) -> dict[str, Any]:
    data = _form(patient.home_location, first_name=patient.first_name, last_name=patient.last_name,
                 date_of_birth=patient.date_of_birth.isoformat(), phone_mobile=patient.phone_mobile,
                 address_line1=patient.address_line1, city=patient.city, postal_code=patient.postal_code,
                 guarantor=patient.guarantor_id or "")
    data.update(changes)
    return data


def _radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="guarantor" value="([^"]*)"', html)


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


@pytest.fixture
def desk_client(desk: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(desk)


def test_the_registration_form_offers_self_checked_and_no_patient_list(desk_client: Client, north: Location) -> None:
    PatientFactory.create_batch(5, home_location=north)
    response = desk_client.get(reverse("patients:patient_register"))
    html = response.content.decode()
    assert response.status_code == 200
    assert _radios(html) == [""]
    assert re.search(r'<input type="radio" name="guarantor" value=""[^>]*checked', html)
    assert 'form="guarantor-search"' in html
    assert 'id="guarantor-search"' in html


def test_searching_the_picker_lists_active_matches_at_the_users_locations_and_is_audited(
        desk: User, desk_client: Client, north: Location, south: Location) -> None:
    parent = PatientFactory(home_location=north, last_name="Lindqvist", first_name="Erik")
    PatientFactory(home_location=south, last_name="Lindqvist", first_name="Sven")
    PatientFactory(home_location=north, last_name="Lindqvist", first_name="Gone", is_active=False)
    response = desk_client.get(reverse("patients:patient_register"), {"guarantor_q": "lindq", "guarantor": ""},
                               HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert _radios(html) == ["", str(parent.pk)]
    assert f"Lindqvist, Erik — {parent.date_of_birth:%m/%d/%Y} · {parent.account_number}" in html
    assert AuditEvent.objects.filter(actor=desk, action="patients.searched").count() == 1


def test_a_search_without_matches_says_so(desk_client: Client) -> None:
    html = desk_client.get(reverse("patients:patient_register"), {"guarantor_q": "zzzz"}).content.decode()
    assert "No active patient at your locations matches." in html
    assert _radios(html) == [""]


def test_registering_with_a_guarantor_saves_it(desk_client: Client, north: Location) -> None:
    parent = PatientFactory(home_location=north)
    response = desk_client.post(reverse("patients:patient_register"), _form(north, guarantor=parent.pk))
    assert response.status_code == 302
    child = Patient.objects.get(last_name="Lindqvist")
    assert child.guarantor == parent
    event = AuditEvent.objects.get(action="patients.registered", patient_id=child.pk)
    assert "guarantor" in event.changed_fields


def test_the_edit_form_keeps_the_current_guarantor_as_the_checked_option(desk_client: Client, north: Location) -> None:
    parent = PatientFactory(home_location=north)
    child = PatientFactory(home_location=north, guarantor=parent)
    html = desk_client.get(reverse("patients:patient_edit", kwargs={"pk": child.pk})).content.decode()
    assert _radios(html) == ["", str(parent.pk)]
    assert re.search(rf'<input type="radio" name="guarantor" value="{parent.pk}"[^>]*checked', html)
    # The patient being edited is never offered as their own guarantor.
    html = desk_client.get(reverse("patients:patient_edit", kwargs={"pk": child.pk}),
                           {"guarantor_q": child.account_number}).content.decode()
    assert str(child.pk) not in _radios(html)


def test_choosing_self_clears_the_guarantor(desk_client: Client, north: Location) -> None:
    child = PatientFactory(home_location=north, guarantor=PatientFactory(home_location=north))
    response = desk_client.post(reverse("patients:patient_edit", kwargs={"pk": child.pk}),
                                _edit_data(child, guarantor=""))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.guarantor is None
    assert AuditEvent.objects.get(action="patients.updated", patient_id=child.pk).changed_fields == "guarantor"


def test_a_patient_cannot_be_their_own_guarantor(desk_client: Client, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    response = desk_client.post(reverse("patients:patient_edit", kwargs={"pk": patient.pk}),
                                _edit_data(patient, guarantor=patient.pk))
    assert response.status_code == 400
    assert "A patient cannot be their own guarantor" in response.content.decode()
    patient.refresh_from_db()
    assert patient.guarantor_id is None
    assert not AuditEvent.objects.filter(action="patients.updated").exists()


def test_two_patients_cannot_be_each_others_guarantor(desk_client: Client, north: Location) -> None:
    parent = PatientFactory(home_location=north, first_name="Erik", last_name="Lindqvist")
    child = PatientFactory(home_location=north, guarantor=parent)
    response = desk_client.post(reverse("patients:patient_edit", kwargs={"pk": parent.pk}),
                                _edit_data(parent, guarantor=child.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "already has this patient as their guarantor" in html
    assert 'id="id_guarantor_error"' in html  # on the field, not only at the top
    parent.refresh_from_db()
    assert parent.guarantor_id is None


def test_a_longer_loop_is_refused_too(desk: User, north: Location) -> None:
    grandparent = PatientFactory(home_location=north)
    parent = PatientFactory(home_location=north, guarantor=grandparent)
    child = PatientFactory(home_location=north, guarantor=parent)
    with pytest.raises(ValidationError) as error:
        services.patient_update(actor=desk, patient=grandparent, data={"guarantor": child.pk})
    assert error.value.message_dict["guarantor"][0].startswith(child.full_name)
    grandparent.refresh_from_db()
    assert grandparent.guarantor_id is None
    # A chain without a loop is allowed.
    other = PatientFactory(home_location=north)
    services.patient_update(actor=desk, patient=other, data={"guarantor": child.pk})
    other.refresh_from_db()
    assert other.guarantor == child


def test_a_guarantor_at_another_location_is_refused_and_nothing_is_saved(
        desk: User, desk_client: Client, north: Location, south: Location) -> None:
    stranger = PatientFactory(home_location=south)
    response = desk_client.post(reverse("patients:patient_register"), _form(north, guarantor=stranger.pk))
    assert response.status_code == 400
    assert "Choose an active patient at your locations as the guarantor." in response.content.decode()
    assert not Patient.objects.filter(last_name="Lindqvist").exists()
    # The service refuses it too (the API goes straight there).
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as error:
        services.patient_update(actor=desk, patient=patient, data={"guarantor": stranger.pk})
    assert "guarantor" in error.value.message_dict
    patient.refresh_from_db()
    assert patient.guarantor_id is None


@pytest.mark.parametrize("state", [{"is_active": False}, {"merged": True}])
def test_an_inactive_or_merged_record_cannot_become_a_guarantor(desk: User, north: Location,
                                                                state: dict[str, bool]) -> None:
    candidate = PatientFactory(home_location=north, is_active="is_active" not in state)
    if state.get("merged"):
        candidate.merged_into = PatientFactory(home_location=north)
        candidate.save(update_fields=["merged_into"])
    with pytest.raises(ValidationError) as error:
        services.patient_register(actor=desk, data={**_form(north, guarantor=candidate.pk), "home_location": north},
                                  confirm_not_duplicate=True)
    assert "guarantor" in error.value.message_dict
    assert not Patient.objects.filter(last_name="Lindqvist").exists()
