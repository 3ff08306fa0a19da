"""Business associate forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

DOCUMENT_HELP = _("The signed agreement as a PDF, at most 10 MB.")


def _date(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, help_text=help_text,
                           widget=forms.DateInput(attrs={"type": "date"}))


def _document(*, required: bool = False) -> forms.FileField:
    return forms.FileField(label=_("Document"), required=required, help_text=DOCUMENT_HELP,
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))


class AssociateForm(Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    services = forms.CharField(label=_("What they do for the practice"), max_length=300)
    handles_phi = forms.BooleanField(label=_("Creates, receives, keeps or sends PHI for the practice"),
                                     required=False, initial=True)
    contact_name = forms.CharField(label=_("Contact"), max_length=120, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Still in use"), required=False, initial=True)


class AgreementForm(Form):
    """A draft: every date is optional while it is negotiated."""

    signed_on = _date(_("Signed on"))
    effective_on = _date(_("In force from"))
    expires_on = _date(_("Ends on"), help_text=_("Empty: until terminated."))
    review_on = _date(_("Review by"), help_text=_("Compliance managers are reminded 30 days before."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class AgreementCreateForm(AgreementForm):
    document = _document()


class AgreementActiveForm(Form):
    """An agreement in force: an amendment (end date), a review (next review date), notes."""

    expires_on = _date(_("Ends on"), help_text=_("Empty: until terminated."))
    review_on = _date(_("Review by"), help_text=_("Compliance managers are reminded 30 days before."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ActivateForm(Form):
    signed_on = _date(_("Signed on"), required=True)
    effective_on = _date(_("In force from"), required=True)
    expires_on = _date(_("Ends on"), help_text=_("Empty: until terminated."))
    review_on = _date(_("Review by"), help_text=_("Compliance managers are reminded 30 days before."))
    document = _document()


class TerminateForm(Form):
    terminated_on = _date(_("Ended on"), required=True)
    reason = forms.CharField(label=_("Why it ended"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(Form):
    document = _document(required=True)
