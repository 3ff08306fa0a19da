"""Appointment reminders: the background task, the email over real SMTP, the signed confirm / cancel links and
the policy page."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox
from openpractice.core.tests.smtp import free_port as _free_port
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import reminders
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, ReminderPolicy
from openpractice.scheduling.tasks import send_appointment_reminders
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

pytestmark = pytest.mark.django_db

PRACTICE_ZONE = zoneinfo.ZoneInfo("America/New_York")  # PracticeFactory's time zone


@pytest.fixture
def make_appointment(north: Location) -> Callable[..., Appointment]:
    provider = ProviderFactory(first_name="Dana", last_name="Okafor", locations=[north])

    def make(*, hours_ahead: float = 10, email: str = "pat@example.test", **fields: Any) -> Appointment:
        start = (timezone.now() + dt.timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
        patient = PatientFactory(home_location=north, email=email, last_name="Quintrell")
        return AppointmentFactory(patient=patient, provider=provider, location=north, starts_at=start, **fields)

    return make


def _text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def _link_paths(text: str) -> list[str]:
    return re.findall(r"https?://[^/\s]+(/schedule/reminder/[^/\s]+/)", text)


def _confirm_path(appointment: Appointment) -> str:
    return reverse("scheduling:reminder_respond",
                   kwargs={"token": reminders.reminder_token(appointment=appointment, action="confirm")})


def _cancel_path(appointment: Appointment) -> str:
    return reverse("scheduling:reminder_respond",
                   kwargs={"token": reminders.reminder_token(appointment=appointment, action="cancel")})


# --- the email over real SMTP ----------------------------------------------------------------------------------

def test_the_reminder_arrives_over_smtp_in_practice_time_and_its_confirm_link_confirms_the_visit(
    smtp_server: Mailbox, make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=10)

    sent = send_appointment_reminders.call_local()

    assert sent == 1
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "pat@example.test"
    body = _text_part(message)
    local = appointment.starts_at.astimezone(PRACTICE_ZONE)
    assert local.strftime("%-I:%M %p") in body
    assert "America/New_York" in body
    assert "Dana Okafor, MD" in body
    assert "North Clinic" in body
    assert "Quintrell" not in body + str(message["Subject"])
    confirm_path, cancel_path = _link_paths(body)
    # The link carries the appointment's id, the action and a keyed fingerprint of the time (signed, not
    # secret): no PHI, and not the date itself.
    payload = signing.loads(confirm_path.split("/")[3], salt=reminders.SIGNING_SALT)
    assert set(payload) == {"a", "x", "t"}
    assert (payload["a"], payload["x"]) == (appointment.pk, "confirm")
    assert str(int(appointment.starts_at.timestamp())) not in str(payload)

    client = Client(enforce_csrf_checks=True)  # as a browser would: the form's CSRF token must work
    page = client.get(confirm_path)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Dana Okafor, MD" in content
    assert "North Clinic" in content
    assert "Quintrell" not in content
    assert appointment.patient.account_number not in content
    appointment.refresh_from_db()
    assert appointment.confirmed_at is None  # opening the page confirms nothing

    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert csrf is not None
    done = client.post(confirm_path, {"csrfmiddlewaretoken": csrf.group(1)})

    assert done.status_code == 200
    appointment.refresh_from_db()
    assert appointment.confirmed_at is not None
    assert appointment.reminder_sent_at is not None
    assert appointment.status == AppointmentStatus.BOOKED
    event = AuditEvent.objects.get(action="appointment.confirmed")
    assert event.actor_id is None
    assert event.patient_id == appointment.patient_id
    assert AuditEvent.objects.filter(action="appointment.reminder_sent", patient_id=appointment.patient_id).count() == 1
    assert cancel_path != confirm_path


def test_running_the_task_twice_sends_the_reminder_once(
    smtp_server: Mailbox, make_appointment: Callable[..., Appointment],
) -> None:
    make_appointment(hours_ahead=5)

    assert send_appointment_reminders.call_local() == 1
    assert send_appointment_reminders.call_local() == 0

    assert len(smtp_server.messages) == 1


def test_a_reminder_already_claimed_by_another_worker_is_not_sent_again(
    make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=5)

    assert reminders.reminder_send(appointment_id=appointment.pk) is True
    assert reminders.reminder_send(appointment_id=appointment.pk) is False

    assert len(mail.outbox) == 1


def test_when_the_mail_server_is_down_the_claim_is_released_for_the_next_run(
    settings: Any, make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=5)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2

    assert reminders.reminder_send(appointment_id=appointment.pk) is False

    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None
    assert not AuditEvent.objects.filter(action="appointment.reminder_sent").exists()


def test_only_booked_visits_inside_the_window_whose_patient_has_an_email_are_reminded(
    make_appointment: Callable[..., Appointment],
) -> None:
    due = make_appointment(hours_ahead=23)
    make_appointment(hours_ahead=30)  # outside the 24-hour window
    make_appointment(hours_ahead=3, email="")  # nowhere to send it
    make_appointment(hours_ahead=3, status=AppointmentStatus.CANCELLED, cancel_reason="patient called")
    make_appointment(hours_ahead=-1)  # already started
    make_appointment(hours_ahead=3, reminder_sent_at=timezone.now())

    assert reminders.reminders_due(now=timezone.now()) == [due.pk]


def test_the_policy_window_and_switch_decide_what_is_due(
    make_user: Callable[..., User], make_appointment: Callable[..., Appointment],
) -> None:
    manager = make_user(Role.FRONT_DESK, username="desk-all")
    later = make_appointment(hours_ahead=40)
    reminders.reminder_policy_update(actor=manager, enabled=True, hours_before=48)
    assert reminders.reminders_due(now=timezone.now()) == [later.pk]

    reminders.reminder_policy_update(actor=manager, enabled=False, hours_before=48)
    assert reminders.reminders_due(now=timezone.now()) == []
    assert send_appointment_reminders.call_local() == 0
    assert mail.outbox == []


# --- the links -------------------------------------------------------------------------------------------------

def test_the_cancel_link_cancels_the_visit_with_the_patients_reason(
    client: Client, make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=10)

    response = client.post(_cancel_path(appointment))

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "cancelled by patient via reminder link"
    event = AuditEvent.objects.get(action="appointment.cancelled")
    assert event.actor_id is None
    assert event.patient_id == appointment.patient_id
    # The link has done its work: using it again changes nothing and says so.
    assert client.post(_cancel_path(appointment)).status_code == 410
    assert client.post(_confirm_path(appointment)).status_code == 410
    appointment.refresh_from_db()
    assert appointment.confirmed_at is None


def _state(appointment: Appointment) -> tuple[Any, ...]:
    appointment.refresh_from_db()
    return appointment.status, appointment.cancel_reason, appointment.confirmed_at


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_and_changes_nothing(
    client: Client, make_appointment: Callable[..., Appointment], method: str,
) -> None:
    appointment = make_appointment(hours_ahead=10)
    other = make_appointment(hours_ahead=12)
    token = reminders.reminder_token(appointment=appointment, action="confirm")
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        signing.dumps({"a": other.pk, "x": "cancel"}, salt="another-purpose"),  # signed for something else
        signing.dumps({"a": other.pk, "x": "cancel"}, key="not-our-secret-key", salt=reminders.SIGNING_SALT),
        signing.dumps({"a": other.pk, "x": "delete"}, salt=reminders.SIGNING_SALT),  # unknown action
        "not-a-token",
    ]
    before = (_state(appointment), _state(other))
    events = AuditEvent.objects.count()

    for bad in forged:
        response = getattr(client, method)(reverse("scheduling:reminder_respond", kwargs={"token": bad}))
        assert response.status_code == 400, bad
        assert "not recognised" in response.content.decode()

    assert (_state(appointment), _state(other)) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_stops_working_when_the_appointment_starts(
    client: Client, make_appointment: Callable[..., Appointment], method: str,
) -> None:
    appointment = make_appointment(hours_ahead=1)
    path = _confirm_path(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5), ends_at=timezone.now() + dt.timedelta(minutes=25))

    response = getattr(client, method)(path)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert _state(appointment)[2] is None


def test_a_link_older_than_the_longest_reminder_window_has_expired(
    make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=10)
    token = reminders.reminder_token(appointment=appointment, action="confirm")
    # The same link, stamped as if made a week and two days ago: the signature's own age limit refuses it.
    signer = signing.TimestampSigner(salt=reminders.SIGNING_SALT)
    value, stamp, _signature = token.rsplit(":", 2)
    old = signing.b62_encode(signing.b62_decode(stamp) - int(reminders.LINK_MAX_AGE.total_seconds()) - 60)
    unsigned = f"{value}:{old}"
    aged_token = f"{unsigned}:{signer.signature(unsigned)}"
    assert reminders.reminder_link_read(token=token).appointment == appointment

    with pytest.raises(reminders.ReminderLinkError) as refused:
        reminders.reminder_link_read(token=aged_token)

    assert refused.value.status == 410


# --- the policy page -------------------------------------------------------------------------------------------

def test_a_schedule_manager_at_every_location_sets_the_policy_and_it_is_audited(
    signed_in: Callable[[User], Client], make_user: Callable[..., User],
) -> None:
    desk = make_user(Role.FRONT_DESK, username="desk-all")
    client = signed_in(desk)
    assert client.get(reverse("scheduling:reminder_settings")).status_code == 200

    response = client.post(reverse("scheduling:reminder_settings"), {"enabled": "on", "hours_before": "36"})

    assert response.status_code == 302
    policy = ReminderPolicy.objects.get()
    assert (policy.enabled, policy.hours_before) == (True, 36)
    event = AuditEvent.objects.get(action="reminder_policy.updated")
    assert event.actor_id == desk.pk
    assert event.changed_field_list == ["hours_before"]


@pytest.mark.parametrize("hours", ["0", "169", "many"])
def test_hours_outside_one_to_a_hundred_sixty_eight_are_refused_on_the_field(
    signed_in: Callable[[User], Client], make_user: Callable[..., User], hours: str,
) -> None:
    client = signed_in(make_user(Role.FRONT_DESK, username="desk-all"))

    response = client.post(reverse("scheduling:reminder_settings"), {"enabled": "on", "hours_before": hours})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ReminderPolicy.objects.exists()


def test_a_schedule_manager_at_one_location_cannot_change_the_practice_wide_policy(
    signed_in: Callable[[User], Client], make_user: Callable[..., User], north: Location,
) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north], username="desk-north")
    client = signed_in(desk)
    page = client.get(reverse("scheduling:reminder_settings"))
    assert page.status_code == 200
    assert "hours_before" not in page.content.decode()

    response = client.post(reverse("scheduling:reminder_settings"), {"enabled": "", "hours_before": "2"})

    assert response.status_code == 404
    assert not ReminderPolicy.objects.exists()
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED, action="reminder_policy.update").exists()


def test_rescheduling_clears_the_reminder_and_the_confirmation_so_the_new_time_gets_its_own(
    make_user: Callable[..., Any], north: Location, make_appointment: Callable[..., Appointment]
) -> None:
    import datetime as dt

    from openpractice.accounts.roles import Role
    from openpractice.scheduling.services import appointment_reschedule

    desk = make_user(Role.FRONT_DESK, locations=[north])
    appointment = make_appointment(hours_ahead=30)
    Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=timezone.now(), confirmed_at=timezone.now())
    appointment.refresh_from_db()

    moved = appointment_reschedule(actor=desk, appointment=appointment, outside_hours_confirmed=True,
                                   starts_at=appointment.starts_at + dt.timedelta(days=1))

    moved.refresh_from_db()
    assert moved.reminder_sent_at is None
    assert moved.confirmed_at is None


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_link_sent_before_a_reschedule_answers_410_for_an_earlier_time_and_changes_nothing(
    client: Client, make_user: Callable[..., User], north: Location, make_appointment: Callable[..., Appointment],
    method: str, action: str,
) -> None:
    from openpractice.scheduling.services import appointment_reschedule

    appointment = make_appointment(hours_ahead=10)
    old_path = _confirm_path(appointment) if action == "confirm" else _cancel_path(appointment)
    moved = appointment_reschedule(actor=make_user(Role.FRONT_DESK, locations=[north]), appointment=appointment,
                                   starts_at=appointment.starts_at + dt.timedelta(hours=2),
                                   outside_hours_confirmed=True)
    events = AuditEvent.objects.count()

    response = getattr(client, method)(old_path)

    assert response.status_code == 410
    assert "for an earlier time" in response.content.decode()
    assert _state(moved) == (AppointmentStatus.BOOKED, "", None)
    assert AuditEvent.objects.count() == events
    # The reminder for the new time carries links that work.
    assert client.get(_confirm_path(moved)).status_code == 200


def test_a_link_for_a_visit_moved_back_to_its_original_time_works_again(
    client: Client, make_user: Callable[..., User], north: Location, make_appointment: Callable[..., Appointment],
) -> None:
    from openpractice.scheduling.services import appointment_reschedule

    desk = make_user(Role.FRONT_DESK, locations=[north])
    appointment = make_appointment(hours_ahead=10)
    path = _confirm_path(appointment)
    original = appointment.starts_at
    appointment_reschedule(actor=desk, appointment=appointment, starts_at=original + dt.timedelta(hours=2),
                           outside_hours_confirmed=True)
    assert client.get(path).status_code == 410
    appointment_reschedule(actor=desk, appointment=appointment, starts_at=original, outside_hours_confirmed=True)

    assert client.get(path).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_used_confirm_link_answers_410_and_is_not_audited_again(
    client: Client, make_appointment: Callable[..., Appointment], method: str,
) -> None:
    appointment = make_appointment(hours_ahead=10)
    path = _confirm_path(appointment)
    assert client.post(path).status_code == 200
    confirmed_at = _state(appointment)[2]
    assert confirmed_at is not None
    events = AuditEvent.objects.count()

    response = getattr(client, method)(path)

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert _state(appointment)[2] == confirmed_at
    assert AuditEvent.objects.count() == events
    # Cancelling a confirmed visit is still possible with the cancel link.
    assert client.post(_cancel_path(appointment)).status_code == 200
    assert _state(appointment)[0] == AppointmentStatus.CANCELLED


def test_a_signed_link_without_the_time_fingerprint_is_refused_with_410(
    client: Client, make_appointment: Callable[..., Appointment],
) -> None:
    appointment = make_appointment(hours_ahead=10)
    token = signing.dumps({"a": appointment.pk, "x": "confirm"}, salt=reminders.SIGNING_SALT)

    response = client.post(reverse("scheduling:reminder_respond", kwargs={"token": token}))

    assert response.status_code == 410
    assert _state(appointment)[2] is None
