"""The case report and the category pages: the report counts only what the reader may see (location, kind,
confidentiality), with totals, the overdue count, the median days to resolve and an SVG chart; categories are
edited by those who work that kind everywhere, anything else is a 404 that is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.cases import selectors_reports
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality
from openpractice.cases.models import Case, CaseCategory
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today

from .factories import CaseFactory, category
from .route_samples_categories import categories as category_samples

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the cases tables, column by column."""
    state = {}
    for model in apps.get_app_config("cases").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def url(name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=args)


def days_ago(days: int) -> dt.date:
    return practice_today() - dt.timedelta(days=days)


def open_case(*, location: Location | None, age: int, name: str = "Billing dispute", kind: str = CaseKind.PATIENT,
              **fields: Any) -> Case:
    received = days_ago(age)
    cat = category(kind=kind, name=name)
    return CaseFactory(kind=kind, category=cat, location=location, received_on=received,
                       acknowledge_due_on=received + dt.timedelta(days=cat.acknowledge_days),
                       resolve_due_on=received + dt.timedelta(days=cat.resolve_days), **fields)


def resolved_case(*, location: Location | None, age: int, took: int, name: str = "Billing dispute") -> Case:
    case = open_case(location=location, age=age, name=name)
    resolved_on = case.received_on + dt.timedelta(days=took)
    case.status, case.outcome = CaseStatus.RESOLVED, "upheld"
    case.resolved_at = timezone.make_aware(dt.datetime.combine(resolved_on, dt.time(12)))
    case.save()
    return case


@pytest.fixture
def manager_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], username="pm-north")


# --- the report ------------------------------------------------------------------------------------------------


def test_the_report_counts_open_cases_by_age_only_where_the_reader_sees_them(
        manager_north: User, north: Location, south: Location, signed_in: Callable[[User], Client]) -> None:
    open_case(location=north, age=2)
    open_case(location=north, age=40, name="Staff conduct")
    open_case(location=north, age=100, name="Staff conduct", escalated_at=timezone.now())
    open_case(location=south, age=3)  # another location
    open_case(location=north, age=5, confidentiality=Confidentiality.CONFIDENTIAL)  # senior roles only
    open_case(location=north, age=5, kind=CaseKind.STAFF, name="Conflict between colleagues")  # cases.staff
    resolved_case(location=north, age=20, took=6)

    response = signed_in(manager_north).get(url("report"))

    assert response.status_code == 200
    context = response.context
    assert context["open_total"] == 3
    assert context["age_totals"] == [1, 0, 1, 0, 1]
    assert [(row.category, row.counts, row.total) for row in context["age_rows"]] == [
        ("Staff conduct", [0, 0, 1, 0, 1], 2), ("Billing dispute", [1, 0, 0, 0, 0], 1)]
    # 40 and 100 days old: both past the 30-day resolve-by date; the 2-day-old one is within its 3 days.
    assert context["overdue"] == 2
    assert context["escalated"] == 1
    html = response.content.decode()
    chart = html[html.index('<svg class="chart"'):html.index("</svg>")]
    assert "<rect" in chart
    assert "<script" not in chart  # drawn on the server
    assert "Conflict between colleagues" not in html


def test_the_report_shows_the_median_days_to_resolve_per_category(
        manager_north: User, north: Location, signed_in: Callable[[User], Client]) -> None:
    for took in (4, 10, 35):
        resolved_case(location=north, age=60, took=took)
    resolved_case(location=north, age=500, took=2)  # resolved more than a year ago: outside the window

    response = signed_in(manager_north).get(url("report"))

    rows = response.context["resolve_rows"]
    assert [(row.category, row.resolved, row.median_days, row.within_target) for row in rows] == [
        ("Billing dispute", 3, 10.0, 2)]
    assert response.context["resolved_total"] == 3
    assert response.context["received_total"] == 3  # received 60 days ago; the 500-day-old one is outside


