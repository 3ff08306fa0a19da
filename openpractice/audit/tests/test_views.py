"""The audit viewer and its CSV export: who may open them, what they show, and that exporting is audited."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import record
from openpractice.audit.verify import verify_chain
from openpractice.core import navigation
from openpractice.core.spreadsheet import csv_cell

pytestmark = pytest.mark.django_db

LIST_URL = "/audit/"
EXPORT_URL = "/audit/export.csv"


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def desk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="desk")


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_urls_have_stable_names() -> None:
    assert reverse("audit:event_list") == LIST_URL
    assert reverse("audit:event_export") == EXPORT_URL


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PRIVACY_OFFICER])
def test_auditors_and_privacy_officers_open_the_audit_trail(
    role: str, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    user = make_user(role)
    record(actor=user, action="users.invited", object_type="accounts.user", object_id=99)
    response = signed_in(user).get(LIST_URL)
    assert response.status_code == 200
    assert b"users.invited" in response.content
    assert b"Export CSV" in response.content
    assert response.context["table"].page.paginator.count == 1


@pytest.mark.parametrize(("role", "tier"), [
    (Role.FRONT_DESK, Tier.STANDARD), (Role.ADMINISTRATOR, Tier.STANDARD), (Role.HR, Tier.STANDARD),
    (Role.PRACTICE_MANAGER, Tier.SENIOR), (Role.OFFICE_MANAGER, Tier.EXPERIENCED),
])
def test_everyone_else_gets_404_and_the_refusal_is_audited(
    role: str, tier: str, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    user = make_user(role, tier)
    client = signed_in(user)
    for url in (LIST_URL, f"{EXPORT_URL}?action=users.invited"):
        before = AuditEvent.objects.count()
        response = client.get(url)
        assert response.status_code == 404
        assert response.get("Content-Type", "").startswith("text/html")  # no CSV
        assert not getattr(response, "streaming", False)
        denial = AuditEvent.objects.get(seq=before + 1)
        assert (denial.actor, denial.outcome, denial.action) == (user, Outcome.DENIED, "access.denied")
        assert AuditEvent.objects.count() == before + 1
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
    assert verify_chain().ok


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in (LIST_URL, EXPORT_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/" in response["Location"]
    assert not AuditEvent.objects.exists()


def test_the_menu_offers_the_audit_trail_to_reviewers_only(
    reviewer: User, desk: User, signed_in: Callable[[User], Client]
) -> None:
    entry = next(item for item in navigation.items() if item.url_name == "audit:event_list")
    assert (entry.order, str(entry.section), str(entry.label), entry.permission) == \
        (90, "Compliance", "Audit trail", "audit.view")
    assert b'href="/audit/"' in signed_in(reviewer).get(LIST_URL).content
    home = signed_in(desk).get("/")
    assert home.status_code == 200
    assert b'href="/settings/' in home.content  # the menu is there, with what the front desk may use
    assert b'href="/audit/"' not in home.content


def test_filters_narrow_the_list(reviewer: User, desk: User, signed_in: Callable[[User], Client]) -> None:
    record(actor=desk, action="patients.viewed", patient_id=41)
    record(actor=desk, action="patients.viewed", patient_id=42)
    record(actor=reviewer, action="compliance.reviewed")
    client = signed_in(reviewer)
    shown = lambda query: [e.seq for e in client.get(f"{LIST_URL}?{query}").context["table"].page]  # noqa: E731
    assert shown("") == [3, 2, 1]
    assert shown(f"user={desk.pk}") == [2, 1]
    assert shown("patient=42") == [2]
    assert shown("action=compliance.reviewed") == [3]
    assert shown("action=patients.*&outcome=allowed") == [2, 1]
    assert shown("outcome=denied") == []


def test_bad_filters_show_an_error_and_no_rows(reviewer: User, signed_in: Callable[[User], Client]) -> None:
    record(actor=reviewer, action="compliance.reviewed")
    response = signed_in(reviewer).get(f"{LIST_URL}?date_from=2026-05-02&date_to=2026-05-01&patient=abc")
    assert response.status_code == 200
    assert b"The end date is before the start date." in response.content
    assert b"Enter a whole number." in response.content
    assert response.context["table"].page.paginator.count == 0


def test_sorting_follows_the_allowlist_only(reviewer: User, desk: User, signed_in: Callable[[User], Client]) -> None:
    record(actor=reviewer, action="b.second")
    record(actor=desk, action="a.first")
    record(actor=desk, action="c.third")
    client = signed_in(reviewer)
    by_action = [e.action for e in client.get(f"{LIST_URL}?sort=action").context["table"].page]
    assert by_action == ["a.first", "b.second", "c.third"]
    by_user_desc = [e.actor_label for e in client.get(f"{LIST_URL}?sort=-user").context["table"].page]
    assert by_user_desc == ["privacy", "desk", "desk"]
    unknown = client.get(f"{LIST_URL}?sort=hash")
    assert [e.seq for e in unknown.context["table"].page] == [3, 2, 1]
    assert unknown.context["table"].sort == "-seq"


def test_sorting_or_paging_through_htmx_gets_only_the_rows(reviewer: User, signed_in: Callable[[User], Client]) -> None:
    record(actor=reviewer, action="compliance.reviewed")
    response = signed_in(reviewer).get(f"{LIST_URL}?action=compliance.reviewed&sort=action",
                                       headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert b"compliance.reviewed" in response.content
    assert b"<html" not in response.content
    assert b"<form" not in response.content
    assert "HX-Request" in response["Vary"]


def test_an_htmx_filter_change_gets_the_page_with_the_new_export_link(
    reviewer: User, signed_in: Callable[[User], Client]
) -> None:
    # The filter form swaps #audit-results out of the whole page: errors, export link and rows change together.
    record(actor=reviewer, action="compliance.reviewed")
    response = signed_in(reviewer).get(f"{LIST_URL}?action=compliance.reviewed",
                                       headers={"HX-Request": "true", "HX-Target": "audit-results"})
    assert response.status_code == 200
    assert b'id="audit-results"' in response.content
    assert b'href="/audit/export.csv?action=compliance.reviewed"' in response.content
    assert b"compliance.reviewed" in response.content


def test_the_back_button_restoring_history_gets_the_whole_page(
    reviewer: User, signed_in: Callable[[User], Client]
) -> None:
    # htmx asks again for a pushed URL it has no snapshot of; a table fragment would replace the whole page.
    record(actor=reviewer, action="compliance.reviewed")
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Target": "results"}
    response = signed_in(reviewer).get(f"{LIST_URL}?action=compliance.reviewed", headers=headers)
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'class="card audit-filters"' in response.content
    assert b"compliance.reviewed" in response.content


def test_times_are_shown_in_the_practice_time_zone(reviewer: User, signed_in: Callable[[User], Client]) -> None:
    event = record(actor=reviewer, action="compliance.reviewed")
    response = signed_in(reviewer).get(LIST_URL)
    local = event.occurred_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert local.strftime("%Y-%m-%d %H:%M:%S").encode() in response.content
    assert b"America/New_York" in response.content


def test_the_page_needs_the_same_queries_for_5_or_50_rows(
    reviewer: User, desk: User, signed_in: Callable[[User], Client], django_assert_max_num_queries: Any
) -> None:
    client = signed_in(reviewer)
    for number in range(5):
        record(actor=desk, action="patients.viewed", patient_id=number + 1)
    client.get(LIST_URL)  # warm the per-process caches (practice settings, action names)
    with CaptureQueriesContext(connection) as five:
        assert client.get(LIST_URL).status_code == 200
    for number in range(45):
        record(actor=reviewer if number % 2 else desk, action="patients.viewed", patient_id=number + 6)
    assert len(five.captured_queries) < 20
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(LIST_URL)
    assert len(response.context["table"].page) == 50


def test_the_export_streams_the_filtered_rows_in_chain_order(
    reviewer: User, desk: User, signed_in: Callable[[User], Client]
) -> None:
    record(actor=desk, action="patients.viewed", patient_id=41, changed_fields=["phone", "email"])
    record(actor=reviewer, action="compliance.reviewed")
    record(actor=desk, action="patients.viewed", patient_id=42)
    response = signed_in(reviewer).get(f"{EXPORT_URL}?user={desk.pk}")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = csv_rows(response)
    assert rows[0][:4] == ["Seq", "Time (America/New_York)", "User", "Action"]
    assert [(row[0], row[2], row[3], row[6]) for row in rows[1:]] == [
        ("1", "desk", "patients.viewed", "41"), ("3", "desk", "patients.viewed", "42"),
    ]
    assert rows[1][9] == "email,phone"
    assert rows[1][1].endswith(("-05:00", "-04:00"))  # practice-local time with its offset
    assert rows[1][13] == AuditEvent.objects.get(seq=1).hash


def test_the_export_is_audited_with_the_filter_names_only(
    reviewer: User, desk: User, signed_in: Callable[[User], Client]
) -> None:
    record(actor=desk, action="patients.viewed", patient_id=41)
    response = signed_in(reviewer).get(f"{EXPORT_URL}?patient=41&date_from=2020-01-01&action=")
    csv_rows(response)
    exported = AuditEvent.objects.get(action="audit.exported")
    assert (exported.actor, exported.outcome) == (reviewer, Outcome.ALLOWED)
    assert exported.reason == "filters: patient, date_from"
    assert "41" not in exported.reason
    signed_in(reviewer).get(EXPORT_URL)
    assert AuditEvent.objects.filter(action="audit.exported").latest("seq").reason == "filters: none"
    assert verify_chain().ok


def test_the_export_defuses_spreadsheet_formulas(reviewer: User, signed_in: Callable[[User], Client]) -> None:
    record(actor=reviewer, action="=HYPERLINK(\"http://evil\")", object_id="+1+1", reason="-2@x")
    record(actor=reviewer, action="@SUM(A1)", object_type="\tx", reason="plain")
    rows = csv_rows(signed_in(reviewer).get(EXPORT_URL))
    first, second = rows[1], rows[2]
    assert (first[3], first[5], first[10]) == ("'=HYPERLINK(\"http://evil\")", "'+1+1", "'-2@x")
    assert (second[3], second[4], second[10]) == ("'@SUM(A1)", "'\tx", "plain")


def test_csv_cells_are_quoted_only_when_they_start_a_formula() -> None:
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@a", "a=1", "", None, 42)] == \
        ["'=1", "'+1", "'-1", "'@a", "a=1", "", "", "42"]


def test_an_export_with_bad_filters_exports_nothing(reviewer: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(reviewer).get(f"{EXPORT_URL}?date_from=yesterday")
    assert response.status_code == 400
    assert not response.streaming
    assert b"Enter a valid date." in response.content
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
