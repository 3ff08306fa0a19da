"""/providers and /appointments: scoped like the schedule pages; booking refuses overlaps with a clear 422."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.models import Appointment, Provider
from openpractice.scheduling.tests.factories import AppointmentFactory, AppointmentTypeFactory, ProviderFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north])


def _start() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)


def test_providers_are_listed_only_at_the_callers_locations(
    north: Location, south: Location, provider: Provider, make_user: Callable[..., User],
    api_as: Callable[[User], TokenClient],
) -> None:
    other = ProviderFactory(locations=[south])
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    listing = client.get(f"{API}/providers")
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["items"]] == [provider.pk]
    assert listing.json()["items"][0]["locations"][0]["code"] == "north"
    assert client.get(f"{API}/providers/{provider.pk}").status_code == 200
    assert client.get(f"{API}/providers/{other.pk}").status_code == 404


def test_a_role_without_the_schedule_gets_404_and_the_denial_is_audited(
    north: Location, provider: Provider, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    hr = make_user(Role.HR)
    client = api_as(hr)
    assert client.get(f"{API}/providers").status_code == 404
    assert client.get(f"{API}/appointments").status_code == 404
    assert AuditEvent.objects.filter(actor=hr, outcome="denied").count() == 2


def test_booking_through_the_api_and_an_overlap_answers_422(
    north: Location, provider: Provider, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    kind = AppointmentTypeFactory(duration_minutes=30)
    body = {"patient": PatientFactory(home_location=north).pk, "provider": provider.pk, "location": north.pk,
            "appointment_type": kind.pk, "starts_at": _start().isoformat(), "notes": "Needs interpreter"}
    # The provider has no weekly hours, so the time is outside them: refused until the caller says so.
    outside = client.post(f"{API}/appointments", body)
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["loc"][-1] == "book_outside_hours"
    assert Appointment.objects.count() == 0
    body["outside_hours"] = True
    created = client.post(f"{API}/appointments", body)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "booked"
    assert created.json()["notes"] == "Needs interpreter"
    clash = client.post(f"{API}/appointments", {**body, "patient": PatientFactory(home_location=north).pk})
    assert clash.status_code == 422
    assert "already booked" in clash.json()["errors"][0]["msg"]
    assert Appointment.objects.count() == 1


def test_patch_reschedules_and_cancels_with_a_reason(
    north: Location, provider: Provider, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider,
                                     location=north, starts_at=_start())
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    new_start = _start() + dt.timedelta(hours=1)
    moved = client.patch(f"{API}/appointments/{appointment.pk}",
                         {"action": "reschedule", "starts_at": new_start.isoformat(), "outside_hours": True})
    assert moved.status_code == 200
    assert dt.datetime.fromisoformat(moved.json()["starts_at"]) == new_start
    refused = client.patch(f"{API}/appointments/{appointment.pk}", {"action": "cancel", "reason": ""})
    assert refused.status_code == 422
    cancelled = client.patch(f"{API}/appointments/{appointment.pk}", {"action": "cancel", "reason": "Patient ill"})
    assert cancelled.json()["status"] == "cancelled"


def test_listing_filters_and_scope_and_the_office_manager_sees_no_notes(
    north: Location, south: Location, provider: Provider, make_user: Callable[..., User],
    api_as: Callable[[User], TokenClient],
) -> None:
    mine = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                              starts_at=_start(), notes="Wheelchair")
    AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                       starts_at=_start() + dt.timedelta(days=1), status="cancelled", cancel_reason="x")
    elsewhere = AppointmentFactory(patient=PatientFactory(home_location=south),
                                   provider=ProviderFactory(locations=[south]), location=south, starts_at=_start())
    manager = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    client = api_as(manager)
    listing = client.get(f"{API}/appointments", {"status": "booked", "provider": provider.pk})
    assert [row["id"] for row in listing.json()["items"]] == [mine.pk]
    assert listing.json()["items"][0]["notes"] is None
    assert client.get(f"{API}/appointments/{elsewhere.pk}").status_code == 404
    detail = client.get(f"{API}/appointments/{mine.pk}")
    assert detail.status_code == 200
    assert AuditEvent.objects.filter(actor=manager, action="patients.viewed", patient_id=mine.patient_id).exists()
    # Office manager entry may look but not book.
    assert client.patch(f"{API}/appointments/{mine.pk}", {"action": "cancel", "reason": "x"}).status_code == 404
    mine.refresh_from_db()
    assert mine.status == "booked"


def test_the_list_audits_each_patient_on_the_page_once_at_a_constant_query_count(
    north: Location, provider: Provider, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    regular, other, off_page = (PatientFactory(home_location=north) for _ in range(3))
    for hours, patient in enumerate([regular, other, regular, off_page]):
        AppointmentFactory(patient=patient, provider=provider, location=north,
                           starts_at=_start() + dt.timedelta(hours=hours))
    desk = make_user(Role.FRONT_DESK, locations=[north])
    client = api_as(desk)

    listing = client.get(f"{API}/appointments", {"limit": 3})

    assert listing.status_code == 200
    assert [row["patient"]["id"] for row in listing.json()["items"]] == [regular.pk, other.pk, regular.pk]
    viewed = AuditEvent.objects.filter(actor=desk, action="patients.viewed")
    assert set(viewed.values_list("patient_id", flat=True)) == {regular.pk, other.pk}
    assert viewed.count() == 2
    assert set(viewed.values_list("reason", flat=True)) == {"api appointment list"}

    # Besides the audit rows (one per patient shown), a page of four costs what a page of one does.
    def reads(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/appointments", {"limit": limit}).status_code == 200
        return len([q for q in queries.captured_queries if "audit_" not in q["sql"]])

    assert reads(4) == reads(1)


def test_patch_outside_the_providers_hours_answers_422_until_confirmed_and_is_audited(
    north: Location, provider: Provider, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    start = _start()
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider,
                                     location=north, starts_at=start)
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    # The provider has no weekly hours at all, so any new time is outside them.
    body = {"action": "reschedule", "starts_at": (start + dt.timedelta(days=1)).isoformat()}

    refused = client.patch(f"{API}/appointments/{appointment.pk}", body)

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "outside_hours"
    appointment.refresh_from_db()
    assert appointment.starts_at == start

    moved = client.patch(f"{API}/appointments/{appointment.pk}", {**body, "outside_hours": True})

    assert moved.status_code == 200, moved.json()
    appointment.refresh_from_db()
    assert appointment.starts_at == start + dt.timedelta(days=1)
    assert AuditEvent.objects.filter(action="appointment.rescheduled_outside_hours",
                                     object_id=str(appointment.pk)).count() == 1
