from __future__ import annotations

import datetime as dt

import factory

from openpractice.core.models import Department, Location, OpeningHours, Practice


class PracticeFactory(factory.django.DjangoModelFactory[Practice]):
    class Meta:
        model = Practice
        django_get_or_create = ("singleton",)

    singleton = True
    name = "Riverbend Family Medicine"
    legal_name = "Riverbend Family Medicine, PLLC"
    ein = "56-1234567"
    group_npi = "1234567893"
    kind = "medical_group"
    timezone = "America/New_York"
    address_line1 = "100 Main Street"
    city = "Raleigh"
    state = "NC"
    postal_code = "27601"
    phone = "919-555-0100"


class LocationFactory(factory.django.DjangoModelFactory[Location]):
    class Meta:
        model = Location

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")
    code = factory.Sequence(lambda n: f"clinic-{n}")
    place_of_service = "11"
    phone = "919-555-0101"
    address_line1 = factory.Sequence(lambda n: f"{n} Oak Avenue")
    city = "Raleigh"
    state = "NC"
    postal_code = "27603"


class OpeningHoursFactory(factory.django.DjangoModelFactory[OpeningHours]):
    class Meta:
        model = OpeningHours

    location = factory.SubFactory(LocationFactory)
    weekday = 0
    opens_at = dt.time(8, 0)
    closes_at = dt.time(17, 0)


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Department {n}")
