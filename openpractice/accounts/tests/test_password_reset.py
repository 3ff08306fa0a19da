"""Password reset by email (no user enumeration, links that expire, all sessions ended) and password change."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openpractice.accounts.models import ApiToken, User, UserSession
from openpractice.accounts.roles import Role
from openpractice.accounts.services.tokens import token_authenticate, token_create
from openpractice.accounts.tests.factories import TEST_PASSWORD
from openpractice.accounts.tests.test_auth_login import PROFILE, password_login
from openpractice.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a-much-longer-passphrase-2024"


@pytest.fixture
def hr_person(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR, username="hana", email="hana@example.test")


def _link_in(body: Any) -> str:
    match = re.search(r"http://[^\s]+/accounts/password/reset/[^\s]+/", str(body))
    assert match, body
    return match.group(0)


def _path(link: str) -> str:
    return link.removeprefix("http://testserver").removeprefix("http://127.0.0.1:8000")


def _without_csrf(content: bytes) -> str:
    """The page minus its CSRF token, which is masked differently on every response."""
    return re.sub(r"[A-Za-z0-9]{64}", "", content.decode())


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def ask(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Ask for a reset link; the mail task runs once the request's transaction commits, as in production."""
    def post(email: str, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET, {"email": email}, **kwargs)
    return post


# Asking for a link ---------------------------------------------------------------------------------------------

