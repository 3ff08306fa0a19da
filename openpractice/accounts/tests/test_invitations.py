"""Inviting someone end to end — the email goes over real SMTP — and the invited person's page."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from openpractice.accounts.models import Invitation, RoleAssignment, User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.services.users import RoleSpec, user_invite
from openpractice.accounts.tasks import send_invitation_email
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, OutboxMessage
from openpractice.core.tests.smtp import Mailbox

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"


def _text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def _link_path(text: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/invitation/[A-Za-z0-9_-]+/)", text)
    assert match, text
    return match.group(1)


SET_PASSWORD = "/accounts/invitation/set-password/"


def _open(visitor: Client, path: str) -> None:
    """Open the emailed link: the secret moves into the session and the browser goes on to a URL without it."""
    opened = visitor.get(path)
    assert opened.status_code == 302
    assert opened["Location"] == SET_PASSWORD


def _accept(visitor: Client, path: str, password: str = PASSWORD, repeat: str | None = None) -> Any:
    _open(visitor, path)
    return visitor.post(SET_PASSWORD, {"password1": password, "password2": password if repeat is None else repeat})


def _invite_form(north: Location, *, username: str = "nbrooks", email_address: str = "nia@example.test") -> dict[str, Any]:
    return {
        "first_name": "Nia", "last_name": "Brooks", "email": email_address, "username": username,
        "job_title": "Receptionist",
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "15",
        "roles-0-grant": f"{Role.FRONT_DESK}:{Tier.STANDARD}", "roles-0-locations": [str(north.pk)],
        "roles-1-grant": "",
    }


def test_an_invited_person_gets_the_link_by_smtp_sets_a_password_and_can_sign_in(
    client: Client, administrator: User, north: Location, smtp_server: Mailbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sign_in(client, administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/users/invite/", _invite_form(north))
    person = User.objects.get(username="nbrooks")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{person.pk}/"
    assert not person.is_active

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert smtp_server.envelopes[0].rcpt_tos == ["nia@example.test"]
    assert "invited" in message["Subject"]
    text = _text_part(message)
    assert "nbrooks" in text
    path = _link_path(text)

    visitor = Client()
    _open(visitor, path)
    page = visitor.get(SET_PASSWORD)
    assert page.status_code == 200
    assert b"Choose your password" in page.content
    accepted = visitor.post(SET_PASSWORD, {"password1": PASSWORD, "password2": PASSWORD})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/accounts/login/"
    person.refresh_from_db()
    assert person.is_active
    assert person.check_password(PASSWORD)
    assert AuditEvent.objects.filter(actor=person, action="invitation.accepted").exists()

    signed_in = visitor.post("/accounts/login/", {"username": "nbrooks", "password": PASSWORD})
    assert signed_in.status_code == 302
    # Front desk sees PHI, so the next step is setting up the authenticator — as a signed-in user.
    assert signed_in["Location"].startswith("/accounts/mfa/setup/")
    assert visitor.session["_auth_user_id"] == str(person.pk)


def test_the_link_works_once(administrator: User, north: Location, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_invite(actor=administrator, email="nia@example.test", username="nbrooks", first_name="Nia",
                    last_name="Brooks", roles=[RoleSpec(role=Role.FRONT_DESK, location_ids={north.pk})])
    path = _link_path(mail.outbox[0].body)
    visitor = Client()
    assert _accept(visitor, path).status_code == 302
    again = visitor.get(path)
    assert again.status_code == 410
    assert b"already used" in again.content
    # The form's URL holds no secret of its own: without a live link opened first it opens nothing.
    replay = visitor.post(SET_PASSWORD, {"password1": "another-long-passphrase",
                                         "password2": "another-long-passphrase"})
    assert replay.status_code == 404
    assert User.objects.get(username="nbrooks").check_password(PASSWORD)


def _invited(administrator: User, north: Location, capture: Any) -> tuple[User, str]:
    with capture(execute=True):
        person = user_invite(actor=administrator, email="nia@example.test", username="nbrooks", first_name="Nia",
                             last_name="Brooks", roles=[RoleSpec(role=Role.FRONT_DESK, location_ids={north.pk})])
    return person, _link_path(mail.outbox[-1].body)


def test_an_expired_invitation_is_refused_with_a_friendly_message(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    person, path = _invited(administrator, north, django_capture_on_commit_callbacks)
    Invitation.objects.filter(user=person).update(expires_at=timezone.now() - timedelta(minutes=1))
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 410
    assert b"This invitation has expired" in page.content
    assert b"Ask your practice administrator" in page.content
    person.refresh_from_db()
    assert not person.is_active
    assert not person.has_usable_password()
    assert Invitation.objects.get(user=person).accepted_at is None


def test_a_withdrawn_invitation_is_refused(
    client: Client, administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    person, path = _invited(administrator, north, django_capture_on_commit_callbacks)
    visitor = Client()
    _open(visitor, path)  # the invited person has the form open ...
    sign_in(client, administrator)
    assert client.post(f"/accounts/users/{person.pk}/invitation/revoke/").status_code == 302
    page = visitor.post(SET_PASSWORD, {"password1": PASSWORD, "password2": PASSWORD})  # ... and submits it late
    assert page.status_code == 410
    assert b"withdrawn" in page.content
    person.refresh_from_db()
    assert not person.is_active


def test_a_new_link_replaces_the_old_one(
    client: Client, administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    person, old_path = _invited(administrator, north, django_capture_on_commit_callbacks)
    sign_in(client, administrator)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/accounts/users/{person.pk}/invitation/resend/").status_code == 302
    new_path = _link_path(mail.outbox[-1].body)
    assert new_path != old_path
    visitor = Client()
    assert visitor.get(old_path).status_code == 410
    assert _accept(visitor, new_path).status_code == 302


def test_an_unknown_link_says_so(db: Any) -> None:
    page = Client().get("/accounts/invitation/not-a-real-token/")
    assert page.status_code == 404
    assert b"not recognised" in page.content


def test_the_password_validators_apply_and_the_person_stays_inactive(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    person, path = _invited(administrator, north, django_capture_on_commit_callbacks)
    visitor = Client()
    # Form errors answer 200: a 4xx would have the server log the request, and the link's page is not at fault.
    short = _accept(visitor, path, "short-pw")
    assert short.status_code == 200
    assert b"at least 12 characters" in short.content
    differ = visitor.post(SET_PASSWORD, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert differ.status_code == 200
    person.refresh_from_db()
    assert not person.is_active
    assert not person.has_usable_password()


def test_an_invited_person_cannot_sign_in_before_accepting(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    person, _path = _invited(administrator, north, django_capture_on_commit_callbacks)
    visitor = Client()
    response = visitor.post("/accounts/login/", {"username": "nbrooks", "password": PASSWORD})
    assert response.status_code != 302
    assert "_auth_user_id" not in visitor.session
    # Even an administrator setting a password behind the invitation's back would not make them active.
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    assert visitor.post("/accounts/login/", {"username": "nbrooks", "password": PASSWORD}).status_code != 302
    assert "_auth_user_id" not in visitor.session


# --- demo mode: mail goes to the Outbox page ----------------------------------------------------------------


def test_in_demo_mode_the_invitation_lands_in_the_outbox_and_its_link_works(
    client: Client, administrator: User, north: Location, settings: Any, django_capture_on_commit_callbacks: Any,
    make_user: Callable[..., User],
) -> None:
    settings.EMAIL_BACKEND = "openpractice.core.mail.OutboxEmailBackend"
    settings.DEMO_MODE = True
    sign_in(client, administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/users/invite/", _invite_form(north))
    stored = OutboxMessage.objects.get()
    assert stored.recipients == ["nia@example.test"]
    assert "<a href=" in stored.html_body
    listing = client.get("/accounts/outbox/")
    assert listing.status_code == 200
    assert stored.subject.encode() in listing.content
    detail = client.get(f"/accounts/outbox/{stored.pk}/")
    assert detail.status_code == 200
    path = _link_path(detail.content.decode())
    assert f'href="http://127.0.0.1:8000{path}"'.encode() in detail.content
    assert _accept(Client(), path).status_code == 302
    assert User.objects.get(username="nbrooks").is_active


def test_the_outbox_does_not_exist_outside_demo_mode(client: Client, administrator: User, settings: Any) -> None:
    settings.DEMO_MODE = False
    sign_in(client, administrator)
    assert client.get("/accounts/outbox/").status_code == 404


@pytest.mark.parametrize("role", [Role.PRACTICE_MANAGER, Role.HR, Role.AUDITOR, Role.FRONT_DESK])
def test_only_administrators_see_the_outbox(
    client: Client, make_user: Callable[..., User], role: str, settings: Any
) -> None:
    settings.DEMO_MODE = True
    tier = Tier.SENIOR if role == Role.PRACTICE_MANAGER else Tier.STANDARD
    person = make_user(role, tier)
    message = OutboxMessage.objects.create(from_email="a@example.test", recipients=["b@example.test"],
                                           subject="Invitation", body="secret link")
    sign_in(client, person)
    assert client.get("/accounts/outbox/").status_code == 404
    assert client.get(f"/accounts/outbox/{message.pk}/").status_code == 404
    assert AuditEvent.objects.filter(actor=person, outcome="denied").count() == 2
    assert RoleAssignment.objects.filter(user=person).count() == 1


# --- the link's secret stays out of logs and out of the task queue --------------------------------------------


def test_the_link_moves_its_secret_into_the_session_and_no_log_line_holds_it(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    _person, path = _invited(administrator, north, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    visitor = Client()
    with caplog.at_level(logging.DEBUG):
        _open(visitor, path)
        page = visitor.get(SET_PASSWORD)
        weak = visitor.post(SET_PASSWORD, {"password1": "short-pw", "password2": "short-pw"})
    assert page.status_code == 200
    assert token not in page.content.decode()
    assert weak.status_code == 200
    assert all(token not in record.getMessage() for record in caplog.records)
    assert all(token not in str(getattr(record, "request", "")) for record in caplog.records)


@pytest.fixture
def task_queue() -> Iterator[Any]:
    """The real huey queue instead of running tasks at once, as a worker would see it."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    try:
        yield HUEY
    finally:
        HUEY.immediate = False
        HUEY.flush()
        HUEY.immediate = True


