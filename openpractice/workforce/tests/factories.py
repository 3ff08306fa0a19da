"""Workforce test data, built directly (not through the services) so each test starts where it needs to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from openpractice.workforce.models import Course, CredentialType, Employee, EmployeeCredential, Position


class PositionFactory(factory.django.DjangoModelFactory[Position]):
    class Meta:
        model = Position

    title = factory.Sequence(lambda n: f"Position {n}")
    pay_basis = "annual"
    pay_min = Decimal("40000.00")
    pay_max = Decimal("60000.00")


class EmployeeFactory(factory.django.DjangoModelFactory[Employee]):
    class Meta:
        model = Employee

    employee_number = factory.Sequence(lambda n: f"E{n:05d}")
    first_name = factory.Sequence(lambda n: f"Jordan{n}")
    last_name = "Taylor"
    email = factory.LazyAttribute(lambda e: f"{e.first_name.lower()}@staff.example")
    hire_date = dt.date(2024, 3, 1)


class CredentialTypeFactory(factory.django.DjangoModelFactory[CredentialType]):
    class Meta:
        model = CredentialType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CERT{n}")
    name = factory.LazyAttribute(lambda c: f"Certificate {c.code}")
    issuer = "Test Board"
    kind = "certification"
    renewal_months = 24


class EmployeeCredentialFactory(factory.django.DjangoModelFactory[EmployeeCredential]):
    class Meta:
        model = EmployeeCredential

    employee = factory.SubFactory(EmployeeFactory)
    credential_type = factory.SubFactory(CredentialTypeFactory)
    number = factory.Sequence(lambda n: f"N{n:06d}")
    issued_on = dt.date(2025, 1, 1)
    expires_on = dt.date(2027, 1, 1)
    added_by = factory.SubFactory("openpractice.accounts.tests.factories.UserFactory")


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    class Meta:
        model = Course
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    title = factory.LazyAttribute(lambda c: f"Course {c.code}")
    due_within_days = 30
