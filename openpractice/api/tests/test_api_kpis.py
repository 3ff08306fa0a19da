"""/api/v1/kpis: the KPIs the caller may see with target and status, one KPI's monthly trend, and JSON errors for
bad input."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.reporting.choices import Direction
from openpractice.reporting.models import KpiTarget
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

from .conftest import API, TokenClient

ZONE = zoneinfo.ZoneInfo("America/New_York")


def visits(location: Location, day: dt.date, *, completed: int, no_show: int) -> None:
    provider = ProviderFactory(locations=[location])
    for index in range(completed + no_show):
        AppointmentFactory(location=location, provider=provider, patient=PatientFactory(home_location=location),
                           starts_at=dt.datetime.combine(day, dt.time(9 + index % 8), tzinfo=ZONE),
                           status="no_show" if index >= completed else "completed")


def test_the_list_gives_value_previous_target_and_status(north: Location, make_user: Callable[..., User],
                                                         api_as: Callable[[User], TokenClient]) -> None:
    visits(north, dt.date(2026, 3, 3), completed=6, no_show=2)  # 2 / 8 = 25.0%
    visits(north, dt.date(2026, 2, 17), completed=9, no_show=1)  # the period before: 10.0%
    KpiTarget.objects.create(kpi="no_show_rate", direction=Direction.AT_MOST, target=Decimal(10),
                             warn_at=Decimal(15))
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    response = api_as(chief).get(f"{API}/kpis", {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-03-01", "2026-03-31")
    assert (body["previous_start"], body["previous_end"]) == ("2026-01-29", "2026-02-28")
    no_show = next(kpi for kpi in body["kpis"] if kpi["key"] == "no_show_rate")
    assert no_show["value"] == "25.0"
    assert no_show["previous"] == "10.0"
    assert (no_show["target"], no_show["warn_at"], no_show["status"]) == ("10.00", "15.00", "missed")
    assert no_show["better"] == "at_most"
    assert no_show["detail"] == "2 no-shows of 8 scheduled appointments"


def test_each_caller_gets_only_the_kpis_of_their_permissions(make_user: Callable[..., User],
                                                             api_as: Callable[[User], TokenClient]) -> None:
    biller = api_as(make_user(Role.BILLER)).get(f"{API}/kpis").json()
    assert {kpi["key"] for kpi in biller["kpis"]} == {"days_in_ar", "clean_claim_rate", "denial_rate",
                                                      "net_collection_rate", "ar_over_120", "collections"}
    desk = api_as(make_user(Role.FRONT_DESK)).get(f"{API}/kpis")
    assert desk.status_code == 200
    assert desk.json()["kpis"] == []


def test_the_trend_gives_one_value_per_month(north: Location, make_user: Callable[..., User],
                                             api_as: Callable[[User], TokenClient]) -> None:
    visits(north, dt.date(2026, 1, 20), completed=3, no_show=1)
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    response = api_as(chief).get(f"{API}/kpis/no_show_rate/trend", {"months": 2, "end": "2026-02-28"})
    assert response.status_code == 200
    assert response.json() == {"key": "no_show_rate", "months": 2, "end": "2026-02-28", "points": [
        {"month": "2026-01-01", "value": "25.0"}, {"month": "2026-02-01", "value": None}]}


def test_a_kpi_the_caller_may_not_see_is_not_found_and_the_refusal_audited(
        make_user: Callable[..., User], api_as: Callable[[User], TokenClient]) -> None:
    hr = make_user(Role.HR)
    client = api_as(hr)
    for key in ("days_in_ar", "happiness"):
        response = client.get(f"{API}/kpis/{key}/trend")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert AuditEvent.objects.filter(actor=hr, outcome=Outcome.DENIED, object_type="kpi").count() == 2


def test_bad_periods_and_month_counts_are_refused_as_json(make_user: Callable[..., User],
                                                          api_as: Callable[[User], TokenClient]) -> None:
    client = api_as(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR))
    backwards = client.get(f"{API}/kpis", {"start": "2026-03-31", "end": "2026-03-01"})
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "validation_error"
    assert backwards.json()["errors"][0]["loc"] == ["query", "start"]
    assert client.get(f"{API}/kpis", {"start": "2020-01-01", "end": "2026-03-01"}).status_code == 422
    assert client.get(f"{API}/kpis", {"start": "yesterday"}).status_code == 422
    for months in (0, 37, "many"):
        response = client.get(f"{API}/kpis/no_show_rate/trend", {"months": months})
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
