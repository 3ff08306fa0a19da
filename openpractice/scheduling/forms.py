"""Forms for providers, scheduling settings and appointments. Times are typed in practice time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from .choices import PaymentMethod
from .models import AppointmentType, Provider, Room
from .selectors import appointment_type_list, practice_zone, provider_list, room_list
from .services import APPOINTMENT_TYPE_FIELDS, PROVIDER_FIELDS


class ProviderForm(ModelForm):
    locations = forms.ModelMultipleChoiceField(queryset=Location.objects.none(), widget=forms.CheckboxSelectMultiple,
                                               label=_("Locations"))

    class Meta:
        model = Provider
        fields = [name for name in PROVIDER_FIELDS if name != "user"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["locations"]
        field.queryset = location_scoped(actor=actor, permission=Perm.PRACTICE_MANAGE).filter(is_active=True)
        if self.instance.pk:
            self.initial["locations"] = list(self.instance.locations.values_list("pk", flat=True))

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self) -> None:
        # The service validates the model (full_clean) on its own copy; the form checks only its fields.
        pass


class AppointmentTypeForm(ModelForm):
    class Meta:
        model = AppointmentType
        fields = [name for name in APPOINTMENT_TYPE_FIELDS if name != "is_active"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def _post_clean(self) -> None:
        pass


class RoomForm(Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("Location"))
    name = forms.CharField(label=_("Name"), max_length=40)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["location"]
        field.queryset = location_scoped(actor=actor, permission=Perm.PRACTICE_MANAGE).filter(is_active=True)


def _combine(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=practice_zone())


class BookingForm(Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), widget=forms.HiddenInput,
                                     error_messages={"required": _("Find and choose the patient first.")})
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(), label=_("Appointment type"))
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label=_("Provider"))
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("Location"))
    room = forms.ModelChoiceField(queryset=Room.objects.none(), label=_("Room"), required=False)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300}))
    notes = forms.CharField(label=_("Front-desk note"), max_length=200, required=False,
                            help_text=_("Short and non-clinical, e.g. “needs interpreter”."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["patient"].queryset = patient_scoped(actor=actor).filter(is_active=True, merged_into__isnull=True)
        fields["appointment_type"].queryset = appointment_type_list().filter(is_active=True)
        fields["provider"].queryset = provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(is_active=True)
        fields["location"].queryset = location_scoped(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(is_active=True)
        fields["room"].queryset = room_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(is_active=True)

    @property
    def starts_at(self) -> dt.datetime:
        return _combine(self.cleaned_data["date"], self.cleaned_data["time"])


class RescheduleForm(Form):
    date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("New time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300}))
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label=_("Provider"), required=False,
                                      help_text=_("Leave empty to keep the same provider."))

    def __init__(self, *args: Any, actor: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["provider"]
        field.queryset = provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
            is_active=True, locations=location)

    @property
    def starts_at(self) -> dt.datetime:
        return _combine(self.cleaned_data["date"], self.cleaned_data["time"])


class CancelForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("E.g. “patient called to cancel”, “provider ill”."))


class CheckInForm(Form):
    copay_amount = forms.DecimalField(label=_("Copay collected"), required=False, max_digits=10, decimal_places=2,
                                      min_value=0.01, help_text=_("Leave empty if nothing was collected."))  # type: ignore[arg-type]
    copay_method = forms.ChoiceField(label=_("Paid by"), required=False,
                                     choices=[("", "—"), *PaymentMethod.choices])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("copay_amount") and not data.get("copay_method"):
            self.add_error("copay_method", _("Choose cash, card or check."))
        return data