def test_the_trends_table_and_chart_agree(manager_north: User, north: Location,
                                          signed_in: Callable[[User], Client]) -> None:
    open_case(location=north, age=0)
    open_case(location=north, age=0, name="Staff conduct")
    response = signed_in(manager_north).get(url("report"))
    context = response.context
    assert len(context["months"]) == 12
    assert context["received"][-1] == 2
    chart = context["chart"]
    this_month = chart.months[-1]
    assert this_month.received.value == 2
    assert this_month.received.height == pytest.approx(chart.axis_y - selectors_reports.CHART_TOP)
    assert all(month.received.height == 0 for month in chart.months[:-1])


def test_the_chart_scales_to_the_busiest_month() -> None:
    starts = [dt.date(2025, month, 1) for month in (1, 2, 3)]
    chart = selectors_reports.trend_chart(starts, [4, 2, 0], [1, 0, 0])
    assert chart.peak == 4
    heights = [month.received.height for month in chart.months]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == 0
    assert all(month.received.y + month.received.height == pytest.approx(chart.axis_y) for month in chart.months)
    assert all(bar.x + bar.width <= chart.width for month in chart.months for bar in (month.received, month.resolved))


def test_the_report_refuses_people_who_see_no_cases_and_changes_nothing(
        make_user: Callable[..., User], north: Location, signed_in: Callable[[User], Client], client: Client) -> None:
    open_case(location=north, age=2)
    desk = make_user(Role.FRONT_DESK, locations=[north])
    before, denied = snapshot(), denials(desk)
    response = signed_in(desk).get(url("report"))
    assert response.status_code == 404
    assert denials(desk) == denied + 1
    assert snapshot() == before
    client.logout()
    assert client.get(url("report")).status_code == 302


def test_hr_sees_staff_cases_in_the_report(make_user: Callable[..., User], north: Location,
                                           signed_in: Callable[[User], Client]) -> None:
    open_case(location=north, age=5, kind=CaseKind.STAFF, name="Conflict between colleagues")
    open_case(location=north, age=5)
    hr = make_user(Role.HR)
    response = signed_in(hr).get(url("report"))
    assert response.status_code == 200
    assert [row.category for row in response.context["age_rows"]] == ["Conflict between colleagues"]


# --- categories ------------------------------------------------------------------------------------------------


