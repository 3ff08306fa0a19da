"""Claims for the scrubber tests: `clean_claim()` builds one that scrubs with no finding at all, so a test can
change exactly one thing and expect exactly one rule to fire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from openpractice.accounts.models import User
from openpractice.billing.models import Claim
from openpractice.billing.tests.factories import BillingSettingsFactory, make_claim
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Coverage, Payer
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

CLEAN_DIAGNOSES = ("E119", "I10")
CLEAN_LINES: tuple[tuple[str, Decimal], ...] = (("99213", Decimal("125.00")), ("36415", Decimal("12.00")))


def today() -> dt.date:
    """The practice's today: what the scrubber and the worklists use."""
    return practice_now().date()


def clean_practice(practice: Practice) -> Practice:
    """What a clean claim needs of the practice: EIN, a valid group NPI, a full address with ZIP+4."""
    practice.ein = "56-1234567"
    practice.group_npi = "1234567893"
    practice.address_line1 = "100 Main Street"
    practice.city = "Raleigh"
    practice.state = "NC"
    practice.postal_code = "27601-1234"
    practice.save()
    BillingSettingsFactory()
    return practice


def clean_coverage(location: Location, *, payer: Payer | None = None, **fields: Any) -> Coverage:
    payer = payer or PayerFactory.create(timely_filing_days=365)
    patient = PatientFactory(home_location=location)
    return CoverageFactory(patient=patient, payer=payer, effective_from=dt.date(2024, 1, 1), **fields)


def clean_claim(
    *,
    location: Location,
    actor: User,
    status: str = "draft",
    coverage: Coverage | None = None,
    date_of_service: dt.date | None = None,
    diagnoses: tuple[str, ...] = CLEAN_DIAGNOSES,
    lines: tuple[tuple[str, Decimal], ...] = CLEAN_LINES,
    **fields: Any,
) -> Claim:
    """A claim with nothing for the scrubber to find: valid NPIs, ICD-10 codes billable on its date of service
    (ten days ago), ZIP+4 (the practice's, and the location's: it is the service facility), active coverage, a
    payer with a year to file, consistent totals and pointers."""
    clean_practice(location.practice)
    digits = "".join(char for char in location.postal_code if char.isdigit())
    location.postal_code = location.postal_code if len(digits) == 9 else f"{digits[:5]}-4455"
    Location.objects.filter(pk=location.pk).update(postal_code=location.postal_code)
    return make_claim(
        location=location, actor=actor, status=status, coverage=coverage or clean_coverage(location),
        date_of_service=date_of_service or today() - dt.timedelta(days=10), diagnoses=diagnoses, lines=lines,
        **fields,
    )
