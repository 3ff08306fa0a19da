"""Time to hire, time to fill and open requisitions in the workforce reports: figures worked out by hand from a
small fixture, the practice's day deciding (New York), the viewer's hiring locations only, and a page whose query
count does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.workforce.choices import ApplicantStage, RequisitionStatus
from openpractice.workforce.models import Applicant, ApplicantStageChange, Requisition
from openpractice.workforce.selectors.reports import hiring_report

from .factories import PositionFactory
from .factories_hiring import ApplicantFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _requisition(location: Any, position: Any, opened: dt.datetime, *, status: str = RequisitionStatus.FILLED,
                 openings: int = 1) -> Requisition:
    requisition: Requisition = RequisitionFactory.create(location=location, position=position, opened_at=opened,
                                                         status=status, openings=openings)
    return requisition


def _hire(requisition: Requisition, applied_on: dt.date, hired_at: dt.datetime) -> None:
    applicant = ApplicantFactory(requisition=requisition, applied_on=applied_on, stage=ApplicantStage.OFFER,
                                 stage_changed_at=dt.datetime.combine(applied_on, dt.time(15), tzinfo=dt.UTC))
    Applicant.objects.filter(pk=applicant.pk).update(stage=ApplicantStage.HIRED, stage_changed_at=hired_at)
    ApplicantStageChange.objects.create(applicant=applicant, from_stage="offer", to_stage="hired",
                                        changed_by=requisition.requested_by, changed_at=hired_at)


@pytest.fixture
def pipeline(north: Any, south: Any) -> dict[str, Any]:
    assistant = PositionFactory(title="Medical assistant")
    desk = PositionFactory(title="Front desk")
    # Medical assistant, two openings, opened 10 January: hired after 30 and 40 days; filled on 1 March (50 days).
    r1 = _requisition(north, assistant, _utc(2025, 1, 10, 15), openings=2)
    _hire(r1, dt.date(2025, 1, 15), _utc(2025, 2, 14, 15))
    _hire(r1, dt.date(2025, 1, 20), _utc(2025, 3, 1, 15))
    # Front desk, opened 1 April: hired 15 April after 5 days; filled after 14 days.
    r2 = _requisition(north, desk, _utc(2025, 4, 1, 15))
    _hire(r2, dt.date(2025, 4, 10), _utc(2025, 4, 15, 15))
    # Front desk, opened 1 December: hired at 03:00 UTC on 1 January 2026, still 31 December in New York:
    # 20 days to hire, 30 to fill, inside the period.
    r3 = _requisition(north, desk, _utc(2025, 12, 1, 15))
    _hire(r3, dt.date(2025, 12, 11), _utc(2026, 1, 1, 3))
    # Hired before the period: not counted.
    early = _requisition(north, desk, _utc(2024, 11, 1, 15))
    _hire(early, dt.date(2024, 11, 5), _utc(2024, 12, 20, 15))
    # Still open on 31 December: opened 1 June (213 days) and 1 November (60 days).
    _requisition(north, assistant, _utc(2025, 6, 1, 15), status=RequisitionStatus.OPEN)
    _requisition(north, desk, _utc(2025, 11, 1, 15), status=RequisitionStatus.OPEN)
    # South: only a viewer who hires there sees it.
    south_req = _requisition(south, desk, _utc(2025, 5, 1, 15))
    _hire(south_req, dt.date(2025, 5, 2), _utc(2025, 5, 3, 15))
    return {"assistant": assistant, "desk": desk}


def test_time_to_hire_and_fill_worked_out_by_hand(make_user: Any, north: Any, pipeline: dict[str, Any]) -> None:
    report = hiring_report(actor=make_user(Role.HR, locations=[north]), start=START, end=END)
    # To hire: 30, 40, 5, 20 -> median (20 + 30) / 2 = 25.0, average 95 / 4 = 23.75 -> 23.8.
    assert (report.time_to_hire.count, report.time_to_hire.median, report.time_to_hire.average) == (
        4, Decimal("25.0"), Decimal("23.8"))
    # To fill: 50, 14, 30 -> median 30.0, average 94 / 3 = 31.33 -> 31.3.
    assert (report.time_to_fill.count, report.time_to_fill.median, report.time_to_fill.average) == (
        3, Decimal("30.0"), Decimal("31.3"))
    rows = {row.title: row for row in report.by_position}
    assert list(rows) == ["Front desk", "Medical assistant"]
    desk, assistant = rows["Front desk"], rows["Medical assistant"]
    assert (desk.time_to_hire.median, desk.time_to_hire.average) == (Decimal("12.5"), Decimal("12.5"))
    assert (desk.time_to_fill.count, desk.time_to_fill.median) == (2, Decimal("22.0"))
    assert (assistant.time_to_hire.median, assistant.time_to_fill.median) == (Decimal("35.0"), Decimal("50.0"))
    # Open: 213 and 60 days on 31 December -> average 136.5, oldest 213.
    assert (report.open_requisitions, report.open_average_age, report.open_oldest_age) == (2, Decimal("136.5"), 213)


def test_a_requisition_whose_last_hire_comes_later_was_not_filled_in_the_period(make_user: Any, north: Any,
                                                                                 pipeline: dict[str, Any]) -> None:
    report = hiring_report(actor=make_user(Role.HR, locations=[north]), start=START, end=dt.date(2025, 2, 28))
    # Only the first medical assistant hire (30 days); the requisition filled on 1 March.
    assert (report.time_to_hire.count, report.time_to_hire.median) == (1, Decimal("30.0"))
    assert (report.time_to_fill.count, report.time_to_fill.median) == (0, None)


def test_the_viewers_hiring_locations_only(make_user: Any, south: Any, pipeline: dict[str, Any]) -> None:
    report = hiring_report(actor=make_user(Role.HR, locations=[south]), start=START, end=END)
    assert (report.time_to_hire.count, report.time_to_hire.median, report.time_to_fill.median) == (
        1, Decimal("1.0"), Decimal("2.0"))
    assert report.open_requisitions == 0
    everywhere = hiring_report(actor=make_user(Role.HR, username="hr-all"), start=START, end=END)
    assert everywhere.time_to_hire.count == 5


def test_the_report_page_shows_the_section_with_flat_queries(make_user: Any, signed_in: Any, north: Any,
                                                             pipeline: dict[str, Any]) -> None:
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north]))
    url = reverse("workforce:workforce_reports")
    period = {"start": START.isoformat(), "end": END.isoformat()}
    page = client.get(url, period).content.decode()
    assert '<dd id="time-to-hire">25.0 / 23.8</dd>' in page
    assert '<dd id="time-to-fill">30.0 / 31.3</dd>' in page
    assert '<dd id="open-requisitions">2</dd>' in page
    assert '<dd id="turnover">' in page  # the existing sections are still there
    with CaptureQueriesContext(connection) as few:
        client.get(url, period)
    for n in range(6):
        requisition = _requisition(north, PositionFactory(), _utc(2025, 7, 1 + n, 15))
        _hire(requisition, dt.date(2025, 7, 2 + n), _utc(2025, 8, 1 + n, 15))
        _requisition(north, PositionFactory(), _utc(2025, 9, 1 + n, 15), status=RequisitionStatus.OPEN)
    with CaptureQueriesContext(connection) as many:
        assert '<dd id="open-requisitions">8</dd>' in client.get(url, period).content.decode()
    assert len(many) == len(few)
