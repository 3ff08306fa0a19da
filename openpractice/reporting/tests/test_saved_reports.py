"""Saved reports: "Save this view" under a list keeps the list with its filters under a name; "My reports" opens
each again (with what the person may see now) or downloads it as CSV or XLSX; a person sees and deletes only
their own. Only list pages can be saved, and only by someone who may open them."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import forget
from openpractice.accounts.roles import TIERS_BY_ROLE, Role
from openpractice.accounts.tests.factories import UserFactory, give_role, sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.tests.factories import make_claim
from openpractice.core.models import Location
from openpractice.core.tests.exports import export_rows
from openpractice.core.web import Table
from openpractice.reporting import selectors_saved
from openpractice.reporting.models import SavedReport
from openpractice.reporting.services_saved import saved_report_create

pytestmark = pytest.mark.django_db
CREATE = "/reports/saved/new/"
MINE = "/reports/saved/"


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def as_biller(biller: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(biller)


def _saved() -> list[tuple[Any, ...]]:
    return list(SavedReport.objects.order_by("pk").values_list("owner_id", "name", "route", "query"))


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden {name} field"
    return found.group(1).replace("&amp;", "&")


# --- saving ----------------------------------------------------------------------------------------------------


def test_the_urls_have_stable_names() -> None:
    assert reverse("reporting:saved_report_list") == MINE
    assert reverse("reporting:saved_report_create") == CREATE
    assert reverse("reporting:saved_report_delete", args=[7]) == "/reports/saved/7/delete/"


def _save_link(html: str) -> str:
    found = re.search(r'<a href="(/reports/saved/new/\?[^"]*)"[^>]*>Save this view</a>', html)
    assert found is not None, "no Save this view link"
    return found.group(1).replace("&amp;", "&")


def test_a_list_offers_save_this_view_with_its_route_and_present_filters(as_biller: Client, biller: User,
                                                                        north: Location) -> None:
    make_claim(location=north, actor=biller, status="held")
    page = as_biller.get(reverse("billing:claim_list"), {"status": "held", "sort": "number", "page": "1"})
    form = as_biller.get(_save_link(page.content.decode()))
    assert form.status_code == 200
    html = form.content.decode()
    assert "The list “Claims” with the filters" in html
    assert _hidden(html, "route") == "billing:claim_list"
    assert _hidden(html, "query") == "status=held&sort=number"


def test_the_link_follows_a_sort_asked_for_through_htmx(as_biller: Client, biller: User, north: Location) -> None:
    make_claim(location=north, actor=biller, status="held")
    rows = as_biller.get(reverse("billing:claim_list"), {"status": "held", "sort": "-total"},
                         headers={"HX-Request": "true", "HX-Target": "claim-table"})
    assert b"<html" not in rows.content
    assert "query=status%3Dheld%26sort%3D-total" in _save_link(rows.content.decode())


def test_the_naming_form_is_not_offered_for_a_page_that_is_no_savable_list(as_biller: Client) -> None:
    for route in ("billing:claim_detail", "no:such", "billing:claim_list_x", ""):
        html = as_biller.get(CREATE, {"route": route}).content.decode()
        assert 'name="name"' not in html
    assert 'name="name"' not in as_biller.get(CREATE, {"route": "workforce:employee_list"}).content.decode()


def test_saving_a_view_keeps_the_list_and_its_filters_and_returns_to_the_list(as_biller: Client, biller: User) -> None:
    response = as_biller.post(CREATE, {"name": "  Held claims,   North ", "route": "billing:claim_list",
                                       "query": "?status=held&sort=number&page=3&export=csv"})
    assert response.status_code == 302
    assert response["Location"] == "/billing/claims/?status=held&sort=number"
    assert _saved() == [(biller.pk, "Held claims, North", "billing:claim_list", "status=held&sort=number")]
    event = AuditEvent.objects.get(action="reports.saved_report_created")
    assert (event.actor, event.reason) == (biller, "billing:claim_list")
    assert "held" not in event.reason  # the filters stay out of the audit trail (a search may be a name)


@pytest.mark.parametrize(("data", "field_error"), [
    ({"name": "", "route": "billing:claim_list"}, "This field is required."),
    ({"name": "x" * 101, "route": "billing:claim_list"}, "at most 100 characters"),
    ({"name": "Mine", "route": "billing:claim_detail"}, "Only a list can be saved as a report."),
    ({"name": "Mine", "route": "reporting:saved_report_list"}, "Only a list can be saved as a report."),
    ({"name": "Mine", "route": "billing:claim_list", "query": "q=" + "a" * 2100},
     "These filters are too long to save"),
])
def test_a_view_that_cannot_be_saved_is_refused_with_the_reason_and_nothing_saved(
        as_biller: Client, data: dict[str, str], field_error: str) -> None:
    response = as_biller.post(CREATE, data)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert _saved() == []


def test_a_second_report_of_the_same_name_is_refused(as_biller: Client, biller: User) -> None:
    saved_report_create(actor=biller, name="Held", route="billing:claim_list", query="status=held")
    response = as_biller.post(CREATE, {"name": "Held", "route": "billing:denial_list"})
    assert response.status_code == 400
    assert "You already have a report called “Held”." in response.content.decode()
    assert [row[2] for row in _saved()] == ["billing:claim_list"]


def test_two_people_may_use_the_same_name(biller: User, make_user: Callable[..., User]) -> None:
    other = make_user(Role.BILLER, username="other")
    saved_report_create(actor=biller, name="Held", route="billing:claim_list")
    saved_report_create(actor=other, name="Held", route="billing:claim_list")
    assert len(_saved()) == 2


def test_a_list_the_person_may_not_open_cannot_be_saved(make_user: Callable[..., User],
                                                        signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK, username="desk")
    response = signed_in(desk).post(CREATE, {"name": "Claims", "route": "billing:claim_list"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED,
                                     action="reports.saved_report_created").count() == 1
    assert _saved() == []


def test_signing_in_comes_before_saving(client: Client) -> None:
    response = client.post(CREATE, {"name": "Claims", "route": "billing:claim_list"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert _saved() == []


def test_save_this_view_is_not_offered_on_a_table_that_is_no_list_page(as_biller: Client, biller: User) -> None:
    from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory

    schedule = FeeScheduleFactory(created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule)
    html = as_biller.get(reverse("billing:fee_schedule_detail", args=[schedule.pk])).content.decode()
    assert "export=csv" in html
    assert "Save this view" not in html
    assert "Save this view" in as_biller.get(reverse("billing:fee_schedule_list")).content.decode()


# --- my reports ------------------------------------------------------------------------------------------------


def test_my_reports_lists_my_reports_with_links_to_open_and_download_them(as_biller: Client, biller: User,
                                                                          north: Location,
                                                                          make_user: Callable[..., User]) -> None:
    held = make_claim(location=north, actor=biller, status="held")
    make_claim(location=north, actor=biller, status="ready")
    report = saved_report_create(actor=biller, name="Held claims", route="billing:claim_list", query="status=held")
    saved_report_create(actor=make_user(Role.BILLER, username="other"), name="Someone else's",
                        route="billing:claim_list")
    html = as_biller.get(MINE).content.decode()
    assert "Held claims" in html
    assert "Someone else's" not in html
    assert 'href="/billing/claims/?status=held"' in html
    assert 'href="/billing/claims/?status=held&amp;export=csv"' in html
    assert 'href="/billing/claims/?status=held&amp;export=xlsx"' in html
    assert f'action="/reports/saved/{report.pk}/delete/"' in html
    for file_format in ("csv", "xlsx"):
        rows = export_rows(as_biller.get("/billing/claims/", {"status": "held", "export": file_format}))
        assert [row[0] for row in rows[1:]] == [held.claim_number]


def test_opening_a_saved_report_shows_what_the_person_may_see_now(biller: User, signed_in: Callable[[User], Client],
                                                                  north: Location, south: Location) -> None:
    make_claim(location=north, actor=biller, status="held")
    make_claim(location=south, actor=biller, status="held")
    saved_report_create(actor=biller, name="Held", route="billing:claim_list", query="status=held")
    client = signed_in(biller)
    row = selectors_saved.saved_report_rows(actor=biller)[0]
    assert client.get(row.url).context["table"].page.paginator.count == 2
    # Their role is narrowed to North: the same report now lists North's claims only.
    assignment = RoleAssignment.objects.get(user=biller)
    assignment.all_locations = False
    assignment.save()
    assignment.locations.set([north])
    forget(biller)
    assert client.get(row.url).context["table"].page.paginator.count == 1
    assert len(export_rows(client.get(row.csv_url))) == 2


def test_a_report_of_a_list_the_person_may_no_longer_open_is_kept_but_not_offered(
        biller: User, signed_in: Callable[[User], Client]) -> None:
    saved_report_create(actor=biller, name="Claims", route="billing:claim_list")
    RoleAssignment.objects.filter(user=biller).update(role=Role.OFFICE_MANAGER, tier="entry")
    forget(biller)
    client = signed_in(biller)
    html = client.get(MINE).content.decode()
    assert "Not open to you now" in html
    assert 'href="/billing/claims/' not in html
    assert client.get("/billing/claims/", {"export": "csv"}).status_code == 404


def test_my_reports_costs_the_same_queries_for_more_reports(biller: User, as_biller: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    saved_report_create(actor=biller, name="One", route="billing:claim_list")
    as_biller.get(MINE)
    with CaptureQueriesContext(connection) as few:
        as_biller.get(MINE)
    for name, route in (("Two", "billing:denial_list"), ("Three", "patients:patient_list"),
                        ("Four", "core:location_list")):
        saved_report_create(actor=biller, name=name, route=route)
    with CaptureQueriesContext(connection) as many:
        as_biller.get(MINE)
    assert len(many) == len(few)


# --- deleting --------------------------------------------------------------------------------------------------


def test_deleting_my_report_removes_it(as_biller: Client, biller: User) -> None:
    report = saved_report_create(actor=biller, name="Held", route="billing:claim_list")
    response = as_biller.post(reverse("reporting:saved_report_delete", args=[report.pk]))
    assert response.status_code == 302
    assert response["Location"] == MINE
    assert _saved() == []
    assert AuditEvent.objects.filter(actor=biller, action="reports.saved_report_deleted").count() == 1


def test_someone_elses_report_cannot_be_deleted_and_the_attempt_is_audited(
        biller: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    report = saved_report_create(actor=biller, name="Held", route="billing:claim_list")
    other = make_user(Role.BILLER, username="other")
    before = _saved()
    response = signed_in(other).post(reverse("reporting:saved_report_delete", args=[report.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=other, outcome=Outcome.DENIED).count() == 1
    assert _saved() == before


def test_deleting_needs_a_post(as_biller: Client, biller: User) -> None:
    report = saved_report_create(actor=biller, name="Held", route="billing:claim_list")
    assert as_biller.get(reverse("reporting:saved_report_delete", args=[report.pk])).status_code == 405
    assert len(_saved()) == 1


# --- which pages are lists -------------------------------------------------------------------------------------


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, ":".join(p for p in (namespace, entry.namespace or "") if p))
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def test_every_list_page_that_renders_a_table_itself_may_be_saved() -> None:
    """A view without URL arguments that calls render_table is a list page: it must be savable (add it to
    selectors_saved.SAVABLE_ROUTES). Lists built through a helper are found by the next test's walk."""
    missing = []
    for name, pattern in _routes(get_resolver().url_patterns):
        if pattern.pattern.regex.groupindex or name in selectors_saved.SAVABLE_ROUTES:
            continue
        try:
            source = inspect.getsource(inspect.unwrap(pattern.callback))
        except (OSError, TypeError):
            continue
        if "render_table(" in source:
            missing.append(name)
    assert missing == []


