"""/patients, /coverages, /payers: same permissions and scope as the UI; patient reads audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.models import Coverage, Patient, Payer
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory, PayerPlanFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db


def _patient_body(location: Location, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "first_name": "Ana", "last_name": "Ito", "date_of_birth": "1990-02-03", "sex": "F",
        "address_line1": "1 Main St", "city": "Raleigh", "state": "NC", "postal_code": "27601",
        "phone_mobile": "919-555-0123", "home_location": location.pk,
    }
    body.update(changes)
    return body


def test_listing_patients_shows_only_the_users_locations_and_audits_each_record(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location,
        south: Location) -> None:
    here = PatientFactory(home_location=north)
    PatientFactory(home_location=south)
    user = make_user(Role.FRONT_DESK, locations=[north])
    response = api_as(user).get(f"{API}/patients")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["items"]] == [here.pk]
    assert "ssn" not in response.json()["items"][0]
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=here.pk, actor=user).count() == 1


def test_listing_patients_costs_the_same_queries_for_3_or_40_patients(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user(Role.FRONT_DESK, locations=[north])
    client = api_as(user)
    client.get(f"{API}/patients")  # warm-up: per-minute caches (token last use, practice settings)
    counts = []
    for rows in (3, 40):
        PatientFactory.create_batch(rows - Patient.objects.count(), home_location=north)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{API}/patients", {"limit": 100})
        assert len(response.json()["items"]) == rows
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    # Every patient listed was recorded, each once per listing.
    assert AuditEvent.objects.filter(action="patients.viewed", actor=user, reason="api").count() == 3 + 40


def test_searching_patients_by_birth_date(make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
                                          north: Location) -> None:
    wanted = PatientFactory(home_location=north, date_of_birth=dt.date(1961, 7, 4))
    PatientFactory(home_location=north)
    response = api_as(make_user(Role.FRONT_DESK)).get(f"{API}/patients", {"q": "07/04/1961"})
    assert [row["id"] for row in response.json()["items"]] == [wanted.pk]


def test_a_patient_outside_scope_is_404_and_audited(make_user: Callable[..., User],
                                                    api_as: Callable[[User], TokenClient], north: Location,
                                                    south: Location) -> None:
    there = PatientFactory(home_location=south)
    user = make_user(Role.FRONT_DESK, locations=[north])
    client = api_as(user)
    assert client.get(f"{API}/patients/{there.pk}").status_code == 404
    assert client.patch(f"{API}/patients/{there.pk}", {"city": "Cary"}).status_code == 404
    there.refresh_from_db()
    assert there.city != "Cary"
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() >= 2


def test_hr_cannot_list_patients(make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
                                 north: Location) -> None:
    PatientFactory(home_location=north)
    user = make_user(Role.HR)
    assert api_as(user).get(f"{API}/patients").status_code == 404
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).exists()


def test_registering_through_the_api_answers_409_for_possible_duplicates_then_201(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location) -> None:
    existing = PatientFactory(first_name="Ana", last_name="Itoh", date_of_birth=dt.date(1990, 2, 3),
                              home_location=north)
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    first = client.post(f"{API}/patients", _patient_body(north))
    assert first.status_code == 409
    assert [c["id"] for c in first.json()["candidates"]] == [existing.pk]
    second = client.post(f"{API}/patients", _patient_body(north, confirm_not_duplicate=True))
    assert second.status_code == 201
    assert second.json()["account_number"].startswith("P")
    assert Patient.objects.count() == 2


def test_bad_patient_input_is_422_and_nothing_is_saved(make_user: Callable[..., User],
                                                       api_as: Callable[[User], TokenClient], north: Location) -> None:
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    response = client.post(f"{API}/patients", _patient_body(north, date_of_birth="2999-01-01", postal_code="x"))
    assert response.status_code == 422
    fields = {error["loc"][-1] for error in response.json()["errors"]}
    assert {"date_of_birth", "postal_code"} <= fields
    assert not Patient.objects.exists()


def test_patching_a_patient_changes_only_what_was_sent(make_user: Callable[..., User],
                                                       api_as: Callable[[User], TokenClient], north: Location) -> None:
    patient = PatientFactory(home_location=north, city="Raleigh")
    response = api_as(make_user(Role.FRONT_DESK, locations=[north])).patch(
        f"{API}/patients/{patient.pk}", {"city": "Cary"})
    assert response.status_code == 200
    assert response.json()["address"]["city"] == "Cary"
    assert AuditEvent.objects.get(action="patients.updated").changed_fields == "city"


def test_coverages_filter_by_patient_add_and_refuse_a_bad_end_date(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location) -> None:
    patient = PatientFactory(home_location=north)
    other = CoverageFactory(patient=PatientFactory(home_location=north))
    payer = PayerFactory()
    plan = PayerPlanFactory(payer=payer)
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    created = client.post(f"{API}/coverages", {"patient": patient.pk, "payer": payer.pk, "plan": plan.pk,
                                               "member_id": "M1", "effective_from": "2024-01-01", "copay": "20.00"})
    assert created.status_code == 201, created.json()
    listing = client.get(f"{API}/coverages", {"patient": patient.pk}).json()
    assert [row["id"] for row in listing["items"]] == [created.json()["id"]]
    assert other.pk not in [row["id"] for row in listing["items"]]
    bad = client.patch(f"{API}/coverages/{created.json()['id']}", {"effective_to": "2023-01-01"})
    assert bad.status_code == 422
    assert Coverage.objects.get(pk=created.json()["id"]).effective_to is None


def test_listing_coverages_audits_each_patient_on_the_page_once_in_a_constant_number_of_queries(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location,
        south: Location) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ana, bo = PatientFactory(home_location=north), PatientFactory(home_location=north)
    CoverageFactory(patient=ana, rank=1)
    CoverageFactory(patient=ana, rank=2)
    CoverageFactory(patient=bo, rank=1)
    elsewhere = CoverageFactory(patient=PatientFactory(home_location=south))
    user = make_user(Role.FRONT_DESK, locations=[north])
    client = api_as(user)
    client.get(f"{API}/me")  # the token's first use writes its own rows; keep them out of the count
    with CaptureQueriesContext(connection) as two_patients:
        response = client.get(f"{API}/coverages")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 3
    viewed = AuditEvent.objects.filter(action="patients.viewed", actor=user)
    assert set(viewed.values_list("patient_id", flat=True)) == {ana.pk, bo.pk}
    assert viewed.count() == 2
    assert not viewed.filter(patient_id=elsewhere.patient_id).exists()

    # One page of 2: only the patient on it is recorded (the audit trail is append-only: count what is new).
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    client.get(f"{API}/coverages", {"limit": 2})
    assert list(viewed.filter(pk__gt=before).values_list("patient_id", flat=True)) == [ana.pk]

    # More rows of the same patients: the queries do not grow with the rows.
    for patient in (ana, bo):
        CoverageFactory(patient=patient, rank=3)
    with CaptureQueriesContext(connection) as more_rows:
        client.get(f"{API}/coverages")
    assert len(more_rows) == len(two_patients)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_unknown_plan_id_on_a_coverage_is_422_on_the_plan_field_and_nothing_changes(
        method: str, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
        north: Location) -> None:
    patient = PatientFactory(home_location=north)
    payer = PayerFactory()
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    if method == "post":
        response = client.post(f"{API}/coverages", {"patient": patient.pk, "payer": payer.pk, "plan": 999_999,
                                                    "member_id": "M1", "effective_from": "2024-01-01"})
        assert not Coverage.objects.exists()
    else:
        coverage = CoverageFactory(patient=patient, payer=payer, plan=None)
        response = client.patch(f"{API}/coverages/{coverage.pk}", {"plan": 999_999})
        coverage.refresh_from_db()
        assert coverage.plan_id is None
    assert response.status_code == 422
    assert ["body", "plan"] in [error["loc"] for error in response.json()["errors"]]


def test_a_plan_of_another_payer_is_still_refused_on_the_plan_field(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location) -> None:
    patient = PatientFactory(home_location=north)
    other_plan = PayerPlanFactory(payer=PayerFactory())
    response = api_as(make_user(Role.FRONT_DESK, locations=[north])).post(
        f"{API}/coverages", {"patient": patient.pk, "payer": PayerFactory().pk, "plan": other_plan.pk,
                             "member_id": "M1", "effective_from": "2024-01-01"})
    assert response.status_code == 422
    assert "another payer" in str(response.json()["errors"])
    assert not Coverage.objects.exists()


def test_registering_with_an_ssn_through_the_api_needs_the_ssn_permission_at_the_home_location(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient], north: Location,
        south: Location) -> None:
    from openpractice.accounts.tests.factories import give_role

    user = make_user(Role.FRONT_DESK, locations=[north])
    give_role(user, Role.BILLER, locations=[south])
    client = api_as(user)
    refused = client.post(f"{API}/patients", _patient_body(north, ssn="123-45-6789"))
    assert refused.status_code in (403, 404)
    assert not Patient.objects.exists()
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED, action="patients.register").exists()
    assert client.post(f"{API}/patients", _patient_body(south, ssn="123-45-6789")).status_code == 201


def test_payers_readable_by_front_desk_and_writable_by_billing_only(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient]) -> None:
    desk = api_as(make_user(Role.FRONT_DESK, username="desk"))
    biller = api_as(make_user(Role.BILLER, username="biller"))
    body = {"name": "Acme Health", "address_line1": "PO Box 1", "city": "Raleigh", "state": "NC",
            "postal_code": "27601", "claim_filing_indicator": "CI"}
    assert desk.post(f"{API}/payers", body).status_code == 404
    assert not Payer.objects.exists()
    created = biller.post(f"{API}/payers", body)
    assert created.status_code == 201
    payer_id = created.json()["id"]
    assert desk.get(f"{API}/payers/{payer_id}").json()["name"] == "Acme Health"
    assert biller.patch(f"{API}/payers/{payer_id}", {"timely_filing_days": 120}).json()["timely_filing_days"] == 120
    assert biller.patch(f"{API}/payers/{payer_id}", {"claim_filing_indicator": "QQ"}).status_code == 422
