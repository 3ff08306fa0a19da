"""The home page shows real data, and only what the signed-in user may see."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import Invitation, User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, give_role
from openpractice.audit.services import record, record_denied
from openpractice.core.models import Location, Practice
from openpractice.core.tests.factories import DepartmentFactory, OpeningHoursFactory
from openpractice.reporting.selectors import home_summary

SignIn = Callable[[User], Client]
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def card_values(html: str) -> dict[str, int]:
    pairs = re.findall(r'<div class="stat">(\d+)</div>\s*<div class="stat-label">([^<]+)</div>', html)
    return {label: int(value) for value, label in pairs}


def invite(user: User, by: User) -> Invitation:
    return Invitation.objects.create(user=user, token_hash=f"{user.pk:064d}", invited_by=by,
                                     expires_at=timezone.now() + dt.timedelta(days=3))


def test_the_home_page_greets_the_user_with_the_practice_and_todays_date(
    practice: Practice, north: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    user = make_user(Role.FRONT_DESK, locations=[north], first_name="Dana")
    html = signed_in(user).get(reverse("reporting:home")).content.decode()
    today = timezone.now().astimezone(NEW_YORK)
    assert re.search(r"Good (morning|afternoon|evening), Dana", html)
    assert "Riverbend Family Medicine" in html
    assert today.strftime("%A, %B ") + str(today.day) + today.strftime(", %Y") in html
    assert "<strong>Front desk</strong> (Standard) —\n      North Clinic" in html


def test_an_administrator_sees_locations_departments_staff_and_open_invitations(
    practice: Practice, north: Location, south: Location, administrator: User, signed_in: SignIn,
    make_user: Callable[..., User],
) -> None:
    DepartmentFactory(practice=practice, location=north)
    DepartmentFactory(practice=practice, location=None)
    DepartmentFactory(practice=practice, location=south, is_active=False)
    make_user(Role.BILLER)
    make_user(Role.PROVIDER, locations=[south])
    invited = UserFactory(is_active=False)
    give_role(invited, Role.FRONT_DESK, locations=[north])
    invite(invited, administrator)
    html = signed_in(administrator).get(reverse("reporting:home")).content.decode()
    assert card_values(html) == {"Locations": 2, "Departments": 2, "Active staff": 3, "Open invitations": 1}
    assert "Audit events today" not in html


def test_a_user_scoped_to_one_location_counts_only_what_they_see(
    practice: Practice, north: Location, south: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    DepartmentFactory(practice=practice, location=north)
    DepartmentFactory(practice=practice, location=south)
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    make_user(Role.FRONT_DESK, locations=[south])
    html = signed_in(manager).get(reverse("reporting:home")).content.decode()
    # Users.view at North: the manager and nobody from South.
    assert card_values(html) == {"Locations": 1, "Departments": 1, "Appointments today": 0, "Checked in now": 0,
                                 "Active staff": 1}
    assert "South Clinic" not in html


def test_an_auditor_sees_todays_audit_events_and_last_weeks_denials(
    practice: Practice, auditor: User, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    nosy = make_user(Role.FRONT_DESK)
    record(actor=nosy, action="test.something")
    record_denied(actor=nosy, action="access.denied")
    record_denied(actor=nosy, action="access.denied")
    client = signed_in(auditor)  # signing in may itself be audited: count relative to what is stored
    from openpractice.audit.models import AuditEvent

    midnight = timezone.now().astimezone(NEW_YORK).replace(hour=0, minute=0, second=0, microsecond=0)
    expected_today = AuditEvent.objects.filter(occurred_at__gte=midnight).count()
    html = client.get(reverse("reporting:home")).content.decode()
    cards = card_values(html)
    assert cards["Audit events today"] == expected_today
    assert cards["Denied accesses, last 7 days"] == 2
    assert f'href="{reverse("audit:event_list")}?outcome=denied"' in html


def test_todays_hours_say_whether_each_location_is_open_now(
    practice: Practice, north: Location, south: Location, administrator: User
) -> None:
    wednesday_10am = dt.datetime(2025, 3, 12, 10, 0, tzinfo=NEW_YORK)
    OpeningHoursFactory(location=north, weekday=2, opens_at=dt.time(8), closes_at=dt.time(12))
    OpeningHoursFactory(location=north, weekday=2, opens_at=dt.time(13), closes_at=dt.time(17))
    OpeningHoursFactory(location=south, weekday=2, opens_at=dt.time(10, 30), closes_at=dt.time(18))
    OpeningHoursFactory(location=south, weekday=3, opens_at=dt.time(6), closes_at=dt.time(23))
    summary = home_summary(actor=administrator, now=wednesday_10am.astimezone(dt.UTC))
    today = {item.location.name: item for item in summary.locations_today}
    assert today["North Clinic"].open_now is True
    assert [(p.opens_at, p.closes_at) for p in today["North Clinic"].periods] == [
        (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))]
    assert today["South Clinic"].open_now is False
    assert summary.greeting == "Good morning"
    assert summary.now.tzinfo == NEW_YORK


def test_a_deactivated_location_is_not_listed_for_today(
    practice: Practice, north: Location, south: Location, administrator: User
) -> None:
    Location.objects.filter(pk=south.pk).update(is_active=False)
    summary = home_summary(actor=administrator)
    assert [item.location.name for item in summary.locations_today] == ["North Clinic"]


def test_the_home_page_asks_anonymous_visitors_to_sign_in(db: None, client: Client) -> None:
    response = client.get(reverse("reporting:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_front_desk_sees_todays_visits_at_their_location_only(
    practice: Practice, north: Location, south: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    from openpractice.patients.tests.factories import PatientFactory
    from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

    def visit(location: Location, starts_at: dt.datetime, status: str = "booked") -> None:
        AppointmentFactory(location=location, starts_at=starts_at, status=status,
                           cancel_reason="Patient called" if status == "cancelled" else "",
                           patient=PatientFactory(home_location=location), provider=ProviderFactory(locations=[location]))

    zone = zoneinfo.ZoneInfo(practice.timezone)
    today = timezone.now().astimezone(zone).date()
    morning = dt.datetime.combine(today, dt.time(0, 30), tzinfo=zone)
    late = dt.datetime.combine(today, dt.time(23, 0), tzinfo=zone)
    visit(north, morning, "checked_in")
    visit(north, late)
    visit(north, late + dt.timedelta(minutes=30), "cancelled")
    visit(north, late + dt.timedelta(days=1))  # tomorrow
    visit(south, late)  # another location
    desk = make_user(Role.FRONT_DESK, locations=[north])
    noon = dt.datetime.combine(today, dt.time(12, 0), tzinfo=zone)
    cards = {str(card.label): card for card in home_summary(actor=desk, now=noon).cards}
    assert cards["Appointments today"].value == 2
    assert str(cards["Appointments today"].note) == "1 still to come"
    assert cards["Checked in now"].value == 1
    html = signed_in(desk).get(reverse("reporting:home")).content.decode()
    assert card_values(html)["Appointments today"] == 2
