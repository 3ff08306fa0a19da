"""The KPI registry measured on rows built here: every expected figure is worked out by hand in the test, from the
rows it creates, and another location's rows (or a later day's) must not count."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.billing.choices import EntryKind
from openpractice.billing.tests.test_receivables_selectors import claim_for, post
from openpractice.cases.tests.factories import CaseFactory
from openpractice.compliance.tests.factories_incidents import IncidentFactory
from openpractice.core.models import Location
from openpractice.frontdesk.tests.factories_queue import MessageFactory, QueueFactory
from openpractice.patients.tests.factories import PatientFactory, PayerFactory
from openpractice.reporting.choices import Direction
from openpractice.reporting.kpis import (
    UnknownKpi,
    kpi_definitions,
    kpi_trend,
    kpi_values,
    month_periods,
    previous_period,
    visible_definitions,
)
from openpractice.reporting.models import KpiTarget
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory
from openpractice.workforce.tests.factories import CourseFactory, EmployeeCredentialFactory, EmployeeFactory
from openpractice.workforce.tests.factories_training import TrainingAssignmentFactory

ZONE = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 4, 2, 10, 0, tzinfo=ZONE)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def values_of(actor: User, keys: list[str], period: tuple[dt.date, dt.date] = MARCH, **kwargs: Any) -> dict[str, Any]:
    return {value.key: value for value in kpi_values(actor=actor, start=period[0], end=period[1], keys=keys,
                                                      now=NOW, **kwargs)}


def visits(location: Location, day: dt.date, **counts: int) -> None:
    """Appointments at `location` on `day`, so many of each status (completed=3, no_show=1 …)."""
    provider = ProviderFactory(locations=[location])
    index = 0
    for status, number in counts.items():
        for _ in range(number):
            AppointmentFactory(location=location, provider=provider, patient=PatientFactory(home_location=location),
                               starts_at=dt.datetime.combine(day, dt.time(8 + index % 9, 0), tzinfo=ZONE),
                               status=status, cancel_reason="Called" if status == "cancelled" else "")
            index += 1


@pytest.fixture
def chief(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)


@pytest.fixture
def chief_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])


# --- period KPIs -----------------------------------------------------------------------------------------------


def test_no_show_rate_is_no_shows_over_the_scheduled_visits_of_the_period(chief_north: User, north: Location,
                                                                            south: Location) -> None:
    visits(north, dt.date(2026, 3, 3), completed=5, no_show=2, checked_in=1, cancelled=3)
    visits(north, dt.date(2026, 3, 31), completed=1)
    visits(north, dt.date(2026, 4, 2), no_show=4)  # after the period
    visits(south, dt.date(2026, 3, 3), no_show=6)  # another location
    visits(north, dt.date(2026, 2, 10), completed=3, no_show=1)  # the period before (29 Jan - 28 Feb)
    value = values_of(chief_north, ["no_show_rate"])["no_show_rate"]
    # Scheduled: 5 + 2 + 1 + 1 = 9 (cancelled visits left out); no-shows 2: 2 / 9 = 22.2%.
    assert value.value == Decimal("22.2")
    assert value.previous == Decimal("25.0")  # 1 / 4
    assert value.detail == "2 no-shows of 9 scheduled appointments"


def test_visits_still_to_come_today_are_not_yet_scheduled_for_the_rate(chief: User, north: Location) -> None:
    visits(north, dt.date(2026, 4, 2), completed=1, booked=0)
    AppointmentFactory(location=north, provider=ProviderFactory(locations=[north]),
                       patient=PatientFactory(home_location=north), status="booked",
                       starts_at=dt.datetime(2026, 4, 2, 15, 0, tzinfo=ZONE))  # this afternoon, after NOW
    value = values_of(chief, ["no_show_rate"], period=(dt.date(2026, 4, 1), dt.date(2026, 4, 2)))["no_show_rate"]
    assert value.detail == "0 no-shows of 1 scheduled appointments"
    assert value.value == Decimal("0.0")


def test_staff_turnover_is_separations_over_the_average_headcount(chief: User, north: Location) -> None:
    for _ in range(6):
        EmployeeFactory(location=north, hire_date=dt.date(2025, 1, 6))
    EmployeeFactory(location=north, hire_date=dt.date(2025, 1, 6), termination_date=dt.date(2026, 3, 10),
                    status="terminated")
    EmployeeFactory(location=north, hire_date=dt.date(2025, 1, 6), termination_date=dt.date(2026, 3, 20),
                    status="terminated")
    EmployeeFactory(location=north, hire_date=dt.date(2026, 3, 15))
    EmployeeFactory(location=north, hire_date=dt.date(2025, 1, 6), termination_date=dt.date(2026, 2, 1),
                    status="terminated")  # left before the period: counted in the period before
    value = values_of(chief, ["staff_turnover"])["staff_turnover"]
    # On 1 March: 8 on staff; on 31 March: 6 + the hire of 15 March = 7; average 7.5; 2 separations: 26.7%.
    assert value.value == Decimal("26.7")
    assert value.detail == ("2 separations; average headcount 7.5 (8 on the first day, 7 on the last)")
    # 29 Jan - 28 Feb: 9 on the first day, 8 on the last, 1 separation: 1 / 8.5 = 11.8%.
    assert value.previous == Decimal("11.8")


def test_front_desk_breaches_and_the_median_first_response(chief: User, north: Location, south: Location) -> None:
    queue = QueueFactory()
    received = dt.datetime(2026, 3, 10, 9, 0, tzinfo=ZONE)
    for hours in (1, 2, 3, 10):  # first response due 4 hours after receipt: the 10-hour one is late
        MessageFactory(queue=queue, location=north, received_at=received,
                       first_response_due=received + dt.timedelta(hours=4),
                       resolve_due=received + dt.timedelta(days=2),
                       first_response_at=received + dt.timedelta(hours=hours),
                       closed_at=received + dt.timedelta(days=1), status="closed", outcome="resolved")
    late = dt.datetime(2026, 3, 30, 9, 0, tzinfo=ZONE)  # never answered, still open on 2 April: breached
    MessageFactory(queue=queue, location=north, received_at=late, first_response_due=late + dt.timedelta(hours=4),
                   resolve_due=late + dt.timedelta(days=2))
    MessageFactory(queue=queue, location=south, received_at=received, first_response_due=received,
                   resolve_due=received)  # another location's, same scope for a practice-wide chief
    north_only = values_of(chief, ["sla_breach_rate", "first_response_median"], location_id=north.pk)
    # North: 5 received, 2 breached (the late answer and the open one): 40%. Median of 1, 2, 3, 10 hours: 2.5.
    assert north_only["sla_breach_rate"].value == Decimal("40.0")
    assert north_only["sla_breach_rate"].detail == "2 of 5 messages missed a service level"
    assert north_only["first_response_median"].value == Decimal("2.5")
    everywhere = values_of(chief, ["sla_breach_rate"])
    assert everywhere["sla_breach_rate"].value == Decimal("50.0")  # 3 of 6


def test_receivables_kpis_come_from_billings_ledger(chief: User, north: Location) -> None:
    payer = PayerFactory(name="Acme Health")
    claim = claim_for(north, chief, payer=payer, days_old=20, amount="1000.00", as_of=dt.date(2026, 3, 31))
    day = dt.date(2026, 3, 16)
    post(claim, chief, EntryKind.CHARGE, "1000.00", posted_on=day)
    post(claim, chief, EntryKind.CONTRACTUAL, "-300.00", posted_on=day)
    post(claim, chief, EntryKind.PAYER_PAYMENT, "-500.00", posted_on=day)
    got = values_of(chief, ["net_collection_rate", "collections", "days_in_ar", "ar_over_120"])
    # Payments 500 ÷ (charges 1,000 − contractual 300) = 71.4%.
    assert got["net_collection_rate"].value == Decimal("71.4")
    assert got["collections"].value == Decimal("500.00")
    # A/R on 31 March: 1,000 − 300 − 500 = 200; daily charges 1,000 / 90 = 11.11; 200 / 11.11 = 18.0 days.
    assert got["days_in_ar"].value == Decimal("18.0")
    assert got["ar_over_120"].value == Decimal("0.0")
    assert "$200.00" in got["days_in_ar"].detail
    assert got["net_collection_rate"].previous is None  # nothing posted in the period before


# --- snapshot KPIs ---------------------------------------------------------------------------------------------


def test_snapshot_counts_describe_today(chief: User, north: Location, south: Location) -> None:
    today = NOW.date()
    on_staff = EmployeeFactory(location=north)
    course = CourseFactory()
    TrainingAssignmentFactory(employee=on_staff, course=course, due_on=today - dt.timedelta(days=1))
    TrainingAssignmentFactory(employee=on_staff, course=CourseFactory(), due_on=today)  # due today: not late
    TrainingAssignmentFactory(employee=on_staff, course=CourseFactory(), due_on=today - dt.timedelta(days=9),
                              status="completed", completed_on=today - dt.timedelta(days=10))
    EmployeeCredentialFactory(employee=on_staff, expires_on=today + dt.timedelta(days=30))
    EmployeeCredentialFactory(employee=on_staff, expires_on=today + dt.timedelta(days=31))  # outside 30 days
    EmployeeCredentialFactory(employee=on_staff, expires_on=today - dt.timedelta(days=3))  # expired, not renewed
    CaseFactory(location=north, received_on=today - dt.timedelta(days=10))  # not acknowledged in 3 days
    CaseFactory(location=north, received_on=today - dt.timedelta(days=1))  # within its time
    incident = IncidentFactory(location=south)
    from openpractice.compliance.models import NotificationDeadline

    NotificationDeadline.objects.create(incident=incident, audience="individuals", due_on=today + dt.timedelta(days=14))
    NotificationDeadline.objects.create(incident=incident, audience="hhs_now", due_on=today + dt.timedelta(days=15))
    NotificationDeadline.objects.create(incident=incident, audience="media", due_on=today - dt.timedelta(days=1),
                                        done_on=today - dt.timedelta(days=2))
    got = values_of(chief, ["overdue_training", "credentials_expiring", "overdue_cases", "breach_notices_due"])
    assert {key: value.value for key, value in got.items()} == {
        "overdue_training": 1, "credentials_expiring": 2, "overdue_cases": 1, "breach_notices_due": 1}
    assert all(value.previous is None for value in got.values())
    north_only = values_of(chief, ["breach_notices_due", "overdue_cases"], location_id=north.pk)
    assert north_only["breach_notices_due"].value == 0
    assert north_only["overdue_cases"].value == 1


# --- targets, visibility, periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "target", "warn_at", "value", "status"), [
    (Direction.AT_MOST, "20", "25", "22.2", "close"),
    (Direction.AT_MOST, "20", "22", "22.2", "missed"),
    (Direction.AT_MOST, "22.2", None, "22.2", "met"),
    (Direction.AT_MOST, "20", None, "22.2", "missed"),
    (Direction.AT_LEAST, "30", "20", "22.2", "close"),
    (Direction.AT_LEAST, "20", "10", "22.2", "met"),
    (Direction.AT_LEAST, "30", "25", "22.2", "missed"),
])
def test_the_status_against_the_practices_target(chief: User, north: Location, direction: str, target: str,
                                                 warn_at: str | None, value: str, status: str) -> None:
    visits(north, dt.date(2026, 3, 3), completed=7, no_show=2)  # 2 / 9 = 22.2%
    KpiTarget.objects.create(kpi="no_show_rate", direction=direction, target=Decimal(target),
                             warn_at=Decimal(warn_at) if warn_at else None)
    got = values_of(chief, ["no_show_rate"])["no_show_rate"]
    assert got.value == Decimal(value)
    assert got.status == status
    assert got.target == Decimal(target)


def test_without_a_target_or_a_value_the_status_is_none(chief: User) -> None:
    KpiTarget.objects.create(kpi="denial_rate", direction=Direction.AT_MOST, target=5)
    got = values_of(chief, ["no_show_rate", "denial_rate"])
    assert got["no_show_rate"].status == "none"  # no target
    assert got["denial_rate"].value is None  # nothing adjudicated
    assert got["denial_rate"].status == "none"
    assert got["denial_rate"].status_label == "No data"


def test_each_role_sees_only_the_kpis_its_permissions_allow(make_user: Callable[..., User]) -> None:
    def keys(role: str, tier: str = Tier.STANDARD) -> set[str]:
        return {definition.key for definition in visible_definitions(make_user(role, tier))}

    finance = {"days_in_ar", "clean_claim_rate", "denial_rate", "net_collection_rate", "ar_over_120", "collections"}
    assert keys(Role.FRONT_DESK) == set()
    assert keys(Role.BILLER) == finance
    assert keys(Role.HR) == {"staff_turnover", "overdue_training", "credentials_expiring", "policy_reviews_overdue"}
    assert keys(Role.PRIVACY_OFFICER) == {"overdue_cases", "policy_reviews_overdue", "breach_notices_due"}
    assert "days_in_ar" not in keys(Role.PRACTICE_MANAGER, Tier.ENTRY)  # billing.view but no reports.financial
    assert keys(Role.PRACTICE_MANAGER, Tier.SENIOR) == {definition.key for definition in kpi_definitions()}
    assert kpi_values(actor=make_user(Role.FRONT_DESK), start=MARCH[0], end=MARCH[1]) == []


def test_unknown_keys_and_backward_periods_are_refused(chief: User) -> None:
    with pytest.raises(UnknownKpi):
        kpi_values(actor=chief, start=MARCH[0], end=MARCH[1], keys=["happiness"])
    with pytest.raises(ValueError, match="starts after"):
        kpi_values(actor=chief, start=MARCH[1], end=MARCH[0])
    with pytest.raises(UnknownKpi):
        kpi_trend(actor=chief, key="happiness")
    with pytest.raises(ValueError, match="months"):
        kpi_trend(actor=chief, key="no_show_rate", months=0)


def test_a_kpi_the_actor_may_not_see_has_no_trend_for_them(make_user: Callable[..., User]) -> None:
    with pytest.raises(UnknownKpi):
        kpi_trend(actor=make_user(Role.HR), key="days_in_ar")


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == (dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert previous_period(dt.date(2026, 3, 5), dt.date(2026, 3, 5)) == (dt.date(2026, 3, 4), dt.date(2026, 3, 4))


def test_months_of_a_trend_run_up_to_the_end_day() -> None:
    assert month_periods(dt.date(2026, 3, 17), 3) == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 31)), (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 17))]


def test_the_trend_gives_each_months_no_show_rate(chief: User, north: Location) -> None:
    visits(north, dt.date(2026, 1, 12), completed=3, no_show=1)  # 25.0%
    visits(north, dt.date(2026, 3, 2), completed=9, no_show=1)  # 10.0%
    trend = kpi_trend(actor=chief, key="no_show_rate", months=3, end=dt.date(2026, 3, 31))
    assert trend == [(dt.date(2026, 1, 1), Decimal("25.0")), (dt.date(2026, 2, 1), None),
                     (dt.date(2026, 3, 1), Decimal("10.0"))]


def test_a_trend_costs_the_same_queries_however_many_rows(chief: User, north: Location) -> None:
    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            kpi_trend(actor=chief, key="no_show_rate", months=12, end=dt.date(2026, 3, 31))
            kpi_trend(actor=chief, key="staff_turnover", months=12, end=dt.date(2026, 3, 31))
            kpi_trend(actor=chief, key="sla_breach_rate", months=12, end=dt.date(2026, 3, 31))
        return len(captured)

    visits(north, dt.date(2026, 1, 12), completed=1, no_show=1)
    EmployeeFactory(location=north)
    queries()  # the first call also reads the actor's roles (kept on the user)
    few = queries()
    for month in (1, 2, 3):
        visits(north, dt.date(2026, month, 9), completed=4, no_show=2)
        EmployeeFactory(location=north, hire_date=dt.date(2026, month, 2))
    assert queries() == few


def test_cached_figures_never_cross_from_one_scope_to_another(chief: User, chief_north: User, north: Location,
                                                              south: Location) -> None:
    visits(north, dt.date(2026, 3, 3), completed=3, no_show=1)
    visits(south, dt.date(2026, 3, 3), no_show=4)
    assert values_of(chief, ["no_show_rate"])["no_show_rate"].value == Decimal("62.5")  # 5 / 8
    assert values_of(chief_north, ["no_show_rate"])["no_show_rate"].value == Decimal("25.0")  # 1 / 4
    # And computed once per scope: asked again, the figure comes from the cache (the targets query only).
    with CaptureQueriesContext(connection) as captured:
        values_of(chief_north, ["no_show_rate"])
    assert len(captured) == 1


def test_warming_the_cache_spares_the_first_viewer_the_computation(chief: User, north: Location) -> None:
    from openpractice.core.selectors import practice_today
    from openpractice.reporting.kpis import kpi_trends, kpi_warm

    visits(north, dt.date(2026, 3, 3), completed=3, no_show=1)
    keys = ["no_show_rate", "staff_turnover", "sla_breach_rate"]
    assert kpi_warm(actor=chief) == 10  # the period KPIs: six of receivables, four of operations and HR
    today = practice_today()
    with CaptureQueriesContext(connection) as captured:
        kpi_values(actor=chief, start=today - dt.timedelta(days=29), end=today, keys=keys)
        kpi_trends(actor=chief, keys=keys, months=12, end=today)
    assert len(captured) == 1  # the targets; every figure came from the cache
