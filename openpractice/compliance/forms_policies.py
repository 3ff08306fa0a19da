"""Policy and acknowledgement forms: input only; the services decide what is allowed (and sanitise the text)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.forms import Form
from openpractice.core.models import Location

from .choices import Audience, PolicyCategory

TEXT_HELP = _("Basic formatting only: paragraphs, headings (h2–h4), lists, bold, italic, links, simple tables. "
              "Anything else is removed when saved.")


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def _active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class PolicyForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=PolicyCategory.choices)
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none(),
                             help_text=_("Reminded by email when the review comes due."))
    review_months = forms.IntegerField(label=_("Review every (months)"), min_value=1, max_value=60, initial=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _active_users()  # type: ignore[attr-defined]


class VersionForm(Form):
    body_html = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 18}), help_text=TEXT_HELP)
    change_summary = forms.CharField(label=_("What changed"), max_length=500, required=False)
    effective_on = forms.DateField(label=_("Effective date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))


class PolicyCreateForm(PolicyForm, VersionForm):
    """A policy and its first draft on one page."""


class AttachmentForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG, JPEG or Word (DOCX), at most 10 MB."),
                           widget=forms.ClearableFileInput(attrs={
                               "accept": "application/pdf,image/png,image/jpeg,.docx"}))


class CampaignForm(Form):
    audience = forms.ChoiceField(label=_("Who is asked"), choices=Audience.choices, widget=forms.RadioSelect,
                                 initial=Audience.EVERYONE)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    locations = forms.ModelMultipleChoiceField(label=_("Locations"), queryset=Location.objects.none(),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    due_on = forms.DateField(label=_("Acknowledge by"), widget=forms.DateInput(attrs={"type": "date"}))
    attestation = forms.CharField(label=_("Attestation"), max_length=500, required=False,
                                  help_text=_("Empty: “I have read and understood this policy and will follow it.”"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.order_by("name")  # type: ignore[attr-defined]


class AcknowledgeForm(Form):
    attested = forms.BooleanField(label=_("I confirm the statement above."), required=True)

