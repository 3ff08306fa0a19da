"""The front desk report against figures worked out by hand: volume by channel and category, median and 90th
percentile of the first response and resolution times, SLA breaches and their rate, each person's load; a fixed
number of queries whatever the number of messages; managers only."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.core.selectors import practice_timezone_name
from openpractice.frontdesk.choices import Category, Channel
from openpractice.frontdesk.selectors_reports import desk_report
from openpractice.frontdesk.tests import factories_desk as fx

pytestmark = pytest.mark.django_db
desk_north, office_manager, biller, desk_queue = fx.desk_north, fx.office_manager, fx.biller, fx.desk_queue
REPORT = reverse("frontdesk:report")
START, END = dt.date(2025, 3, 3), dt.date(2025, 3, 7)
H = dt.timedelta(hours=1)


def at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


@pytest.fixture
def week(north, south, desk_north, biller, desk_queue):
    """Five North messages received in the week (A–E), one at South, one North message after the week and one
    before it that was closed during it. Service levels: first response within 4 hours, resolution within 48."""
    m = fx.make_message
    return {
        "A": m(location=north, channel=Channel.PHONE, category=Category.APPOINTMENT, received_at=at(3, 9),
               first_response_at=at(3, 10), closed_at=at(3, 11), assignee=desk_north),
        "B": m(location=north, channel=Channel.PHONE, category=Category.BILLING, received_at=at(3, 10),
               first_response_at=at(3, 13), closed_at=at(4, 16), assignee=desk_north),
        "C": m(location=north, channel=Channel.EMAIL, category=Category.BILLING, received_at=at(4, 9),
               first_response_at=at(4, 14), closed_at=at(6, 11), assignee=biller),
        "D": m(location=north, channel=Channel.WEB, category=Category.OTHER, received_at=at(5, 9), assignee=biller),
        "E": m(location=north, channel=Channel.INTERNAL, category=Category.OTHER, received_at=at(6, 9),
               first_response_at=at(6, 11)),
        "F": m(location=south, channel=Channel.PHONE, received_at=at(4, 9), assignee=desk_north),
        "G": m(location=north, channel=Channel.PHONE, received_at=at(10, 9), assignee=desk_north),
        "H": m(location=north, channel=Channel.EMAIL, received_at=at(28, 9, month=2), first_response_at=at(28, 10, 2),
               closed_at=at(4, 10), assignee=biller),
    }


def test_the_report_matches_the_figures_worked_out_by_hand(office_manager, north, week, desk_north, biller):
    report = desk_report(actor=office_manager, start=START, end=END, now=timezone.now(), location_id=north.pk)

    assert report.total == 5
    assert [(row.value, row.count) for row in report.by_channel] == [
        (Channel.PHONE, 2), (Channel.EMAIL, 1), (Channel.WEB, 1), (Channel.INTERNAL, 1)]
    assert [(row.value, row.count) for row in report.by_category] == [
        (Category.BILLING, 2), (Category.OTHER, 2), (Category.APPOINTMENT, 1)]
    # First responses 1, 3, 5, 2 hours -> ordered 1, 2, 3, 5: median 2.5; 90th percentile 3 + 0.7 × 2 = 4.4.
    assert report.first_response.count == 4
    assert report.first_response.median == 2.5 * H
    assert report.first_response.p90 == 4.4 * H
    # Resolutions 2, 30, 50 hours: median 30; 90th percentile 30 + 0.8 × 20 = 46.
    assert report.resolution.count == 3
    assert (report.resolution.median, report.resolution.p90) == (30 * H, 46 * H)
    # First response late: C (5 h) and D (never answered, still open). Resolution late: C (50 h), D and E (open).
    assert (report.first_response_breaches, report.resolution_breaches) == (2, 3)
    assert (report.first_response_breach_rate, report.resolution_breach_rate) == (0.4, 0.6)
    # Load: assigned = received in the week; closed = closed in the week (H too); open now (G too).
    assert [(row.user_id, row.assigned, row.closed, row.open_now) for row in report.load] == [
        (biller.pk, 2, 2, 1), (desk_north.pk, 2, 2, 1)]


def test_the_page_shows_the_figures_and_a_chart_in_constant_queries(signed_in, office_manager, north, week):
    client = signed_in(office_manager)
    query = {"start": START.isoformat(), "end": END.isoformat(), "location": north.pk}

    response = client.get(REPORT, query)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<svg" in text
    assert "Phone call: 2" in text
    for figure in ("2.5", "4.4", "30.0", "46.0", "40%", "60%"):
        assert figure in text
    with CaptureQueriesContext(connection) as few:
        client.get(REPORT, query)
    for day in range(3, 8):
        fx.make_message(location=north, channel=Channel.EMAIL, received_at=at(day, 12),
                        first_response_at=at(day, 13), closed_at=at(day, 15), assignee=office_manager)
    with CaptureQueriesContext(connection) as many:
        assert client.get(REPORT, query).context["report"].total == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_empty_range_reports_zeroes_without_rates(office_manager, north, week):
    report = desk_report(actor=office_manager, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 2),
                         now=timezone.now(), location_id=north.pk)

    assert report.total == 0
    assert report.first_response.median is None
    assert report.resolution.p90 is None
    assert report.first_response_breach_rate is None
    assert report.load[0].open_now >= 1


def test_a_location_the_manager_does_not_run_is_not_offered(signed_in, office_manager, south, week):
    response = signed_in(office_manager).get(REPORT, {"start": START.isoformat(), "end": END.isoformat(),
                                                      "location": south.pk})

    assert response.status_code == 400
    assert "location" in response.context["form"].errors
    assert desk_report(actor=office_manager, start=START, end=END, now=timezone.now(),
                       location_id=south.pk).total == 0


def test_a_range_that_ends_before_it_starts_is_refused(signed_in, office_manager):
    response = signed_in(office_manager).get(REPORT, {"start": "2025-03-07", "end": "2025-03-01"})

    assert response.status_code == 400
    assert "end" in response.context["form"].errors


def test_the_front_desk_may_not_open_the_report(signed_in, desk_north):
    response = signed_in(desk_north).get(REPORT)

    assert response.status_code == 404
    assert fx.denials(desk_north) == 1


def test_the_report_counts_every_message_of_the_readers_locations_not_only_those_routed_to_them(week):
    """Counts, not messages: an auditor (reports everywhere) counts North and South; an office manager at North
    counts North only, whoever the messages were routed to."""
    auditor = user_with_role(Role.AUDITOR)
    north_only = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[week["A"].location])

    assert desk_report(actor=auditor, start=START, end=END, now=timezone.now()).total == 6
    assert desk_report(actor=north_only, start=START, end=END, now=timezone.now()).total == 5
