"""The staff directory: active staff by department with their roles, locations, what they handle, extension and work
phone, and whether they are there (approved time off counts as away); filters; the same number of queries
however many people; no HR data. Everyone sets their own status; managers set others' and edit profiles of people
at their locations only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_now
from openpractice.core.tests.factories import DepartmentFactory
from openpractice.frontdesk.choices import PresenceStatus
from openpractice.frontdesk.models import StaffProfile
from openpractice.frontdesk.tests import factories_desk as fx
from openpractice.workforce.tests.factories import EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db
desk_north, desk_south, office_manager, biller, nurse = (fx.desk_north, fx.desk_south, fx.office_manager, fx.biller,
                                                         fx.nurse)
DIRECTORY = reverse("frontdesk:directory")
PRESENCE = reverse("frontdesk:presence_set")


def _people(response):
    return [row.user.username for _department, rows in response.context["groups"] for row in rows]


def _row(response, user):
    return next(row for _department, rows in response.context["groups"] for row in rows if row.user == user)


@pytest.fixture
def billing_office(practice, north):
    return DepartmentFactory(practice=practice, name="Billing office", location=north, phone="919-555-0177")


def test_the_directory_shows_work_details_by_department_and_no_hr_data(signed_in, nurse, biller, desk_north,
                                                                      billing_office, make_user, north):
    EmployeeFactory(user=biller, position=PositionFactory(department=billing_office), location=north,
                    phone="919-555-0999", ssn="123-45-6789", personal_email="bill@home.example")
    fx.set_presence(biller, PresenceStatus.BUSY, handles="Aetna claims, prior authorizations", extension="214",
                    presence_note="On a payer call")
    gone = make_user(Role.FRONT_DESK, username="gone", is_active=False)

    response = signed_in(nurse).get(DIRECTORY)

    assert response.status_code == 200
    assert gone.username not in _people(response)
    groups = response.context["groups"]
    assert groups[0][0] == billing_office
    assert [row.user for row in groups[0][1]] == [biller]
    row = _row(response, biller)
    assert (row.roles, row.locations, row.handles, row.extension, row.phone) == (
        ["Biller / coder"], ["North Clinic"], "Aetna claims, prior authorizations", "214", "919-555-0177")
    assert (row.presence.status, row.presence.note) == (PresenceStatus.BUSY, "On a payer call")
    text = response.content.decode()
    assert "Aetna claims" in text
    assert "ext. 214" in text
    for secret in ("123-45-6789", "6789", "919-555-0999", "bill@home.example", "40000"):
        assert secret not in text


def test_approved_time_off_makes_a_person_away_whatever_they_set(signed_in, nurse, biller, desk_north):
    fx.set_presence(biller, PresenceStatus.ON_DUTY)
    fx.time_off_today(biller)
    fx.time_off_today(desk_north, status="pending")

    response = signed_in(nurse).get(DIRECTORY)

    away = _row(response, biller).presence
    assert (away.status, away.on_time_off, away.available) == (PresenceStatus.AWAY, True, False)
    assert _row(response, desk_north).presence.status == PresenceStatus.ON_DUTY
    assert "time off" in response.content.decode()


def test_away_until_a_time_that_has_passed_is_on_duty_again(signed_in, nurse, biller):
    fx.set_presence(biller, PresenceStatus.AWAY, away_until=timezone.now() - dt.timedelta(minutes=5))

    assert _row(signed_in(nurse).get(DIRECTORY), biller).presence.status == PresenceStatus.ON_DUTY


def test_the_filters_narrow_by_department_role_location_and_who_is_on_duty(signed_in, nurse, biller, desk_north,
                                                                          desk_south, billing_office, south):
    EmployeeFactory(user=biller, position=PositionFactory(department=billing_office))
    fx.set_presence(desk_north, PresenceStatus.OFF)
    client = signed_in(nurse)

    assert _people(client.get(DIRECTORY, {"department": billing_office.pk})) == ["biller-north"]
    assert _people(client.get(DIRECTORY, {"role": Role.FRONT_DESK})) == ["desk-north", "desk-south"]
    assert _people(client.get(DIRECTORY, {"location": south.pk})) == ["desk-south"]
    on_duty = _people(client.get(DIRECTORY, {"available": "on"}))
    assert "desk-north" not in on_duty
    assert {"desk-south", "biller-north", "nurse-north"} <= set(on_duty)


def test_the_directory_takes_the_same_queries_however_many_people(signed_in, nurse, billing_office, make_user,
                                                                  north, south):
    client = signed_in(nurse)
    client.get(DIRECTORY)  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        assert client.get(DIRECTORY).status_code == 200
    for number in range(6):
        person = make_user(Role.FRONT_DESK if number % 2 else Role.BILLER, locations=[north, south])
        EmployeeFactory(user=person, position=PositionFactory(department=billing_office), location=north)
        fx.set_presence(person, PresenceStatus.BUSY, handles="referrals", extension=str(200 + number))
        if number % 3 == 0:
            fx.time_off_today(person)
    with CaptureQueriesContext(connection) as many:
        response = client.get(DIRECTORY)
    assert response.context["count"] == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_each_person_sets_their_own_status(signed_in, nurse):
    until = practice_now() + dt.timedelta(hours=2)

    response = signed_in(nurse).post(PRESENCE, {"presence": PresenceStatus.AWAY, "presence_note": "Lunch",
                                               "away_until": until.strftime("%Y-%m-%dT%H:%M")})

    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=nurse)
    assert (profile.presence, profile.presence_note) == (PresenceStatus.AWAY, "Lunch")
    assert profile.away_until is not None
    assert profile.away_until > timezone.now()
    assert AuditEvent.objects.filter(action="frontdesk.presence_set", object_id=str(nurse.pk)).count() == 1


def test_a_bad_status_is_refused_and_nothing_is_saved(signed_in, nurse):
    response = signed_in(nurse).post(PRESENCE, {"presence": "asleep"})

    assert response.status_code == 400
    assert "presence" in response.context["presence_form"].errors
    assert StaffProfile.objects.count() == 0


def test_a_manager_sets_a_colleagues_status_but_a_colleague_may_not(signed_in, office_manager, desk_north, nurse):
    assert signed_in(office_manager).post(PRESENCE, {"presence": PresenceStatus.OFF,
                                                     "user": desk_north.pk}).status_code == 302
    assert StaffProfile.objects.get(user=desk_north).presence == PresenceStatus.OFF

    refused = signed_in(nurse).post(PRESENCE, {"presence": PresenceStatus.ON_DUTY, "user": desk_north.pk})

    assert refused.status_code == 404
    assert fx.denials(nurse) == 1
    assert StaffProfile.objects.get(user=desk_north).presence == PresenceStatus.OFF


def test_a_manager_edits_the_profile_of_someone_at_their_location(signed_in, office_manager, desk_north):
    url = reverse("frontdesk:profile_edit", kwargs={"pk": desk_north.pk})
    client = signed_in(office_manager)

    assert client.get(url).status_code == 200
    response = client.post(url, {"handles": "new patient calls", "extension": "101", "presence": "on_duty"})

    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=desk_north)
    assert (profile.handles, profile.extension) == ("new patient calls", "101")
    assert "101" in client.get(DIRECTORY).content.decode()


def test_a_bad_extension_is_refused_and_nothing_is_saved(signed_in, office_manager, desk_north):
    url = reverse("frontdesk:profile_edit", kwargs={"pk": desk_north.pk})

    response = signed_in(office_manager).post(url, {"handles": "x", "extension": "12a", "presence": "on_duty"})

    assert response.status_code == 400
    assert "extension" in response.context["form"].errors
    assert StaffProfile.objects.count() == 0


def test_a_manager_cannot_edit_the_profile_of_someone_only_at_another_location(signed_in, office_manager,
                                                                             desk_south):
    url = reverse("frontdesk:profile_edit", kwargs={"pk": desk_south.pk})

    response = signed_in(office_manager).post(url, {"handles": "x", "extension": "1", "presence": "on_duty"})

    assert response.status_code == 404
    assert fx.denials(office_manager) == 1
    assert StaffProfile.objects.count() == 0


def test_the_profile_page_is_for_managers_only(signed_in, nurse, desk_north):
    response = signed_in(nurse).get(reverse("frontdesk:profile_edit", kwargs={"pk": desk_north.pk}))

    assert response.status_code == 404
    assert fx.denials(nurse) == 1
