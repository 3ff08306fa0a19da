"""The demo: providers with valid NPIs at every location, templates, and four weeks of non-overlapping visits."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.validators import npi_is_valid
from openpractice.scheduling.choices import ACTIVE_STATUSES
from openpractice.scheduling.models import Appointment, Provider, ProviderTemplate

pytestmark = pytest.mark.django_db


def test_the_demo_schedule_is_believable_and_never_double_books() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())
    providers = list(Provider.objects.prefetch_related("locations"))
    assert len(providers) == 7
    assert all(npi_is_valid(p.npi) for p in providers)
    assert {loc.pk for p in providers for loc in p.locations.all()} == set(Location.objects.values_list("pk", flat=True))
    assert set(ProviderTemplate.objects.values_list("weekday", flat=True)) == {0, 1, 2, 3, 4}
    now = timezone.now()
    assert not Appointment.objects.filter(ends_at__lte=now, status="booked").exists()
    assert Appointment.objects.filter(starts_at__gt=now, status="booked").exists()
    assert Appointment.objects.filter(status="completed").exists()
    active = list(Appointment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "provider_id", "room_id", "starts_at", "ends_at").order_by("starts_at"))
    for key_index in (0, 1):
        by_key: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for row in active:
            if row[key_index] is not None:
                by_key.setdefault(row[key_index], []).append((row[2], row[3]))
        for intervals in by_key.values():
            assert all(a[1] <= b[0] for a, b in pairwise(intervals))
    assert AuditEvent.objects.filter(action="scheduling.demo_seeded").count() == 1
