"""Interview invitations through a real local SMTP server: one message per recipient with a text/calendar part
that parses with icalendar; moving and cancelling send new versions of the same event; a mail server that is down
loses nothing and the page offers "send again"."""

from __future__ import annotations

import datetime as dt
from email.message import Message
from typing import Any

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.tests.smtp import free_port
from openpractice.workforce.choices import ApplicantStage, InterviewStatus
from openpractice.workforce.models import Interview
from openpractice.workforce.services import interviews as services
from openpractice.workforce.services.interviews import Plan

from .factories_hiring import ApplicantFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

START = (timezone.now() + dt.timedelta(days=5)).replace(hour=14, minute=30, second=0, microsecond=0)


@pytest.fixture
def scheduler(make_user: Any, north: Any) -> Any:
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def people() -> list[Any]:
    return [UserFactory(first_name="Ana", last_name="Ruiz"), UserFactory(first_name="Ben", last_name="Cole")]


@pytest.fixture
def applicant(north: Any) -> Any:
    # Another applicant on the same requisition, whose details must never reach this applicant.
    requisition = RequisitionFactory(location=north)
    ApplicantFactory(requisition=requisition, first_name="Other", last_name="Person", email="other@applicant.example")
    return ApplicantFactory(requisition=requisition, first_name="Casey", last_name="Morgan",
                            email="casey@applicant.example", notes="Internal: asked for a high salary",
                            stage=ApplicantStage.SCREENING)


def calendar_of(message: Message) -> tuple[Any, Any, Message]:
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return calendar, events[0], part


def body_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no text part")


def attendees(event: Any) -> set[str]:
    value = event.get("attendee")
    values = value if isinstance(value, list) else [value]
    return {str(item).lower().removeprefix("mailto:") for item in values}


def schedule(scheduler: Any, applicant: Any, people: list[Any], capture: Any, *, invite: bool = True) -> Interview:
    with capture(execute=True):
        return services.interview_schedule(
            actor=scheduler, applicant=applicant, invite_applicant=invite,
            plan=Plan(kind="in_person", starts_at=START, duration_minutes=60, location=None, place="Room 4",
                      interviewers=people))


