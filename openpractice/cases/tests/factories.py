"""Case test data, built directly (not through the services) so each test starts where it needs to."""

from __future__ import annotations

import datetime as dt

import factory

from openpractice.accounts.tests.factories import UserFactory
from openpractice.cases.choices import CaseKind
from openpractice.cases.models import Case, CaseCategory


def category(kind: str = CaseKind.PATIENT, name: str = "Billing dispute") -> CaseCategory:
    return CaseCategory.objects.get(kind=kind, name=name)


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case

    kind = CaseKind.PATIENT
    category = factory.LazyAttribute(lambda case: CaseCategory.objects.filter(kind=case.kind).order_by("pk").first())
    subject = factory.Sequence(lambda n: f"Charged twice for a visit ({n})")
    narrative = "The patient says the March visit was billed twice and the card was charged."
    complainant_name = "Dana Reyes"
    complainant_contact = "12 Elm St, Springfield, IL 62701"
    received_on = dt.date(2026, 3, 2)
    acknowledge_due_on = factory.LazyAttribute(lambda case: case.received_on + dt.timedelta(days=3))
    resolve_due_on = factory.LazyAttribute(lambda case: case.received_on + dt.timedelta(days=30))
    filed_by = factory.SubFactory(UserFactory)