def test_asking_for_a_link_for_a_known_address_sends_one_and_is_audited(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    response = ask("hana@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hana@example.test"]
    assert message.subject == "Reset your Riverbend Family Medicine password"
    assert _link_in(message.body).startswith("http://127.0.0.1:8000/accounts/password/reset/")
    assert "Your username is: hana" in message.body
    assert AuditEvent.objects.filter(action="auth.password_reset_requested", object_id=str(hr_person.pk)).count() == 1


def test_an_unknown_address_gets_exactly_the_same_answer_and_no_mail(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    known = ask("hana@example.test", follow=True)
    mail.outbox.clear()

    unknown = ask("nobody@example.test", follow=True)

    assert unknown.redirect_chain == known.redirect_chain
    assert _without_csrf(unknown.content) == _without_csrf(known.content)
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 1


def test_a_deactivated_person_gets_no_link(client: Client, hr_person: User, ask: Callable[..., Any]) -> None:
    hr_person.is_active = False
    hr_person.save(update_fields=["is_active"])

    response = ask("hana@example.test")

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="auth.password_reset_requested").exists()


def test_a_malformed_address_is_shown_inline(client: Client, practice: Any) -> None:
    response = client.post(RESET, {"email": "not-an-address"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'id="id_email_error"' in html


# Using the link ------------------------------------------------------------------------------------------------

def _open_link(client: Client, link: str) -> Any:
    """Django moves the token out of the URL into the session, then shows the set-password form."""
    response = client.get(_path(link), follow=True)
    assert response.status_code == 200
    return response


def test_the_link_sets_a_new_password_ends_every_session_and_is_audited(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    laptop, phone = Client(), Client()
    password_login(laptop, hr_person)
    password_login(phone, hr_person)
    ask("hana@example.test")
    page = _open_link(client, _link_in(mail.outbox[0].body))
    form_url = page.redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response["Location"] == reverse("accounts:password_reset_complete")
    hr_person.refresh_from_db()
    assert hr_person.check_password(NEW_PASSWORD)
    for browser in (laptop, phone):
        assert browser.get(PROFILE)["Location"].startswith(reverse("accounts:login"))
    assert not UserSession.objects.filter(user=hr_person, ended_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="auth.password_reset_completed")
    assert (event.object_id, event.changed_fields) == (str(hr_person.pk), "password")
    assert not _signed_in(client)
    assert password_login(Client(), hr_person, NEW_PASSWORD)["Location"] != reverse("accounts:login")


def test_resetting_from_a_browser_signed_in_as_the_same_person_signs_it_out_cleanly(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    password_login(client, hr_person)
    ask("hana@example.test")
    page = _open_link(client, _link_in(mail.outbox[0].body))

    response = client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert not _signed_in(client)
    assert client.get(response["Location"]).status_code == 200


def test_the_link_works_only_once(client: Client, hr_person: User, ask: Callable[..., Any]) -> None:
    ask("hana@example.test")
    link = _link_in(mail.outbox[0].body)
    page = _open_link(client, link)
    client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(_path(link), follow=True)

    assert "This link no longer works" in again.content.decode()


def test_a_short_new_password_is_refused_by_the_validators(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    ask("hana@example.test")
    page = _open_link(client, _link_in(mail.outbox[0].body))

    response = client.post(page.redirect_chain[-1][0], {"new_password1": "short-pw1", "new_password2": "short-pw1"})

    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    hr_person.refresh_from_db()
    assert hr_person.check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_reset_completed").exists()


class _TokenMadeAt(PasswordResetTokenGenerator):
    """The site's token generator as it ran at another moment (how an old email's token was made)."""

    def __init__(self, moment: datetime) -> None:
        super().__init__()
        self.moment = moment

    def _now(self) -> datetime:
        return self.moment


def _link_made(user: User, minutes_ago: int) -> str:
    token = _TokenMadeAt(datetime.now() - timedelta(minutes=minutes_ago)).make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def test_a_link_older_than_one_hour_is_refused(client: Client, hr_person: User) -> None:
    response = client.get(_link_made(hr_person, minutes_ago=61), follow=True)

    assert "This link no longer works" in response.content.decode()
    assert "new_password1" not in response.content.decode()


def test_a_link_just_under_one_hour_old_still_works(client: Client, hr_person: User) -> None:
    response = client.get(_link_made(hr_person, minutes_ago=59), follow=True)

    assert "new_password1" in response.content.decode()
    assert default_token_generator.check_token(hr_person, _link_made(hr_person, 59).rstrip("/").split("/")[-1])


# Real mail -----------------------------------------------------------------------------------------------------

class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Collect]]:
    """A real SMTP server on a free local port (aiosmtpd), for the one test where the mail is the point."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_the_reset_mail_travels_over_real_smtp_and_its_link_works(
    client: Client, hr_person: User, smtp_server: tuple[int, _Collect], ask: Callable[..., Any],
) -> None:
    port, handler = smtp_server
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, OPENPRACTICE_BASE_URL="http://testserver"):
        ask("hana@example.test")

    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "hana@example.test"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = _link_in(body.decode())
    assert link.startswith("http://testserver/accounts/password/reset/")
    assert "new_password1" in _open_link(client, link).content.decode()


# Changing one's password ---------------------------------------------------------------------------------------

def test_changing_the_password_keeps_this_session_and_ends_the_others(client: Client, hr_person: User) -> None:
    phone = Client()
    password_login(phone, hr_person)
    password_login(client, hr_person)
    old_key = client.session.session_key

    response = client.post(reverse("accounts:password_change"), {
        "old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response["Location"] == PROFILE
    assert client.get(PROFILE).status_code == 200
    assert client.session.session_key != old_key
    assert UserSession.objects.get(user=hr_person, ended_at__isnull=True).session_key == client.session.session_key
    assert phone.get(PROFILE)["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=hr_person).count() == 1
    hr_person.refresh_from_db()
    assert hr_person.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("wrong-old-password", NEW_PASSWORD, "Your old password was entered incorrectly"),
    (TEST_PASSWORD, "short-pw-1", "at least 12 characters"),
])
def test_a_password_change_with_a_wrong_old_password_or_a_weak_new_one_changes_nothing(
    client: Client, hr_person: User, old: str, new: str, message: str
) -> None:
    password_login(client, hr_person)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": old, "new_password1": new, "new_password2": new,
    })

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    hr_person.refresh_from_db()
    assert hr_person.check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_changed").exists()


def test_changing_the_password_needs_a_signed_in_user(client: Client, practice: Any) -> None:
    response = client.get(reverse("accounts:password_change"))

    assert response["Location"].startswith(reverse("accounts:login"))


# Mail after commit, API tokens ended ------------------------------------------------------------------------


def test_a_mail_outage_does_not_break_the_request_page_and_the_request_is_audited_without_an_actor(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=closed_port, EMAIL_USE_TLS=False, EMAIL_TIMEOUT=2):
        response = ask("hana@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    event = AuditEvent.objects.get(action="auth.password_reset_requested")
    assert event.actor_id is None
    assert event.actor_label == ""
    assert (event.object_type, event.object_id) == ("accounts.user", str(hr_person.pk))


def test_the_reset_mail_is_sent_only_after_the_request_commits(
    client: Client, hr_person: User, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(RESET, {"email": "hana@example.test"})
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert _link_in(mail.outbox[0].body).startswith("http://127.0.0.1:8000/accounts/password/reset/")


def test_completing_a_reset_revokes_every_api_token_and_says_so(
    client: Client, hr_person: User, ask: Callable[..., Any],
) -> None:
    first, _secret = token_create(actor=hr_person, user=hr_person, name="laptop script")
    second, second_secret = token_create(actor=hr_person, user=hr_person, name="report export")
    ask("hana@example.test")
    page = _open_link(client, _link_in(mail.outbox[0].body))

    response = client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                        "new_password2": NEW_PASSWORD}, follow=True)

    assert not ApiToken.objects.filter(user=hr_person, revoked_at__isnull=True).exists()
    assert token_authenticate(second_secret) is None
    event = AuditEvent.objects.get(action="auth.password_reset_completed")
    assert event.reason == "2 API token(s) revoked"
    assert "API tokens were revoked" in response.content.decode()
    assert {first.pk, second.pk} == set(ApiToken.objects.filter(user=hr_person).values_list("pk", flat=True))
