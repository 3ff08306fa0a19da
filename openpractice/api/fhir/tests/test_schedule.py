"""FHIR Schedule: one per provider and location with weekly hours; read, search, paging, scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.scheduling.tests.factories import AppointmentTypeFactory, ProviderFactory, ProviderTemplateFactory

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db


def _provider_with_hours(location: Any, **fields: Any) -> Any:
    provider = ProviderFactory(locations=[location], **fields)
    ProviderTemplateFactory(provider=provider, location=location, weekday=0, start=dt.time(8), end=dt.time(12))
    ProviderTemplateFactory(provider=provider, location=location, weekday=2, start=dt.time(13), end=dt.time(17))
    return provider


def test_read_validates_and_names_the_actors_and_hours(desk: Any, north: Any) -> None:
    provider = _provider_with_hours(north, first_name="Maya", last_name="Chen")
    kind = AppointmentTypeFactory(name="Follow-up")
    AppointmentTypeFactory(name="Retired", is_active=False)
    response = FhirClient(desk).get(f"Schedule/{provider.pk}-{north.pk}")
    assert response.status_code == 200, response.content
    resource = body(response)
    validate(resource)
    assert resource["id"] == f"{provider.pk}-{north.pk}"
    assert resource["active"] is True
    assert resource["actor"] == [
        {"reference": f"Practitioner/{provider.pk}", "display": "Maya Chen, MD"},
        {"reference": f"Location/{north.pk}", "display": "North Clinic"},
    ]
    assert "Monday 08:00-12:00" in resource["comment"]
    assert "Wednesday 13:00-17:00" in resource["comment"]
    assert [c["coding"][0]["code"] for c in resource["serviceType"]] == [str(kind.pk)]
    assert resource["specialty"][0]["coding"][0]["code"] == "207Q00000X"
    assert resource["planningHorizon"]["start"] < resource["planningHorizon"]["end"]


def test_a_provider_without_hours_at_a_location_has_no_schedule_there(desk: Any, north: Any, south: Any) -> None:
    provider = _provider_with_hours(north)
    provider.locations.add(south)
    assert FhirClient(desk).get(f"Schedule/{provider.pk}-{south.pk}").status_code == 404
    assert FhirClient(desk).get("Schedule/not-an-id").status_code == 404


def test_search_by_actor_id_and_active(desk: Any, north: Any) -> None:
    first = _provider_with_hours(north)
    second = _provider_with_hours(north, is_active=False)
    client = FhirClient(desk)

    def ids(query: dict[str, str]) -> list[str]:
        return search_ids(client, "Schedule", query)

    both = [f"{first.pk}-{north.pk}", f"{second.pk}-{north.pk}"]
    assert ids({}) == both
    assert ids({"actor": f"Practitioner/{first.pk}"}) == both[:1]
    assert ids({"actor": f"Location/{north.pk}"}) == both
    assert ids({"actor": f"Practitioner/{first.pk},Practitioner/{second.pk}"}) == both
    assert ids({"_id": both[1]}) == both[1:]
    assert ids({"active": "true"}) == both[:1]
    assert ids({"active": "false"}) == both[1:]


def test_paging_covers_every_schedule_once(desk: Any, north: Any) -> None:
    for _ in range(5):
        _provider_with_hours(north)
    client = FhirClient(desk)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("Schedule", {"_count": "2"}))):
        validate(bundle)
        assert bundle["total"] == 5
        seen += resource_ids(bundle)
    assert len(seen) == 5 == len(set(seen))


def test_out_of_scope_read_is_404_and_audited_and_search_leaves_it_out(desk: Any, south: Any) -> None:
    other = _provider_with_hours(south)
    ident = f"{other.pk}-{south.pk}"
    response = FhirClient(desk).get(f"Schedule/{ident}")
    assert response.status_code == 404
    assert body(response)["issue"][0]["code"] == "not-found"
    assert AuditEvent.objects.filter(action="access.denied", object_id=ident).exists()
    assert body(FhirClient(desk).get("Schedule", {"actor": f"Location/{south.pk}"}))["total"] == 0


def test_out_of_role_search_is_404(make_user: Callable[..., Any]) -> None:
    hr = make_user(Role.HR)
    assert FhirClient(hr).get("Schedule").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=hr).exists()


def test_query_count_does_not_grow_with_the_schedules(desk: Any, north: Any) -> None:
    client = FhirClient(desk)

    def count_for(total: int) -> int:
        while body(client.get("Schedule", {"_count": "200"}))["total"] < total:
            _provider_with_hours(north)
        with CaptureQueriesContext(connection) as queries:
            assert body(client.get("Schedule", {"_count": "200"}))["total"] == total
        return len(queries)

    assert count_for(3) == count_for(30)


def test_bad_search_values_are_400(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"actor": "Patient/1"}, {"actor": "12"}, {"actor": "Practitioner/x"}, {"_id": "12"},
                  {"active": "maybe"}, {"owner": "x"}, {"actor:missing": "true"}):
        response = client.get("Schedule", query)
        assert response.status_code == 400, query
        validate(body(response))
