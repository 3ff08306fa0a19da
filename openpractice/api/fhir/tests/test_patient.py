"""FHIR Patient: read, search, paging, create, and the framework's errors (OperationOutcome, 401, 404, 406)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

from .support import FHIR, FhirClient, body, entries, pages, resource_ids, validate

pytestmark = pytest.mark.django_db


def test_read_validates_and_is_audited(desk: Any, north: Any) -> None:
    patient = PatientFactory(home_location=north, first_name="Ada", last_name="Lovelace", middle_name="King",
                             emergency_contact_name="Byron", emergency_contact_phone="919-555-0100")
    response = FhirClient(desk).get(f"Patient/{patient.pk}")
    assert response.status_code == 200
    resource = body(response)
    validate(resource)
    assert resource["name"][0] == {"use": "official", "family": "Lovelace", "given": ["Ada", "King"]}
    assert resource["identifier"][0]["value"] == patient.account_number
    assert resource["gender"] == "female"
    assert resource["birthDate"] == "1980-01-31"
    assert "ssn" not in str(resource).lower()
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=patient.pk, reason="fhir").count() == 1


def test_out_of_scope_read_is_404_operation_outcome_and_audited(desk: Any, south: Any) -> None:
    other = PatientFactory(home_location=south)
    response = FhirClient(desk).get(f"Patient/{other.pk}")
    assert response.status_code == 404
    outcome = body(response)
    validate(outcome)
    assert outcome["issue"][0]["code"] == "not-found"
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(other.pk)).exists()
    # A missing id answers the same.
    assert FhirClient(desk).get("Patient/999999").status_code == 404


def test_search_by_name_birthdate_and_identifier(desk: Any, north: Any, south: Any) -> None:
    ada = PatientFactory(home_location=north, first_name="Ada", last_name="Lovelace",
                         date_of_birth=dt.date(1990, 5, 1))
    PatientFactory(home_location=north, first_name="Alan", last_name="Turing", date_of_birth=dt.date(1970, 6, 23))
    PatientFactory(home_location=south, first_name="Ada", last_name="Lovelace")  # out of scope
    client = FhirClient(desk)
    found = entries(body(client.get("Patient", {"name": "love"})))
    assert [resource["id"] for resource in found] == [str(ada.pk)]
    assert [r["id"] for r in entries(body(client.get("Patient", {"birthdate": "1990-05-01"})))] == [str(ada.pk)]
    assert [r["id"] for r in entries(body(client.get("Patient", {"birthdate": "lt1980"})))] != [str(ada.pk)]
    assert len(entries(body(client.get("Patient", {"birthdate": "ge1980-01-01"})))) == 1
    ident = body(client.get("Patient", {"identifier": ada.account_number.lower()}))
    assert ident["total"] == 1
    validate(ident)


def test_paging_links_cover_every_patient_once(desk: Any, north: Any) -> None:
    for _ in range(7):
        PatientFactory(home_location=north)
    client = FhirClient(desk)
    bundles = list(pages(client, body(client.get("Patient", {"_count": "3"}))))
    assert len(bundles) == 3
    seen: list[str] = []
    for bundle in bundles:
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_search_errors_are_operation_outcomes(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"nickname": "x"}, {"birthdate": "yesterday"}, {"_count": "-1"}, {"gender": "robot"},
                  {"name:above": "x"}, {"_id": "1; drop table"}):
        response = client.get("Patient", query)
        assert response.status_code == 400, query
        validate(body(response))


def test_authentication_and_format(desk: Any) -> None:
    from django.test import Client

    response = Client().get(f"{FHIR}/Patient")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    validate(body(response))
    bad = Client().get(f"{FHIR}/Patient", headers={"Authorization": "Bearer op_nope_nope"})
    assert bad.status_code == 401
    assert FhirClient(desk).get("Patient", Accept="application/fhir+xml").status_code == 406
    assert FhirClient(desk).get("Unicorn").status_code == 404


def test_out_of_role_search_is_404(make_user: Callable[..., Any]) -> None:
    hr = make_user(Role.HR)
    response = FhirClient(hr).get("Patient")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=hr).exists()


def test_metadata_lists_patient(desk: Any) -> None:
    statement = body(FhirClient(desk).get("metadata"))
    validate(statement)
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {"code": "create"} in patient["interaction"]
    assert {param["name"] for param in patient["searchParam"]} >= {"name", "birthdate", "identifier"}


def _new_patient(**changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Patient",
        "name": [{"family": "Hopper", "given": ["Grace", "Brewster"]}],
        "gender": "female", "birthDate": "1956-12-09",
        "telecom": [{"system": "phone", "value": "919-555-0199", "use": "mobile"}],
        "address": [{"line": ["1 Navy Way"], "city": "Raleigh", "state": "NC", "postalCode": "27601"}],
    }
    resource.update(changes)
    return resource


def test_create_patient(desk: Any, north: Any) -> None:
    response = FhirClient(desk).post("Patient", _new_patient())
    assert response.status_code == 201, response.content
    created = body(response)
    validate(created)
    patient = Patient.objects.get(pk=int(created["id"]))
    assert (patient.last_name, patient.first_name, patient.middle_name) == ("Hopper", "Grace", "Brewster")
    assert patient.home_location == north
    assert response["Location"].endswith(f"/Patient/{patient.pk}")
    assert AuditEvent.objects.filter(action="patients.registered", patient_id=patient.pk).exists()
    # The same person again is a possible duplicate, unless confirmed.
    again = FhirClient(desk).post("Patient", _new_patient())
    assert again.status_code == 409
    assert body(again)["issue"][0]["code"] == "duplicate"
    confirmed = FhirClient(desk).post("Patient", _new_patient(), X_Confirm_Not_Duplicate="true")
    assert confirmed.status_code == 201


def test_create_refuses_bad_input_without_saving(desk: Any, make_user: Callable[..., Any],
                                                 north: Any, south: Any) -> None:
    client = FhirClient(desk)
    cases = [
        ("{not json", 400), (_new_patient(birthDate="12/09/1956"), 400), (_new_patient(gender="robot"), 422),
        (_new_patient(name=[]), 422), (_new_patient(birthDate="2999-01-01"), 422),
        ({"resourceType": "Practitioner"}, 400), (_new_patient(address=[]), 422),
    ]
    for resource, status in cases:
        response = client.post("Patient", resource)
        assert response.status_code == status, (resource, response.content)
        validate(body(response))
    assert not Patient.objects.exists()
    # Someone who edits at two locations must say which one.
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north, south])
    assert FhirClient(manager).post("Patient", _new_patient()).status_code in (404, 422)
    assert not Patient.objects.exists()
