"""Sales-rep visit pages and the rep-access policy: visits are seen where the user holds vendors.view (a visit
elsewhere is a 404, audited); logging one records what it did against the policy; a visit must name its rep;
the policy is read by viewers and changed by vendor managers. Refusals change nothing; the list's query count
does not grow with its rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.core.selectors import practice_now, practice_timezone_name
from openpractice.vendors.models import RepAccessPolicy, RepVisit

from .factories_ui import make_contact, make_rep_visit, make_vendor
from .support_ui import client_for, denials, events, queries_for, rows, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def buyer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


def yesterday_at(hour: int) -> dt.datetime:
    return (practice_now() - dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def visit_data(vendor: Any, location: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"vendor": vendor.pk, "location": location.pk,
                            "visited_at": yesterday_at(10).strftime("%Y-%m-%dT%H:%M"),
                            "had_appointment": "on", "products": "New wound dressing"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the log ---------------------------------------------------------------------------------------------------


def test_visits_are_seen_only_at_the_viewers_locations(viewer: Any, buyer: Any, north: Any, south: Any) -> None:
    vendor = make_vendor(name="Stryker")
    here = make_rep_visit(vendor=vendor, location=north, logged_by=buyer)
    there = make_rep_visit(vendor=vendor, location=south, logged_by=buyer)
    client = client_for(viewer)
    page = text(client.get(reverse("vendors:repvisit_list")))
    assert reverse("vendors:repvisit_detail", args=[here.pk]) in page
    assert reverse("vendors:repvisit_detail", args=[there.pk]) not in page
    assert reverse("vendors:repvisit_create") not in page  # a viewer logs nothing
    assert client.get(reverse("vendors:repvisit_detail", args=[here.pk])).status_code == 200
    before = denials(viewer)
    assert client.get(reverse("vendors:repvisit_detail", args=[there.pk])).status_code == 404
    assert denials(viewer) == before + 1


def test_the_visit_list_filters_company_and_policy_exceptions(buyer: Any, north: Any) -> None:
    stryker, medtronic = make_vendor(name="Stryker"), make_vendor(name="Medtronic")
    fine = make_rep_visit(vendor=stryker, location=north, logged_by=buyer)
    broke = make_rep_visit(vendor=medtronic, location=north, logged_by=buyer,
                           policy_exceptions=["came without an appointment"])
    client = client_for(buyer)
    only_broke = text(client.get(reverse("vendors:repvisit_list"), {"exceptions": "1"}))
    assert reverse("vendors:repvisit_detail", args=[broke.pk]) in only_broke
    assert reverse("vendors:repvisit_detail", args=[fine.pk]) not in only_broke
    only_stryker = text(client.get(reverse("vendors:repvisit_list"), {"vendor": stryker.pk}))
    assert reverse("vendors:repvisit_detail", args=[fine.pk]) in only_stryker
    assert reverse("vendors:repvisit_detail", args=[broke.pk]) not in only_stryker


def _add_visits(count: int, buyer: Any, location: Any) -> None:
    vendor = make_vendor()
    rep = make_contact(vendor=vendor, is_sales_rep=True)
    for _n in range(count):
        make_rep_visit(vendor=vendor, location=location, logged_by=buyer, rep=rep).met_with.set([buyer])


def test_the_visit_list_costs_the_same_queries_with_more_visits(buyer: Any, north: Any) -> None:
    client = client_for(buyer)
    url = reverse("vendors:repvisit_list")
    _add_visits(3, buyer, north)
    few = queries_for(client, url)
    _add_visits(20, buyer, north)
    assert queries_for(client, url) == few


# --- logging a visit -------------------------------------------------------------------------------------------


def test_a_vendor_manager_logs_a_visit_within_the_policy(buyer: Any, north: Any) -> None:
    vendor = make_vendor(name="Stryker")
    rep = make_contact(vendor=vendor, name="Rita Rep", is_sales_rep=True)
    client = client_for(buyer)
    form = client.get(reverse("vendors:repvisit_create"), {"vendor": vendor.pk})
    assert form.status_code == 200
    assert "Rita Rep" in text(form)
    response = client.post(reverse("vendors:repvisit_create") + f"?vendor={vendor.pk}",
                           visit_data(vendor, north, rep=rep.pk, met_with=[buyer.pk]))
    visit = RepVisit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("vendors:repvisit_detail", args=[visit.pk])
    assert visit.rep == rep
    assert visit.location == north
    assert visit.policy_exceptions == []
    assert list(visit.met_with.all()) == [buyer]
    assert events("vendors.rep_visit_logged", object_id=str(visit.pk)) == 1
    local = visit.visited_at.astimezone(zoneinfo.ZoneInfo(practice_timezone_name()))
    assert (local.hour, local.minute) == (10, 0)
    page = text(client.get(response["Location"]))
    assert "Within policy" in page
    assert "sample cabinet" in page


def test_a_visit_against_the_policy_is_logged_with_its_exceptions(buyer: Any, north: Any) -> None:
    visited = yesterday_at(7)
    RepAccessPolicy.objects.create(appointment_only=True, earliest=dt.time(9, 0),
                                   allowed_weekdays=[day for day in range(1, 8) if day != visited.isoweekday()])
    vendor = make_vendor(name="Medtronic")
    response = client_for(buyer).post(reverse("vendors:repvisit_create"), visit_data(
        vendor, north, rep_name="Walk-in Will", visited_at=visited.strftime("%Y-%m-%dT%H:%M"),
        had_appointment=None), follow=True)
    visit = RepVisit.objects.get()
    assert len(visit.policy_exceptions) == 3
    page = text(response)
    assert "Against the rep-access policy" in page
    assert "came without an appointment" in page
    assert "came before 09:00" in page


@pytest.mark.parametrize(("changes", "message"), [
    ({}, "Choose the representative or type their name."),
    ({"rep_name": "Sam", "visited_at": "2999-01-01T10:00"}, "Log a visit once it has happened."),
    ({"rep_name": "Sam", "visited_at": "yesterday"}, "Enter a valid date/time."),
])
def test_a_visit_with_bad_input_is_refused_with_a_clear_error(buyer: Any, north: Any, changes: dict[str, str],
                                                              message: str) -> None:
    vendor = make_vendor()
    response = client_for(buyer).post(reverse("vendors:repvisit_create"), visit_data(vendor, north, **changes))
    assert response.status_code == 400
    assert message in text(response)
    assert not RepVisit.objects.exists()


def test_a_rep_of_another_company_is_refused(buyer: Any, north: Any) -> None:
    vendor, other = make_vendor(name="Stryker"), make_vendor(name="Other")
    rep = make_contact(vendor=other, name="Not Theirs")
    response = client_for(buyer).post(reverse("vendors:repvisit_create"), visit_data(vendor, north, rep=rep.pk))
    assert response.status_code == 400
    assert "Choose one of this company&#x27;s contacts." in text(response)
    assert not RepVisit.objects.exists()


def test_a_visit_cannot_be_logged_at_a_location_outside_the_managers_scope(buyer: Any, south: Any) -> None:
    vendor = make_vendor()
    response = client_for(buyer).post(reverse("vendors:repvisit_create"),
                                      visit_data(vendor, south, rep_name="Sam"))
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert not RepVisit.objects.exists()


def test_a_viewer_cannot_log_a_visit_and_nothing_changes(viewer: Any, north: Any) -> None:
    vendor = make_vendor()
    client = client_for(viewer)
    before, refused = rows(), denials(viewer)
    assert client.get(reverse("vendors:repvisit_create")).status_code == 404
    assert client.post(reverse("vendors:repvisit_create"),
                       visit_data(vendor, north, rep_name="Sam")).status_code == 404
    assert rows() == before
    assert denials(viewer) == refused + 2


# --- the policy ------------------------------------------------------------------------------------------------


def test_viewers_read_the_policy_and_opening_it_creates_nothing(viewer: Any) -> None:
    response = client_for(viewer).get(reverse("vendors:reppolicy"))
    assert response.status_code == 200
    assert "By appointment only" in text(response)
    assert "Any day" in text(response)
    assert reverse("vendors:reppolicy_edit") not in text(response)
    assert not RepAccessPolicy.objects.exists()


def test_a_vendor_manager_changes_the_policy(buyer: Any) -> None:
    client = client_for(buyer)
    assert client.get(reverse("vendors:reppolicy_edit")).status_code == 200
    response = client.post(reverse("vendors:reppolicy_edit"), {
        "appointment_only": "on", "allowed_weekdays": ["2", "4"], "earliest": "09:00", "latest": "11:30",
        "max_visits_per_month": "2", "notes": "Sign in at the front desk."})
    assert response.status_code == 302
    policy = RepAccessPolicy.objects.get()
    assert policy.allowed_weekdays == [2, 4]
    assert policy.earliest == dt.time(9)
    assert policy.latest == dt.time(11, 30)
    assert policy.max_visits_per_month == 2
    assert events("vendors.rep_policy_updated", object_id=str(policy.pk)) == 1
    page = text(client.get(reverse("vendors:reppolicy")))
    assert "Tuesday, Thursday" in page
    assert "Sign in at the front desk." in page


@pytest.mark.parametrize(("data", "message"), [
    ({"earliest": "12:00", "latest": "09:00"}, "The latest time must be after the earliest."),
    ({"allowed_weekdays": ["8"]}, "Select a valid choice."),
    ({"max_visits_per_month": "0"}, "Leave empty for no limit, or allow at least one."),
])
def test_a_policy_with_bad_input_is_refused_with_a_clear_error(buyer: Any, data: dict[str, Any],
                                                               message: str) -> None:
    response = client_for(buyer).post(reverse("vendors:reppolicy_edit"), data)
    assert response.status_code == 400
    assert message in text(response)
    assert not RepAccessPolicy.objects.exists()


def test_a_viewer_cannot_change_the_policy(viewer: Any) -> None:
    RepAccessPolicy.objects.create()
    before, refused = rows(), denials(viewer)
    assert client_for(viewer).post(reverse("vendors:reppolicy_edit"), {"notes": "Anything"}).status_code == 404
    assert rows() == before
    assert denials(viewer) == refused + 1
