"""Factories for providers, scheduling settings and appointments (patients come from the patients app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from openpractice.core.tests.factories import LocationFactory
from openpractice.scheduling.models import (
    Appointment,
    AppointmentType,
    Provider,
    ProviderTemplate,
    ReferringProvider,
    Room,
    TimeOff,
    WaitlistEntry,
)


def npi_for(n: int) -> str:
    """A Luhn-valid NPI (check digit over 80840 + the first nine digits), different for every n."""
    nine = f"{150000000 + n:09d}"
    total = 0
    for index, char in enumerate(reversed("80840" + nine)):
        digit = int(char)
        if index % 2 == 0:  # doubled: these positions are odd once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return nine + str((10 - total % 10) % 10)


class ProviderFactory(factory.django.DjangoModelFactory[Provider]):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Alex{n}")
    last_name = "Rivera"
    credential = "MD"
    kind = "physician"
    npi = factory.Sequence(npi_for)
    taxonomy_code = "207Q00000X"

    @factory.post_generation
    def locations(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.locations.set(extracted)


class AppointmentTypeFactory(factory.django.DjangoModelFactory[AppointmentType]):
    class Meta:
        model = AppointmentType

    name = factory.Sequence(lambda n: f"Visit type {n}")
    duration_minutes = 30
    colour = "#2a7ab0"


class RoomFactory(factory.django.DjangoModelFactory[Room]):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Exam {n}")


class ProviderTemplateFactory(factory.django.DjangoModelFactory[ProviderTemplate]):
    class Meta:
        model = ProviderTemplate

    weekday = 0
    start = dt.time(8, 0)
    end = dt.time(12, 0)


class TimeOffFactory(factory.django.DjangoModelFactory[TimeOff]):
    class Meta:
        model = TimeOff


class AppointmentFactory(factory.django.DjangoModelFactory[Appointment]):
    class Meta:
        model = Appointment

    appointment_type = factory.SubFactory(AppointmentTypeFactory)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=o.appointment_type.duration_minutes))


class WaitlistEntryFactory(factory.django.DjangoModelFactory[WaitlistEntry]):
    """Pass patient and location; the dates default to the coming four weeks."""

    class Meta:
        model = WaitlistEntry

    appointment_type = factory.SubFactory(AppointmentTypeFactory)
    earliest = factory.LazyFunction(lambda: dt.date.today())
    latest = factory.LazyAttribute(lambda o: o.earliest + dt.timedelta(days=28))


class ReferringProviderFactory(factory.django.DjangoModelFactory[ReferringProvider]):
    class Meta:
        model = ReferringProvider

    first_name = factory.Sequence(lambda n: f"Jordan{n}")
    last_name = "Okafor"
    npi = factory.Sequence(lambda n: npi_for(500000 + n))
