"""Discipline pages: only workforce.discipline holders in scope and the employee for their own; every view is
audited; everyone else gets 404 and nothing changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import DisciplineStatus, DisciplineStep
from openpractice.workforce.models import DisciplinaryAction, DisciplineFollowUp
from openpractice.workforce.services import discipline as services
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


@pytest.fixture
def employee_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK)


@pytest.fixture
def action(hr: User, employee_user: User) -> DisciplinaryAction:
    return services.discipline_issue(
        actor=hr, employee=EmployeeFactory(user=employee_user), step=DisciplineStep.COACHING,
        occurred_on=dt.date(2025, 5, 2), policy="Attendance", facts="Late three times.",
        follow_up_dates=[dt.date(2025, 6, 1)]).action


def _views(action: DisciplinaryAction, user: User) -> int:
    return AuditEvent.objects.filter(action="workforce.discipline_viewed", object_id=str(action.pk),
                                     actor_id=user.pk).count()


def test_hr_lists_and_opens_an_action_and_each_view_is_audited(
        hr: User, action: DisciplinaryAction, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(hr)
    response = client.get(reverse("workforce:discipline_list"))
    assert list(response.context["table"].page.object_list) == [action]
    assert _views(action, hr) == 1
    assert client.get(reverse("workforce:discipline_detail", args=[action.pk])).status_code == 200
    assert _views(action, hr) == 2


@pytest.mark.parametrize(("role", "tier"), [
    (Role.PRACTICE_MANAGER, Tier.ADVANCED), (Role.OFFICE_MANAGER, Tier.EXPERIENCED), (Role.FRONT_DESK, Tier.STANDARD),
])
def test_others_get_404_everywhere_and_nothing_changes(
        action: DisciplinaryAction, make_user: Callable[..., User], signed_in: Callable[[User], Client],
        role: str, tier: str) -> None:
    other = make_user(role, tier)
    client = signed_in(other)
    follow_up = action.follow_ups.get()
    before = list(DisciplinaryAction.objects.values_list("status", "acknowledged_at", "closed_at"))
    assert client.get(reverse("workforce:discipline_list")).status_code == 404
    assert client.get(reverse("workforce:discipline_create")).status_code == 404
    assert client.get(reverse("workforce:discipline_detail", args=[action.pk])).status_code == 404
    for url, data in [
        (reverse("workforce:discipline_close", args=[action.pk]), {"status": DisciplineStatus.CLOSED_OTHER}),
        (reverse("workforce:discipline_follow_up_add", args=[action.pk]), {"due_on": "2025-07-01"}),
        (reverse("workforce:followup_record", args=[follow_up.pk]),
         {"done_on": "2025-06-01", "outcome": "x"}),
        (reverse("workforce:discipline_acknowledge", args=[action.pk]), {"comment": "x"}),
        (reverse("workforce:discipline_create"), {"employee": action.employee_id, "step": "verbal",
                                                  "occurred_on": "2025-05-03", "policy": "p", "facts": "f"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert list(DisciplinaryAction.objects.values_list("status", "acknowledged_at", "closed_at")) == before
    assert DisciplineFollowUp.objects.filter(done_on__isnull=True).count() == 1
    assert DisciplinaryAction.objects.count() == 1
    assert DisciplineFollowUp.objects.count() == 1
    assert AuditEvent.objects.filter(actor_id=other.pk, outcome="denied").count() >= 8
    assert not AuditEvent.objects.filter(actor_id=other.pk, action="workforce.discipline_viewed").exists()


def test_the_employee_reads_and_acknowledges_their_own_and_cannot_manage_it(
        action: DisciplinaryAction, employee_user: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(employee_user)
    assert list(client.get(reverse("workforce:discipline_mine")).context["actions"]) == [action]
    detail = client.get(reverse("workforce:discipline_detail", args=[action.pk]))
    assert detail.status_code == 200
    assert detail.context["is_own"]
    assert _views(action, employee_user) == 2
    assert client.post(reverse("workforce:discipline_close", args=[action.pk]),
                       {"status": DisciplineStatus.CLOSED_OTHER}).status_code == 404
    response = client.post(reverse("workforce:discipline_acknowledge", args=[action.pk]), {"comment": "Noted."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.acknowledged_at is not None
    assert action.employee_comment == "Noted."
    assert action.status == DisciplineStatus.OPEN


def test_a_senior_manager_of_another_location_gets_404(
        action: DisciplinaryAction, north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    action.employee.location = south
    action.employee.save(update_fields=["location"])
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    assert signed_in(senior).get(reverse("workforce:discipline_detail", args=[action.pk])).status_code == 404
    there = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[south])
    assert signed_in(there).get(reverse("workforce:discipline_detail", args=[action.pk])).status_code == 200


def test_a_skipped_level_is_warned_and_recorded_once_confirmed(
        hr: User, action: DisciplinaryAction, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(hr)
    data = {"employee": action.employee_id, "step": DisciplineStep.FINAL, "occurred_on": "2025-05-10",
            "policy": "Attendance", "facts": "Late again.", "previous": action.pk, "follow_up_1": "2025-06-10"}
    warned = client.post(reverse("workforce:discipline_create"), data)
    assert warned.status_code == 200
    assert warned.context["warning"]
    assert DisciplinaryAction.objects.count() == 1
    done = client.post(reverse("workforce:discipline_create"), {**data, "confirm_skip": "on"})
    assert done.status_code == 302
    final = DisciplinaryAction.objects.get(step=DisciplineStep.FINAL)
    assert final.previous_id == action.pk
    assert final.follow_ups.count() == 1


def test_hr_plans_and_records_follow_ups_and_closes(
        hr: User, action: DisciplinaryAction, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(hr)
    follow_up = action.follow_ups.get()
    client.post(reverse("workforce:followup_record", args=[follow_up.pk]),
                {"done_on": "2025-06-01", "outcome": "Improved."})
    client.post(reverse("workforce:discipline_follow_up_add", args=[action.pk]), {"due_on": "2025-08-01"})
    client.post(reverse("workforce:discipline_close", args=[action.pk]),
                {"status": DisciplineStatus.CLOSED_IMPROVED})
    follow_up.refresh_from_db()
    action.refresh_from_db()
    assert follow_up.outcome == "Improved."
    assert action.follow_ups.count() == 2
    assert action.status == DisciplineStatus.CLOSED_IMPROVED