@pytest.fixture
def everyone(practice: Any, north: Location) -> User:
    """Somebody holding every role at its top tier, everywhere."""
    user = UserFactory(username="everything")
    for role in Role.values:
        give_role(user, role, TIERS_BY_ROLE[role][-1])
    return user


def test_every_savable_route_is_a_list_page_that_renders_a_table(everyone: User, settings: Any) -> None:
    settings.DEMO_MODE = True  # the outbox exists in demo mode only
    client = sign_in(Client(), everyone)
    not_lists = {}
    for route in selectors_saved.SAVABLE_ROUTES:
        response = client.get(reverse(route))
        table = response.context.get("table") if response.context is not None else None
        if response.status_code != 200 or not isinstance(table, Table):
            not_lists[route] = response.status_code
    assert not_lists == {}


def test_a_savable_route_is_open_to_whom_its_view_admits(make_user: Callable[..., User]) -> None:
    desk = make_user(Role.FRONT_DESK, username="desk")
    assert selectors_saved.route_open_to(desk, "billing:payment_list")  # any of billing.view / collect_payments
    assert selectors_saved.route_open_to(desk, "patients:patient_list")
    assert not selectors_saved.route_open_to(desk, "billing:claim_list")
    assert not selectors_saved.route_open_to(desk, "billing:claim_detail")  # not a list
    assert not selectors_saved.route_open_to(desk, "no:such_route")
