"""The week view: seven practice-local days per provider or per location, constant queries, htmx navigation."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import selectors
from openpractice.scheduling.models import Appointment, Provider

from .factories import AppointmentFactory, ProviderFactory, ProviderTemplateFactory, TimeOffFactory

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2030, 3, 4)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


def _book(provider: Provider, location: Location, start: dt.datetime, last_name: str = "Doe") -> Appointment:
    return AppointmentFactory(patient=PatientFactory(home_location=location, last_name=last_name),
                              provider=provider, location=location, starts_at=start)


def _fill(providers: list[Provider], location: Location, count: int) -> None:
    for index in range(count):
        day = MONDAY + dt.timedelta(days=index % 7)
        start = at(day, 8) + dt.timedelta(minutes=30 * (index // 7))
        _book(providers[index % len(providers)], location, start)


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


def _week(client: Client, **params: Any) -> Any:
    return client.get(reverse("scheduling:schedule_week"), {"date": WEDNESDAY.isoformat(), **params})


def test_the_week_view_costs_the_same_queries_for_5_and_40_appointments(
    north: Location, desk: User, signed_in: Callable[[User], Client], django_assert_max_num_queries: Any
) -> None:
    providers = [ProviderFactory(locations=[north]) for _ in range(3)]
    for provider in providers:
        ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(17))
        TimeOffFactory(provider=provider, starts_at=at(MONDAY + dt.timedelta(days=4), 8),
                       ends_at=at(MONDAY + dt.timedelta(days=4), 12))
    client = signed_in(desk)
    by_location = {"location": north.pk}
    by_provider = {"provider": providers[0].pk}
    _fill(providers, north, 5)
    _week(client)  # warm the per-process caches (practice settings) before counting
    few = {}
    for name, params in (("all", {}), ("location", by_location), ("provider", by_provider)):
        with CaptureQueriesContext(connection) as queries:
            assert _week(client, **params).status_code == 200
        few[name] = len(queries)
    _fill(providers, north, 35)
    assert Appointment.objects.count() == 40
    with django_assert_max_num_queries(few["all"]):
        response = _week(client)
    assert response.content.decode().count('class="appt appt-') == 40
    with django_assert_max_num_queries(few["location"]):
        assert _week(client, **by_location).content.decode().count('class="appt appt-') == 40
    with django_assert_max_num_queries(few["provider"]):
        assert _week(client, **by_provider).status_code == 200


def test_the_week_has_seven_day_columns_from_monday_in_practice_time(
    north: Location, desk: User, signed_in: Callable[[User], Client]
) -> None:
    provider = ProviderFactory(locations=[north], last_name="Chen")
    ProviderTemplateFactory(provider=provider, location=north, weekday=2, start=dt.time(8), end=dt.time(12))
    # 11:30 PM Sunday in New York is already Monday in UTC: it belongs to Sunday's column.
    _book(provider, north, at(MONDAY + dt.timedelta(days=6), 23, 30), last_name="Latenight")
    _book(provider, north, at(WEDNESDAY, 9, 15), last_name="Okafor")
    view = selectors.week_view(actor=desk, day=WEDNESDAY)
    assert [d.day for d in view.days] == [MONDAY + dt.timedelta(days=n) for n in range(7)]
    assert [a.patient.last_name for a in view.days[6].appointments] == ["Latenight"]
    assert [a.patient.last_name for a in view.days[2].appointments] == ["Okafor"]
    assert [(p.start, p.end) for p in view.days[2].periods] == [(dt.time(8), dt.time(12))]
    assert view.days[0].appointments == ()
    assert view.days[0].periods == ()

    page = _week(signed_in(desk)).content.decode()
    assert page.count('<th scope="col"') == 7
    assert "9:15 AM Okafor" in page
    assert "11:30 PM Latenight" in page
    assert "Mar 4 – Mar 10, 2030" in page


def test_the_week_per_provider_and_per_location_shows_only_theirs(
    north: Location, south: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    chen = ProviderFactory(locations=[north, south], last_name="Chen")
    rivera = ProviderFactory(locations=[north], last_name="Rivera")
    ProviderTemplateFactory(provider=chen, location=south, weekday=2, start=dt.time(13), end=dt.time(17))
    _book(chen, north, at(WEDNESDAY, 9), last_name="Northchen")
    _book(chen, south, at(WEDNESDAY, 14), last_name="Southchen")
    _book(rivera, north, at(WEDNESDAY, 10), last_name="Northrivera")
    client = signed_in(make_user(Role.FRONT_DESK))  # all locations

    by_provider = _week(client, provider=chen.pk).content.decode()
    assert "Northchen" in by_provider
    assert "Southchen" in by_provider
    assert "Northrivera" not in by_provider

    by_location = _week(client, location=north.pk).content.decode()
    assert "Northchen" in by_location
    assert "Northrivera" in by_location
    assert "Southchen" not in by_location
    assert "1:00 PM–5:00 PM" not in by_location  # Chen's South hours are not North's

    by_both = selectors.week_view(actor=make_user(Role.FRONT_DESK, username="d2"), day=WEDNESDAY,
                                  provider=chen, location=south)
    assert [a.patient.last_name for d in by_both.days for a in d.appointments] == ["Southchen"]
    assert [p.location for p in by_both.days[2].periods] == [south]


def test_a_user_sees_no_week_of_another_location_even_when_asking_for_it(
    north: Location, south: Location, desk: User, signed_in: Callable[[User], Client]
) -> None:
    south_provider = ProviderFactory(locations=[south])
    _book(south_provider, south, at(WEDNESDAY, 9), last_name="Southonly")
    page = _week(signed_in(desk), location=south.pk, provider=south_provider.pk).content.decode()
    assert "Southonly" not in page
    assert selectors.week_view(actor=desk, day=WEDNESDAY).appointment_count == 0


def test_htmx_moves_week_to_week_with_only_the_grid_and_the_view_is_audited(
    north: Location, desk: User, signed_in: Callable[[User], Client]
) -> None:
    provider = ProviderFactory(locations=[north])
    _book(provider, north, at(MONDAY + dt.timedelta(days=7), 9), last_name="Nextweek")
    client = signed_in(desk)
    page = _week(client, provider=provider.pk).content.decode()
    assert "<nav" in page
    assert f'hx-get="?date=2030-03-11&amp;provider={provider.pk}"' in page
    assert "Nextweek" not in page
    fragment = client.get(reverse("scheduling:schedule_week"), {"date": "2030-03-11", "provider": provider.pk},
                          headers={"HX-Request": "true", "HX-Target": "week-grid"}).content.decode()
    assert "Nextweek" in fragment
    assert "<nav" not in fragment
    assert f'hx-get="?date=2030-03-04&amp;provider={provider.pk}"' in fragment
    assert list(AuditEvent.objects.filter(actor=desk, action="schedule.week_viewed")
                .order_by("seq").values_list("object_id", flat=True)) == ["2030-03-04", "2030-03-11"]


def test_a_bad_date_falls_back_to_this_week(desk: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(desk).get(reverse("scheduling:schedule_week"), {"date": "2030-02-31"})
    assert response.status_code == 200
    assert response.context["view"].start == selectors.week_start(response.context["today"])