def test_each_recipient_gets_an_invitation_with_a_calendar_request(
        smtp_server: Any, scheduler: Any, applicant: Any, people: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    interview = schedule(scheduler, applicant, people, django_capture_on_commit_callbacks)
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    assert set(by_recipient) == {people[0].email, people[1].email, "casey@applicant.example"}
    for message in smtp_server.messages:
        calendar, event, part = calendar_of(message)
        assert calendar["method"] == "REQUEST"
        assert part.get_param("method") == "REQUEST"
        assert str(event["uid"]) == f"{interview.ical_uid}@testserver"
        assert int(event["sequence"]) == 0
        assert event.decoded("dtstart") == START.astimezone(dt.UTC)
        assert event.decoded("dtend") == (START + dt.timedelta(minutes=60)).astimezone(dt.UTC)
        assert event.decoded("dtstart").tzinfo is not None
        assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
        assert str(event["location"]) == "Room 4"
        assert str(event["organizer"]).lower() == "mailto:no-reply@openpractice.local"
        assert str(event["status"]) == "CONFIRMED"
    staff_event = calendar_of(by_recipient[people[0].email])[1]
    assert attendees(staff_event) == {people[0].email, people[1].email, "casey@applicant.example"}
    staff_body = body_of(by_recipient[people[0].email])
    assert f"http://testserver{reverse('workforce:interview_detail', kwargs={'interview_id': interview.pk})}" \
        in staff_body
    interview.refresh_from_db()
    assert interview.invitations_sent_at is not None


def test_the_applicant_email_carries_nothing_internal(
        smtp_server: Any, scheduler: Any, applicant: Any, people: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    schedule(scheduler, applicant, people, django_capture_on_commit_callbacks)
    message = next(m for m in smtp_server.messages if m["To"] == "casey@applicant.example")
    raw = message.as_string()
    body = body_of(message)
    _calendar, event, _part = calendar_of(message)
    assert "Other" not in body
    assert "other@applicant.example" not in raw
    assert "high salary" not in raw
    assert people[0].email not in raw
    assert people[1].email not in raw
    assert "/hiring/" not in body  # no link into the staff pages
    assert attendees(event) == {"casey@applicant.example"}
    assert "Casey" in body


def test_the_applicant_is_left_out_unless_invited(
        smtp_server: Any, scheduler: Any, applicant: Any, people: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    schedule(scheduler, applicant, people, django_capture_on_commit_callbacks, invite=False)
    assert {message["To"] for message in smtp_server.messages} == {people[0].email, people[1].email}
    assert "casey@applicant.example" not in attendees(calendar_of(smtp_server.messages[0])[1])


def test_moving_sends_the_next_sequence_and_cancels_for_interviewers_taken_off(
        smtp_server: Any, scheduler: Any, applicant: Any, people: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    interview = schedule(scheduler, applicant, people, django_capture_on_commit_callbacks)
    smtp_server.messages.clear()
    later = START + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_reschedule(
            actor=scheduler, interview=interview, invite_applicant=True,
            plan=Plan(kind="in_person", starts_at=later, duration_minutes=45, location=None, place="Room 5",
                      interviewers=[people[0]]))
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    assert set(by_recipient) == {people[0].email, people[1].email, "casey@applicant.example"}
    calendar, event, _part = calendar_of(by_recipient[people[0].email])
    assert (calendar["method"], int(event["sequence"])) == ("REQUEST", 1)
    assert str(event["uid"]) == f"{interview.ical_uid}@testserver"
    assert event.decoded("dtstart") == later.astimezone(dt.UTC)
    assert str(event["location"]) == "Room 5"
    assert attendees(event) == {people[0].email, "casey@applicant.example"}
    removed_calendar, removed_event, _ = calendar_of(by_recipient[people[1].email])
    assert (removed_calendar["method"], str(removed_event["status"]), int(removed_event["sequence"])) == (
        "CANCEL", "CANCELLED", 1)


def test_cancelling_sends_a_calendar_cancellation(
        smtp_server: Any, scheduler: Any, applicant: Any, people: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    interview = schedule(scheduler, applicant, people, django_capture_on_commit_callbacks)
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_cancel(actor=scheduler, interview=interview, reason="Position on hold",
                                  notify_applicant=True)
    assert len(smtp_server.messages) == 3
    for message in smtp_server.messages:
        calendar, event, part = calendar_of(message)
        assert calendar["method"] == "CANCEL"
        assert part.get_param("method") == "CANCEL"
        assert str(event["status"]) == "CANCELLED"
        assert int(event["sequence"]) == 1
        assert str(event["uid"]) == f"{interview.ical_uid}@testserver"
    to_applicant = next(m for m in smtp_server.messages if m["To"] == "casey@applicant.example")
    assert "Position on hold" not in body_of(to_applicant)  # the internal reason stays with staff
    to_staff = next(m for m in smtp_server.messages if m["To"] == people[0].email)
    assert "Position on hold" in body_of(to_staff)


def test_a_mail_server_that_is_down_keeps_the_interview_and_offers_send_again(
        settings: Any, client: Any, scheduler: Any, applicant: Any, people: list[Any], north: Any,
        django_capture_on_commit_callbacks: Any, smtp_server: Any) -> None:
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    sign_in(client, scheduler)
    url = reverse("workforce:applicant_interview_schedule", kwargs={"applicant_id": applicant.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {
            "kind": "in_person", "starts_at": timezone.localtime(START).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45", "location": str(north.pk), "interviewers": [str(p.pk) for p in people],
            "invite_applicant": "on"}, follow=True)
    interview = Interview.objects.get()
    assert interview.status == InterviewStatus.SCHEDULED
    assert interview.invitations_sent_at is None
    assert b"could not be sent" in response.content
    assert b"Send again" in response.content
    assert AuditEvent.objects.filter(action="interviews.invitations_failed", object_id=str(interview.pk)).exists()
    assert smtp_server.messages == []

    settings.EMAIL_PORT = working_port
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workforce:interview_resend", kwargs={"interview_id": interview.pk}),
                               {"invite_applicant": "on"}, follow=True)
    assert response.status_code == 200
    assert len(smtp_server.messages) == 3
    interview.refresh_from_db()
    assert interview.invitations_sent_at is not None
