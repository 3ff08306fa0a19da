"""Cleaning forms: input only (services.cleaning checks the firm against the contract, the days, the tasks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import Weekday
from openpractice.core.forms import Form
from openpractice.core.models import Location
from openpractice.vendors.models import Contract, Vendor

from .choices import SafetyFrequency
from .forms_safety import DATE, RESULT_CHOICES, LocationField
from .models import CleaningSchedule


class ContractField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.vendor.name}: {obj.title}"


class ScheduleForm(Form):
    location = LocationField(label=_("Location"), queryset=Location.objects.none())
    room = forms.CharField(label=_("Room or area"), max_length=60, required=False,
                           help_text=_("Empty: the whole location."))
    vendor = forms.ModelChoiceField(label=_("Cleaning firm"), queryset=Vendor.objects.none(), required=False,
                                    help_text=_("Empty: cleaned by staff."))
    contract = ContractField(label=_("Contract"), queryset=Contract.objects.none(), required=False)
    frequency = forms.ChoiceField(label=_("How often"), choices=SafetyFrequency.choices,
                                  initial=SafetyFrequency.DAILY)
    weekdays = forms.TypedMultipleChoiceField(label=_("Days of the week"), choices=Weekday.choices, coerce=int,
                                              required=False, widget=forms.CheckboxSelectMultiple,
                                              help_text=_("None ticked: every day."))
    tasks = forms.CharField(label=_("Tasks"), widget=forms.Textarea(attrs={"rows": 8}),
                            help_text=_("One task per line; each inspection checks them one by one."))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, data: Any = None, *, locations: QuerySet[Location], vendors: QuerySet[Vendor],
                 contracts: QuerySet[Contract], schedule: CleaningSchedule | None = None, **kwargs: Any) -> None:
        if schedule is not None and data is None:
            kwargs["initial"] = {
                "location": schedule.location_id, "room": schedule.room, "vendor": schedule.vendor_id,
                "contract": schedule.contract_id, "frequency": schedule.frequency,
                "weekdays": [int(day) for day in schedule.weekdays.split(",") if day.strip().isdigit()],
                "tasks": schedule.tasks, "is_active": schedule.is_active}
        super().__init__(data, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["vendor"].queryset = vendors  # type: ignore[attr-defined]
        self.fields["contract"].queryset = contracts  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ScheduleChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Choose a schedule in use at a location you manage.")}

    def label_from_instance(self, obj: Any) -> str:
        where = f"{obj.location.name} / {obj.room}" if obj.room else obj.location.name
        return f"{where} ({obj.vendor.name})" if obj.vendor_id else where


class ChooseScheduleForm(Form):
    schedule = ScheduleChoiceField(label=_("Schedule"), queryset=CleaningSchedule.objects.none())

    def __init__(self, *args: Any, schedules: QuerySet[CleaningSchedule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = schedules  # type: ignore[attr-defined]


class InspectionForm(Form):
    """The schedule's tasks, each passed or failed with a note and, when failed, a work order to open."""

    inspected_on = forms.DateField(label=_("Inspected on"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, tasks: list[str], today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks = tasks
        self.fields["inspected_on"].initial = today
        for position, task in enumerate(tasks):
            self.fields[f"task_{position}"] = forms.ChoiceField(
                label=task, choices=RESULT_CHOICES, widget=forms.RadioSelect,
                error_messages={"required": _("Say whether this task passed.")})
            self.fields[f"note_{position}"] = forms.CharField(
                label=_("Note on “%(task)s”") % {"task": task}, max_length=200, required=False)
            self.fields[f"wo_{position}"] = forms.BooleanField(
                label=_("Open a work order if it failed"), required=False)

    def rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [(task, self[f"task_{position}"], self[f"note_{position}"], self[f"wo_{position}"])
                for position, task in enumerate(self.tasks)]

    def results(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"passed": data[f"task_{position}"] == "pass", "note": data.get(f"note_{position}") or "",
                 "work_order": bool(data.get(f"wo_{position}"))} for position in range(len(self.tasks))]
