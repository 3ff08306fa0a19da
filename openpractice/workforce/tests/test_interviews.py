"""Interviews: scheduling (stage move, past times, interviewers, conflicts), moving, cancelling, closing, the
pages, and every refusal changing nothing and being audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.workforce.choices import ApplicantStage, InterviewStatus
from openpractice.workforce.models import Applicant, ApplicantStageChange, Interview
from openpractice.workforce.selectors.interviews import applicant_interview_panel, my_interviews
from openpractice.workforce.services import interviews as services
from openpractice.workforce.services.interviews import Plan

from .factories_hiring import ApplicantFactory, RequisitionFactory
from .route_samples_interviews import make_interview

pytestmark = pytest.mark.django_db


def soon(days: int = 3, hour: int = 15) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def plan(interviewers: list[Any], *, starts_at: dt.datetime | None = None, location: Any = None,
         place: str = "Room 2", minutes: int = 45) -> Plan:
    return Plan(kind="in_person", starts_at=starts_at or soon(), duration_minutes=minutes, location=location,
                place=place, interviewers=interviewers)


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


def state() -> tuple[Any, ...]:
    return (list(Interview.objects.values_list("pk", "status", "starts_at", "ical_sequence")),
            list(Applicant.objects.values_list("pk", "stage")), ApplicantStageChange.objects.count())


@pytest.fixture
def scheduler(make_user: Any, north: Any) -> Any:
    """An entry office manager at North: workforce.schedule, not workforce.hiring."""
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def applicant(north: Any) -> Applicant:
    return ApplicantFactory(requisition=RequisitionFactory(location=north), stage=ApplicantStage.SCREENING)


# --- scheduling ----------------------------------------------------------------------------------------------


def test_scheduling_the_first_interview_moves_the_applicant_to_interviewing(scheduler: Any, applicant: Applicant,
                                                                            north: Any) -> None:
    panel = UserFactory()
    interview = services.interview_schedule(actor=scheduler, applicant=applicant,
                                            plan=plan([panel], location=north))
    applicant.refresh_from_db()
    assert applicant.stage == ApplicantStage.INTERVIEW
    assert list(interview.interviewers.all()) == [panel]
    change = ApplicantStageChange.objects.filter(applicant=applicant).latest("pk")
    assert (change.from_stage, change.to_stage, change.changed_by) == ("screening", "interview", scheduler)
    assert AuditEvent.objects.filter(action="interviews.scheduled", object_id=str(interview.pk)).exists()


def test_a_second_interview_leaves_the_stage_alone(scheduler: Any, applicant: Applicant) -> None:
    services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()]))
    changes = ApplicantStageChange.objects.filter(applicant=applicant).count()
    services.interview_schedule(actor=scheduler, applicant=applicant,
                                plan=plan([UserFactory()], starts_at=soon(days=5)))
    assert ApplicantStageChange.objects.filter(applicant=applicant).count() == changes
    assert Interview.objects.filter(applicant=applicant).count() == 2


@pytest.mark.parametrize("stage", [ApplicantStage.OFFER, ApplicantStage.REJECTED, ApplicantStage.HIRED])
def test_no_interview_for_an_applicant_past_the_interview_stages(scheduler: Any, north: Any, stage: str) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north), stage=stage)
    with pytest.raises(ValidationError):
        services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()]))
    assert not Interview.objects.exists()


def test_a_start_in_the_past_is_refused(scheduler: Any, applicant: Applicant) -> None:
    with pytest.raises(ValidationError) as caught:
        services.interview_schedule(actor=scheduler, applicant=applicant,
                                    plan=plan([UserFactory()], starts_at=timezone.now() - dt.timedelta(hours=1)))
    assert "starts_at" in caught.value.message_dict
    assert not Interview.objects.exists()


def test_interviewers_are_required_and_must_be_active(scheduler: Any, applicant: Applicant) -> None:
    with pytest.raises(ValidationError) as caught:
        services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([]))
    assert "interviewers" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.interview_schedule(actor=scheduler, applicant=applicant,
                                    plan=plan([UserFactory(is_active=False)]))
    assert "interviewers" in caught.value.message_dict
    assert not Interview.objects.exists()


def test_a_location_the_scheduler_does_not_reach_is_refused(scheduler: Any, applicant: Applicant,
                                                            south: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()], location=south))
    assert "location" in caught.value.message_dict


def test_an_overlapping_interview_is_a_warning_the_user_confirms(scheduler: Any, applicant: Applicant,
                                                                 north: Any) -> None:
    busy = UserFactory()
    other = make_interview(location=north, interviewer=busy)
    Interview.objects.filter(pk=other.pk).update(starts_at=soon())
    overlapping = plan([busy], starts_at=soon() + dt.timedelta(minutes=30))
    with pytest.raises(ValidationError) as caught:
        services.interview_schedule(actor=scheduler, applicant=applicant, plan=overlapping)
    assert "confirm_conflicts" in caught.value.message_dict
    assert Interview.objects.count() == 1
    interview = services.interview_schedule(actor=scheduler, applicant=applicant, plan=overlapping,
                                            confirm_conflicts=True)
    assert interview.pk


def test_back_to_back_interviews_do_not_conflict(north: Any) -> None:
    busy: Any = UserFactory()
    other = make_interview(location=north, interviewer=busy)
    Interview.objects.filter(pk=other.pk).update(starts_at=soon(), duration_minutes=45)
    assert services.conflicts(interviewers=[busy], starts_at=soon() + dt.timedelta(minutes=45),
                              duration_minutes=30) == []
    assert len(services.conflicts(interviewers=[busy], starts_at=soon() - dt.timedelta(minutes=10),
                                  duration_minutes=30)) == 1


# --- moving, cancelling, closing -----------------------------------------------------------------------------


def test_rescheduling_bumps_the_sequence(scheduler: Any, applicant: Applicant) -> None:
    interview = services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()]))
    new_panel = [UserFactory()]
    moved = services.interview_reschedule(actor=scheduler, interview=interview,
                                          plan=plan(new_panel, starts_at=soon(days=4)))
    assert moved.ical_sequence == 1
    assert moved.starts_at == soon(days=4)
    assert list(moved.interviewers.all()) == new_panel
    same = services.interview_reschedule(actor=scheduler, interview=moved,
                                         plan=plan(new_panel, starts_at=soon(days=4)))
    assert same.ical_sequence == 1  # nothing changed: no new version


def test_cancelling_needs_a_reason(scheduler: Any, applicant: Applicant) -> None:
    interview = services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()]))
    with pytest.raises(ValidationError):
        services.interview_cancel(actor=scheduler, interview=interview, reason=" ")
    cancelled = services.interview_cancel(actor=scheduler, interview=interview, reason="Applicant withdrew")
    assert (cancelled.status, cancelled.ical_sequence) == (InterviewStatus.CANCELLED, 1)
    event = AuditEvent.objects.get(action="interviews.cancelled")
    assert event.reason == "Applicant withdrew"
    with pytest.raises(ValidationError):
        services.interview_reschedule(actor=scheduler, interview=cancelled, plan=plan([UserFactory()]))


def test_held_or_no_show_only_once_started(scheduler: Any, applicant: Applicant) -> None:
    interview = services.interview_schedule(actor=scheduler, applicant=applicant, plan=plan([UserFactory()]))
    with pytest.raises(ValidationError):
        services.interview_close(actor=scheduler, interview=interview, status=InterviewStatus.COMPLETED)
    later = interview.starts_at + dt.timedelta(hours=1)
    closed = services.interview_close(actor=scheduler, interview=interview, status=InterviewStatus.NO_SHOW, now=later)
    assert closed.status == InterviewStatus.NO_SHOW
    with pytest.raises(ValidationError):
        services.interview_close(actor=scheduler, interview=closed, status=InterviewStatus.COMPLETED, now=later)


# --- refusals ------------------------------------------------------------------------------------------------


def test_a_biller_cannot_schedule_and_nothing_changes(make_user: Any, applicant: Applicant) -> None:
    biller = make_user(Role.BILLER)
    before = state()
    with pytest.raises(PermissionDenied):
        services.interview_schedule(actor=biller, applicant=applicant, plan=plan([UserFactory()]))
    assert state() == before
    assert denials(biller) == 1


def test_a_north_scheduler_cannot_touch_a_south_interview(scheduler: Any, south: Any) -> None:
    interview = make_interview(location=south, interviewer=UserFactory())
    before = state()
    for call in (
        lambda: services.interview_reschedule(actor=scheduler, interview=interview,
                                              plan=plan([UserFactory()], starts_at=soon(days=9))),
        lambda: services.interview_cancel(actor=scheduler, interview=interview, reason="No"),
        lambda: services.interview_close(actor=scheduler, interview=interview, status="completed"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert state() == before
    assert denials(scheduler) == 3


def test_an_interviewer_alone_cannot_reschedule(north: Any, make_user: Any) -> None:
    panel = make_user(Role.FRONT_DESK, locations=[north])
    interview = make_interview(location=north, interviewer=panel)
    before = state()
    with pytest.raises(PermissionDenied):
        services.interview_cancel(actor=panel, interview=interview, reason="Busy")
    assert state() == before
    assert denials(panel) == 1


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_schedule_page_schedules_and_redirects(client: Any, scheduler: Any, applicant: Applicant,
                                                   north: Any, django_capture_on_commit_callbacks: Any) -> None:
    panel = UserFactory()
    sign_in(client, scheduler)
    url = reverse("workforce:applicant_interview_schedule", kwargs={"applicant_id": applicant.pk})
    assert client.get(url).status_code == 200
    local = timezone.localtime(soon(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "video", "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
                                     "duration_minutes": "30", "location": str(north.pk), "place": "Teams link",
                                     "interviewers": [str(panel.pk)]})
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk})
    assert interview.kind == "video"
    assert interview.duration_minutes == 30


def test_a_biller_opening_an_interview_gets_404_audited(client: Any, make_user: Any, north: Any) -> None:
    interview = make_interview(location=north, interviewer=UserFactory())
    biller = make_user(Role.BILLER)
    sign_in(client, biller)
    for name in ("interview_detail", "interview_scorecard"):
        response = client.get(reverse(f"workforce:{name}", kwargs={"interview_id": interview.pk}))
        assert response.status_code == 404
    assert denials(biller) == 2


def test_a_north_only_user_does_not_see_a_south_interview(client: Any, scheduler: Any, south: Any) -> None:
    interview = make_interview(location=south, interviewer=UserFactory())
    sign_in(client, scheduler)
    before = state()
    assert client.get(reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk})).status_code == 404
    response = client.post(reverse("workforce:interview_cancel", kwargs={"interview_id": interview.pk}),
                           {"reason": "No"})
    assert response.status_code == 404
    assert state() == before
    assert denials(scheduler) == 2


def test_an_interviewer_opens_their_interview_whatever_their_role(client: Any, make_user: Any, north: Any) -> None:
    provider = make_user(Role.PROVIDER, locations=[north])
    interview = make_interview(location=north, interviewer=provider)
    sign_in(client, provider)
    response = client.get(reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}))
    assert response.status_code == 200
    assert b"Submit my scorecard" in response.content
    assert reverse("workforce:interview_reschedule", kwargs={"interview_id": interview.pk}).encode() \
        not in response.content


def test_my_interviews_lists_upcoming_first_with_a_scorecard_link(client: Any, make_user: Any, north: Any) -> None:
    me = make_user(Role.FRONT_DESK, locations=[north])
    later = make_interview(location=north, interviewer=me, days_ahead=9)
    sooner = make_interview(location=north, interviewer=me, days_ahead=2)
    past = make_interview(location=north, interviewer=me, days_ahead=-3)
    make_interview(location=north, interviewer=UserFactory())  # not mine
    upcoming, earlier = my_interviews(actor=me)
    assert [row.pk for row in upcoming] == [sooner.pk, later.pk]
    assert [row.pk for row in earlier] == [past.pk]
    sign_in(client, me)
    response = client.get(reverse("workforce:my_interviews"))
    assert response.status_code == 200
    assert reverse("workforce:interview_scorecard", kwargs={"interview_id": sooner.pk}).encode() in response.content


def _queries(callable_: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_my_interviews_query_count_does_not_grow(client: Any, make_user: Any, north: Any) -> None:
    me = make_user(Role.FRONT_DESK, locations=[north])
    make_interview(location=north, interviewer=me)
    sign_in(client, me)
    url = reverse("workforce:my_interviews")
    client.get(url)
    few = _queries(lambda: client.get(url))
    for days in range(2, 8):
        make_interview(location=north, interviewer=me, days_ahead=days)
    assert _queries(lambda: client.get(url)) == few


def test_the_applicant_panel_query_count_does_not_grow(make_user: Any, north: Any) -> None:
    from openpractice.workforce.choices import Recommendation
    from openpractice.workforce.models import Scorecard, ScorecardCriterion, ScorecardRating

    hiring = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    applicant: Any = ApplicantFactory(requisition=RequisitionFactory(location=north),
                                      stage=ApplicantStage.INTERVIEW)
    criterion = ScorecardCriterion.objects.filter(position__isnull=True).first()
    assert criterion is not None

    def add_interview() -> None:
        interview = Interview.objects.create(applicant=applicant, starts_at=soon(), created_by=hiring,
                                             place="Room")
        people = [UserFactory(), UserFactory()]
        interview.interviewers.set(people)
        for person in people:
            card = Scorecard.objects.create(interview=interview, interviewer=person, recommendation=Recommendation.YES)
            ScorecardRating.objects.create(scorecard=card, criterion=criterion, rating=4)

    add_interview()
    applicant = Applicant.objects.select_related("requisition").get(pk=applicant.pk)
    panel = applicant_interview_panel(actor=hiring, applicant=applicant)
    assert panel["interview_may_schedule"]
    assert panel["interview_rows"][0].scorecards.summary.count == 2
    few = _queries(lambda: applicant_interview_panel(actor=hiring, applicant=applicant))
    for _ in range(4):
        add_interview()
    assert _queries(lambda: applicant_interview_panel(actor=hiring, applicant=applicant)) == few
    assert len(applicant_interview_panel(actor=hiring, applicant=applicant)["interview_rows"]) == 5


def test_the_panel_renders_the_schedule_link_and_the_interviews(make_user: Any, north: Any) -> None:
    from django.template.loader import render_to_string

    scheduler = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    interview = make_interview(location=north, interviewer=UserFactory(first_name="Pat", last_name="Lee"))
    applicant = Applicant.objects.select_related("requisition").get(pk=interview.applicant_id)
    html = render_to_string("workforce/interviews/_applicant_panel.html",
                            applicant_interview_panel(actor=scheduler, applicant=applicant))
    assert reverse("workforce:applicant_interview_schedule", kwargs={"applicant_id": applicant.pk}) in html
    assert reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}) in html
    assert "Pat Lee" in html
    biller = make_user(Role.BILLER)
    assert applicant_interview_panel(actor=biller, applicant=applicant)["interview_rows"] == []
    assert applicant_interview_panel(actor=biller, applicant=applicant)["interview_may_schedule"] is False


def test_the_applicant_page_shows_the_interview_panel(client: Any, make_user: Any, north: Any) -> None:
    hiring = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    interview = make_interview(location=north, interviewer=UserFactory())
    sign_in(client, hiring)
    response = client.get(reverse("workforce:applicant_detail", kwargs={"applicant_id": interview.applicant_id}))
    assert response.status_code == 200
    assert reverse("workforce:applicant_interview_schedule",
                   kwargs={"applicant_id": interview.applicant_id}).encode() in response.content
    assert reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}).encode() in response.content
