"""Mailbox settings and attachment downloads: who may do what, the password that is never shown again, the
"Check now" button, and files handed only to those who may see their message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.frontdesk.models import Mailbox
from openpractice.frontdesk.services.inbound_mail import mail_receive
from openpractice.patients.tests.factories import PatientFactory

from .dovecot import Dovecot, running_dovecot
from .factories_mail import PDF, MailboxFactory, attachment_stored, make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def imap_server() -> Iterator[Dovecot]:
    """A real dovecot (tests/dovecot.py), stopped after the test."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def manager(make_user):
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, username="manager")


@pytest.fixture
def north_manager(make_user, north):
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="north-manager")


def denials(user):
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def mailbox_rows():
    return list(Mailbox.objects.order_by("pk").values_list())


def form_data(**changes):
    data = {"name": "Front desk", "address": "desk@practice.test", "location": "", "imap_host": "imap.example.org",
            "imap_port": "993", "imap_security": "ssl", "imap_username": "desk", "imap_password": "s3cret-Imap!",
            "imap_folder": "INBOX", "send_acknowledgement": "on", "acknowledgement_text": "", "is_active": "on"}
    data.update(changes)
    return data


# --- mailbox settings ----------------------------------------------------------------------------------------------

def test_a_manager_lists_mailboxes_in_a_fixed_number_of_queries(signed_in, manager, north, south):
    client = signed_in(manager)
    MailboxFactory(location=north)
    client.get(reverse("frontdesk:mailbox_list"))  # the first page of a session reads a little more
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("frontdesk:mailbox_list")).status_code == 200
    for location in (north, south, None, north):
        MailboxFactory(location=location, last_error="Login failed")
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("frontdesk:mailbox_list"))
    assert response.content.decode().count("Check now") == 0  # no IMAP server: nothing to check
    assert len(five) == len(one)


def test_the_front_desk_cannot_open_mailbox_settings_and_the_refusal_is_audited(signed_in, make_user):
    desk = make_user(Role.FRONT_DESK, username="desk")
    client = signed_in(desk)
    mailbox = MailboxFactory()
    before = mailbox_rows()
    assert client.get(reverse("frontdesk:mailbox_list")).status_code == 404
    assert client.post(reverse("frontdesk:mailbox_edit", args=[mailbox.pk]), form_data()).status_code == 404
    assert client.post(reverse("frontdesk:mailbox_poll", args=[mailbox.pk])).status_code == 404
    assert denials(desk) == 3
    assert mailbox_rows() == before


def test_creating_a_mailbox_stores_the_password_encrypted_and_never_shows_it(signed_in, manager):
    client = signed_in(manager)
    response = client.post(reverse("frontdesk:mailbox_create"), form_data())
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password == "s3cret-Imap!"
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM frontdesk_mailbox")
        (stored,) = cursor.fetchone()
    assert "s3cret" not in stored
    page = client.get(reverse("frontdesk:mailbox_edit", args=[mailbox.pk])).content.decode()
    assert "s3cret-Imap!" not in page
    assert "A password is stored" in page
    event = AuditEvent.objects.get(action="frontdesk.mailbox_created")
    assert "imap_password" in event.changed_fields
    assert "s3cret" not in event.reason


def test_an_empty_password_keeps_the_stored_one_and_a_new_one_replaces_it(signed_in, manager):
    mailbox = MailboxFactory(imap_host="imap.example.org", imap_username="desk", imap_password="old-password")
    client = signed_in(manager)
    data = form_data(address=mailbox.address, imap_password="", name="Renamed")
    assert client.post(reverse("frontdesk:mailbox_edit", args=[mailbox.pk]), data).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.imap_password) == ("Renamed", "old-password")
    assert "imap_password" not in AuditEvent.objects.get(action="frontdesk.mailbox_changed").changed_fields
    data["imap_password"] = "new-password"
    client.post(reverse("frontdesk:mailbox_edit", args=[mailbox.pk]), data)
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "new-password"


