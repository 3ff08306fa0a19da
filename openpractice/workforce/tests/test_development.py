"""Development plans: pre-filled from the career gap with dated steps, worked by workforce.manage holders where
the employee works and by the employee's manager, read (only) by the employee; one active plan per employee."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.workforce.models import DevelopmentPlan, DevelopmentPlanItem, Employee, TrainingAssignment
from openpractice.workforce.selectors import development as selectors
from openpractice.workforce.services import development as services

from .factories import (
    CourseFactory,
    CredentialTypeFactory,
    EmployeeCredentialFactory,
    EmployeeFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 15)
START = dt.date(2026, 4, 1)
TARGET = dt.date(2027, 3, 31)


@pytest.fixture
def ladder() -> dict[str, Any]:
    cap = CredentialTypeFactory(code="CAP", name="Certified Administrative Professional")
    mos = CredentialTypeFactory(code="MOS", name="Microsoft Office Specialist")
    pace = CredentialTypeFactory(code="PACE", name="PACE")
    mid = PositionFactory(title="Office manager (mid)", role=Role.OFFICE_MANAGER, tier=Tier.MID,
                          required_education="associate", min_months_in_previous_role=12)
    mid.required_certifications.set([cap, mos])
    mid.preferred_certifications.set([pace])
    entry = PositionFactory(title="Office manager (entry)", next_position=mid)
    cap_course = CourseFactory(code="CAPPREP", title="CAP exam preparation")
    cap_course.prepares_for.set([cap])
    pace_course = CourseFactory(code="PACE1", title="PACE programme")
    pace_course.prepares_for.set([pace])
    return {"cap": cap, "mos": mos, "pace": pace, "entry": entry, "mid": mid, "cap_course": cap_course,
            "pace_course": pace_course}


@pytest.fixture
def team(make_user: Callable[..., User], ladder: dict[str, Any], north: Location, south: Location) -> dict[str, Any]:
    """An entry office manager at North (with an account) whose manager is a provider without any HR role."""
    boss_user = make_user(Role.PROVIDER, locations=[north])
    boss = EmployeeFactory(location=north, user=boss_user, last_name="Boss")
    person = make_user(Role.FRONT_DESK, locations=[north])
    employee = EmployeeFactory(location=north, user=person, manager=boss, position=ladder["entry"],
                               position_since=dt.date(2025, 9, 15), education="high_school", last_name="Learner")
    return {"boss": boss_user, "person": person, "employee": employee,
            "hr": make_user(Role.HR, locations=[north]), "hr_south": make_user(Role.HR, locations=[south]),
            "peer": make_user(Role.FRONT_DESK, locations=[north])}


def _plan(team: dict[str, Any], ladder: dict[str, Any], **kwargs: Any) -> DevelopmentPlan:
    values: dict[str, Any] = {"actor": team["hr"], "employee": team["employee"], "title": "Towards mid",
                              "target_position": ladder["mid"], "starts_on": START, "target_date": TARGET,
                              "today": TODAY, **kwargs}
    return services.plan_create(**values)


def _state() -> tuple[Any, ...]:
    return (list(DevelopmentPlan.objects.order_by("pk").values_list("pk", "status", "title", "target_date")),
            list(DevelopmentPlanItem.objects.order_by("pk").values_list("pk", "title", "due_on", "done_on")))


# --- pre-filled from the career gap ----------------------------------------------------------------------------


def test_a_new_plan_has_one_dated_step_per_gap_course_and_certification(
        team: dict[str, Any], ladder: dict[str, Any]) -> None:
    EmployeeCredentialFactory(employee=team["employee"], credential_type=ladder["mos"], expires_on=None)
    plan = _plan(team, ladder)
    items = list(plan.items.order_by("order"))
    assert [(item.kind, item.credential_type_id, item.course_id) for item in items] == [
        ("course", None, ladder["cap_course"].pk),
        ("credential", ladder["cap"].pk, None),
        ("course", None, ladder["pace_course"].pk),
        ("credential", ladder["pace"].pk, None),
        ("education", None, None),
        ("experience", None, None),  # MOS is held: no step for it
    ]
    spread = [item.due_on for item in items[:5]]
    assert spread == sorted(spread)
    assert START < spread[0] < spread[-1] == TARGET
    # 12 months in the position since 09/15/2025: served on 09/15/2026, inside the plan.
    assert items[-1].due_on == dt.date(2026, 9, 15)
    assert "(required)" in items[1].title
    assert "(preferred)" in items[3].title
    event = AuditEvent.objects.get(action="workforce.development_plan_created", object_id=str(plan.pk))
    assert event.actor_id == team["hr"].pk


def test_a_completed_course_is_not_proposed_and_a_plan_may_start_empty(
        team: dict[str, Any], ladder: dict[str, Any]) -> None:
    TrainingAssignment.objects.create(employee=team["employee"], course=ladder["cap_course"], assigned_on=TODAY,
                                      due_on=TODAY, status="completed", completed_on=TODAY)
    proposed = selectors.propose_items(employee=team["employee"], target=ladder["mid"], starts_on=START,
                                       target_date=TARGET, today=TODAY)
    assert ladder["cap_course"] not in [step.course for step in proposed]
    plan = _plan(team, ladder, prefill=False)
    assert plan.items.count() == 0


def test_the_default_target_is_the_next_position_on_the_path(team: dict[str, Any], ladder: dict[str, Any]) -> None:
    assert selectors.default_target(team["employee"]) == ladder["mid"]
    assert selectors.default_target(EmployeeFactory()) is None


def test_a_certification_step_is_done_once_a_valid_credential_is_held_without_storing_it(
        team: dict[str, Any], ladder: dict[str, Any]) -> None:
    plan = _plan(team, ladder)
    step = plan.items.get(kind="credential", credential_type=ladder["cap"])
    rows = {row.item.pk: row for row in selectors.plan_rows(plan=plan, today=TODAY)}
    assert not rows[step.pk].is_done
    # An expired one does not count; a current one does.
    EmployeeCredentialFactory(employee=team["employee"], credential_type=ladder["cap"],
                              issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2022, 1, 1))
    assert not {row.item.pk: row for row in selectors.plan_rows(plan=plan, today=TODAY)}[step.pk].is_done
    EmployeeCredentialFactory(employee=team["employee"], credential_type=ladder["cap"], expires_on=dt.date(2028, 1, 1))
    row = {row.item.pk: row for row in selectors.plan_rows(plan=plan, today=TODAY)}[step.pk]
    assert row.is_done
    assert row.auto_done
    step.refresh_from_db()
    assert step.done_on is None


# --- one active plan -----------------------------------------------------------------------------------------


def test_a_second_active_plan_is_refused_with_a_clear_error(team: dict[str, Any], ladder: dict[str, Any]) -> None:
    plan = _plan(team, ladder)
    before = _state()
    with pytest.raises(ValidationError, match="already has an active development plan"):
        _plan(team, ladder, title="Another")
    assert _state() == before
    services.plan_complete(actor=team["hr"], plan=plan, note="Promoted")
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.closed_at is not None
    assert "Promoted" in plan.note
    assert _plan(team, ladder, title="Next").status == "active"


def test_a_closed_plan_no_longer_changes(team: dict[str, Any], ladder: dict[str, Any]) -> None:
    plan = services.plan_cancel(actor=team["hr"], plan=_plan(team, ladder), reason="Left the role")
    step = plan.items.first()
    assert step is not None
    before = _state()
    with pytest.raises(ValidationError):
        services.item_set_done(actor=team["hr"], item=step, done=True)
    with pytest.raises(ValidationError):
        services.item_add(actor=team["hr"], plan=plan, data={"kind": "other", "title": "x", "due_on": TARGET})
    with pytest.raises(ValidationError):
        services.plan_update(actor=team["hr"], plan=plan, data={"title": "New"})
    with pytest.raises(ValidationError):
        services.plan_complete(actor=team["hr"], plan=plan)
    assert _state() == before


def test_steps_are_checked(team: dict[str, Any], ladder: dict[str, Any]) -> None:
    plan = _plan(team, ladder, prefill=False)
    with pytest.raises(ValidationError) as error:
        services.item_add(actor=team["hr"], plan=plan, data={"kind": "credential", "title": "Earn it",
                                                             "due_on": START - dt.timedelta(days=1)})
    assert set(error.value.message_dict) == {"credential_type", "due_on"}
    with pytest.raises(ValidationError):
        services.plan_update(actor=team["hr"], plan=plan, data={"target_date": START - dt.timedelta(days=1)})
    assert plan.items.count() == 0
    step = services.item_add(actor=team["hr"], plan=plan, data={
        "kind": "course", "title": "Prep", "course": ladder["cap_course"], "credential_type": ladder["cap"],
        "due_on": TARGET})
    assert (step.course_id, step.credential_type_id) == (ladder["cap_course"].pk, None)


# --- who ----------------------------------------------------------------------------------------------------


def test_the_manager_works_the_plan_of_a_direct_report_without_any_hr_role(
        team: dict[str, Any], ladder: dict[str, Any]) -> None:
    plan = _plan(team, ladder, actor=team["boss"])
    step = services.item_add(actor=team["boss"], plan=plan, data={"kind": "experience",
                                                                  "title": "Run the month-end close",
                                                                  "due_on": TARGET})
    services.item_set_done(actor=team["boss"], item=step, done=True, done_on=TODAY)
    step.refresh_from_db()
    assert step.done_on == TODAY
    services.item_update(actor=team["boss"], item=step, data={"due_on": TARGET - dt.timedelta(days=7)})
    services.item_remove(actor=team["boss"], item=step)
    assert not DevelopmentPlanItem.objects.filter(pk=step.pk).exists()
    actions = set(AuditEvent.objects.filter(actor_id=team["boss"].pk).values_list("action", flat=True))
    assert {"workforce.development_plan_created", "workforce.development_item_added",
            "workforce.development_item_updated", "workforce.development_item_removed"} <= actions


@pytest.mark.parametrize("who", ["person", "peer", "hr_south"])
def test_others_cannot_write_a_plan_and_nothing_changes(
        team: dict[str, Any], ladder: dict[str, Any], who: str) -> None:
    plan = _plan(team, ladder)
    step = plan.items.first()
    assert step is not None
    actor = team[who]
    before = _state()
    denied = AuditEvent.objects.filter(actor_id=actor.pk, outcome=Outcome.DENIED).count()
    attempts: list[Callable[[], Any]] = [
        lambda: _plan(team, ladder, actor=actor, employee=EmployeeFactory(location=team["employee"].location)),
        lambda: services.plan_update(actor=actor, plan=plan, data={"title": "Mine"}),
        lambda: services.plan_complete(actor=actor, plan=plan),
        lambda: services.plan_cancel(actor=actor, plan=plan),
        lambda: services.item_add(actor=actor, plan=plan, data={"kind": "other", "title": "x", "due_on": TARGET}),
        lambda: services.item_update(actor=actor, item=step, data={"title": "y"}),
        lambda: services.item_set_done(actor=actor, item=step, done=True),
        lambda: services.item_remove(actor=actor, item=step),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert _state() == before
    assert AuditEvent.objects.filter(actor_id=actor.pk, outcome=Outcome.DENIED).count() == denied + len(attempts)


# --- pages --------------------------------------------------------------------------------------------------


def test_a_manager_starts_and_works_a_plan_through_the_pages(
        team: dict[str, Any], ladder: dict[str, Any], signed_in: Callable[[User], Client]) -> None:
    client = signed_in(team["boss"])
    employee: Employee = team["employee"]
    # A month in the position whatever the date: the 12 months asked for are a step of the plan.
    Employee.objects.filter(pk=employee.pk).update(position_since=practice_today() - dt.timedelta(days=30))
    listing = client.get(reverse("workforce:devplan_list")).content.decode()
    assert reverse("workforce:devplan_create", args=[employee.pk]) in listing
    form = client.get(reverse("workforce:devplan_create", args=[employee.pk]))
    assert form.status_code == 200
    html = form.content.decode()
    assert "Towards Office manager (mid)" in html
    assert "CAP exam preparation" in html  # the preview of the steps
    today = practice_today()
    response = client.post(reverse("workforce:devplan_create", args=[employee.pk]), {
        "title": "Towards mid", "target_position": ladder["mid"].pk, "starts_on": today.isoformat(),
        "target_date": (today + dt.timedelta(days=300)).isoformat(), "prefill": "on"})
    plan = DevelopmentPlan.objects.get(employee=employee)
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:devplan_detail", args=[plan.pk])
    assert plan.items.count() == 7
    again = client.post(reverse("workforce:devplan_create", args=[employee.pk]), {
        "title": "Again", "starts_on": today.isoformat(), "target_date": today.isoformat()})
    assert again.status_code == 400
    assert "already has an active" in again.content.decode()
    assert DevelopmentPlan.objects.filter(employee=employee).count() == 1

    added = client.post(reverse("workforce:devplan_item_add", args=[plan.pk]), {
        "kind": "other", "title": "Lead the huddle", "due_on": (today + dt.timedelta(days=30)).isoformat()})
    assert added.status_code == 302
    step = plan.items.get(title="Lead the huddle")
    assert client.get(reverse("workforce:devplanitem_edit", args=[step.pk])).status_code == 200
    edited = client.post(reverse("workforce:devplanitem_edit", args=[step.pk]), {
        "kind": "other", "title": "Lead the morning huddle", "due_on": (today + dt.timedelta(days=40)).isoformat()})
    assert edited.status_code == 302
    assert client.post(reverse("workforce:devplanitem_done", args=[step.pk]), {"done": "on"}).status_code == 302
    step.refresh_from_db()
    assert (step.title, step.done_on) == ("Lead the morning huddle", today)
    detail = client.get(reverse("workforce:devplan_detail", args=[plan.pk])).content.decode()
    assert "Lead the morning huddle" in detail
    assert "1 of 8 steps done" in detail
    assert client.post(reverse("workforce:devplanitem_remove", args=[step.pk])).status_code == 302
    assert client.post(reverse("workforce:devplan_edit", args=[plan.pk]), {
        "title": "Towards mid in a year", "target_position": ladder["mid"].pk, "starts_on": today.isoformat(),
        "target_date": (today + dt.timedelta(days=365)).isoformat()}).status_code == 302
    assert client.post(reverse("workforce:devplan_cancel", args=[plan.pk]), {"note": "Moved"}).status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.status) == ("Towards mid in a year", "cancelled")


def test_the_employee_reads_their_plan_and_changes_nothing(
        team: dict[str, Any], ladder: dict[str, Any], signed_in: Callable[[User], Client]) -> None:
    plan = _plan(team, ladder)
    step = plan.items.order_by("order").first()
    assert step is not None
    client = signed_in(team["person"])
    detail = client.get(reverse("workforce:devplan_detail", args=[plan.pk]))
    assert detail.status_code == 200
    assert reverse("workforce:devplanitem_done", args=[step.pk]) not in detail.content.decode()
    career = client.get(reverse("workforce:career_path", args=[team["employee"].pk])).content.decode()
    assert "Towards mid" in career
    assert "CAP exam preparation" in career
    before = _state()
    for name, data in (("workforce:devplan_complete", {}), ("workforce:devplan_cancel", {}),
                       ("workforce:devplan_edit", {"title": "x"}), ("workforce:devplan_item_add", {"title": "x"})):
        assert client.post(reverse(name, args=[plan.pk]), data).status_code == 404
    for name in ("workforce:devplanitem_done", "workforce:devplanitem_remove", "workforce:devplanitem_edit"):
        assert client.post(reverse(name, args=[step.pk]), {"done": "on", "title": "x"}).status_code == 404
    assert client.get(reverse("workforce:devplan_edit", args=[plan.pk])).status_code == 404
    assert client.get(reverse("workforce:devplan_create", args=[team["employee"].pk])).status_code == 404
    assert _state() == before


def test_people_outside_see_no_plan(team: dict[str, Any], ladder: dict[str, Any],
                                    signed_in: Callable[[User], Client]) -> None:
    plan = _plan(team, ladder)
    before = _state()
    for who in ("peer", "hr_south"):
        client = signed_in(team[who])
        denied = AuditEvent.objects.filter(actor_id=team[who].pk, outcome=Outcome.DENIED).count()
        assert client.get(reverse("workforce:devplan_detail", args=[plan.pk])).status_code == 404
        assert client.post(reverse("workforce:devplan_complete", args=[plan.pk])).status_code == 404
        assert "Towards mid" not in client.get(reverse("workforce:devplan_list")).content.decode()
        assert AuditEvent.objects.filter(actor_id=team[who].pk, outcome=Outcome.DENIED).count() == denied + 2
    assert _state() == before


def test_the_career_page_offers_a_plan_to_hr_and_shows_the_active_one(
        team: dict[str, Any], ladder: dict[str, Any], signed_in: Callable[[User], Client]) -> None:
    client = signed_in(team["hr"])
    url = reverse("workforce:career_path", args=[team["employee"].pk])
    assert reverse("workforce:devplan_create", args=[team["employee"].pk]) in client.get(url).content.decode()
    plan = _plan(team, ladder)
    page = client.get(url).content.decode()
    assert reverse("workforce:devplan_detail", args=[plan.pk]) in page
    assert "0 of 7 steps done" in page


def test_the_plan_page_reads_a_fixed_number_of_queries(
        team: dict[str, Any], ladder: dict[str, Any], signed_in: Callable[[User], Client]) -> None:
    plan = _plan(team, ladder)
    client = signed_in(team["hr"])
    url = reverse("workforce:devplan_detail", args=[plan.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for number in range(10):
        course = CourseFactory(code=f"EXTRA{number}")
        credential_type = CredentialTypeFactory(code=f"XC{number}")
        DevelopmentPlanItem.objects.create(plan=plan, kind="course", course=course, title=f"Course {number}",
                                           due_on=TARGET)
        DevelopmentPlanItem.objects.create(plan=plan, kind="credential", credential_type=credential_type,
                                           title=f"Cert {number}", due_on=TARGET)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    listing = reverse("workforce:devplan_list")
    with CaptureQueriesContext(connection) as one:
        client.get(listing)
    for _number in range(5):
        other = EmployeeFactory(location=team["employee"].location)
        DevelopmentPlan.objects.create(employee=other, title="Plan", starts_on=START, target_date=TARGET,
                                       created_by=team["hr"])
    with CaptureQueriesContext(connection) as six:
        client.get(listing)
    assert len(six) == len(one)
