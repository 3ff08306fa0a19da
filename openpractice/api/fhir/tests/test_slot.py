"""FHIR Slot: free times from the scheduling app's free-slot finder, busy times from the bookings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.scheduling.tests.factories import (
    AppointmentTypeFactory,
    ProviderFactory,
    ProviderTemplateFactory,
    TimeOffFactory,
)

from .support import NY, FhirClient, body, book, entries, next_monday, pages, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(north: Any) -> Any:
    provider = ProviderFactory(locations=[north])
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(10))
    return provider


def _monday_query(provider: Any, location: Any, **extra: str) -> dict[str, Any]:
    day = next_monday().date()
    return {"schedule": f"Schedule/{provider.pk}-{location.pk}", "start": [f"ge{day}", f"lt{day + dt.timedelta(1)}"],
            **extra}


def _local_times(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(resource["status"], dt.datetime.fromisoformat(resource["start"]).astimezone(NY).strftime("%H:%M"))
            for resource in resources]


def test_free_slots_skip_bookings_and_time_off_and_busy_slots_show_bookings(desk: Any, north: Any,
                                                                              provider: Any) -> None:
    monday = next_monday()
    kind = AppointmentTypeFactory(duration_minutes=30)
    book(desk, provider, north, monday, kind)  # 8:00-8:30
    TimeOffFactory(provider=provider, starts_at=monday + dt.timedelta(hours=1),
                   ends_at=monday + dt.timedelta(hours=1, minutes=30))  # 9:00-9:30
    bundle = body(FhirClient(desk).get("Slot", _monday_query(
        provider, north, **{"service-type": f"https://openpractice.org/fhir/appointment-type|{kind.pk}"})))
    validate(bundle)
    found = entries(bundle)
    assert _local_times(found) == [("busy", "08:00"), ("free", "08:30"), ("free", "09:30")]
    free = found[1]
    assert free["schedule"] == {"reference": f"Schedule/{provider.pk}-{north.pk}"}
    assert free["serviceType"][0]["coding"][0]["code"] == str(kind.pk)
    assert dt.datetime.fromisoformat(free["end"]) - dt.datetime.fromisoformat(free["start"]) == dt.timedelta(
        minutes=30)
    # Without a type: 15-minute blocks of the grid.
    blocks = entries(body(FhirClient(desk).get("Slot", _monday_query(provider, north, status="free"))))
    assert _local_times(blocks) == [("free", t) for t in ("08:30", "08:45", "09:30", "09:45")]


def test_status_filters_free_and_busy(desk: Any, north: Any, provider: Any) -> None:
    book(desk, provider, north, next_monday(), AppointmentTypeFactory(duration_minutes=60))
    client = FhirClient(desk)
    busy = entries(body(client.get("Slot", _monday_query(provider, north, status="busy"))))
    assert _local_times(busy) == [("busy", "08:00")]
    free = entries(body(client.get("Slot", _monday_query(provider, north, status="free"))))
    assert {status for status, _time in _local_times(free)} == {"free"}
    assert len(free) == 4
    assert body(client.get("Slot", _monday_query(provider, north, status="busy-tentative")))["total"] == 0


def test_read_recomputes_the_slot_and_answers_404_once_taken(desk: Any, north: Any, provider: Any) -> None:
    kind = AppointmentTypeFactory(duration_minutes=30)
    client = FhirClient(desk)
    query = _monday_query(provider, north, status="free", **{"service-type": str(kind.pk)})
    first = entries(body(client.get("Slot", query)))[0]
    response = client.get(f"Slot/{first['id']}")
    assert response.status_code == 200
    assert body(response) == first
    appointment = book(desk, provider, north, dt.datetime.fromisoformat(first["start"]), kind)
    assert client.get(f"Slot/{first['id']}").status_code == 404
    busy = entries(body(client.get("Slot", _monday_query(provider, north, status="busy"))))[0]
    assert busy["id"].endswith("-busy")
    read = client.get(f"Slot/{busy['id']}")
    assert read.status_code == 200
    validate(body(read))
    assert body(read)["end"] == busy["end"]
    assert dt.datetime.fromisoformat(busy["start"]) == appointment.starts_at
    for bad in ("1-2-3", f"{provider.pk}-{north.pk}-209913451200-0", f"{provider.pk}-{north.pk}-200001030900-0"):
        assert client.get(f"Slot/{bad}").status_code == 404


def test_default_window_is_the_next_seven_days_and_paging_works(desk: Any, north: Any, provider: Any) -> None:
    client = FhirClient(desk)
    query = {"schedule": f"{provider.pk}-{north.pk}", "status": "free", "_count": "3"}
    first = body(client.get("Slot", query))
    validate(first)
    now = timezone.now()
    # Any seven days hold one Monday 8:00-10:00 (maybe split between two Mondays): 8 blocks, give or take a
    # daylight-saving hour.
    assert 4 <= first["total"] <= 12
    seen: list[str] = []
    for bundle in pages(client, first):
        for resource in entries(bundle):
            start = dt.datetime.fromisoformat(resource["start"])
            assert now <= start < now + dt.timedelta(days=7)
            seen.append(resource["id"])
    assert len(seen) == bundle["total"] == len(set(seen))


def test_out_of_scope_schedule_finds_nothing_and_its_slot_read_is_404_and_audited(
        desk: Any, south: Any) -> None:
    other = ProviderFactory(locations=[south])
    ProviderTemplateFactory(provider=other, location=south, weekday=0, start=dt.time(8), end=dt.time(10))
    client = FhirClient(desk)
    assert body(client.get("Slot", _monday_query(other, south)))["total"] == 0
    ident = f"{other.pk}-{south.pk}-{next_monday().astimezone(dt.UTC):%Y%m%d%H%M}-0"
    assert client.get(f"Slot/{ident}").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", object_id=ident).exists()


def test_slots_need_schedule_manage_like_the_booking_page(make_user: Callable[..., Any], north: Any,
                                                          provider: Any) -> None:
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])  # sees the schedule, books nothing
    assert FhirClient(viewer).get("Slot", _monday_query(provider, north)).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=viewer).exists()


def test_query_count_does_not_grow_with_the_bookings(desk: Any, north: Any, provider: Any) -> None:
    kind = AppointmentTypeFactory(duration_minutes=5)
    client = FhirClient(desk)
    ProviderTemplateFactory(provider=provider, location=north, weekday=1, start=dt.time(8), end=dt.time(12))

    def count_for(bookings: int) -> int:
        made = body(client.get("Slot", _monday_query(provider, north, status="busy")))["total"]
        for n in range(made, bookings):
            book(desk, provider, north, next_monday() + dt.timedelta(minutes=5 * n), kind)
        with CaptureQueriesContext(connection) as queries:
            assert body(client.get("Slot", _monday_query(provider, north, status="busy")))["total"] == bookings
        with CaptureQueriesContext(connection) as both:
            body(client.get("Slot", _monday_query(provider, north, _count="200")))
        return len(queries) + len(both)

    assert count_for(3) == count_for(20)


def test_bad_searches_are_400(desk: Any, north: Any, provider: Any) -> None:
    client = FhirClient(desk)
    schedule = f"Schedule/{provider.pk}-{north.pk}"
    today = timezone.now().date()
    for query in ({}, {"schedule": "Practitioner/1"}, {"schedule": "12"},
                  {"schedule": [schedule, schedule]},
                  {"schedule": schedule, "start": [f"ge{today}", f"lt{today + dt.timedelta(days=40)}"]},
                  {"schedule": schedule, "start": "ne2026-01-01"}, {"schedule": schedule, "start": "soon"},
                  {"schedule": schedule, "status": "open"}, {"schedule": schedule, "service-type": "x"},
                  {"schedule": schedule, "service-type": "http://other|1"}, {"schedule": schedule, "foo": "1"}):
        response = client.get("Slot", query)
        assert response.status_code == 400, (query, response.content)
        validate(body(response))
