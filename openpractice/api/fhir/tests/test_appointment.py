"""FHIR Appointment: read, search, paging, scope and PHI audit; create through the booking service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.events import domain_event
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services
from openpractice.scheduling.models import Appointment
from openpractice.scheduling.tests.factories import (
    AppointmentTypeFactory,
    ProviderFactory,
    ProviderTemplateFactory,
    RoomFactory,
    TimeOffFactory,
)

from .support import FhirClient, body, book, entries, next_monday, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db
TYPE_SYSTEM = "https://openpractice.org/fhir/appointment-type"


@pytest.fixture
def provider(north: Any) -> Any:
    provider = ProviderFactory(locations=[north], first_name="Maya", last_name="Chen")
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    return provider


@pytest.fixture
def kind() -> Any:
    return AppointmentTypeFactory(name="Follow-up", duration_minutes=30)


# --- read and search ------------------------------------------------------------------------------------------


def test_read_validates_maps_the_status_and_audits_without_naming_the_patient(desk: Any, north: Any, provider: Any,
                                                                             kind: Any) -> None:
    patient = PatientFactory(home_location=north, first_name="Ada", last_name="Lovelace")
    appointment = book(desk, provider, north, next_monday(9), kind, patient, notes="needs interpreter")
    services.appointment_cancel(actor=desk, appointment=appointment, reason="moved away")
    response = FhirClient(desk).get(f"Appointment/{appointment.pk}")
    assert response.status_code == 200, response.content
    resource = body(response)
    validate(resource)
    assert resource["status"] == "cancelled"
    assert dt.datetime.fromisoformat(resource["start"]) == next_monday(9)
    assert resource["minutesDuration"] == 30
    assert resource["appointmentType"]["coding"][0] == {"system": TYPE_SYSTEM, "code": str(kind.pk),
                                                        "display": "Follow-up"}
    actors = [participant["actor"] for participant in resource["participant"]]
    assert actors == [{"reference": f"Patient/{patient.pk}"},
                      {"reference": f"Practitioner/{provider.pk}", "display": "Maya Chen, MD"},
                      {"reference": f"Location/{north.pk}", "display": "North Clinic"}]
    assert "Lovelace" not in response.content.decode()
    assert "moved away" not in response.content.decode()
    assert resource["comment"] == "needs interpreter"  # the desk sees its note
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=patient.pk, reason="fhir").count() == 1


def test_the_note_is_hidden_from_those_the_schedule_pages_hide_it_from(make_user: Callable[..., Any], desk: Any,
                                                                       north: Any, provider: Any, kind: Any) -> None:
    appointment = book(desk, provider, north, next_monday(9), kind, notes="needs interpreter")
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    resource = body(FhirClient(viewer).get(f"Appointment/{appointment.pk}"))
    validate(resource)
    assert "comment" not in resource


def test_statuses_map_to_the_fhir_value_set(desk: Any, north: Any, provider: Any, kind: Any) -> None:
    past = timezone.now() - dt.timedelta(days=1)
    checked_in = book(desk, provider, north, next_monday(8), kind)
    services.appointment_check_in(actor=desk, appointment=checked_in)
    done = book(desk, provider, north, next_monday(10), kind)
    services.appointment_check_in(actor=desk, appointment=done)
    services.appointment_check_out(actor=desk, appointment=done)
    missed = book(desk, provider, north, past, kind)
    services.appointment_mark_no_show(actor=desk, appointment=missed)
    booked = book(desk, provider, north, next_monday(11), kind)
    client = FhirClient(desk)
    for appointment, code in ((checked_in, "checked-in"), (done, "fulfilled"), (missed, "noshow"),
                              (booked, "booked")):
        assert body(client.get(f"Appointment/{appointment.pk}"))["status"] == code
        found = body(client.get("Appointment", {"status": code}))
        assert [resource["id"] for resource in entries(found)] == [str(appointment.pk)]
    assert body(client.get("Appointment", {"status": "proposed"}))["total"] == 0
    assert body(client.get("Appointment", {"status": "booked,noshow"}))["total"] == 2


def test_search_by_date_practitioner_location_and_patient(make_user: Callable[..., Any], north: Any, south: Any,
                                                          provider: Any, kind: Any) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    provider.locations.add(south)
    other = ProviderFactory(locations=[north])
    monday = next_monday(9)
    patient = PatientFactory(home_location=north)
    first = book(manager, provider, north, monday, kind, patient)
    second = book(manager, other, north, monday + dt.timedelta(days=1), kind)
    third = book(manager, provider, south, monday + dt.timedelta(days=2), kind, PatientFactory(home_location=south))
    client = FhirClient(manager)

    def ids(query: dict[str, Any]) -> list[int]:
        return [int(ident) for ident in search_ids(client, "Appointment", query)]

    day = monday.date()
    assert ids({}) == [first.pk, second.pk, third.pk]
    assert ids({"date": day.isoformat()}) == [first.pk]
    assert ids({"date": f"gt{day}"}) == [second.pk, third.pk]
    assert ids({"date": [f"ge{day}", f"lt{day + dt.timedelta(days=2)}"]}) == [first.pk, second.pk]
    assert ids({"date": first.starts_at.isoformat()}) == [first.pk]
    assert ids({"practitioner": f"Practitioner/{provider.pk}"}) == [first.pk, third.pk]
    assert ids({"practitioner": str(other.pk)}) == [second.pk]
    assert ids({"location": f"Location/{south.pk}"}) == [third.pk]
    assert ids({"patient": f"Patient/{patient.pk}"}) == [first.pk]
    assert ids({"location": f"Location/{north.pk}", "practitioner": f"Practitioner/{provider.pk}"}) == [first.pk]
    assert ids({"_id": str(second.pk)}) == [second.pk]


def test_paging_covers_every_appointment_once(desk: Any, north: Any, provider: Any, kind: Any) -> None:
    for n in range(7):
        book(desk, provider, north, next_monday(8) + dt.timedelta(minutes=30 * n), kind)
    client = FhirClient(desk)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("Appointment", {"_count": "3"}))):
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_out_of_scope_read_is_404_and_audited_and_left_out_of_searches(
        make_user: Callable[..., Any], desk: Any, south: Any, kind: Any) -> None:
    elsewhere = ProviderFactory(locations=[south])
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    appointment = book(manager, elsewhere, south, next_monday(9), kind)
    client = FhirClient(desk)
    response = client.get(f"Appointment/{appointment.pk}")
    assert response.status_code == 404
    assert body(response)["issue"][0]["code"] == "not-found"
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(appointment.pk)).exists()
    assert body(client.get("Appointment"))["total"] == 0
    assert not AuditEvent.objects.filter(action="patients.viewed", actor=desk).exists()


def test_out_of_role_search_is_404(make_user: Callable[..., Any]) -> None:
    hr = make_user(Role.HR)
    assert FhirClient(hr).get("Appointment").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=hr).exists()


def test_one_audit_event_per_patient_on_the_page(desk: Any, north: Any, provider: Any, kind: Any) -> None:
    ada, alan = PatientFactory(home_location=north), PatientFactory(home_location=north)
    for n, patient in enumerate((ada, ada, alan)):
        book(desk, provider, north, next_monday(8) + dt.timedelta(minutes=30 * n), kind, patient)
    assert body(FhirClient(desk).get("Appointment"))["total"] == 3
    viewed = AuditEvent.objects.filter(action="patients.viewed", reason="fhir", actor=desk)
    assert set(viewed.values_list("patient_id", flat=True)) == {ada.pk, alan.pk}
    assert viewed.count() == 2


def test_query_count_does_not_grow_with_the_appointments(desk: Any, north: Any, provider: Any) -> None:
    short = AppointmentTypeFactory(duration_minutes=5)
    client = FhirClient(desk)

    def count_for(total: int) -> int:
        made = Appointment.objects.count()
        for n in range(made, total):  # each with its own patient: the audit is one write however many
            book(desk, provider, north, next_monday(8) + dt.timedelta(minutes=5 * n), short)
        client.get("Appointment", {"_count": "1"})  # warm the per-request caches (token, practice settings)
        with CaptureQueriesContext(connection) as queries:
            assert body(client.get("Appointment", {"_count": "200"}))["total"] == total
        return len(queries)

    assert count_for(3) == count_for(30)


def test_bad_search_values_are_400(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"date": "tomorrow"}, {"practitioner": "Patient/1"}, {"location": "x"}, {"status": "done"},
                  {"patient:missing": "true"}, {"_id": "1 or 1=1"}, {"actor": "Patient/1"}, {"_count": "lots"}):
        response = client.get("Appointment", query)
        assert response.status_code == 400, query
        validate(body(response))


# --- create ---------------------------------------------------------------------------------------------------


def _new(patient: Any, provider: Any, location: Any, kind: Any, start: dt.datetime, **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": start.isoformat() if isinstance(start, dt.datetime) else start,
        "appointmentType": {"coding": [{"system": TYPE_SYSTEM, "code": str(kind.pk)}]},
        "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"},
                        {"actor": {"reference": f"Practitioner/{provider.pk}"}, "status": "accepted"},
                        {"actor": {"reference": f"Location/{location.pk}"}, "status": "accepted"}],
    }
    resource.update(changes)
    return {key: value for key, value in resource.items() if value is not None}


def test_create_books_through_the_service_and_announces_it(desk: Any, north: Any, provider: Any, kind: Any,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(home_location=north)
    start = next_monday(9)
    heard: list[tuple[str, dict[str, Any]]] = []

    def listen(sender: Any, event: str, location_id: Any, data: dict[str, Any], **kwargs: Any) -> None:
        heard.append((event, data))

    domain_event.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = FhirClient(desk).post("Appointment", _new(
                patient, provider, north, kind, start, end=(start + dt.timedelta(minutes=30)).isoformat(),
                minutesDuration=30, comment="needs interpreter"))
    finally:
        domain_event.disconnect(listen)
    assert response.status_code == 201, response.content
    created = body(response)
    validate(created)
    appointment = Appointment.objects.get(pk=int(created["id"]))
    assert response["Location"].endswith(f"/Appointment/{appointment.pk}")
    assert (appointment.patient, appointment.provider, appointment.location, appointment.appointment_type) == (
        patient, provider, north, kind)
    assert appointment.starts_at == start
    assert appointment.notes == "needs interpreter"
    assert appointment.created_by == desk
    assert created["status"] == "booked"
    assert AuditEvent.objects.filter(action="appointment.booked", object_id=str(appointment.pk),
                                     patient_id=patient.pk).exists()
    assert [data["appointment_id"] for event, data in heard if event == "appointment.booked"] == [appointment.pk]


def test_create_refuses_conflicts_with_409_and_saves_nothing(desk: Any, north: Any, provider: Any, kind: Any) -> None:
    taken = book(desk, provider, north, next_monday(9), kind)
    TimeOffFactory(provider=provider, starts_at=next_monday(10), ends_at=next_monday(11))
    client = FhirClient(desk)
    patient = PatientFactory(home_location=north)
    for start in (next_monday(9, 15), next_monday(10, 30)):
        response = client.post("Appointment", _new(patient, provider, north, kind, start))
        assert response.status_code == 409, response.content
        outcome = body(response)
        validate(outcome)
        assert outcome["issue"][0]["code"] == "conflict"
    assert list(Appointment.objects.all()) == [taken]


def test_create_outside_the_weekly_hours_needs_confirmation(desk: Any, north: Any, provider: Any, kind: Any) -> None:
    patient = PatientFactory(home_location=north)
    resource = _new(patient, provider, north, kind, next_monday(14))
    client = FhirClient(desk)
    response = client.post("Appointment", resource)
    assert response.status_code == 409
    assert body(response)["issue"][0]["code"] == "business-rule"
    assert "X-Confirm-Outside-Hours" in body(response)["issue"][0]["diagnostics"]
    assert not Appointment.objects.exists()
    confirmed = client.post("Appointment", resource, X_Confirm_Outside_Hours="true")
    assert confirmed.status_code == 201, confirmed.content
    assert AuditEvent.objects.filter(action="appointment.booked_outside_hours").count() == 1


def test_create_picks_a_free_room_for_a_type_that_needs_one(desk: Any, north: Any, provider: Any) -> None:
    procedure = AppointmentTypeFactory(duration_minutes=30, needs_room=True)
    first_room, second_room = RoomFactory(location=north, name="A"), RoomFactory(location=north, name="B")
    other = ProviderFactory(locations=[north])
    book(desk, other, north, next_monday(9), procedure, room=first_room)
    client = FhirClient(desk)
    response = client.post("Appointment", _new(PatientFactory(home_location=north), provider, north, procedure,
                                               next_monday(9)))
    assert response.status_code == 201, response.content
    assert Appointment.objects.get(pk=int(body(response)["id"])).room == second_room
    third = ProviderFactory(locations=[north])
    ProviderTemplateFactory(provider=third, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    full = client.post("Appointment", _new(PatientFactory(home_location=north), third, north, procedure,
                                           next_monday(9)))
    assert full.status_code == 409
    assert body(full)["issue"][0]["code"] == "conflict"
    assert Appointment.objects.count() == 2


def test_create_refuses_bad_input_without_saving(make_user: Callable[..., Any], desk: Any, north: Any, south: Any,
                                                 provider: Any, kind: Any) -> None:
    patient = PatientFactory(home_location=north)
    start = next_monday(9)
    elsewhere = PatientFactory(home_location=south)
    south_provider = ProviderFactory(locations=[south])
    base = {"patient": patient, "provider": provider, "location": north, "kind": kind, "start": start}

    def new(**changes: Any) -> dict[str, Any]:
        parts = {**base, **{k: v for k, v in changes.items() if k in base}}
        extra = {k: v for k, v in changes.items() if k not in base}
        return _new(parts["patient"], parts["provider"], parts["location"], parts["kind"], parts["start"], **extra)

    no_type = new()
    del no_type["appointmentType"]
    cases: list[tuple[Any, int | tuple[int, ...]]] = [
        ("{not json", 400),
        (new(start="next monday"), 400),
        (new(status="booked-ish"), (400, 422)),
        (new(start=start.replace(tzinfo=None).isoformat()), (400, 422)),  # an instant needs its time zone
        ({"resourceType": "Patient"}, 400),
        (new(status="proposed"), 422),
        (new(start=None, status="booked"), 422),
        (new(participant=[]), (400, 422)),  # R4B: at least one participant
        (new(participant=[{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}]), 422),
        (new(participant=[{"actor": {"reference": "Device/1"}, "status": "accepted"}]), 422),
        (no_type, 422),
        (new(appointmentType={"coding": [{"system": TYPE_SYSTEM, "code": "999999"}]}), 422),
        (new(appointmentType={"coding": [{"system": "http://other", "code": str(kind.pk)}]}), 422),
        (new(end=(start + dt.timedelta(minutes=45)).isoformat()), 422),
        (new(minutesDuration=45), 422),
        (new(patient=elsewhere), 422),  # out of scope: answered like an unknown patient
        (new(provider=south_provider), 422),
        (new(location=south), 404),
        (new(kind=AppointmentTypeFactory(is_active=False)), 422),
    ]
    client = FhirClient(desk)
    for resource, status in cases:
        response = client.post("Appointment", resource)
        assert response.status_code in (status if isinstance(status, tuple) else (status,)), (
            resource, response.content)
        validate(body(response))
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(elsewhere.pk),
                                     object_type="patients.patient").exists()
    # Seeing the schedule is not enough to book on it.
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    assert FhirClient(viewer).post("Appointment", new()).status_code == 404
    assert not Appointment.objects.exists()
