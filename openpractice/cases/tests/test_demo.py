"""The demo practice has cases: a dozen and more complaints and grievances across the categories, both kinds, every
status and a year of ages; two overdue cases escalated by the daily run and a confidential harassment grievance
escalated by hand; a privacy complaint with its incident; a billing dispute resolved with its letters. All of it
went through the services (audit events, timelines in order, no stamp in the future). Seeding again adds nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from openpractice.accounts.demo import DEMO_PEOPLE
from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.cases import selectors, selectors_reports
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, EntryKind, LetterKind
from openpractice.cases.demo import seed_cases
from openpractice.cases.models import Case, CaseEntry, CaseLetter
from openpractice.compliance.models import Incident
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_today

pytestmark = pytest.mark.django_db


def _demo() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Case, CaseEntry, CaseLetter, Incident, AuditEvent)}


def test_the_cases_cover_the_categories_kinds_statuses_and_ages() -> None:
    _demo()
    today = practice_today()
    cases = list(Case.objects.select_related("category"))
    assert len(cases) >= 12
    assert {case.kind for case in cases} == {CaseKind.PATIENT, CaseKind.STAFF}
    assert len({case.category_id for case in cases}) >= 8
    assert {case.status for case in cases} == set(CaseStatus.values)
    assert len({case.location_id for case in cases}) == 3
    ages = [(today - case.received_on).days for case in cases if case.is_open]
    assert min(ages) <= 7
    assert max(ages) > 30
    assert max((today - case.received_on).days for case in cases) > 270  # a year of trends
    assert min((today - case.received_on).days for case in cases) <= 2  # ages count from today
    assert all(case.category.kind == case.kind for case in cases)
    # Through the services: one filing event per case, by the person who filed it.
    filed = AuditEvent.objects.filter(action="cases.case_filed")
    assert sorted(filed.values_list("object_id", flat=True)) == sorted(str(case.pk) for case in cases)
    for case in cases:
        assert filed.get(object_id=str(case.pk)).actor_id == case.filed_by_id


def test_overdue_cases_are_escalated_and_one_confidential_grievance_by_hand() -> None:
    _demo()
    today = practice_today()
    overdue = Case.objects.filter(selectors.overdue_condition(today))
    assert overdue.count() >= 3
    assert not overdue.filter(escalated_at__isnull=True).exists()  # the daily run left none behind
    by_the_run = CaseEntry.objects.filter(kind=EntryKind.ESCALATED, author__isnull=True)
    assert by_the_run.count() == 2
    by_hand = Case.objects.get(escalated_at__isnull=False, kind=CaseKind.STAFF)
    assert by_hand.confidentiality == Confidentiality.CONFIDENTIAL
    assert by_hand.category.name == "Harassment or discrimination"
    assert by_hand.employee is not None
    assert by_hand.employee.user_id == by_hand.filed_by_id  # their own grievance
    assert by_hand.assignee is not None
    assert by_hand.assignee.username == "hr"
    assert by_hand.entries.get(kind=EntryKind.ESCALATED).author_id == by_hand.assignee_id
    # Confidential: HR and the senior practice manager see it, the advanced practice manager does not.
    senior, advanced = User.objects.get(username="pm_senior"), User.objects.get(username="pm_advanced")
    assert selectors.may_view(senior, by_hand)
    assert not selectors.may_view(advanced, by_hand)
    for case in Case.objects.filter(escalated_at__isnull=False):
        assert case.escalated_at is not None
        assert timezone.localdate(case.escalated_at) <= today


def test_a_privacy_complaint_opened_its_incident() -> None:
    _demo()
    complaint = Case.objects.get(category__name="Privacy complaint", status__in=[CaseStatus.NEW,
                                                                                  CaseStatus.ACKNOWLEDGED])
    assert complaint.confidentiality == Confidentiality.CONFIDENTIAL
    assert complaint.patient is not None
    assert complaint.incident is not None
    assert complaint.number in complaint.incident.title
    assert complaint.narrative not in complaint.incident.description  # the log holds a pointer, not the words


def test_a_billing_dispute_was_resolved_with_its_letters_and_closed() -> None:
    _demo()
    letter = CaseLetter.objects.get(kind=LetterKind.RESOLUTION)
    case = letter.case
    assert case.status == CaseStatus.CLOSED
    assert case.claim is not None
    assert case.claim.patient_id == case.patient_id
    assert letter.body == case.resolution
    assert case.complainant_contact in letter.recipient
    assert case.letters.filter(kind=LetterKind.ACKNOWLEDGEMENT).exists()
    assert case.acknowledged_at is not None
    assert case.resolved_at is not None
    assert case.closed_at is not None
    assert case.acknowledged_at < case.resolved_at < case.closed_at
    assert timezone.localdate(case.resolved_at) <= case.resolve_due_on


def test_timelines_run_in_order_from_the_day_received() -> None:
    _demo()
    now = timezone.now()
    for case in Case.objects.all():
        entries = selectors.timeline(case)
        assert entries[0].kind == EntryKind.STATUS
        assert timezone.localdate(entries[0].created_at) == case.received_on
        stamps = [entry.created_at for entry in entries]
        assert stamps == sorted(stamps), case.subject
        assert all(stamp <= now for stamp in stamps)
        if case.resolved_at is not None:
            assert case.received_on <= timezone.localdate(case.resolved_at) <= practice_today()


def test_the_reports_have_something_to_show() -> None:
    _demo()
    today = practice_today()
    senior = User.objects.get(username="pm_senior")
    _rows, totals = selectors.open_by_age(actor=senior, today=today)
    assert sum(totals) == Case.objects.filter(status__in=[CaseStatus.NEW, CaseStatus.ACKNOWLEDGED]).count()
    assert len([count for count in totals if count]) >= 2
    assert selectors_reports.overdue_count(actor=senior, today=today) >= 3
    resolved = selectors_reports.resolve_times(actor=senior, today=today)
    assert len(resolved) >= 3
    starts, trend_rows = selectors.trends(actor=senior, today=today)
    assert len([index for index in range(len(starts)) if any(row.received[index] for row in trend_rows)]) >= 5


def test_seeding_cases_again_adds_nothing() -> None:
    _demo()
    before = _counts()
    context: dict[str, Any] = {
        "practice": Practice.objects.get(),
        "locations": {location.code: location for location in Location.objects.all()},
        "users": {user.username: user for user in User.objects.filter(
            username__in=[person.username for person in DEMO_PEOPLE])},
        "report": [],
    }
    seed_cases(context)
    assert _counts() == before
    assert context["report"] == ["cases: already seeded, nothing added"]

