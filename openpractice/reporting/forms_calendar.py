"""Forms of the compliance calendar: the filters (read from the query string) and the digest setting.

Plain Django forms (not core.forms, which reaches core's services: reporting may not import any other app's
services, even through a helper); the templates render each field with components/field.html."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import Location

from .calendar import KINDS, MODULES
from .selectors_calendar import AGENDA_FUTURE_DAYS, AGENDA_PAST_DAYS, MAX_RANGE_DAYS, Filters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_VIEW, AGENDA_VIEW = "month", "agenda"


class CalendarFilterForm(forms.Form):
    """The calendar's filters. The month view shows `month` (this month by default); the agenda lists `start` to
    `end` (by default the last AGENDA_PAST_DAYS and the next AGENDA_FUTURE_DAYS days), at most MAX_RANGE_DAYS."""

    view = forms.ChoiceField(label=_("View"), required=False,
                             choices=[(MONTH_VIEW, _("Month")), (AGENDA_VIEW, _("Agenda list"))])
    month = forms.DateField(label=_("Month"), required=False, widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"])
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
    module = forms.ChoiceField(label=_("Module"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("All my locations"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, locations: QuerySet[Location], today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["module"].choices = [("", _("All modules")), *MODULES.items()]  # type: ignore[attr-defined]
        grouped: list[Any] = [("", _("All kinds"))]
        for module, label in MODULES.items():
            grouped.append((label, [(slug, kind.label) for slug, kind in KINDS.items() if kind.module == module]))
        self.fields["kind"].choices = grouped  # type: ignore[attr-defined]

    @property
    def chosen_view(self) -> str:
        data = getattr(self, "cleaned_data", {})
        return data.get("view") or MONTH_VIEW

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        view = data.get("view") or MONTH_VIEW
        if view == AGENDA_VIEW:
            start: dt.date | None = data.get("start")
            end: dt.date | None = data.get("end")
            if "start" not in self.errors and start is None:
                data["start"] = start = self.today - dt.timedelta(days=AGENDA_PAST_DAYS)
            if "end" not in self.errors and end is None:
                data["end"] = end = self.today + dt.timedelta(days=AGENDA_FUTURE_DAYS)
            if start and end:
                if end < start:
                    self.add_error("end", _("The range ends before it starts."))
                elif (end - start).days >= MAX_RANGE_DAYS:
                    self.add_error("end", _("Choose at most %(days)s days.") % {"days": MAX_RANGE_DAYS})
        elif data.get("month") is None and "month" not in self.errors:
            data["month"] = self.today.replace(day=1)
        return data

    def filters(self, *, start: dt.date, end: dt.date) -> Filters:
        """The cleaned filters over [start, end] (the month grid's days, or the agenda's range)."""
        data = self.cleaned_data
        location = data.get("location")
        return Filters(start=start, end=end,
                       kinds=frozenset({data["kind"]}) if data.get("kind") else frozenset(),
                       modules=frozenset({data["module"]}) if data.get("module") else frozenset(),
                       location_id=location.pk if location is not None else None,
                       overdue_only=bool(data.get("overdue")))


class DigestForm(forms.Form):
    """Turn the weekly email digest on or off."""

    enabled = forms.TypedChoiceField(
        label=_("Weekly email digest"), widget=forms.RadioSelect, coerce=lambda value: value == "on",
        choices=[("on", _("On: every Monday morning, what is overdue and due in the next two weeks")),
                 ("off", _("Off"))])
