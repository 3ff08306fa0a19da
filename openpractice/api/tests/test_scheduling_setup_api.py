"""/provider-templates, /time-off-periods and /referring-providers: read by whoever sees the schedule (the
provider's locations for hours and time off); written through the same services as the provider and referring
pages, with their permissions. Out of scope or out of role is 404 and the refusal audited; refusals and bad input
change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.scheduling.models import Provider, ProviderTemplate, ReferringProvider, TimeOff
from openpractice.scheduling.tests.factories import (
    ProviderFactory,
    ProviderTemplateFactory,
    ReferringProviderFactory,
    TimeOffFactory,
    npi_for,
)

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
TEMPLATES = f"{API}/provider-templates"
TIME_OFF = f"{API}/time-off-periods"
REFERRING = f"{API}/referring-providers"


@pytest.fixture
def manager_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])


@pytest.fixture
def desk_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


@pytest.fixture
def doctor(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Priya", last_name="Raman")


def delete(client: TokenClient, path: str) -> Any:
    """TokenClient sends no DELETE of its own: the same token header on the plain test client."""
    return client.client.delete(path, headers=client.headers)


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def week(provider: Provider) -> list[tuple[Any, ...]]:
    return list(ProviderTemplate.objects.filter(provider=provider).order_by("weekday", "start")
                .values_list("weekday", "location_id", "start", "end"))


def time_off_rows() -> list[tuple[Any, ...]]:
    return list(TimeOff.objects.order_by("pk").values_list("pk", "provider_id", "starts_at", "ends_at", "reason"))


def referring_rows() -> list[tuple[Any, ...]]:
    return list(ReferringProvider.objects.order_by("pk").values_list("first_name", "last_name", "npi",
                                                                     "taxonomy_code", "phone", "fax"))


def period(provider: Provider, location: Location, weekday: int, start: int, end: int) -> ProviderTemplate:
    return ProviderTemplateFactory(provider=provider, location=location, weekday=weekday, start=dt.time(start),
                                   end=dt.time(end))


# --- provider templates ----------------------------------------------------------------------------------------


def test_the_weekly_hours_list_shows_the_providers_at_the_callers_locations(
        desk_north: User, doctor: Provider, north: Location, south: Location, api_as: Api) -> None:
    monday = period(doctor, north, 0, 8, 12)
    tuesday = period(doctor, north, 1, 13, 17)
    elsewhere = period(ProviderFactory(locations=[south]), south, 0, 8, 12)
    client = api_as(desk_north)
    response = client.get(TEMPLATES)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [monday.pk, tuesday.pk]
    assert response.json()["items"][0] == {
        "id": monday.pk, "provider": {"id": doctor.pk, "display_name": doctor.display_name},
        "location": {"id": north.pk, "name": north.name, "code": north.code}, "weekday": 0, "start": "08:00:00",
        "end": "12:00:00"}
    assert [row["id"] for row in client.get(TEMPLATES, {"weekday": 1}).json()["items"]] == [tuesday.pk]
    assert client.get(TEMPLATES, {"provider_id": elsewhere.provider_id}).json()["count"] == 0
    assert client.get(f"{TEMPLATES}/{tuesday.pk}").json()["weekday"] == 1
    assert client.get(f"{TEMPLATES}/{elsewhere.pk}").status_code == 404
    assert refusals(desk_north) == 1


def test_the_weekly_hours_list_runs_the_same_queries_for_many_rows(desk_north: User, north: Location,
                                                                   api_as: Api) -> None:
    client = api_as(desk_north)
    period(ProviderFactory(locations=[north]), north, 0, 8, 12)
    client.get(TEMPLATES)
    with CaptureQueriesContext(connection) as few:
        client.get(TEMPLATES)
    for _ in range(6):
        provider = ProviderFactory(locations=[north])
        period(provider, north, 0, 8, 12)
        period(provider, north, 3, 13, 17)
    with CaptureQueriesContext(connection) as many:
        assert client.get(TEMPLATES).json()["count"] == 13
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_manager_adds_changes_and_drops_a_period_and_the_rest_of_the_week_keeps_its_ids(
        manager_north: User, doctor: Provider, north: Location, api_as: Api) -> None:
    monday = period(doctor, north, 0, 8, 12)
    client = api_as(manager_north)
    response = client.post(TEMPLATES, {"provider_id": doctor.pk, "location_id": north.pk, "weekday": 2,
                                       "start": "08:30", "end": "12:00"})
    assert response.status_code == 201, response.content
    assert (response.json()["weekday"], response.json()["start"], response.json()["end"]) == (2, "08:30:00",
                                                                                             "12:00:00")
    added = response.json()["id"]
    assert week(doctor) == [(0, north.pk, dt.time(8), dt.time(12)), (2, north.pk, dt.time(8, 30), dt.time(12))]

    response = client.patch(f"{TEMPLATES}/{added}", {"start": "13:00", "end": "17:30"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == added
    assert ProviderTemplate.objects.get(pk=added).start == dt.time(13)
    assert week(doctor) == [(0, north.pk, dt.time(8), dt.time(12)), (2, north.pk, dt.time(13), dt.time(17, 30))]

    assert delete(client, f"{TEMPLATES}/{added}").status_code == 204
    assert week(doctor) == [(0, north.pk, dt.time(8), dt.time(12))]
    assert ProviderTemplate.objects.filter(pk=monday.pk).exists()  # untouched, same row
    actions = list(AuditEvent.objects.filter(actor=manager_north, action__startswith="provider.template_")
                   .order_by("pk").values_list("action", "object_id"))
    assert actions == [("provider.template_added", str(added)), ("provider.template_changed", str(added)),
                       ("provider.template_removed", str(added))]


def test_a_patch_that_changes_nothing_keeps_the_week_and_its_ids(manager_north: User, doctor: Provider,
                                                                 north: Location, api_as: Api) -> None:
    monday = period(doctor, north, 0, 8, 12)
    response = api_as(manager_north).patch(f"{TEMPLATES}/{monday.pk}", {"start": "08:00:00"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == monday.pk
    assert not AuditEvent.objects.filter(action__startswith="provider.template").exists()


@pytest.mark.parametrize("body", [
    {"weekday": 7}, {"weekday": "monday"}, {"start": "25:00"}, {"start": "06:00:00Z"}, {"start": "13:00"},
    {"start": "09:00", "end": "10:00"},  # overlaps the Monday morning
    {"start": "12:00", "end": "13:00"},  # a third period on Monday
    {"location_id": None}, {"provider_id": 999999}, {"provider_id": None}, {"end": None},
])
def test_bad_weekly_hours_are_a_422_and_change_nothing(manager_north: User, doctor: Provider, north: Location,
                                                       south: Location, api_as: Api, body: dict[str, Any]) -> None:
    period(doctor, north, 0, 8, 12)
    period(doctor, north, 0, 14, 17)
    before = week(doctor)
    full = {"provider_id": doctor.pk, "location_id": north.pk, "weekday": 0, "start": "07:00", "end": "07:30"}
    full.update(body)
    if "location_id" in body:
        full["location_id"] = south.pk  # not one of the provider's locations
    full = {name: value for name, value in full.items() if value is not None or name == "location_id"}
    response = api_as(manager_north).post(TEMPLATES, full)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert week(doctor) == before


def test_the_front_desk_cannot_set_weekly_hours_and_the_refusal_is_audited(
        desk_north: User, doctor: Provider, north: Location, api_as: Api) -> None:
    monday = period(doctor, north, 0, 8, 12)
    before = week(doctor)
    client = api_as(desk_north)
    assert client.post(TEMPLATES, {"provider_id": doctor.pk, "location_id": north.pk, "weekday": 1,
                                   "start": "08:00", "end": "12:00"}).status_code == 404
    assert client.patch(f"{TEMPLATES}/{monday.pk}", {"weekday": 3}).status_code == 404
    assert delete(client, f"{TEMPLATES}/{monday.pk}").status_code == 404
    assert refusals(desk_north) == 3
    assert week(doctor) == before


def test_hours_of_a_provider_who_also_works_where_the_manager_does_not_manage_are_refused(
        manager_north: User, north: Location, south: Location, api_as: Api) -> None:
    shared = ProviderFactory(locations=[north, south])
    monday = period(shared, south, 0, 8, 12)
    before = week(shared)
    client = api_as(manager_north)
    assert client.patch(f"{TEMPLATES}/{monday.pk}", {"end": "11:00"}).status_code == 404
    assert client.post(TEMPLATES, {"provider_id": shared.pk, "location_id": north.pk, "weekday": 4,
                                   "start": "08:00", "end": "12:00"}).status_code == 404
    assert AuditEvent.objects.filter(actor=manager_north, outcome=Outcome.DENIED,
                                     action="provider.set_templates").count() == 2
    assert week(shared) == before


def test_a_period_of_a_provider_at_another_location_is_not_found_and_audited(
        manager_north: User, south: Location, api_as: Api) -> None:
    theirs = period(ProviderFactory(locations=[south]), south, 0, 8, 12)
    response = api_as(manager_north).patch(f"{TEMPLATES}/{theirs.pk}", {"end": "11:00"})
    assert response.status_code == 404
    assert refusals(manager_north) == 1
    assert ProviderTemplate.objects.get(pk=theirs.pk).end == dt.time(12)


# --- time off --------------------------------------------------------------------------------------------------


def test_time_off_is_listed_for_the_providers_at_the_callers_locations(
        make_user: Callable[..., User], doctor: Provider, north: Location, south: Location, api_as: Api) -> None:
    now = timezone.now()
    past = TimeOffFactory(provider=doctor, starts_at=now - dt.timedelta(days=9), ends_at=now - dt.timedelta(days=8))
    coming = TimeOffFactory(provider=doctor, starts_at=now + dt.timedelta(days=8), ends_at=now + dt.timedelta(days=9),
                            reason="Conference")
    elsewhere = TimeOffFactory(provider=ProviderFactory(locations=[south]), starts_at=now,
                               ends_at=now + dt.timedelta(hours=4))
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    client = api_as(nurse)
    response = client.get(TIME_OFF)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [past.pk, coming.pk]
    assert response.json()["items"][1]["reason"] == "Conference"
    assert response.json()["items"][1]["provider"] == {"id": doctor.pk, "display_name": doctor.display_name}
    assert [row["id"] for row in client.get(TIME_OFF, {"upcoming": "true"}).json()["items"]] == [coming.pk]
    assert [row["id"] for row in client.get(TIME_OFF, {"upcoming": "false"}).json()["items"]] == [past.pk]
    assert client.get(f"{TIME_OFF}/{coming.pk}").status_code == 200
    assert client.get(f"{TIME_OFF}/{elsewhere.pk}").status_code == 404
    assert refusals(nurse) == 1


def test_the_time_off_list_runs_the_same_queries_for_many_rows(desk_north: User, north: Location,
                                                               api_as: Api) -> None:
    client = api_as(desk_north)
    start = timezone.now()
    TimeOffFactory(provider=ProviderFactory(locations=[north]), starts_at=start, ends_at=start + dt.timedelta(hours=1))
    client.get(TIME_OFF)
    with CaptureQueriesContext(connection) as few:
        client.get(TIME_OFF)
    for index in range(10):
        TimeOffFactory(provider=ProviderFactory(locations=[north]), starts_at=start + dt.timedelta(days=index),
                       ends_at=start + dt.timedelta(days=index, hours=2))
    with CaptureQueriesContext(connection) as many:
        assert client.get(TIME_OFF).json()["count"] == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_front_desk_blocks_and_frees_a_providers_time_and_both_are_audited(
        desk_north: User, doctor: Provider, api_as: Api) -> None:
    client = api_as(desk_north)
    response = client.post(TIME_OFF, {"provider_id": doctor.pk, "starts_at": "2030-03-04T08:00:00-05:00",
                                      "ends_at": "2030-03-04T17:00:00-05:00", "reason": " Conference "})
    assert response.status_code == 201, response.content
    created = TimeOff.objects.get(pk=response.json()["id"])
    assert (created.provider_id, created.starts_at, created.ends_at, created.reason) == (
        doctor.pk, dt.datetime(2030, 3, 4, 13, tzinfo=dt.UTC), dt.datetime(2030, 3, 4, 22, tzinfo=dt.UTC),
        "Conference")
    assert response.json()["starts_at"] in ("2030-03-04T13:00:00Z", "2030-03-04T13:00:00+00:00")

    assert delete(client, f"{TIME_OFF}/{created.pk}").status_code == 204
    assert not TimeOff.objects.filter(pk=created.pk).exists()
    assert {"time_off.created", "time_off.deleted"} <= set(
        AuditEvent.objects.filter(actor=desk_north, object_id=str(created.pk)).values_list("action", flat=True))
    assert client.get(f"{TIME_OFF}/{created.pk}").status_code == 404


@pytest.mark.parametrize("body", [
    {"starts_at": "2030-03-04T08:00:00"},  # no offset
    {"ends_at": "2030-03-04T07:00:00-05:00"},  # before the start
    {"ends_at": "2030-03-04T08:00:00-05:00"},  # no length
    {"reason": "x" * 121}, {"reason": "a\x00b"}, {"provider_id": 999999}, {"provider_id": 0},
    {"starts_at": "not a time"}, {"starts_at": "9999-12-31T23:00:00-05:00", "ends_at": "9999-12-31T23:30:00-05:00"},
])
def test_bad_time_off_is_a_422_and_adds_nothing(desk_north: User, doctor: Provider, api_as: Api,
                                                body: dict[str, Any]) -> None:
    before = time_off_rows()
    full = {"provider_id": doctor.pk, "starts_at": "2030-03-04T08:00:00-05:00",
            "ends_at": "2030-03-04T17:00:00-05:00", **body}
    response = api_as(desk_north).post(TIME_OFF, full)
    assert response.status_code == 422, response.content
    assert time_off_rows() == before


def test_time_off_of_a_provider_who_also_works_elsewhere_needs_the_schedule_there_too(
        desk_north: User, north: Location, south: Location, api_as: Api) -> None:
    shared = ProviderFactory(locations=[north, south])
    start = timezone.now() + dt.timedelta(days=3)
    blocked = TimeOffFactory(provider=shared, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    before = time_off_rows()
    client = api_as(desk_north)
    assert client.post(TIME_OFF, {"provider_id": shared.pk, "starts_at": "2030-03-04T08:00:00-05:00",
                                  "ends_at": "2030-03-04T17:00:00-05:00"}).status_code == 404
    assert delete(client, f"{TIME_OFF}/{blocked.pk}").status_code == 404
    assert refusals(desk_north) == 2
    assert time_off_rows() == before


def test_someone_who_only_sees_the_schedule_cannot_block_time(
        make_user: Callable[..., User], doctor: Provider, north: Location, api_as: Api) -> None:
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    start = timezone.now() + dt.timedelta(days=3)
    blocked = TimeOffFactory(provider=doctor, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    before = time_off_rows()
    client = api_as(nurse)
    assert client.post(TIME_OFF, {"provider_id": doctor.pk, "starts_at": "2030-03-04T08:00:00-05:00",
                                  "ends_at": "2030-03-04T17:00:00-05:00"}).status_code == 404
    assert delete(client, f"{TIME_OFF}/{blocked.pk}").status_code == 404
    assert refusals(nurse) == 2
    assert time_off_rows() == before


# --- referring providers ---------------------------------------------------------------------------------------


def test_referring_providers_are_listed_searched_and_read_by_whoever_sees_the_schedule(
        make_user: Callable[..., User], north: Location, api_as: Api) -> None:
    okafor = ReferringProviderFactory(first_name="Jordan", last_name="Okafor")
    adams = ReferringProviderFactory(first_name="Lee", last_name="Adams", phone="919-555-0100")
    client = api_as(make_user(Role.CLINICAL_STAFF, locations=[north]))
    response = client.get(REFERRING)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [adams.pk, okafor.pk]
    assert response.json()["items"][0]["phone"] == "919-555-0100"
    assert [row["id"] for row in client.get(REFERRING, {"q": "okaf"}).json()["items"]] == [okafor.pk]
    assert [row["id"] for row in client.get(REFERRING, {"q": adams.npi}).json()["items"]] == [adams.pk]
    assert client.get(f"{REFERRING}/{okafor.pk}").json()["npi"] == okafor.npi
    hr = make_user(Role.HR)
    assert api_as(hr).get(REFERRING).status_code == 404
    assert api_as(hr).get(f"{REFERRING}/{okafor.pk}").status_code == 404
    assert refusals(hr) == 2


def test_the_referring_list_runs_the_same_queries_for_many_rows(desk_north: User, api_as: Api) -> None:
    client = api_as(desk_north)
    ReferringProviderFactory()
    client.get(REFERRING)
    with CaptureQueriesContext(connection) as few:
        client.get(REFERRING)
    ReferringProviderFactory.create_batch(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(REFERRING).json()["count"] == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_front_desk_adds_and_changes_a_referring_provider_and_both_are_audited(
        desk_north: User, api_as: Api) -> None:
    client = api_as(desk_north)
    npi = npi_for(900001)
    response = client.post(REFERRING, {"first_name": " Dana ", "last_name": "Whitfield", "npi": npi,
                                       "taxonomy_code": "207R00000X", "phone": "919-555-0142"})
    assert response.status_code == 201, response.content
    created = ReferringProvider.objects.get(pk=response.json()["id"])
    assert (created.first_name, created.npi, created.taxonomy_code) == ("Dana", npi, "207R00000X")
    response = client.patch(f"{REFERRING}/{created.pk}", {"fax": "919-555-0143", "taxonomy_code": ""})
    assert response.status_code == 200, response.content
    assert (response.json()["fax"], response.json()["taxonomy_code"], response.json()["phone"]) == (
        "919-555-0143", "", "919-555-0142")
    assert {"referring_provider.created", "referring_provider.updated"} <= set(
        AuditEvent.objects.filter(actor=desk_north, object_id=str(created.pk)).values_list("action", flat=True))


@pytest.mark.parametrize("body", [
    {"npi": "1234567890"},  # wrong check digit
    {"npi": "TAKEN"}, {"npi": "12345"}, {"first_name": ""}, {"first_name": "   "}, {"last_name": "x" * 61},
    {"phone": "555-01"}, {"taxonomy_code": "207R0000"}, {"fax": "a\x00b"}, {"npi": None},
])
def test_a_bad_referring_provider_is_a_422_and_adds_nothing(desk_north: User, api_as: Api,
                                                            body: dict[str, Any]) -> None:
    taken = ReferringProviderFactory()
    before = referring_rows()
    full = {"first_name": "Dana", "last_name": "Whitfield", "npi": npi_for(900002), **body}
    if full["npi"] == "TAKEN":
        full["npi"] = taken.npi
    full = {name: value for name, value in full.items() if value is not None}
    response = api_as(desk_north).post(REFERRING, full)
    assert response.status_code == 422, response.content
    assert referring_rows() == before


def test_someone_who_only_sees_the_schedule_cannot_add_or_change_referring_providers(
        make_user: Callable[..., User], north: Location, api_as: Api) -> None:
    existing = ReferringProviderFactory()
    before = referring_rows()
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    client = api_as(nurse)
    assert client.post(REFERRING, {"first_name": "Dana", "last_name": "Whitfield",
                                   "npi": npi_for(900003)}).status_code == 404
    assert client.patch(f"{REFERRING}/{existing.pk}", {"phone": "919-555-0199"}).status_code == 404
    assert refusals(nurse) == 2
    assert referring_rows() == before
