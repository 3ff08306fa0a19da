"""A mailbox's stored password goes only to the server it was typed for: moving the mailbox to another host, port,
security or user needs the password again, and a password never crosses the network unencrypted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.frontdesk.models import Mailbox
from openpractice.frontdesk.services.mailboxes import mailbox_save
from openpractice.frontdesk.tests.factories_mail import MailboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(practice):
    return user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED)


@pytest.fixture
def mailbox(practice):
    return MailboxFactory(address="desk@practice.test", imap_host="imap.practice.test", imap_port=993,
                          imap_security="ssl", imap_username="desk", imap_password="s3cret-Imap!")


@pytest.mark.parametrize(("field", "value"), [("imap_host", "mail.attacker.test"), ("imap_port", 2993),
                                              ("imap_security", "starttls"), ("imap_username", "someone")])
def test_pointing_the_mailbox_elsewhere_without_the_password_is_refused_and_changes_nothing(
        manager, mailbox, field, value):
    with pytest.raises(ValidationError) as caught:
        mailbox_save(actor=manager, mailbox=mailbox, **{field: value})

    assert "imap_password" in caught.value.message_dict
    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (getattr(stored, field), stored.imap_password) == (getattr(mailbox, field), "s3cret-Imap!")


def test_moving_the_mailbox_with_its_password_typed_again_is_saved(manager, mailbox):
    mailbox_save(actor=manager, mailbox=mailbox, imap_host="imap2.practice.test", password="n3w-Secret!")

    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.imap_host, stored.imap_password) == ("imap2.practice.test", "n3w-Secret!")


def test_other_settings_change_without_the_password(manager, mailbox):
    mailbox_save(actor=manager, mailbox=mailbox, name="Front desk mail", imap_folder="Patients")

    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.name, stored.imap_folder, stored.imap_password) == ("Front desk mail", "Patients", "s3cret-Imap!")


def test_no_encryption_is_refused_for_a_server_on_another_machine(manager, mailbox):
    with pytest.raises(ValidationError) as caught:
        mailbox_save(actor=manager, mailbox=mailbox, imap_security="none", password="s3cret-Imap!")

    assert "imap_security" in caught.value.message_dict
    assert Mailbox.objects.get(pk=mailbox.pk).imap_security == "ssl"