def test_the_task_queue_holds_only_the_invitation_id_and_the_worker_makes_the_link(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any, task_queue: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        person = user_invite(actor=administrator, email="nia@example.test", username="nbrooks", first_name="Nia",
                             last_name="Brooks", roles=[RoleSpec(role=Role.FRONT_DESK, location_ids={north.pk})])
    invitation = Invitation.objects.get(user=person)
    assert mail.outbox == []
    raw = task_queue.storage.dequeue()
    task = task_queue.deserialize_task(raw)
    assert task.args == (invitation.pk,)
    assert task.kwargs == {}

    # What `openpractice worker` does with it (in this process: a real worker would close the test's
    # database connection between tasks).
    task_queue.immediate = True
    task_queue.execute(task)

    path = _link_path(mail.outbox[0].body)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token.encode() not in raw
    assert Invitation.objects.get(user=person).token_hash != invitation.token_hash
    assert _accept(Client(), path).status_code == 302


def test_a_repeated_send_makes_a_new_link_on_the_same_invitation_and_only_the_newest_works(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any,
) -> None:
    person, first_path = _invited(administrator, north, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(user=person)

    assert send_invitation_email.call_local(invitation.pk) is True

    second_path = _link_path(mail.outbox[-1].body)
    assert second_path != first_path
    assert Invitation.objects.filter(user=person).count() == 1
    assert Client().get(first_path).status_code == 404
    assert _accept(Client(), second_path).status_code == 302
    # Once accepted, a late retry sends nothing.
    assert send_invitation_email.call_local(invitation.pk) is False
    assert len(mail.outbox) == 2
