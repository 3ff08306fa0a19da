"""Regressions from the hiring review: work on a requisition that is not open, far-future dates, live offers left
behind by a stage move, unaudited offer pay, id filters that crashed, the letter's file name, escaped email
subjects and the self-approval rule. Each test fails without its fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Practice
from openpractice.core.selectors import practice_settings_forget, practice_today
from openpractice.workforce.choices import ApplicantStage, InterviewStatus, OfferStatus, RequisitionStatus
from openpractice.workforce.models import Applicant, Employee, Interview, Offer, Requisition
from openpractice.workforce.selectors.hiring import small_id
from openpractice.workforce.selectors.offers import applicant_offer_panel
from openpractice.workforce.services import hiring_applicants, hiring_requisitions
from openpractice.workforce.services import interviews as interview_services
from openpractice.workforce.services import offers as offer_services
from openpractice.workforce.services.hiring_hire import applicant_hire
from openpractice.workforce.services.interviews import Plan

from .factories import PositionFactory
from .factories_hiring import ApplicantFactory, RequisitionFactory
from .route_samples_offers import interviewing_applicant, make_offer

pytestmark = pytest.mark.django_db

NOT_OPEN = [RequisitionStatus.CANCELLED, RequisitionStatus.FILLED, RequisitionStatus.PENDING]


@pytest.fixture
def hr_north(make_user: Any, north: Any) -> Any:
    """workforce.hiring (and so workforce.schedule) at North."""
    return make_user(Role.HR, locations=[north], username="hr-north")


def _close(requisition: Requisition, status: str) -> None:
    Requisition.objects.filter(pk=requisition.pk).update(status=status)


def _plan(interviewer: Any, starts_at: dt.datetime | None = None) -> Plan:
    starts = starts_at or (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    return Plan(kind="in_person", starts_at=starts, duration_minutes=45, location=None, place="Room 2",
                interviewers=[interviewer])


def _interview(applicant: Applicant, interviewer: Any) -> Interview:
    interview = Interview.objects.create(
        applicant=applicant, starts_at=(timezone.now() + dt.timedelta(days=2)).replace(microsecond=0),
        duration_minutes=45, place="Room 2", created_by=applicant.created_by)
    interview.interviewers.set([interviewer])
    return interview


def _terms(**changes: Any) -> dict[str, Any]:
    today = practice_today()
    data: dict[str, Any] = {
        "start_date": today + dt.timedelta(days=21), "pay_basis": "annual", "pay_amount": "48000.00",
        "employment_type": "full_time", "flsa_status": "exempt", "expires_on": today + dt.timedelta(days=5),
        "terms": "",
    }
    data.update(changes)
    return data


def _offer_events(offer: Offer) -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.filter(action="workforce.offer_viewed", object_id=str(offer.pk))
                .values_list("actor_id", "location_id"))


# --- 1. nothing happens on a requisition that is not open ----------------------------------------------------


@pytest.mark.parametrize("status", [RequisitionStatus.CANCELLED, RequisitionStatus.REJECTED])
def test_no_hire_on_a_requisition_that_is_not_open(hr_north: Any, north: Any, status: str) -> None:
    offer = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.ACCEPTED)
    _close(offer.applicant.requisition, status)
    with pytest.raises(ValidationError, match="The requisition is not open"):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert not Employee.objects.exists()
    assert Requisition.objects.get().status == status  # a cancelled requisition is never turned "filled"
    assert Applicant.objects.get().stage == ApplicantStage.OFFER


def test_no_hire_beyond_the_openings(hr_north: Any, north: Any) -> None:
    requisition = RequisitionFactory(location=north, openings=1)
    ApplicantFactory(requisition=requisition, stage=ApplicantStage.HIRED)  # its one opening is taken
    offer = make_offer(interviewing_applicant(north, requisition=requisition, stage=ApplicantStage.OFFER),
                       status=OfferStatus.ACCEPTED)
    with pytest.raises(ValidationError, match="Every opening"):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert not Employee.objects.exists()
    assert Requisition.objects.get().status == RequisitionStatus.OPEN


@pytest.mark.parametrize("status", NOT_OPEN)
def test_no_interview_scheduled_or_moved_on_a_requisition_that_is_not_open(hr_north: Any, north: Any,
                                                                           status: str) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north), stage=ApplicantStage.SCREENING)
    interview = _interview(applicant, hr_north)
    before = list(Interview.objects.values_list("pk", "starts_at", "ical_sequence"))
    _close(applicant.requisition, status)
    with pytest.raises(ValidationError, match="The requisition is not open"):
        interview_services.interview_schedule(actor=hr_north, applicant=applicant, plan=_plan(hr_north))
    with pytest.raises(ValidationError, match="The requisition is not open"):
        interview_services.interview_reschedule(
            actor=hr_north, interview=interview,
            plan=_plan(hr_north, starts_at=interview.starts_at + dt.timedelta(hours=2)))
    assert list(Interview.objects.values_list("pk", "starts_at", "ical_sequence")) == before
    # Cancelling stays possible: the people invited must hear that it is off.
    interview_services.interview_cancel(actor=hr_north, interview=interview, reason="Requisition closed")
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.CANCELLED


@pytest.mark.parametrize("status", NOT_OPEN)
def test_no_offer_made_or_extended_on_a_requisition_that_is_not_open(hr_north: Any, north: Any,
                                                                     status: str) -> None:
    applicant = interviewing_applicant(north)
    draft = make_offer(applicant)
    other = interviewing_applicant(north, requisition=applicant.requisition)
    _close(applicant.requisition, status)
    with pytest.raises(ValidationError, match="The requisition is not open"):
        offer_services.offer_create(actor=hr_north, applicant=other, data=_terms())
    with pytest.raises(ValidationError, match="The requisition is not open"):
        offer_services.offer_extend(actor=hr_north, offer=draft)
    assert list(Offer.objects.values_list("pk", "status")) == [(draft.pk, OfferStatus.DRAFT)]
    assert Applicant.objects.get(pk=applicant.pk).stage == ApplicantStage.INTERVIEW


# --- 2. far-future dates -------------------------------------------------------------------------------------


def test_an_interview_more_than_two_years_ahead_is_refused(hr_north: Any, north: Any) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north), stage=ApplicantStage.SCREENING)
    with pytest.raises(ValidationError) as caught:
        interview_services.interview_schedule(actor=hr_north, applicant=applicant,
                                              plan=_plan(hr_north, timezone.now() + dt.timedelta(days=800)))
    assert "two years" in caught.value.message_dict["starts_at"][0]
    assert not Interview.objects.exists()


def test_year_9999_in_the_interview_form_is_a_form_error_not_a_crash(hr_north: Any, north: Any,
                                                                     signed_in: Any) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north), stage=ApplicantStage.SCREENING)
    interview = _interview(applicant, hr_north)
    client = signed_in(hr_north)
    form = {"kind": "in_person", "starts_at": "9999-12-31T23:59", "duration_minutes": "60", "place": "Room 1",
            "interviewers": [str(hr_north.pk)]}
    for url in (reverse("workforce:applicant_interview_schedule", args=[applicant.pk]),
                reverse("workforce:interview_reschedule", args=[interview.pk])):
        response = client.post(url, form)
        assert response.status_code == 400
        assert "at most two years ahead" in response.content.decode()
    assert Interview.objects.count() == 1


@pytest.mark.parametrize("field", ["start_date", "expires_on"])
def test_offer_dates_more_than_two_years_ahead_are_refused(hr_north: Any, north: Any, field: str) -> None:
    far = practice_today() + dt.timedelta(days=3 * 365)
    changes = {"start_date": far, "expires_on": far} if field == "expires_on" else {"start_date": far}
    with pytest.raises(ValidationError) as caught:
        offer_services.offer_create(actor=hr_north, applicant=interviewing_applicant(north), data=_terms(**changes))
    assert "at most two years ahead" in caught.value.message_dict[field][0]
    assert not Offer.objects.exists()


def test_year_9999_in_the_offer_form_is_a_form_error(hr_north: Any, north: Any, signed_in: Any) -> None:
    applicant = interviewing_applicant(north)
    response = signed_in(hr_north).post(
        reverse("workforce:applicant_offer_create", args=[applicant.pk]),
        {**_terms(), "start_date": "9999-12-31", "expires_on": "9999-12-30"})
    assert response.status_code == 400
    assert "at most two years ahead" in response.content.decode()
    assert not Offer.objects.exists()


# --- 3. a stage move out of the offer stage withdraws the live offer -----------------------------------------


@pytest.mark.parametrize(("offer_status", "to_stage"), [
    (OfferStatus.EXTENDED, ApplicantStage.REJECTED),
    (OfferStatus.ACCEPTED, ApplicantStage.WITHDRAWN),
    (OfferStatus.ACCEPTED, ApplicantStage.INTERVIEW),
])
def test_moving_out_of_the_offer_stage_withdraws_the_live_offer(hr_north: Any, north: Any, offer_status: str,
                                                                to_stage: str) -> None:
    applicant = interviewing_applicant(north, stage=ApplicantStage.OFFER)
    offer = make_offer(applicant, status=offer_status)
    hiring_applicants.applicant_move(actor=hr_north, applicant=applicant, to_stage=to_stage, note="No longer")
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN
    event = AuditEvent.objects.get(action="workforce.offer_withdrawn", object_id=str(offer.pk))
    assert (event.reason, event.location_id, event.actor_id) == (f"applicant moved to {to_stage}", north.pk,
                                                                 hr_north.pk)
    with pytest.raises(ValidationError):
        applicant_hire(actor=hr_north, applicant=Applicant.objects.get(pk=applicant.pk))
    assert not Employee.objects.exists()


def test_an_accepted_offer_off_the_offer_stage_shows_no_hire(hr_north: Any, north: Any, signed_in: Any) -> None:
    # Data from before the fix: an accepted offer whose applicant was moved back to the interview stage.
    offer = make_offer(interviewing_applicant(north, stage=ApplicantStage.INTERVIEW), status=OfferStatus.ACCEPTED)
    client = signed_in(hr_north)
    hire_url = reverse("workforce:offer_hire", args=[offer.pk])
    assert hire_url not in client.get(reverse("workforce:offer_detail", args=[offer.pk])).content.decode()
    assert "offer stage" in client.get(hire_url).content.decode()
    with pytest.raises(ValidationError, match="no longer at the offer stage"):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert not Employee.objects.exists()


# --- 4. showing an offer's pay is audited --------------------------------------------------------------------


def test_offer_pages_record_each_view_of_the_pay(hr_north: Any, north: Any, signed_in: Any) -> None:
    client = signed_in(hr_north)
    draft = make_offer(interviewing_applicant(north))
    accepted = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.ACCEPTED)
    assert client.get(reverse("workforce:offer_detail", args=[draft.pk])).status_code == 200
    assert client.get(reverse("workforce:offer_edit", args=[draft.pk])).status_code == 200
    assert _offer_events(draft) == [(hr_north.pk, north.pk)] * 2
    assert client.get(reverse("workforce:offer_hire", args=[accepted.pk])).status_code == 200
    assert _offer_events(accepted) == [(hr_north.pk, north.pk)]


def test_the_applicant_panel_records_one_view_per_offer_shown(hr_north: Any, make_user: Any, north: Any,
                                                              signed_in: Any) -> None:
    applicant = interviewing_applicant(north, stage=ApplicantStage.OFFER)
    old = make_offer(applicant, status=OfferStatus.DECLINED)
    live = make_offer(applicant, status=OfferStatus.EXTENDED)
    assert signed_in(hr_north).get(reverse("workforce:applicant_detail", args=[applicant.pk])).status_code == 200
    assert _offer_events(old) == _offer_events(live) == [(hr_north.pk, north.pk)]
    # Someone who sees no offers records nothing.
    scheduler = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    assert applicant_offer_panel(actor=scheduler, applicant=applicant) == {"offer_visible": False}
    assert AuditEvent.objects.filter(action="workforce.offer_viewed").count() == 2


# --- 5. id filters ignore what is not a small ASCII number ---------------------------------------------------


@pytest.mark.parametrize("query", [{"location": "²"}, {"q": "REQ-²"}, {"location": "99999999999999999999999"},
                                   {"q": "REQ-99999999999999999999999"}, {"location": "٣"}])
def test_odd_ids_in_the_requisition_list_are_ignored(hr_north: Any, north: Any, signed_in: Any,
                                                     query: dict[str, str]) -> None:
    RequisitionFactory(location=north, position=PositionFactory(title="Medical assistant"))
    response = signed_in(hr_north).get(reverse("workforce:requisition_list"), query)
    assert response.status_code == 200
    if "location" in query:
        assert "Medical assistant" in response.content.decode()


def test_small_id_accepts_only_short_ascii_digits() -> None:
    assert small_id("42") == 42
    assert small_id("123456789") == 123456789
    for value in ("", "1234567890", "²", "٣", "-1", "1.0", " 1"):
        assert small_id(value) is None


# --- 6. the letter's file name and control characters in names -----------------------------------------------


def test_the_letter_file_name_is_plain_ascii(hr_north: Any, north: Any, signed_in: Any) -> None:
    offer = make_offer(interviewing_applicant(north, last_name='Peña "Núñez"; x=1'))
    response = signed_in(hr_north).get(reverse("workforce:offer_letter", args=[offer.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="offer-{offer.pk}-pena-nunez-x1.pdf"'


@pytest.mark.parametrize(("field", "value"), [("first_name", "Ann\x00"), ("last_name", "Lee\r\nBcc: x"),
                                              ("last_name", "Tab\there"), ("first_name", "Del\x7f")])
def test_control_characters_in_names_are_refused(hr_north: Any, north: Any, field: str, value: str) -> None:
    requisition = RequisitionFactory(location=north)
    data = {"first_name": "Casey", "last_name": "Morgan", "email": "casey@applicant.example", "phone": "",
            "source": "job_board", "referred_by": None, "applied_on": practice_today(), "notes": "", field: value}
    with pytest.raises(ValidationError) as caught:
        hiring_applicants.applicant_create(actor=hr_north, requisition=requisition, data=data)
    assert field in caught.value.message_dict
    assert not Applicant.objects.exists()
    applicant = ApplicantFactory(requisition=requisition)
    with pytest.raises(ValidationError):
        hiring_applicants.applicant_update(actor=hr_north, applicant=applicant, data={field: value})
    assert Applicant.objects.get(pk=applicant.pk).first_name.startswith("Casey")


# --- 7. email subjects are plain text ------------------------------------------------------------------------


def test_email_subjects_are_not_html_escaped(hr_north: Any, north: Any, smtp_server: Any,
                                             django_capture_on_commit_callbacks: Any) -> None:
    Practice.objects.update(name="O'Brien & Daughters Dental")
    practice_settings_forget()
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north, position__title="Front desk"),
                                 first_name="Siobhan", last_name="O'Brien", email="siobhan@applicant.example",
                                 stage=ApplicantStage.SCREENING)
    interviewer = UserFactory(email="ana@clinic.example")
    with django_capture_on_commit_callbacks(execute=True):
        interview_services.interview_schedule(actor=hr_north, applicant=applicant, plan=_plan(interviewer),
                                              invite_applicant=True)
    subjects = {message["To"]: str(message["Subject"]) for message in smtp_server.messages}
    assert subjects["ana@clinic.example"].startswith("Interview with Siobhan O'Brien on ")
    assert subjects["siobhan@applicant.example"] == "Your interview with O'Brien & Daughters Dental (Front desk)"
    smtp_server.messages.clear()
    offer = make_offer(interviewing_applicant(north, email="pat@applicant.example"))
    assert offer_services.offer_letter_email(offer_id=offer.pk, actor_id=hr_north.pk)
    assert [str(m["Subject"]) for m in smtp_server.messages] == ["Your offer from O'Brien & Daughters Dental"]


# --- 8. self-approval is the requester's own authority -------------------------------------------------------


def test_an_approver_submitting_someone_elses_draft_sends_it_for_approval(make_user: Any, north: Any) -> None:
    om_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    pm = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    draft = hiring_requisitions.requisition_create(actor=om_mid, data={
        "position": PositionFactory(location=north), "location": north, "openings": 1, "reason": "new",
        "replaces": None, "target_start": None, "pay_min": None, "pay_max": None, "justification": "Evenings.",
        "hiring_manager": None})
    submitted = hiring_requisitions.requisition_submit(actor=pm, requisition=draft)
    assert (submitted.status, submitted.decided_by_id) == (RequisitionStatus.PENDING, None)
    assert not AuditEvent.objects.filter(action="workforce.requisition_approved").exists()
    # pm did not raise it, so pm may decide it.
    approved = hiring_requisitions.requisition_decide(actor=pm, requisition=submitted, approve=True)
    assert approved.status == RequisitionStatus.OPEN