def test_an_unknown_placeholder_in_the_acknowledgement_is_refused(signed_in, manager):
    response = signed_in(manager).post(reverse("frontdesk:mailbox_create"),
                                       form_data(acknowledgement_text="Dear {patient_name}, got it."))
    assert response.status_code == 400
    assert "Unknown placeholder {patient_name}" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_a_manager_of_one_location_sees_and_edits_only_its_mailboxes(signed_in, north_manager, north, south):
    mine = MailboxFactory(location=north, name="North box")
    theirs = MailboxFactory(location=south, name="South box")
    practice_wide = MailboxFactory(location=None, name="Practice box")
    client = signed_in(north_manager)
    page = client.get(reverse("frontdesk:mailbox_list")).content.decode()
    assert "North box" in page
    assert "South box" not in page
    assert "Practice box" not in page
    before = mailbox_rows()
    for other in (theirs, practice_wide):
        response = client.post(reverse("frontdesk:mailbox_edit", args=[other.pk]),
                               form_data(address=other.address, location=north.pk))
        assert response.status_code == 404
    assert mailbox_rows() == before
    assert denials(north_manager) == 2
    moved = client.post(reverse("frontdesk:mailbox_edit", args=[mine.pk]),
                        form_data(address=mine.address, location=south.pk))
    assert moved.status_code == 400  # South is not among the choices
    assert Mailbox.objects.get(pk=mine.pk).location == north


def test_check_now_reads_the_mailbox_and_says_how_many_came_in(signed_in, manager, practice, imap_server: Dovecot):
    user = "desk@practice.test"
    mailbox = MailboxFactory(address=user, imap_host=imap_server.host, imap_port=imap_server.port, imap_security="none",
                             imap_username=user, imap_password=imap_server.passwords[user])
    imap_server.deliver(user, make_mail(to=user))
    client = signed_in(manager)
    response = client.post(reverse("frontdesk:mailbox_poll", args=[mailbox.pk]), follow=True)
    assert "desk@practice.test checked: 1 new mail." in response.content.decode()
    assert AuditEvent.objects.filter(action="frontdesk.mailbox_checked", actor=manager).count() == 1

    mailbox.imap_password = "wrong"
    mailbox.save()
    response = client.post(reverse("frontdesk:mailbox_poll", args=[mailbox.pk]), follow=True)
    assert "could not be read: The mail server refused" in response.content.decode()


# --- attachments -------------------------------------------------------------------------------------------------

@pytest.fixture
def attachment(practice, north):
    patient = PatientFactory(home_location=north, email="pat@example.org")
    mailbox = MailboxFactory(address="desk@practice.test", location=north)
    entry = mail_receive(raw=make_mail(attachments=[("lab results.pdf", "application/pdf", PDF)]), mailbox=mailbox)
    assert entry is not None
    assert entry.message.patient == patient
    return entry.attachments.get()


def test_someone_who_sees_the_message_downloads_its_attachment_and_it_is_audited(signed_in, make_user, north,
                                                                                attachment):
    desk = make_user(Role.FRONT_DESK, locations=[north], username="desk-north")
    response = signed_in(desk).get(reverse("frontdesk:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "lab results.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="frontdesk.attachment_downloaded")
    assert (event.actor, event.patient_id, event.location_id) == (desk, attachment.entry.message.patient_id,
                                                                   north.pk)


def test_someone_who_does_not_see_the_message_gets_a_404_and_the_refusal_is_audited(signed_in, make_user, south,
                                                                                   attachment):
    desk = make_user(Role.FRONT_DESK, locations=[south], username="desk-south")
    hr = make_user(Role.HR, username="hr")
    for user in (desk, hr):
        response = signed_in(user).get(reverse("frontdesk:attachment_download", args=[attachment.pk]))
        assert response.status_code == 404
        assert denials(user) == 1
    assert not AuditEvent.objects.filter(action="frontdesk.attachment_downloaded").exists()


def test_the_message_page_shows_the_cleaned_html_and_links_the_attachments(signed_in, make_user, practice, north):
    mailbox = MailboxFactory(address="desk@practice.test", location=north)
    raw = make_mail(text=None, html='<p>See <b>attached</b></p><script>alert(1)</script>',
                    attachments=[("scan.pdf", "application/pdf", PDF)])
    entry = mail_receive(raw=raw, mailbox=mailbox)
    added = attachment_stored(entry, filename="more.pdf")
    desk = make_user(Role.FRONT_DESK, locations=[north], username="desk-north")
    response = signed_in(desk).get(reverse("frontdesk:message_detail", args=[entry.message_id]))
    html = response.content.decode()
    assert "<p>See <b>attached</b></p>" in html
    assert "alert(1)" not in html
    for attachment in entry.attachments.all():
        assert reverse("frontdesk:attachment_download", args=[attachment.pk]) in html
    assert added.filename in html


def test_a_file_gone_from_storage_is_not_found(signed_in, make_user, north, attachment):
    from django.core.files.storage import default_storage

    default_storage.delete(f"frontdesk/mail/{attachment.stored_name}")
    desk = make_user(Role.FRONT_DESK, locations=[north], username="desk-north")
    assert signed_in(desk).get(reverse("frontdesk:attachment_download", args=[attachment.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="frontdesk.attachment_downloaded").exists()
