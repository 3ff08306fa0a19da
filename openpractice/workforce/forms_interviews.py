"""Forms for interviews, scorecards and scorecard criteria. They shape input; the services check who may, the
stage, the time, the interviewers and the ratings."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name

from .choices import InterviewKind, Recommendation
from .models import Interview, Position, ScorecardCriterion
from .services.interviews import Plan

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class InterviewerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class InterviewForm(Form):
    """Schedule or move an interview. The time is the practice's wall-clock time."""

    kind = forms.ChoiceField(label=_("Kind"), choices=InterviewKind.choices, initial=InterviewKind.IN_PERSON)
    starts_at = forms.DateTimeField(label=_("Starts at"), input_formats=DATETIME_FORMATS,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=10, max_value=480, initial=45)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False)
    place = forms.CharField(label=_("Room, address or call link"), max_length=300, required=False)
    interviewers = InterviewerChoiceField(label=_("Interviewers"), queryset=User.objects.none(),
                                          widget=forms.SelectMultiple(attrs={"size": 6}))
    invite_applicant = forms.BooleanField(
        label=_("Invite the applicant"), required=False,
        help_text=_("Sends the applicant the time and place with a calendar file (if they gave an email)."))
    confirm_conflicts = forms.BooleanField(
        label=_("Schedule anyway"), required=False,
        help_text=_("Tick when an interviewer's other interview at that time is known and fine."))

    def __init__(self, *args: Any, locations: QuerySet[Location], interview: Interview | None = None,
                 **kwargs: Any) -> None:
        if interview is not None and "initial" not in kwargs:
            zone = zoneinfo.ZoneInfo(practice_timezone_name())
            kwargs["initial"] = {
                "kind": interview.kind, "duration_minutes": interview.duration_minutes,
                "starts_at": interview.starts_at.astimezone(zone).replace(tzinfo=None),
                "location": interview.location_id, "place": interview.place,
                "interviewers": [person.pk for person in interview.interviewers.all()],
            }
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["interviewers"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "last_name", "first_name", "username")

    def starts_at_local(self) -> dt.datetime:
        """The typed wall-clock time read in practice time, whatever zone the request runs in."""
        value: dt.datetime = self.cleaned_data["starts_at"]
        wall = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return wall.replace(tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))

    def plan(self) -> Plan:
        data = self.cleaned_data
        return Plan(kind=data["kind"], starts_at=self.starts_at_local(), duration_minutes=data["duration_minutes"],
                    location=data["location"], place=data["place"] or "", interviewers=list(data["interviewers"]))


class CancelForm(Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=200,
                             help_text=_("Kept in the audit trail and told to the interviewers, not the applicant."))
    notify_applicant = forms.BooleanField(label=_("Tell the applicant"), required=False)


class ScorecardForm(Form):
    """A rating 1-5 (and an optional comment) per criterion, the recommendation and a summary."""

    RATING_CHOICES = [(str(value), str(value)) for value in range(1, 6)]

    def __init__(self, *args: Any, criteria: list[ScorecardCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"rating_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name, help_text=criterion.guidance, choices=self.RATING_CHOICES, coerce=int,
                widget=forms.RadioSelect)
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on “%(name)s”") % {"name": criterion.name}, max_length=500, required=False)
        self.fields["recommendation"] = forms.ChoiceField(label=_("Recommendation"),
                                                          choices=Recommendation.choices, widget=forms.RadioSelect)
        self.fields["summary"] = forms.CharField(label=_("Summary"), required=False,
                                                 widget=forms.Textarea(attrs={"rows": 4}))

    @staticmethod
    def initial_from(card: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"recommendation": card.recommendation, "summary": card.summary}
        for rating in card.ratings.all():
            initial[f"rating_{rating.criterion_id}"] = str(rating.rating)
            initial[f"comment_{rating.criterion_id}"] = rating.comment
        return initial

    def ratings(self) -> dict[int, tuple[int, str]]:
        return {criterion.pk: (self.cleaned_data[f"rating_{criterion.pk}"],
                               self.cleaned_data.get(f"comment_{criterion.pk}", ""))
                for criterion in self.criteria}


class CriterionForm(ModelForm):
    class Meta:
        model = ScorecardCriterion
        fields = ["position", "name", "guidance", "order", "is_active"]
        help_texts = {"position": _("Empty: every position.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = Position.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields["position"].required = False

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
