"""Disclosure samples for THE route matrix (tests/test_routes.py SAMPLES): a disclosure of a North patient (in scope
for a compliance.manage holder at North) and one of a South patient, recorded by the world's stranger.

    "disclosure": disclosure_samples.disclosures,   # disclosure_detail/edit (<pk> = Disclosure)

The patient_disclosures, patient_disclosure_new and patient_disclosure_accounting routes take a Patient <pk>:
the existing "patient" samples (a North and a South patient) serve them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpractice.compliance.choices import DisclosurePurpose
from openpractice.compliance.models import Disclosure
from openpractice.core.selectors import practice_today
from openpractice.patients.tests.factories import PatientFactory


def make_disclosure(*, patient: Any, recorded_by: Any, disclosed_on: dt.date | None = None,
                    **fields: Any) -> Disclosure:
    """A disclosure row built directly (not through the service), dated today unless told."""
    values: dict[str, Any] = {"recipient": "County Health Department", "recipient_address": "1 Main St, Raleigh NC",
                              "purpose": DisclosurePurpose.PUBLIC_HEALTH, "information": "Immunization record",
                              **fields}
    return Disclosure.objects.create(patient=patient, recorded_by=recorded_by,
                                     disclosed_on=disclosed_on or practice_today(), **values)


def disclosures(world: Any, actor: Any) -> tuple[Disclosure, Disclosure]:
    cache: dict[str, Disclosure] = world.__dict__.setdefault("_disclosure_samples", {})
    if not cache:
        for key, location in (("north", world.north), ("south", world.south)):
            cache[key] = make_disclosure(patient=PatientFactory(home_location=location), recorded_by=world.stranger)
    return cache["north"], cache["south"]
