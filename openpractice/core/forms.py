"""Forms for the practice settings pages, and the form renderer every OpenPractice form can use.

`OpenPracticeFormRenderer` renders `{{ form }}` and `{{ field.as_field_group }}` through
templates/components/form_fields.html and components/field.html: a label for every field, help text and
inline errors tied to the input with aria-describedby, aria-invalid on fields with errors, and an error
summary at the top of the form. Set it as FORM_RENDERER, or give a form `default_renderer`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any, cast

import django.forms
from django import forms
from django.conf import settings
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template.backends.django import DjangoTemplates as DjangoTemplatesBackend
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm

from .choices import Weekday
from .codes import place_of_service_choices
from .models import Department, Location, Practice
from .selectors import location_scoped
from .services import DEPARTMENT_FIELDS, LOCATION_FIELDS, PERIODS_PER_DAY, PRACTICE_FIELDS, Period


class OpenPracticeFormRenderer(DjangoTemplates):
    form_template_name = "components/form_fields.html"
    field_template_name = "components/field.html"

    @cached_property
    def engine(self) -> DjangoTemplatesBackend:
        # Django's widget templates, the apps' templates and the project's templates/ directory
        # (where components/ lives). Read when first rendering, never at import time.
        project_dirs: list[str] = []
        for engine in settings.TEMPLATES:
            project_dirs.extend(str(path) for path in cast("list[Any]", engine.get("DIRS") or []))
        return DjangoTemplatesBackend({
            "APP_DIRS": True,
            "DIRS": [Path(django.forms.__file__).parent / "templates", *project_dirs],
            "NAME": "openpractice-forms",
            "OPTIONS": {},
        })


class Form(forms.Form):
    """Base for plain forms."""

    default_renderer: BaseRenderer | type[BaseRenderer] | None = OpenPracticeFormRenderer


class ModelForm(forms.ModelForm):
    """Base for model forms."""

    default_renderer: BaseRenderer | type[BaseRenderer] | None = OpenPracticeFormRenderer


_US_TIMEZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam", "Pacific/Pago_Pago",
    "America/Boise", "America/Detroit", "America/Indiana/Indianapolis", "America/Kentucky/Louisville",
)  # fmt: skip


def timezone_choices() -> list[tuple[Any, Any]]:
    """US time zones first, then every other one the system knows."""
    others = sorted(zoneinfo.available_timezones() - set(_US_TIMEZONES))
    return [
        (_("United States"), [(name, name.replace("_", " ")) for name in _US_TIMEZONES]),
        (_("Other time zones"), [(name, name.replace("_", " ")) for name in others]),
    ]


class PracticeForm(ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices,
                                 help_text=_("Times are shown in this zone everywhere in OpenPractice."))

    class Meta:
        model = Practice
        fields = PRACTICE_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "ein": forms.TextInput(attrs={"inputmode": "numeric"}),
            "group_npi": forms.TextInput(attrs={"inputmode": "numeric"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "idle_timeout_minutes": forms.NumberInput(attrs={"min": 2, "max": 120}),
            "absolute_session_hours": forms.NumberInput(attrs={"min": 1, "max": 24}),
        }
        help_texts = {"group_npi": _("The organization's type 2 NPI, if it bills as a group.")}


class LocationForm(ModelForm):
    place_of_service = forms.ChoiceField(
        label=_("Place of service"), choices=place_of_service_choices,
        help_text=_("The CMS place-of-service code claims from this location carry."),
    )

    class Meta:
        model = Location
        fields = LOCATION_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "npi": forms.TextInput(attrs={"inputmode": "numeric"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        }


class DepartmentForm(ModelForm):
    class Meta:
        model = Department
        fields = DEPARTMENT_FIELDS
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only locations the actor manages; "practice-wide" only for someone who manages all of them.
        field.queryset = location_scoped(actor=actor, permission=Perm.PRACTICE_MANAGE).filter(is_active=True)
        if has_all_locations(actor, Perm.PRACTICE_MANAGE):
            field.required = False
            field.empty_label = str(_("Practice-wide (no single location)"))
        else:
            field.required = True
            field.empty_label = None


def _hours_field_name(weekday: int, period: int, edge: str) -> str:
    return f"d{weekday}_p{period}_{edge}"


class OpeningHoursForm(Form):
    """A week grid: for each day up to two periods, each an opening and a closing time. Empty = closed."""

    def __init__(self, *args: Any, location: Location, **kwargs: Any) -> None:
        existing: dict[int, list[tuple[dt.time, dt.time]]] = {day: [] for day in Weekday.values}
        for period in location.opening_hours.all():
            existing[period.weekday].append((period.opens_at, period.closes_at))
        initial: dict[str, Any] = {}
        for day, periods in existing.items():
            for index, (opens, closes) in enumerate(sorted(periods)[:PERIODS_PER_DAY], start=1):
                initial[_hours_field_name(day, index, "opens")] = opens
                initial[_hours_field_name(day, index, "closes")] = closes
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for index in range(1, PERIODS_PER_DAY + 1):
                for edge, edge_label in (("opens", _("opens")), ("closes", _("closes"))):
                    self.fields[_hours_field_name(day.value, index, edge)] = forms.TimeField(
                        required=False,
                        label=f"{day.label}, {_('period')} {index}, {edge_label}",
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    def rows(self) -> list[dict[str, Any]]:
        """The grid, one row per weekday, for the template."""
        return [
            {
                "day": day.label,
                "periods": [
                    (self[_hours_field_name(day.value, index, "opens")],
                     self[_hours_field_name(day.value, index, "closes")])
                    for index in range(1, PERIODS_PER_DAY + 1)
                ],
            }
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for day in Weekday.values:
            for index in range(1, PERIODS_PER_DAY + 1):
                opens_name = _hours_field_name(day, index, "opens")
                closes_name = _hours_field_name(day, index, "closes")
                opens, closes = cleaned.get(opens_name), cleaned.get(closes_name)
                if (opens is None) != (closes is None) and not (self.has_error(opens_name) or self.has_error(closes_name)):
                    missing = opens_name if opens is None else closes_name
                    self.add_error(missing, _("Give both an opening and a closing time, or neither."))
                elif opens is not None and closes is not None and closes <= opens:
                    self.add_error(closes_name, _("Closing time must be after opening time."))
        return cleaned

    def periods(self) -> list[Period]:
        result: list[Period] = []
        for day in Weekday.values:
            for index in range(1, PERIODS_PER_DAY + 1):
                opens = self.cleaned_data.get(_hours_field_name(day, index, "opens"))
                closes = self.cleaned_data.get(_hours_field_name(day, index, "closes"))
                if opens is not None and closes is not None:
                    result.append((day, opens, closes))
        return result
