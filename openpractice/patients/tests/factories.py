from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from openpractice.core.tests.factories import LocationFactory
from openpractice.patients.models import Coverage, CoverageCard, Patient, Payer, PayerPlan


class PayerFactory(factory.django.DjangoModelFactory[Payer]):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Payer {n}")
    payer_id = factory.Sequence(lambda n: f"P{n:05d}")
    claim_filing_indicator = "CI"
    timely_filing_days = 90
    address_line1 = "PO Box 1000"
    city = "Atlanta"
    state = "GA"
    postal_code = "30301"


class PayerPlanFactory(factory.django.DjangoModelFactory[PayerPlan]):
    class Meta:
        model = PayerPlan

    payer = factory.SubFactory(PayerFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    plan_type = "ppo"


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    account_number = factory.Sequence(lambda n: f"P{n + 1:07d}")
    first_name = factory.Sequence(lambda n: f"Pat{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}")
    last_name = factory.Sequence(lambda n: f"Sample{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}")
    date_of_birth = dt.date(1980, 1, 31)
    sex = "F"
    address_line1 = "12 Elm Street"
    city = "Raleigh"
    state = "NC"
    postal_code = "27601"
    phone_mobile = factory.Sequence(lambda n: f"919-555-{n % 10000:04d}")
    home_location = factory.SubFactory(LocationFactory)


class CoverageFactory(factory.django.DjangoModelFactory[Coverage]):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    rank = 1
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"MEM{n:06d}")
    group_number = "GRP1"
    effective_from = dt.date(2024, 1, 1)
    copay = Decimal("25.00")


class CoverageCardFactory(factory.django.DjangoModelFactory[CoverageCard]):
    class Meta:
        model = CoverageCard

    coverage = factory.SubFactory(CoverageFactory)
    side = "front"
    file = factory.django.FileField(filename="card.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    content_type = "image/png"
    size = 24


def route_samples(world: Any, kind: str) -> tuple[Any, Any]:
    """For tests/test_routes.py: (object at North, object at South) of `kind`, made once per world."""
    cache: dict[str, tuple[Any, Any]] = world.__dict__.setdefault("_patients_samples", {})
    if kind not in cache:
        if kind == "payer":
            cache[kind] = (PayerFactory(), None)
        else:
            from openpractice.accounts.tests.factories import UserFactory

            uploader = UserFactory()
            pair = []
            for location in (world.north, world.south):
                patient = PatientFactory(home_location=location)
                coverage = CoverageFactory(patient=patient)
                card = CoverageCardFactory(coverage=coverage, uploaded_by=uploader)
                pair.append({"patient": patient, "coverage": coverage, "card": card})
            for name in ("patient", "coverage", "card"):
                cache[name] = (pair[0][name], pair[1][name])
    return cache[kind]
