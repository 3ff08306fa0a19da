"""The compliance calendar gathers every module's dated obligations, each scoped as its own module scopes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.permissions import forget, grants
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.reporting.calendar import DONE, DUE_SOON, KINDS, OVERDUE, UPCOMING, Window, add_months, collect
from openpractice.reporting.selectors_calendar import Filters, calendar_items
from openpractice.workforce.choices import TrainingStatus
from openpractice.workforce.models import EmployeeCredential

from .calendar_support import calendar_range, located_obligations, practice_wide_obligations

pytestmark = pytest.mark.django_db


def _items(user: User, **filters: object) -> list:
    today = practice_today()
    start, end = calendar_range(today)
    return calendar_items(actor=user, today=today, filters=Filters(start=start, end=end, **filters)).items  # type: ignore[arg-type]


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="senior-pm")


def test_one_obligation_of_each_module_appears_on_the_senior_managers_calendar(
        manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today, made=made)

    items = _items(manager)

    assert {item.kind for item in items} == set(KINDS)
    assert {item.module for item in items} == {"workforce", "compliance", "vendors", "facilities", "billing",
                                               "cases", "inventory"}
    by_kind = {item.kind: item for item in items}
    credential = made.objects["credential_expiry"][0]
    assert by_kind["credential_expiry"].url == f"/workforce/credentials/{credential.pk}/"
    assert by_kind["credential_expiry"].date == credential.expires_on
    assert by_kind["credential_expiry"].status == DUE_SOON
    assert by_kind["timely_filing"].url == f"/billing/claims/{made.objects['timely_filing'][0].pk}/"
    assert by_kind["timely_filing"].date == today + dt.timedelta(days=10)
    assert made.objects["timely_filing"][0].claim_number in by_kind["timely_filing"].title
    assert made.objects["timely_filing"][0].payer.name in by_kind["timely_filing"].title
    assert by_kind["work_order_due"].location_name == "North Clinic"
    assert by_kind["policy_review"].location_id is None
    assert by_kind["contract_notice"].date == today + dt.timedelta(days=40)
    assert by_kind["contract_end"].date == today + dt.timedelta(days=70)


def test_no_item_names_a_patient_or_repeats_what_a_case_or_incident_says(manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    case = made.objects["case_due"][0]
    incident = made.objects["breach_notice"][0]

    text = " ".join(item.title for item in _items(manager))

    for name in made.patient_names:
        assert name not in text
    assert case.subject not in text
    assert case.number in text
    assert incident.title not in text


def test_a_north_only_manager_never_sees_a_south_item(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    someone = make_user(Role.PRIVACY_OFFICER, username="reporter")
    today = practice_today()
    north_made = located_obligations(location=north, actor=someone, today=today)
    south_made = located_obligations(location=south, actor=someone, today=today)
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="north-pm")

    items = _items(north_manager)

    located = {item.kind for item in items if item.location_id is not None}
    assert located == set(north_made.objects)
    assert {item.location_id for item in items} == {north.pk}
    south_titles = {item.title for item in _items(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="all-pm"))
                    if item.location_id == south.pk}
    assert south_titles
    assert not south_titles & {item.title for item in items}
    assert set(south_made.objects) == set(north_made.objects)


def test_an_hr_specialist_sees_credentials_and_training_but_never_timely_filing(
        make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    hr = make_user(Role.HR, username="hr")

    kinds = {item.kind for item in _items(hr)}

    assert {"credential_expiry", "training_due", "pay_period_close"} <= kinds
    assert "timely_filing" not in kinds
    assert "breach_notice" not in kinds
    assert "lot_expiry" not in kinds
    assert "work_order_due" not in kinds


def test_a_biller_sees_timely_filing_and_no_hr_record(make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    located_obligations(location=north, actor=manager, today=practice_today())

    kinds = {item.kind for item in _items(make_user(Role.BILLER, username="biller"))}

    assert kinds == {"timely_filing"}


def test_someone_whose_roles_open_no_source_gets_nothing_and_costs_no_query(
        administrator: User, north: Location, django_assert_num_queries: Callable[..., object]) -> None:
    today = practice_today()
    assert located_obligations(location=north, actor=administrator, today=today).objects
    start, end = calendar_range(today)
    grants(administrator)  # loaded once per request, before any source runs

    with django_assert_num_queries(0):  # type: ignore[attr-defined]
        items, truncated = collect(administrator, Window(start=start, end=end, today=today))

    assert items == []
    assert truncated == []


def test_a_role_taken_away_empties_the_calendar_at_once(make_user: Callable[..., User], north: Location) -> None:
    hr = make_user(Role.HR, username="hr")
    located_obligations(location=north, actor=hr, today=practice_today())
    assert _items(hr)

    hr.role_assignments.all().delete()
    forget(hr)

    assert _items(hr) == []


def test_statuses_follow_the_modules_records(manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    training = made.objects["training_due"][0]
    training.status, training.completed_on = TrainingStatus.COMPLETED, today
    training.save()
    credential = made.objects["credential_expiry"][0]
    EmployeeCredential.objects.filter(pk=credential.pk).update(expires_on=today - dt.timedelta(days=3))
    plan = made.objects["maintenance_due"][0]
    plan.next_due_on = today + dt.timedelta(days=40)
    plan.interval, plan.interval_unit = 1, "months"
    plan.save()

    by_kind: dict[str, list] = {}
    for item in _items(manager):
        by_kind.setdefault(item.kind, []).append(item)

    assert by_kind["training_due"][0].status == DONE
    assert by_kind["credential_expiry"][0].status == OVERDUE
    # The plan's next date and the next one its monthly interval gives, both in the range.
    assert [item.date for item in by_kind["maintenance_due"]] == [today + dt.timedelta(days=40),
                                                                   add_months(today + dt.timedelta(days=40), 1)]
    assert {item.status for item in by_kind["maintenance_due"]} == {UPCOMING}
    assert by_kind["safety_check"][0].status in (DUE_SOON, UPCOMING)


def test_a_renewed_credential_is_done(manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    old = made.objects["credential_expiry"][0]
    EmployeeCredential.objects.create(employee=old.employee, credential_type=old.credential_type, number="R1",
                                      issued_on=today, expires_on=today + dt.timedelta(days=700), replaces=old,
                                      added_by=manager)

    statuses = {item.uid: item.status for item in _items(manager) if item.kind == "credential_expiry"}

    assert statuses == {f"credential-{old.pk}": DONE}


def test_filters_narrow_by_kind_module_location_and_overdue(
        manager: User, north: Location, south: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    located_obligations(location=south, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    late = made.objects["credential_expiry"][0]
    EmployeeCredential.objects.filter(pk=late.pk).update(expires_on=today - dt.timedelta(days=3))

    assert {item.kind for item in _items(manager, kinds=frozenset({"lot_expiry"}))} == {"lot_expiry"}
    assert {item.module for item in _items(manager, modules=frozenset({"compliance"}))} == {"compliance"}
    assert _items(manager, kinds=frozenset({"lot_expiry"}), modules=frozenset({"compliance"})) == []
    at_south = _items(manager, location_id=south.pk)
    assert at_south
    assert {item.location_id for item in at_south} == {south.pk}
    overdue = _items(manager, overdue_only=True)
    assert [item.uid for item in overdue] == [f"credential-{late.pk}"]
    assert {item.status for item in overdue} == {OVERDUE}


def test_add_months_keeps_the_day_or_takes_the_months_last(db: None) -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
