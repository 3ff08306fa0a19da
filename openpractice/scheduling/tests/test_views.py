"""Schedule pages: the day grid (constant queries), booking, check-in with copay, hiding money and notes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.scheduling.models import Appointment, CopayPayment, Provider

from .factories import AppointmentFactory, AppointmentTypeFactory, ProviderFactory, ProviderTemplateFactory

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2030, 3, 4)  # a Monday


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Maya", last_name="Chen")


def _fill(providers: list[Provider], location: Location, count: int) -> None:
    for index in range(count):
        provider = providers[index % len(providers)]
        start = dt.datetime.combine(DAY, dt.time(8), tzinfo=NY) + dt.timedelta(minutes=15 * (index // len(providers)))
        AppointmentFactory(patient=PatientFactory(home_location=location), provider=provider, location=location,
                           starts_at=start, notes=f"note {index}")


def _day_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("scheduling:schedule_day"), {"date": DAY.isoformat()})
    assert response.status_code == 200
    return len(queries)


def test_the_day_view_costs_the_same_queries_for_5_and_40_appointments(
    north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    providers = [ProviderFactory(locations=[north]) for _ in range(4)]
    for provider in providers:
        ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(17))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    _fill(providers, north, 5)
    _day_queries(client)  # warm the per-process caches (practice settings) before counting
    few = _day_queries(client)
    _fill(providers, north, 35)
    assert Appointment.objects.count() == 40
    assert _day_queries(client) == few


def test_the_day_view_shows_appointments_in_practice_time_and_htmx_gets_only_the_grid(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    patient = PatientFactory(home_location=north, last_name="Okafor")
    AppointmentFactory(patient=patient, provider=provider, location=north,
                       starts_at=dt.datetime.combine(DAY, dt.time(9, 30), tzinfo=NY))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    page = client.get(reverse("scheduling:schedule_day"), {"date": DAY.isoformat()}).content.decode()
    assert "Okafor" in page
    assert "9:30 AM" in page
    assert "<nav" in page
    fragment = client.get(reverse("scheduling:schedule_day"), {"date": DAY.isoformat()},
                          headers={"HX-Request": "true", "HX-Target": "day-grid"}).content.decode()
    assert "Okafor" in fragment
    assert "<nav" not in fragment


def test_the_office_manager_entry_sees_the_schedule_without_notes_or_copays(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    patient = PatientFactory(home_location=north, last_name="Whitaker")
    CoverageFactory(patient=patient, copay=Decimal("45.00"))
    appointment = AppointmentFactory(patient=patient, provider=provider, location=north, notes="Secret note",
                                     starts_at=dt.datetime.combine(DAY, dt.time(10), tzinfo=NY))
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north]))
    day = client.get(reverse("scheduling:schedule_day"), {"date": DAY.isoformat()}).content.decode()
    detail = client.get(appointment.get_absolute_url()).content.decode()
    assert "Whitaker" in day
    assert "Secret note" not in day
    assert "Secret note" not in detail
    assert "45.00" not in detail
    assert "Check in" not in detail

    desk = signed_in(make_user(Role.FRONT_DESK, locations=[north], username="desk2"))
    detail = desk.get(appointment.get_absolute_url()).content.decode()
    assert "Secret note" in detail
    assert "45.00" in detail


def test_opening_an_appointment_audits_a_patient_record_view(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                                     starts_at=dt.datetime.combine(DAY, dt.time(10), tzinfo=NY))
    desk = make_user(Role.FRONT_DESK, locations=[north])
    signed_in(desk).get(appointment.get_absolute_url())
    assert AuditEvent.objects.filter(actor=desk, action="patients.viewed", patient_id=appointment.patient_id).count() == 1


def test_booking_from_the_form_and_an_overlap_shows_the_error_on_the_form(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    kind = AppointmentTypeFactory(duration_minutes=30)
    ProviderTemplateFactory(provider=provider, location=north, weekday=DAY.weekday())  # 8:00–12:00: inside hours
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    data = {"patient": PatientFactory(home_location=north).pk, "appointment_type": kind.pk, "provider": provider.pk,
            "location": north.pk, "date": DAY.isoformat(), "time": "09:00", "notes": ""}
    response = client.post(reverse("scheduling:schedule_book"), data)
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == appointment.get_absolute_url()
    assert appointment.starts_at == dt.datetime.combine(DAY, dt.time(9), tzinfo=NY)
    again = client.post(reverse("scheduling:schedule_book"),
                        {**data, "patient": PatientFactory(home_location=north).pk, "time": "09:15"})
    assert again.status_code == 400
    assert "already booked" in again.content.decode()
    assert Appointment.objects.count() == 1


def test_the_booking_page_finds_patients_and_free_slots(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    PatientFactory(home_location=north, last_name="Zelinski")
    kind = AppointmentTypeFactory()
    ProviderTemplateFactory(provider=provider, location=north, weekday=0)
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    page = client.get(reverse("scheduling:schedule_book"), {"q": "zelinski", "appointment_type": kind.pk})
    text = page.content.decode()
    assert "Zelinski" in text
    assert "Next free slots" in text
    assert provider.display_name in text


def test_check_in_with_copay_then_check_out(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    patient = PatientFactory(home_location=north)
    appointment = AppointmentFactory(patient=patient, provider=provider, location=north,
                                     starts_at=dt.datetime.combine(DAY, dt.time(10), tzinfo=NY))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    form = client.get(reverse("scheduling:appointment_checkin", args=[appointment.pk])).content.decode()
    assert "No insurance coverage is active" in form
    response = client.post(reverse("scheduling:appointment_checkin", args=[appointment.pk]),
                           {"copay_amount": "20.00", "copay_method": "cash"}, follow=True)
    assert "Copay of $20.00 received" in response.content.decode()
    assert CopayPayment.objects.get().amount == Decimal("20.00")
    client.post(reverse("scheduling:appointment_checkout", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == "completed"


def test_a_copay_without_a_method_is_refused_on_the_form(
    north: Location, provider: Provider, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                                     starts_at=dt.datetime.combine(DAY, dt.time(10), tzinfo=NY))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    response = client.post(reverse("scheduling:appointment_checkin", args=[appointment.pk]), {"copay_amount": "20"})
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not CopayPayment.objects.exists()


def test_a_practice_manager_adds_a_provider_with_an_invalid_npi_and_sees_the_error(
    north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR))
    data = {"first_name": "Ann", "last_name": "Lee", "credential": "MD", "kind": "physician", "npi": "1234567890",
            "taxonomy_code": "207Q00000X", "is_rendering": "on", "locations": [north.pk]}
    response = client.post(reverse("scheduling:provider_create"), data)
    assert response.status_code == 400
    assert "check digit" in response.content.decode()
    assert not Provider.objects.exists()
    ok = client.post(reverse("scheduling:provider_create"), {**data, "npi": "1234567893"})
    assert ok.status_code == 302
    assert Provider.objects.get().locations.get() == north
