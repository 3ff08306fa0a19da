"""Forms for the credential catalog and employees' credentials. They only shape input: the services check
permissions, the evidence file's real type, and the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import ModelForm

from .choices import VerificationMethod
from .models import CredentialType, EmployeeCredential
from .services.credentials import EVIDENCE_MAX_BYTES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVIDENCE_HELP = _("PDF, JPEG or PNG, at most 10 MB.")


class EvidenceField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Copy of the credential"))
        kwargs.setdefault("help_text", EVIDENCE_HELP)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload and getattr(upload, "size", 0) > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."), code="too_large")
        return upload


class CredentialTypeForm(ModelForm):
    class Meta:
        model = CredentialType
        fields = ["code", "name", "issuer", "kind", "renewal_months", "required_to_see_patients", "is_active"]


class CredentialForm(ModelForm):
    """Add (HR) or correct a credential; verifying at once is optional."""

    evidence = EvidenceField()
    verification_method = forms.ChoiceField(
        label=_("Verified now through"), required=False,
        choices=[("", _("Not verified yet")), *VerificationMethod.choices])
    verification_note = forms.CharField(label=_("Verification note"), max_length=300, required=False)

    class Meta:
        model = EmployeeCredential
        fields = ["credential_type", "number", "state", "issued_on", "expires_on"]
        widgets = {"issued_on": DATE, "expires_on": DATE}
        help_texts = {"expires_on": _("Empty: issued date plus the credential's renewal period.")}

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = CredentialType.objects.filter(is_active=True)
        if self.instance.pk:
            queryset = CredentialType.objects.filter(is_active=True) | CredentialType.objects.filter(
                pk=self.instance.credential_type_id)
        self.fields["credential_type"].queryset = queryset  # type: ignore[attr-defined]
        if editing:  # verification has its own form
            del self.fields["verification_method"]
            del self.fields["verification_note"]

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RenewalForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=60, required=False,
                             help_text=_("Empty: the same number as before."))
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE, required=False,
                                 help_text=_("Empty: issued date plus the credential's renewal period."))
    evidence = EvidenceField()

    def data_for_service(self) -> dict[str, Any]:
        data: dict[str, Any] = {"issued_on": self.cleaned_data["issued_on"],
                                "expires_on": self.cleaned_data["expires_on"]}
        if self.cleaned_data["number"]:
            data["number"] = self.cleaned_data["number"]
        return data


class VerifyForm(forms.Form):
    verification_method = forms.ChoiceField(label=_("Verified through"), choices=VerificationMethod.choices)
    verification_note = forms.CharField(label=_("Note"), max_length=300, required=False,
                                        help_text=_("For example: the board's look-up page, checked today."))
    evidence = EvidenceField(help_text=_(
        "Needed when verifying from a copy and none is on file yet. PDF, JPEG or PNG, at most 10 MB."))
