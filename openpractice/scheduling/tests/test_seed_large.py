"""`openpractice seed --size small`: bulk patients and appointments on top of the demo practice, once per database."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from openpractice.audit.models import AuditEvent
from openpractice.core.seeding import SEED_SIZES
from openpractice.core.selectors import practice_timezone_name
from openpractice.patients.models import Coverage, Patient
from openpractice.scheduling.choices import ACTIVE_STATUSES
from openpractice.scheduling.models import Appointment, ProviderTemplate

pytestmark = pytest.mark.django_db

SMALL_PATIENTS, SMALL_APPOINTMENTS = SEED_SIZES["small"]


def _counts() -> tuple[int, int, int, int]:
    return (Patient.objects.count(), Coverage.objects.count(), Appointment.objects.count(),
            AuditEvent.objects.count())


@pytest.fixture
def demo() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())


def test_seed_small_adds_a_thousand_patients_and_ten_thousand_appointments_with_one_audit_event_per_app(
        demo: None) -> None:
    patients, _coverages, appointments, _events = _counts()
    out = StringIO()
    call_command("seed", size="small", stdout=out)
    assert Patient.objects.count() == patients + SMALL_PATIENTS
    assert Appointment.objects.count() == appointments + SMALL_APPOINTMENTS
    seeded = Patient.objects.order_by("-pk")[:SMALL_PATIENTS]
    covered = Coverage.objects.filter(patient__in=list(seeded.values_list("pk", flat=True))).values(
        "patient").distinct().count()
    assert 0.75 * SMALL_PATIENTS <= covered <= 0.85 * SMALL_PATIENTS
    assert AuditEvent.objects.filter(action="patients.bulk_seeded").count() == 1
    assert AuditEvent.objects.filter(action="scheduling.bulk_seeded").count() == 1
    assert "1,000 patients" in out.getvalue()
    assert "10,000 appointments" in out.getvalue()
    # Seeded patients are searchable like registered ones (the search keys were filled in).
    assert not Patient.objects.filter(search_last_name="").exists()
    assert Patient.objects.aggregate(n=Count("account_number", distinct=True))["n"] == Patient.objects.count()


def test_seeded_appointments_never_double_book_a_provider_or_a_room_and_stay_inside_the_templates(
        demo: None) -> None:
    call_command("seed", size="small", stdout=StringIO())
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    periods = defaultdict(list)
    for template in ProviderTemplate.objects.all():
        periods[(template.provider_id, template.weekday, template.location_id)].append((template.start, template.end))
    by_provider, by_room = defaultdict(list), defaultdict(list)
    for row in Appointment.objects.filter(status__in=ACTIVE_STATUSES).values(
            "provider_id", "room_id", "location_id", "starts_at", "ends_at"):
        by_provider[row["provider_id"]].append((row["starts_at"], row["ends_at"]))
        if row["room_id"]:
            by_room[row["room_id"]].append((row["starts_at"], row["ends_at"]))
        start, end = row["starts_at"].astimezone(zone), row["ends_at"].astimezone(zone)
        assert any(s <= start.time() and end.time() <= e
                   for s, e in periods[(row["provider_id"], start.weekday(), row["location_id"])])
    for spans in (*by_provider.values(), *by_room.values()):
        for (_s1, end1), (start2, _e2) in pairwise(sorted(spans)):
            assert end1 <= start2


def test_a_second_seed_is_refused_and_adds_nothing(demo: None) -> None:
    call_command("seed", size="small", stdout=StringIO())
    before = _counts()
    with pytest.raises(CommandError, match="bulk-seeded already"):
        call_command("seed", size="small", stdout=StringIO())
    assert _counts() == before


def test_seeding_without_the_demo_practice_is_refused_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="run `openpractice demo` first"):
        call_command("seed", size="small", stdout=StringIO())
    assert _counts() == (0, 0, 0, 0)
