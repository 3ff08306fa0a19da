"""Forms for patients, coverage, insurance cards and payers. Services validate again; forms shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import can, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form, ModelForm

from .models import Coverage, Patient, Payer, PayerPlan
from .selectors import payer_choices, plan_choices
from .services import COVERAGE_FIELDS, PAYER_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TEL = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})

PATIENT_FORM_FIELDS: tuple[str, ...] = (
    "first_name", "middle_name", "last_name", "date_of_birth", "sex", "home_location", "address_line1",
    "address_line2", "city", "state", "postal_code", "phone_mobile", "phone_home", "email", "preferred_contact",
    "preferred_language", "emergency_contact_name", "emergency_contact_phone", "emergency_contact_relationship",
    "ssn",
)  # fmt: skip


class PatientForm(ModelForm):
    """Demographics. The SSN field exists only for users who may see it (PATIENTS_SSN)."""

    class Meta:
        model = Patient
        fields = PATIENT_FORM_FIELDS
        widgets = {
            "date_of_birth": _DATE, "phone_mobile": _TEL, "phone_home": _TEL, "emergency_contact_phone": _TEL,
            "ssn": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["home_location"]
        field.queryset = locations_where(actor, Perm.PATIENTS_EDIT).filter(is_active=True)  # type: ignore[attr-defined]
        if not can(actor, Perm.PATIENTS_SSN):
            del self.fields["ssn"]

    def changed_data_for_service(self) -> dict[str, Any]:
        """Only the fields the user changed: the service audits their names."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}


class RegisterForm(PatientForm):
    confirm_not_duplicate = forms.BooleanField(
        label=_("None of these is the patient: register anyway"), required=False)

    def __init__(self, *args: Any, show_confirm: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_confirm:
            self.fields["confirm_not_duplicate"].widget = forms.HiddenInput()

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "confirm_not_duplicate"}


class CoverageForm(ModelForm):
    class Meta:
        model = Coverage
        fields = COVERAGE_FIELDS
        widgets = {"effective_from": _DATE, "effective_to": _DATE, "subscriber_date_of_birth": _DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payer_choices()  # type: ignore[attr-defined]
        self.fields["plan"].queryset = plan_choices()  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        # The service runs full_clean on a fresh copy; skipping the model validation here keeps one message each.
        pass


class CoverageEndForm(Form):
    end_date = forms.DateField(label=_("Last day covered"), widget=_DATE)


class CardUploadForm(Form):
    side = forms.ChoiceField(label=_("Side"), choices=[("front", _("Front")), ("back", _("Back"))])
    file = forms.FileField(label=_("Card image"), help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))


class MergeForm(Form):
    survivor = forms.CharField(label=_("Keep this record (account number)"), max_length=12,
                               help_text=_("The record that stays. This one is merged into it and deactivated."))


class PayerForm(ModelForm):
    portal_url = forms.URLField(label=_("provider portal"), required=False, assume_scheme="https")

    class Meta:
        model = Payer
        fields = PAYER_FIELDS
        widgets = {"phone": _TEL}

    def _post_clean(self) -> None:
        pass


class PayerPlanForm(ModelForm):
    class Meta:
        model = PayerPlan
        fields = ("name", "plan_type")

    def _post_clean(self) -> None:
        pass


class PayerImportForm(Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 CSV with a header row; at most 1 MB."))
    dry_run = forms.BooleanField(label=_("Only check the file, save nothing"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


