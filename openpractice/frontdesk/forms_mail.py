"""Mailbox settings form: input only (services.mailboxes decides what is allowed). The IMAP password is
write-only: never rendered back, left empty to keep the stored one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import has_all_locations, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form
from openpractice.core.models import Location

from .models import Mailbox

SECURITY_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("none (only on a trusted network)"))]


def _one_line(value: str) -> str:
    if any(char in value for char in "\r\n\x00"):
        raise ValidationError(_("Use one line."))
    return value.strip()


class MailboxForm(Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    address = forms.EmailField(label=_("Address"), max_length=254,
                               help_text=_("Mail to this address lands in the front desk queues."))
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False, empty_label=_("Practice-wide"))
    imap_host = forms.CharField(label=_("IMAP server"), max_length=200, required=False,
                                help_text=_("Leave empty when mail reaches us through the built-in SMTP endpoint."))
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES, initial="ssl")
    imap_username = forms.CharField(label=_("IMAP user"), max_length=200, required=False)
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current password."))
    imap_folder = forms.CharField(label=_("Folder"), max_length=100, initial="INBOX")
    send_acknowledgement = forms.BooleanField(
        label=_("Acknowledge new mail"), required=False, initial=True,
        help_text=_("Answer the first mail of a thread automatically (never automatic mail or loops)."))
    acknowledgement_text = forms.CharField(
        label=_("Acknowledgement"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Empty: a standard text naming the message number. Placeholders: {number}, {first_name}, "
                    "{practice_name}, {practice_phone}."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        if mailbox is not None:
            kwargs.setdefault("initial", {
                "name": mailbox.name, "address": mailbox.address, "location": mailbox.location_id,
                "imap_host": mailbox.imap_host, "imap_port": mailbox.imap_port,
                "imap_security": mailbox.imap_security, "imap_username": mailbox.imap_username,
                "imap_folder": mailbox.imap_folder, "send_acknowledgement": mailbox.send_acknowledgement,
                "acknowledgement_text": mailbox.acknowledgement_text, "is_active": mailbox.is_active})
        super().__init__(*args, **kwargs)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = locations_where(actor, Perm.FRONTDESK_CONFIGURE).order_by("name")
        if not has_all_locations(actor, Perm.FRONTDESK_CONFIGURE):
            location_field.required = True
            location_field.empty_label = None
        if mailbox is not None and mailbox.imap_password:
            self.fields["imap_password"].help_text = _(
                "A password is stored (encrypted, never shown). Leave empty to keep it; type a new one to replace it.")

    def clean_imap_host(self) -> str:
        return _one_line(self.cleaned_data["imap_host"])

    def clean_imap_username(self) -> str:
        return _one_line(self.cleaned_data["imap_username"])

    def clean_imap_folder(self) -> str:
        return _one_line(self.cleaned_data["imap_folder"])

    def clean_imap_password(self) -> str:
        value = str(self.cleaned_data["imap_password"] or "")
        if any(char in value for char in "\r\n\x00"):
            raise ValidationError(_("The password cannot contain line breaks."))
        return value
