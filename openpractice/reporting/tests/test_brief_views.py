"""The operations brief's pages: who may open them (404, audited, nothing changed for everyone else), the settings
form (errors shown with 400, nothing saved), the history (queries do not grow with rows), one brief from its
snapshot, its PDF (private, not stored by caches), and sending one now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.tests.smtp import Mailbox
from openpractice.reporting.choices import BriefFrequency, BriefStatus
from openpractice.reporting.models import Brief, BriefSettings
from openpractice.reporting.services_brief import brief_schedule_run

from . import brief_support as fx
from .brief_support import MONDAY_8AM, OUTSIDE, denied, state
from .route_samples_brief import sample_brief

pytestmark = pytest.mark.django_db
brief_settings, chief, office, no_show_fixture = fx.brief_settings, fx.chief, fx.office, fx.no_show_fixture
SignIn = Callable[[User], Client]
Capture = Callable[..., Any]


@pytest.fixture
def stored(brief_settings: BriefSettings, no_show_fixture: None) -> Brief:
    brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    return brief


def _urls(brief: Brief) -> list[tuple[str, str]]:
    return [("get", reverse("reporting:brief_settings")), ("post", reverse("reporting:brief_settings")),
            ("get", reverse("reporting:brief_list")), ("get", reverse("reporting:brief_detail", args=[brief.pk])),
            ("get", reverse("reporting:brief_pdf", args=[brief.pk])), ("post", reverse("reporting:brief_send_now"))]


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.BILLER, Tier.STANDARD),
                                            (Role.OFFICE_MANAGER, Tier.ENTRY), (Role.PRACTICE_MANAGER, Tier.ENTRY),
                                            (Role.AUDITOR, Tier.STANDARD)])
def test_every_brief_page_is_a_404_for_those_without_reports_manage_and_changes_nothing(
        role: str, tier: str, stored: Brief, make_user: Callable[..., User], signed_in: SignIn) -> None:
    user = make_user(role, tier)
    client = signed_in(user)
    before = state()
    for method, url in _urls(stored):
        denials = denied(user)
        data = {"enabled": "on", "frequency": "monthly", "weekday": "3", "hour": "9"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert denied(user) == denials + 1, (method, url)
    assert state() == before


def test_the_pages_open_for_an_office_manager_who_manages_the_brief(
        make_user: Callable[..., User], signed_in: SignIn) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, email="kevin@practice.example")
    brief = sample_brief()
    client = signed_in(manager)
    for method, url in _urls(brief)[:5]:
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_the_settings_form_shows_its_errors_with_400_and_saves_nothing(
        brief_settings: BriefSettings, office: User, signed_in: SignIn) -> None:
    before = state()
    response = signed_in(office).post(reverse("reporting:brief_settings"), {
        "enabled": "on", "frequency": "weekly", "weekday": "9", "hour": "7",
        "extra_recipients": "board@owners.example\nnot-an-address"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Not an email address: not-an-address" in content
    assert "Select a valid choice" in content
    assert state() == before


def test_saving_the_settings_page_makes_the_saver_the_compiler(
        brief_settings: BriefSettings, chief: User, office: User, signed_in: SignIn) -> None:
    response = signed_in(office).post(reverse("reporting:brief_settings"), {
        "enabled": "on", "frequency": "fortnightly", "weekday": "4", "hour": "16",
        "recipients": [str(chief.pk), str(office.pk)], "extra_recipients": OUTSIDE})
    assert response.status_code == 302
    row = BriefSettings.objects.get()
    assert (row.frequency, row.weekday, row.hour, row.updated_by) == (BriefFrequency.FORTNIGHTLY, 4, 16, office)
    assert AuditEvent.objects.filter(action="reporting.brief_settings_saved", actor=office).count() == 1
    page = signed_in(office).get(reverse("reporting:brief_settings")).content.decode()
    assert "Linda Ortiz" in page  # whose permissions compile it
    assert "Friday" in page  # the next scheduled brief


def test_the_settings_page_shows_why_the_last_run_failed(
        brief_settings: BriefSettings, chief: User, office: User, signed_in: SignIn) -> None:
    User.objects.filter(pk=chief.pk).update(is_active=False)
    brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    assert brief.status == BriefStatus.FAILED
    page = signed_in(office).get(reverse("reporting:brief_settings")).content.decode()
    assert "Dana Whitfield" in page
    assert "is no longer active" in page


def test_the_history_costs_the_same_queries_however_many_briefs_it_lists(
        office: User, signed_in: SignIn) -> None:
    client = signed_in(office)
    url = reverse("reporting:brief_list")
    for _index in range(2):
        sample_brief()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _index in range(6):
        sample_brief()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)
    assert response.content.decode().count(reverse("reporting:brief_detail", args=[Brief.objects.first().pk])) == 1


def test_a_brief_page_shows_the_figures_of_its_snapshot(stored: Brief, chief: User, signed_in: SignIn) -> None:
    response = signed_in(chief).get(reverse("reporting:brief_detail", args=[stored.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    for figure in ("25.0%", "20.0%", "Off target"):
        assert figure in content
    assert "Dana Whitfield" in content
    assert "<svg" in content
    assert "Quigley" not in content


def test_the_pdf_downloads_privately(stored: Brief, chief: User, signed_in: SignIn) -> None:
    response = signed_in(chief).get(reverse("reporting:brief_pdf", args=[stored.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == bytes(stored.pdf)
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="reporting.brief_downloaded", actor=chief).count() == 1


def test_a_brief_with_figures_beyond_the_readers_permissions_is_listed_but_not_opened(
        stored: Brief, make_user: Callable[..., User], signed_in: SignIn) -> None:
    assert Perm.REPORTS_FINANCIAL in stored.snapshot["permissions"]  # compiled by a senior practice manager
    mid = make_user(Role.OFFICE_MANAGER, Tier.MID)  # manages the brief, may not see finances
    client = signed_in(mid)
    listing = client.get(reverse("reporting:brief_list")).content.decode()
    assert "Mar 2, 2026 – Mar 8, 2026" in listing
    assert reverse("reporting:brief_detail", args=[stored.pk]) not in listing
    before = state()
    for name in ("reporting:brief_detail", "reporting:brief_pdf"):
        denials = denied(mid)
        assert client.get(reverse(name, args=[stored.pk])).status_code == 404
        assert denied(mid) == denials + 1
    assert state() == before


def test_sending_now_compiles_and_mails_the_last_complete_period(
        smtp_server: Mailbox, brief_settings: BriefSettings, office: User, signed_in: SignIn,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(office).post(reverse("reporting:brief_send_now"))
    brief = Brief.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:brief_detail", args=[brief.pk])
    assert brief.created_by == office
    assert brief.period_end < dt.date.today()
    assert len(smtp_server.messages) == 3