def test_the_category_list_shows_the_kinds_one_sees_and_edit_links_for_those_one_edits(
        make_user: Callable[..., User], manager_north: User, signed_in: Callable[[User], Client]) -> None:
    hr = make_user(Role.HR)
    html = signed_in(hr).get(url("category_list")).content.decode()
    assert "Conflict between colleagues" in html
    assert "Billing dispute" not in html
    assert url("category_edit", category(CaseKind.STAFF, "Conflict between colleagues").pk) in html

    page = signed_in(manager_north).get(url("category_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Billing dispute" in html
    assert "Conflict between colleagues" not in html
    # Works patient cases at North only: sees the categories, edits none.
    assert url("category_create") not in html
    assert "/edit/" not in html


def test_a_privacy_officer_creates_and_edits_a_patient_category(
        make_user: Callable[..., User], north: Location, signed_in: Callable[[User], Client]) -> None:
    officer = make_user(Role.PRIVACY_OFFICER)
    client = signed_in(officer)
    response = client.post(url("category_create"), {
        "kind": CaseKind.PATIENT, "name": "Appointment access", "acknowledge_days": 2, "resolve_days": 20,
        "is_active": "on"})
    assert response.status_code == 302
    created = CaseCategory.objects.get(name="Appointment access")
    assert (created.kind, created.acknowledge_days, created.resolve_days, created.is_active) == (
        CaseKind.PATIENT, 2, 20, True)
    assert AuditEvent.objects.filter(actor=officer, action="cases.category_saved", object_id=str(created.pk)).exists()

    existing = open_case(location=north, age=1, name="Billing dispute")
    billing = category(CaseKind.PATIENT, "Billing dispute")
    response = client.post(url("category_edit", billing.pk), {
        "name": "Billing dispute", "acknowledge_days": 5, "resolve_days": 45, "is_active": "on"})
    assert response.status_code == 302
    billing.refresh_from_db()
    assert (billing.acknowledge_days, billing.resolve_days) == (5, 45)
    before = (existing.acknowledge_due_on, existing.resolve_due_on)
    existing.refresh_from_db()
    assert (existing.acknowledge_due_on, existing.resolve_due_on) == before  # promised at intake


def test_a_kind_one_does_not_manage_is_not_offered_and_not_created(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    officer = make_user(Role.PRIVACY_OFFICER)
    before = snapshot()
    response = signed_in(officer).post(url("category_create"), {
        "kind": CaseKind.STAFF, "name": "Parking", "acknowledge_days": 2, "resolve_days": 20, "is_active": "on"})
    assert response.status_code == 400
    assert snapshot() == before


def test_editing_a_category_of_another_kind_is_404_audited_and_changes_nothing(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    hr = make_user(Role.HR)
    billing = category(CaseKind.PATIENT, "Billing dispute")
    client = signed_in(hr)
    for method in ("get", "post"):
        before, denied = snapshot(), denials(hr)
        response = getattr(client, method)(url("category_edit", billing.pk), {
            "name": "Renamed", "acknowledge_days": 1, "resolve_days": 1, "is_active": "on"})
        assert response.status_code == 404, method
        assert denials(hr) == denied + 1
        assert snapshot() == before


def test_working_cases_at_one_location_only_edits_no_category(
        manager_north: User, signed_in: Callable[[User], Client]) -> None:
    billing = category(CaseKind.PATIENT, "Billing dispute")
    client = signed_in(manager_north)
    data = {"kind": CaseKind.PATIENT, "name": "Renamed", "acknowledge_days": 1, "resolve_days": 1,
            "is_active": "on"}
    for target in (url("category_create"), url("category_edit", billing.pk)):
        before, denied = snapshot(), denials(manager_north)
        response = client.post(target, data)
        assert response.status_code == 404, target
        assert denials(manager_north) == denied + 1
        assert snapshot() == before


def test_people_without_case_permissions_get_404_and_nothing_changes(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    billing = category(CaseKind.PATIENT, "Billing dispute")
    client = signed_in(desk)
    data = {"kind": CaseKind.PATIENT, "name": "Renamed", "acknowledge_days": 1, "resolve_days": 1}
    for method, target in (("get", url("category_list")), ("get", url("report")), ("post", url("category_create")),
                           ("post", url("category_edit", billing.pk))):
        before, denied = snapshot(), denials(desk)
        response = getattr(client, method)(target, data)
        assert response.status_code == 404, target
        assert denials(desk) == denied + 1
        assert snapshot() == before


def test_service_rules_come_back_as_form_errors_and_nothing_changes(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    hr = make_user(Role.HR)
    client = signed_in(hr)
    staff = category(CaseKind.STAFF, "Conflict between colleagues")
    before = snapshot()
    late = client.post(url("category_edit", staff.pk), {
        "name": staff.name, "acknowledge_days": 10, "resolve_days": 5, "is_active": "on"})
    assert late.status_code == 400
    assert "Resolving cannot be due before acknowledging." in late.content.decode()
    incident = client.post(url("category_edit", staff.pk), {
        "name": staff.name, "acknowledge_days": 3, "resolve_days": 30, "opens_incident": "on", "is_active": "on"})
    assert incident.status_code == 400
    assert "Only patient complaints open privacy incidents." in incident.content.decode()
    duplicate = client.post(url("category_create"), {
        "kind": CaseKind.STAFF, "name": "Grievance about pay or hours", "acknowledge_days": 3, "resolve_days": 30,
        "is_active": "on"})
    assert duplicate.status_code == 400
    assert snapshot() == before


def test_the_route_sample_is_a_category_the_actor_edits(make_user: Callable[..., User]) -> None:
    hr, officer, desk = make_user(Role.HR), make_user(Role.PRIVACY_OFFICER), make_user(Role.FRONT_DESK)
    assert category_samples(None, hr)[0].kind == CaseKind.STAFF
    assert category_samples(None, officer)[0].kind == CaseKind.PATIENT
    assert category_samples(None, desk) == (category_samples(None, None)[0], None)
