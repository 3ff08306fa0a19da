"""Forms for patients, coverage, insurance cards and payers. Services validate again; forms shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import can, location_ids_where, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form, ModelForm

from .models import Coverage, Patient, Payer, PayerPlan
from .selectors import patient_scoped, payer_choices, plan_choices
from .services import COVERAGE_FIELDS, PAYER_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TEL = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})

PATIENT_FORM_FIELDS: tuple[str, ...] = (
    "first_name", "middle_name", "last_name", "date_of_birth", "sex", "home_location", "address_line1",
    "address_line2", "city", "state", "postal_code", "phone_mobile", "phone_home", "email", "preferred_contact",
    "preferred_language", "guarantor", "emergency_contact_name", "emergency_contact_phone",
    "emergency_contact_relationship", "ssn",
)  # fmt: skip
GUARANTOR_SEARCH_FORM_ID = "guarantor-search"
GUARANTOR_MATCH_LIMIT = 10


def guarantor_label(patient: Patient) -> str:
    return f"{patient.last_name}, {patient.first_name} — {patient.date_of_birth:%m/%d/%Y} · {patient.account_number}"


class GuarantorPicker(forms.RadioSelect):
    """"Self" or one of a few patients: the current guarantor and the matches of a search. Never the whole
    patient table as options. The search box belongs to a separate GET form (GUARANTOR_SEARCH_FORM_ID) so that
    Enter in it searches instead of submitting the patient form; htmx swaps in the new options, and without
    JavaScript the page reloads with them."""

    template_name = "patients/widgets/guarantor_picker.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search_text = ""
        self.search_url = ""
        self.searched = False
        self.no_matches = False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update({"search_text": self.search_text, "search_url": self.search_url,
                                  "search_form": GUARANTOR_SEARCH_FORM_ID, "no_matches": self.no_matches})
        return context


class PatientForm(ModelForm):
    """Demographics. The SSN field exists only for users who may see it (PATIENTS_SSN). The guarantor is
    "Self" (empty) or another active patient in the user's scope, picked from a search (see GuarantorPicker)."""

    guarantor = forms.ModelChoiceField(
        queryset=Patient.objects.none(), required=False, label=_("Guarantor"), widget=GuarantorPicker,
        help_text=_("Who pays this patient's balance: “Self”, or another patient (a parent, a spouse). Find "
                    "them by name, date of birth, phone or account number."),
        error_messages={"invalid_choice": _("Choose an active patient at your locations as the guarantor.")})

    class Meta:
        model = Patient
        fields = PATIENT_FORM_FIELDS
        widgets = {
            "date_of_birth": _DATE, "phone_mobile": _TEL, "phone_home": _TEL, "emergency_contact_phone": _TEL,
            "ssn": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, actor: Any, guarantor_search: str = "", guarantor_matches: Any = (),
                 search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._actor = actor
        field = self.fields["home_location"]
        field.queryset = locations_where(actor, Perm.PATIENTS_EDIT).filter(is_active=True)  # type: ignore[attr-defined]
        if not self._may_enter_ssn(field.queryset):  # type: ignore[attr-defined]
            del self.fields["ssn"]
        self._set_up_guarantor(actor, guarantor_search, list(guarantor_matches), search_url)

    def _may_enter_ssn(self, home_locations: Any) -> bool:
        """The SSN permission is held per location. An existing record shows its full SSN in this field, so the
        field exists only where the user holds PATIENTS_SSN at the patient's home location. A new record has
        no SSN to show yet: the field exists if some location the user may register at allows it, and clean()
        checks it against the home location chosen."""
        if self.instance.pk:
            return can(self._actor, Perm.PATIENTS_SSN, self.instance.home_location_id)
        ssn_ids = location_ids_where(self._actor, Perm.PATIENTS_SSN)
        if ssn_ids is None:
            return True
        return bool(ssn_ids) and home_locations.filter(pk__in=ssn_ids).exists()

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        location = cleaned.get("home_location")
        if not self.instance.pk and cleaned.get("ssn") and location is not None \
                and not can(self._actor, Perm.PATIENTS_SSN, location):
            self.add_error("ssn", _("You may not record SSNs of patients at %(location)s: leave it empty or "
                                    "choose another home location.") % {"location": location})
        return cleaned

    def _set_up_guarantor(self, actor: Any, search: str, matches: list[Patient], search_url: str) -> None:
        field: Any = self.fields["guarantor"]
        scoped = patient_scoped(actor=actor).filter(is_active=True, merged_into__isnull=True)
        field.queryset = scoped
        # The options: "Self", the chosen one (submitted, or the record's current guarantor), then the matches.
        # Unbound, ModelForm's initial already holds the record's guarantor unless the view passed another.
        chosen_value = (self.data.get(self.add_prefix("guarantor")) if self.is_bound
                        else self.initial.get("guarantor"))
        if isinstance(chosen_value, Patient):
            chosen_value = chosen_value.pk
        options: list[Patient] = []
        if chosen_value and str(chosen_value).isdigit():
            options.extend(scoped.filter(pk=int(chosen_value)))
        options.extend(match for match in matches if match.pk not in {p.pk for p in options})
        widget: GuarantorPicker = field.widget
        widget.choices = [("", _("Self: the patient pays their own balance")),
                          *[(patient.pk, guarantor_label(patient)) for patient in options]]
        widget.search_text, widget.search_url = search, search_url
        widget.searched, widget.no_matches = bool(search), bool(search) and not matches

    def clean_guarantor(self) -> Patient | None:
        guarantor: Patient | None = self.cleaned_data.get("guarantor")
        if guarantor is not None and self.instance.pk and guarantor.pk == self.instance.pk:
            raise forms.ValidationError(_("A patient cannot be their own guarantor: choose “Self”."))
        return guarantor

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


