"""A provider whose licence needed to see patients has lapsed is flagged at booking, or refused when the
practice says so. Scheduling knows nothing of workforce: the check comes in through scheduling.booking_checks."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import booking_checks
from openpractice.scheduling import services as scheduling
from openpractice.scheduling.models import Appointment, Provider
from openpractice.scheduling.tests.factories import AppointmentTypeFactory, ProviderFactory
from openpractice.workforce.models import CredentialType, Employee, EmployeeCredential, WorkforceSettings
from openpractice.workforce.services.credentials import licence_booking_check

from .factories import EmployeeCredentialFactory, EmployeeFactory

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def next_monday(at: int = 9) -> dt.datetime:
    today = timezone.now().astimezone(NY).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(at, 0), tzinfo=NY)


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    # What WorkforceConfig.ready() does in the running product.
    booking_checks.register("workforce.licence", licence_booking_check)
    yield
    booking_checks.unregister("workforce.licence")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Maya", last_name="Chen")


@pytest.fixture
def doctor(provider: Provider, north: Location, make_user: Callable[..., User]) -> Employee:
    hr = make_user(Role.HR, username="hr")
    employee = EmployeeFactory(provider=provider, location=north)
    EmployeeCredentialFactory(employee=employee, credential_type=CredentialType.objects.get(code="MD-DO"),
                              added_by=hr, issued_on=dt.date(2020, 1, 1),
                              expires_on=next_monday().date() - dt.timedelta(days=1),
                              verified_by=hr, verified_at=timezone.now(), verification_method="primary_source")
    return employee


def book(desk: User, provider: Provider, location: Location) -> Appointment:
    return scheduling.appointment_book(actor=desk, patient=PatientFactory(home_location=location), provider=provider,
                                       location=location, appointment_type=AppointmentTypeFactory(),
                                       starts_at=next_monday())


def test_expired_licence_flags_the_booking(desk: User, provider: Provider, north: Location,
                                           doctor: Employee) -> None:
    appointment = book(desk, provider, north)
    assert appointment.pk is not None
    assert len(appointment.booking_flags) == 1
    assert "MD-DO" in appointment.booking_flags[0]
    event = AuditEvent.objects.get(action="appointment.booked_flagged")
    assert event.object_id == str(appointment.pk)
    assert "expired" in event.reason


def test_block_setting_refuses_and_books_nothing(desk: User, provider: Provider, north: Location,
                                                 doctor: Employee) -> None:
    settings_row = WorkforceSettings.load()
    settings_row.block_booking_with_expired_licence = True
    settings_row.save()
    with pytest.raises(ValidationError) as error:
        book(desk, provider, north)
    assert "MD-DO" in " ".join(error.value.message_dict["provider"])
    assert not Appointment.objects.exists()


def test_only_a_verified_renewal_in_force_clears_the_flag(desk: User, provider: Provider, north: Location,
                                                          doctor: Employee) -> None:
    settings_row = WorkforceSettings.load()
    settings_row.block_booking_with_expired_licence = True
    settings_row.save()
    old = EmployeeCredential.objects.get(employee=doctor)
    renewal = EmployeeCredentialFactory(employee=doctor, credential_type=old.credential_type, replaces=old,
                                        added_by=doctor.user or old.added_by, issued_on=old.expires_on,
                                        expires_on=old.expires_on + dt.timedelta(days=730))  # type: ignore[operator]
    with pytest.raises(ValidationError):  # uploaded, not yet verified
        book(desk, provider, north)
    renewal.verified_by, renewal.verified_at, renewal.verification_method = old.added_by, timezone.now(), "other"
    renewal.save()
    assert book(desk, provider, north).booking_flags == []  # type: ignore[attr-defined]


def test_providers_without_a_lapsed_licence_book_as_before(desk: User, provider: Provider, north: Location,
                                                           make_user: Callable[..., User]) -> None:
    settings_row = WorkforceSettings.load()
    settings_row.block_booking_with_expired_licence = True
    settings_row.save()
    hr = make_user(Role.HR, username="hr")
    employee = EmployeeFactory(provider=provider, location=north)
    # An expired certification not needed to see patients does not count.
    EmployeeCredentialFactory(employee=employee, credential_type=CredentialType.objects.get(code="CMPE"),
                              added_by=hr, issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2021, 1, 1))
    assert book(desk, provider, north).booking_flags == []  # type: ignore[attr-defined]
    other: Any = ProviderFactory(locations=[north])  # no employee record at all
    assert book(desk, other, north).booking_flags == []  # type: ignore[attr-defined]


def test_reschedule_is_checked_too(desk: User, provider: Provider, north: Location, make_user: Callable[..., User]) -> None:
    appointment = book(desk, provider, north)
    hr = make_user(Role.HR, username="hr")
    employee = EmployeeFactory(provider=provider, location=north)
    EmployeeCredentialFactory(employee=employee, credential_type=CredentialType.objects.get(code="RN"),
                              added_by=hr, issued_on=dt.date(2020, 1, 1), expires_on=next_monday().date())
    settings_row = WorkforceSettings.load()
    settings_row.block_booking_with_expired_licence = True
    settings_row.save()
    with pytest.raises(ValidationError):
        scheduling.appointment_reschedule(actor=desk, appointment=appointment,
                                          starts_at=next_monday() + dt.timedelta(days=1),
                                          outside_hours_confirmed=True)
    appointment.refresh_from_db()
    assert appointment.starts_at == next_monday()
