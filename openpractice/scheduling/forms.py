"""Forms for providers, scheduling settings and appointments. Times are typed in practice time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Perm
from openpractice.core.choices import Weekday
from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from .choices import PaymentMethod
from .models import AppointmentType, Provider, ReferringProvider, Room
from .selectors import appointment_type_list, practice_zone, provider_list, room_list
from .services import (
    APPOINTMENT_TYPE_FIELDS,
    PERIODS_PER_DAY,
    PROVIDER_FIELDS,
    REFERRING_PROVIDER_FIELDS,
    TemplatePeriod,
)


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
    time = forms.TimeField(label=_("Time"),
                           widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"))
    notes = forms.CharField(label=_("Front-desk note"), max_length=200, required=False,
                            help_text=_("Short and non-clinical, e.g. “needs interpreter”."))
    book_outside_hours = forms.BooleanField(
        label=_("Book outside the provider's hours"), required=False,
        help_text=_("Needed only when the time is outside the provider's weekly hours at that location."))

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
    time = forms.TimeField(label=_("New time"),
                           widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"))
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label=_("Provider"), required=False,
                                      help_text=_("Leave empty to keep the same provider."))
    outside_hours = forms.BooleanField(
        label=_("Move outside the provider's hours"), required=False,
        help_text=_("Needed only when the new time is outside the provider's weekly hours at this location."))

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


# --- round 2: editing settings, weekly hours, time off, referring providers ------------------------------------


class AppointmentTypeEditForm(ModelForm):
    class Meta:
        model = AppointmentType
        fields = list(APPOINTMENT_TYPE_FIELDS)
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}
        labels = {"is_active": _("Offered for booking")}

    def _post_clean(self) -> None:
        pass


class RoomEditForm(RoomForm):
    is_active = forms.BooleanField(label=_("In use"), required=False,
                                   help_text=_("A room out of use is not offered for booking."))




class WeeklyHoursForm(Form):
    """Up to two periods a day, each at one of the provider's locations (practice-local wall-clock times)."""

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locations = list(provider.locations.order_by("name"))
        existing: dict[int, list[Any]] = {}
        for template in provider.templates.order_by("weekday", "start"):
            existing.setdefault(template.weekday, []).append(template)
        for weekday, day_label in Weekday.choices:
            for index in range(PERIODS_PER_DAY):
                prefix = f"d{weekday}_{index}"
                ordinal = _("first period") if index == 0 else _("second period")
                self.fields[f"{prefix}_location"] = forms.ModelChoiceField(
                    queryset=provider.locations.order_by("name"), required=False,
                    label=f"{day_label}, {ordinal}: {_('location')}")
                self.fields[f"{prefix}_start"] = forms.TimeField(
                    required=False, label=f"{day_label}, {ordinal}: {_('from')}",
                    widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"))
                self.fields[f"{prefix}_end"] = forms.TimeField(
                    required=False, label=f"{day_label}, {ordinal}: {_('until')}",
                    widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"))
                periods = existing.get(weekday, [])
                if index < len(periods):
                    self.initial[f"{prefix}_location"] = periods[index].location_id
                    self.initial[f"{prefix}_start"] = periods[index].start
                    self.initial[f"{prefix}_end"] = periods[index].end
                elif len(self.locations) == 1:
                    self.initial[f"{prefix}_location"] = self.locations[0].pk

    def rows(self) -> list[tuple[str, list[list[Any]]]]:
        """(weekday label, [[location, from, until] bound fields per period]) for the template's table."""
        return [(str(label), [[self[f"d{weekday}_{i}_{part}"] for part in ("location", "start", "end")]
                              for i in range(PERIODS_PER_DAY)])
                for weekday, label in Weekday.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for weekday, _label in Weekday.choices:
            kept: list[tuple[dt.time, dt.time, str]] = []
            for index in range(PERIODS_PER_DAY):
                prefix = f"d{weekday}_{index}"
                location, start, end = (data.get(f"{prefix}_{part}") for part in ("location", "start", "end"))
                if f"{prefix}_start" in self.errors or f"{prefix}_end" in self.errors:
                    continue
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(f"{prefix}_start" if start is None else f"{prefix}_end",
                                   _("Give both the start and the end, or neither."))
                    continue
                if end <= start:
                    self.add_error(f"{prefix}_end", _("The end must be after the start."))
                    continue
                if location is None:
                    self.add_error(f"{prefix}_location", _("Choose the location."))
                    continue
                for other_start, other_end, _other in kept:
                    if start < other_end and other_start < end:
                        self.add_error(f"{prefix}_start", _("This period overlaps %(start)s–%(end)s.") % {
                            "start": f"{other_start:%H:%M}", "end": f"{other_end:%H:%M}"})
                        break
                else:
                    kept.append((start, end, prefix))
        return data

    def periods(self) -> list[TemplatePeriod]:
        found: list[TemplatePeriod] = []
        for weekday, _label in Weekday.choices:
            for index in range(PERIODS_PER_DAY):
                prefix = f"d{weekday}_{index}"
                start = self.cleaned_data.get(f"{prefix}_start")
                end = self.cleaned_data.get(f"{prefix}_end")
                location = self.cleaned_data.get(f"{prefix}_location")
                if start is not None and end is not None and location is not None:
                    found.append((int(weekday), location, start, end))
        return found


class TimeOffForm(Form):
    starts_at = forms.DateTimeField(label=_("From"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(label=_("Until"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                             format="%Y-%m-%dT%H:%M"))
    reason = forms.CharField(label=_("Reason"), max_length=120, required=False,
                             help_text=_("Short, e.g. “conference”, “vacation”."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at is not None and ends_at is not None and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        return data

    def local(self, name: str) -> dt.datetime:
        """The typed wall-clock time read in practice time, whatever time zone the request runs in."""
        value: dt.datetime = self.cleaned_data[name]
        wall = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return wall.replace(tzinfo=practice_zone())


class ReferringProviderForm(ModelForm):
    class Meta:
        model = ReferringProvider
        fields = list(REFERRING_PROVIDER_FIELDS)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self) -> None:
        # The service validates the model (NPI check digit, uniqueness) and its errors come back to the fields.
        pass
