"""The settings pages as a person uses them: forms with accessible errors, the opening-hours grid, lists with
search, allowlisted sorting, pagination and htmx partial updates, scope checks, the menu."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.forms import Form, PracticeForm
from openpractice.core.models import Department, Location, OpeningHours, Practice
from openpractice.core.tests.factories import DepartmentFactory, LocationFactory, OpeningHoursFactory

SignIn = Callable[[User], Client]

PRACTICE_POST = {
    "name": "Riverbend Health", "legal_name": "Riverbend Health, PLLC", "ein": "56-1234567",
    "group_npi": "1234567893", "address_line1": "100 Main Street", "address_line2": "", "city": "Raleigh",
    "state": "NC", "postal_code": "27601", "timezone": "America/Chicago", "kind": "dental_office",
    "phone": "919-555-0100", "idle_timeout_minutes": "20", "absolute_session_hours": "10",
}


def hours_post(**periods: str) -> dict[str, str]:
    """All 28 grid inputs, empty unless given: hours_post(d0_p1_opens="08:00", ...)."""
    data = {f"d{day}_p{index}_{edge}": "" for day in range(7) for index in (1, 2) for edge in ("opens", "closes")}
    data.update(periods)
    return data


# --- practice ------------------------------------------------------------------------------------------------


def test_an_administrator_edits_the_practice_and_sees_a_confirmation(
    practice: Practice, administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    response = client.post(reverse("core:practice_edit"), PRACTICE_POST, follow=True)
    assert response.redirect_chain[-1][0] == reverse("core:practice")
    practice.refresh_from_db()
    assert (practice.name, practice.kind, practice.timezone, practice.idle_timeout_minutes) == (
        "Riverbend Health", "dental_office", "America/Chicago", 20)
    assert "Practice settings saved." in response.content.decode()
    assert AuditEvent.objects.filter(action="practice.updated", actor=administrator).exists()


def test_a_bad_ein_is_shown_next_to_the_field_and_in_the_summary(
    practice: Practice, administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    response = client.post(reverse("core:practice_edit"), {**PRACTICE_POST, "ein": "561234567"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert '<a href="#id_ein">EIN: Enter the EIN as NN-NNNNNNN.</a>' in html
    ein_input = re.search(r"<input[^>]*name=\"ein\"[^>]*>", html)
    assert ein_input is not None
    assert 'aria-invalid="true"' in ein_input.group(0)
    assert 'aria-describedby="id_ein_helptext id_ein_error"' in ein_input.group(0)
    assert 'id="id_ein_error"' in html
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"


def test_the_practice_page_offers_editing_only_to_those_who_may(
    practice: Practice, administrator: User, make_user: Callable[..., User], client: Client
) -> None:
    from openpractice.accounts.tests.factories import sign_in

    edit_url = reverse("core:practice_edit")
    sign_in(client, administrator)
    assert edit_url in client.get(reverse("core:practice")).content.decode()
    client.logout()
    sign_in(client, make_user(Role.FRONT_DESK))
    page = client.get(reverse("core:practice"))
    assert page.status_code == 200
    assert "Riverbend Family Medicine, PLLC" in page.content.decode()
    assert edit_url not in page.content.decode()


def test_a_manager_of_one_location_cannot_open_the_practice_form(
    practice: Practice, north: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    client = signed_in(site_admin)
    before = Practice.objects.values().get()
    assert client.get(reverse("core:practice_edit")).status_code == 404
    assert client.post(reverse("core:practice_edit"), PRACTICE_POST).status_code == 404
    assert Practice.objects.values().get() == before
    assert AuditEvent.objects.filter(actor=site_admin, outcome=Outcome.DENIED).count() == 2


# --- locations -----------------------------------------------------------------------------------------------


def test_adding_a_location_leads_to_its_opening_hours(practice: Practice, administrator: User, signed_in: SignIn) -> None:
    client = signed_in(administrator)
    response = client.post(reverse("core:location_create"), {
        "name": "East Clinic", "code": "east", "place_of_service": "11", "phone": "919-555-0142", "npi": "",
        "address_line1": "9 Elm Street", "address_line2": "", "city": "Cary", "state": "NC", "postal_code": "27511",
    })
    location = Location.objects.get(code="east")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:location_hours", kwargs={"pk": location.pk})


def test_a_duplicate_location_code_is_reported_on_the_form(
    practice: Practice, north: Location, administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    response = client.post(reverse("core:location_create"), {
        "name": "Another", "code": "north", "place_of_service": "11", "phone": "919-555-0142",
        "address_line1": "9 Elm Street", "city": "Cary", "state": "NC", "postal_code": "27511",
    })
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert Location.objects.count() == 1


def test_the_opening_hours_grid_saves_two_periods_a_day(north: Location, administrator: User, signed_in: SignIn) -> None:
    client = signed_in(administrator)
    url = reverse("core:location_hours", kwargs={"pk": north.pk})
    page = client.get(url).content.decode()
    assert page.count('type="time"') == 28
    assert '<label for="id_d0_p1_opens" class="visually-hidden">Monday, period 1, opens</label>' in page
    response = client.post(url, hours_post(d0_p1_opens="08:00", d0_p1_closes="12:00",
                                           d0_p2_opens="13:00", d0_p2_closes="17:00",
                                           d5_p1_opens="09:00", d5_p1_closes="12:00"))
    assert response.status_code == 302
    assert list(north.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (0, dt.time(8), dt.time(12)), (0, dt.time(13), dt.time(17)), (5, dt.time(9), dt.time(12))]
    detail = client.get(north.get_absolute_url()).content.decode()
    assert "08:00–12:00, 13:00–17:00" in detail


def test_overlapping_periods_in_the_grid_are_refused_and_the_old_hours_kept(
    north: Location, administrator: User, signed_in: SignIn
) -> None:
    OpeningHoursFactory(location=north, weekday=1, opens_at=dt.time(9), closes_at=dt.time(17))
    client = signed_in(administrator)
    response = client.post(reverse("core:location_hours", kwargs={"pk": north.pk}),
                           hours_post(d2_p1_opens="08:00", d2_p1_closes="13:00",
                                      d2_p2_opens="12:00", d2_p2_closes="17:00"))
    assert response.status_code == 400
    assert "Wednesday: 08:00–13:00 overlaps 12:00–17:00." in response.content.decode()
    assert list(OpeningHours.objects.values_list("weekday", flat=True)) == [1]


def test_a_half_filled_period_and_closing_before_opening_are_marked_on_their_inputs(
    north: Location, administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    response = client.post(reverse("core:location_hours", kwargs={"pk": north.pk}),
                           hours_post(d0_p1_opens="08:00", d1_p1_opens="17:00", d1_p1_closes="08:00"))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<input[^>]*name="d0_p1_closes"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input[^>]*name="d1_p1_closes"[^>]*aria-invalid="true"', html)
    assert "Give both an opening and a closing time, or neither." in html
    assert "Closing time must be after opening time." in html
    assert not OpeningHours.objects.exists()


def test_a_location_outside_the_users_scope_is_not_found_and_the_attempt_audited(
    north: Location, south: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    front_desk = make_user(Role.FRONT_DESK, locations=[north])
    client = signed_in(front_desk)
    assert client.get(north.get_absolute_url()).status_code == 200
    assert client.get(south.get_absolute_url()).status_code == 404
    event = AuditEvent.objects.get(actor=front_desk, outcome=Outcome.DENIED)
    assert (event.object_type, event.object_id) == ("core.location", str(south.pk))


def test_deactivating_a_location_from_its_page(north: Location, administrator: User, signed_in: SignIn) -> None:
    client = signed_in(administrator)
    page = client.get(north.get_absolute_url()).content.decode()
    assert reverse("core:location_deactivate", kwargs={"pk": north.pk}) in page
    assert client.get(reverse("core:location_deactivate", kwargs={"pk": north.pk})).status_code == 405
    response = client.post(reverse("core:location_deactivate", kwargs={"pk": north.pk}), follow=True)
    north.refresh_from_db()
    assert north.is_active is False
    assert "was deactivated" in response.content.decode()
    assert reverse("core:location_reactivate", kwargs={"pk": north.pk}) in response.content.decode()


# --- lists: search, sorting, pagination, htmx ----------------------------------------------------------------


@pytest.fixture
def many_locations(practice: Practice) -> list[Location]:
    return [LocationFactory(practice=practice, name=f"Site {n:02d}", code=f"site-{n:02d}", city=city)
            for n, city in enumerate(["Cary", "Durham", "Apex"] * 10)]


def row_names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/settings/locations/\d+/">([^<]+)</a></td>', html)


def test_the_location_list_pages_sorts_and_searches(
    many_locations: list[Location], administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    first = client.get(reverse("core:location_list")).content.decode()
    assert row_names(first) == [f"Site {n:02d}" for n in range(25)]
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/settings/locations/?sort=name&amp;page=2"' in first
    second = client.get(reverse("core:location_list"), {"page": 2}).content.decode()
    assert row_names(second) == [f"Site {n:02d}" for n in range(25, 30)]
    backwards = client.get(reverse("core:location_list"), {"sort": "-name"}).content.decode()
    assert row_names(backwards)[0] == "Site 29"
    assert '<th scope="col" aria-sort="descending">' in backwards
    durham = client.get(reverse("core:location_list"), {"q": "durham"}).content.decode()
    assert row_names(durham) == [f"Site {n:02d}" for n in range(1, 30, 3)]
    assert "10 rows" in durham


def test_sorting_by_a_key_outside_the_allowlist_falls_back_to_the_default(
    many_locations: list[Location], administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    for sort in ("practice__ein", "-password", "name; DROP TABLE", "--name"):
        response = client.get(reverse("core:location_list"), {"sort": sort})
        assert response.status_code == 200
        assert row_names(response.content.decode())[:2] == ["Site 00", "Site 01"]


def test_an_htmx_request_for_the_table_gets_only_the_table(
    many_locations: list[Location], administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    response = client.get(reverse("core:location_list"), {"q": "apex", "sort": "-name"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="location-table")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<nav class=\"sidenav\"" not in html
    assert row_names(html) == [f"Site {n:02d}" for n in range(29, 0, -3)]
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("core:location_list")).content.decode()
    assert 'hx-target="#location-table"' in full
    assert 'hx-push-url="true"' in full
    assert '<div id="location-table"' in full


def test_the_status_filter_shows_deactivated_locations(
    practice: Practice, north: Location, administrator: User, signed_in: SignIn
) -> None:
    LocationFactory(practice=practice, name="Old Site", code="old", is_active=False)
    client = signed_in(administrator)
    assert row_names(client.get(reverse("core:location_list")).content.decode()) == ["North Clinic"]
    assert row_names(client.get(reverse("core:location_list"), {"status": "inactive"}).content.decode()) == ["Old Site"]
    assert len(row_names(client.get(reverse("core:location_list"), {"status": "all"}).content.decode())) == 2


# --- departments ---------------------------------------------------------------------------------------------


def test_a_location_scoped_user_sees_own_and_practice_wide_departments_only(
    practice: Practice, north: Location, south: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    DepartmentFactory(practice=practice, name="North desk", location=north)
    south_desk = DepartmentFactory(practice=practice, name="South desk", location=south)
    DepartmentFactory(practice=practice, name="Billing office", location=None)
    user = make_user(Role.CLINICAL_STAFF, locations=[north])
    client = signed_in(user)
    html = client.get(reverse("core:department_list")).content.decode()
    assert "North desk" in html
    assert "Billing office" in html
    assert "South desk" not in html
    assert client.get(south_desk.get_absolute_url()).status_code == 404
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED, object_id=str(south_desk.pk)).exists()


def test_a_department_is_added_through_the_form(
    practice: Practice, north: Location, administrator: User, signed_in: SignIn
) -> None:
    client = signed_in(administrator)
    form_page = client.get(reverse("core:department_create")).content.decode()
    assert "Practice-wide (no single location)" in form_page
    response = client.post(reverse("core:department_create"),
                           {"name": "Nursing", "location": north.pk, "email": "", "phone": ""})
    department = Department.objects.get(name="Nursing")
    assert response["Location"] == department.get_absolute_url()
    assert department.location == north


def test_a_manager_of_one_location_may_only_pick_that_location(
    practice: Practice, north: Location, south: Location, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    client = signed_in(site_admin)
    page = client.get(reverse("core:department_create")).content.decode()
    assert "North Clinic" in page
    assert "South Clinic" not in page
    assert "Practice-wide" not in page
    response = client.post(reverse("core:department_create"), {"name": "South takeover", "location": south.pk})
    assert response.status_code == 400
    assert not Department.objects.exists()


# --- the shell: menu, form renderer ---------------------------------------------------------------------------


def test_the_menu_lists_the_practice_pages_for_someone_who_may_see_them(
    practice: Practice, make_user: Callable[..., User], signed_in: SignIn
) -> None:
    client = signed_in(make_user(Role.PRACTICE_MANAGER, Tier.ENTRY))
    html = client.get(reverse("core:location_list")).content.decode()
    nav = html[html.index('<nav class="sidenav"'):html.index("</nav>")]
    assert f'<a href="{reverse("core:location_list")}" aria-current="page">Locations</a>' in nav
    assert reverse("core:practice") in nav
    assert reverse("core:department_list") in nav
    assert reverse("audit:event_list") not in nav


def test_a_user_without_any_role_has_only_the_home_page_in_the_menu(practice: Practice, client: Client) -> None:
    from openpractice.accounts.tests.factories import UserFactory

    client.force_login(UserFactory())
    html = client.get(reverse("reporting:home")).content.decode()
    assert reverse("core:location_list") not in html
    assert "You hold no role yet" in html


def test_the_form_renderer_gives_every_field_a_label_and_described_errors() -> None:
    class Sample(Form):
        from django import forms as _forms

        email = _forms.EmailField(label="Email", help_text="Where replies go.")

    html = str(Sample({"email": "nope"}))
    assert '<label for="id_email">Email' in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert '<ul class="errorlist" id="id_email_error">' in html
    assert 'class="error-summary"' in html


def test_the_time_zone_field_is_a_choice_with_us_zones_first() -> None:
    field = PracticeForm().fields["timezone"]
    groups = list(field.choices)  # type: ignore[attr-defined]
    assert groups[0][1][0] == ("America/New_York", "America/New York")
    assert len(groups[1][1]) > 300
