"""Routing rule and queue forms: input only. services.rules / services.queues decide what is allowed (a whole time
window, one of assign-to and round-robin, an assignee who works the queue, exactly one default queue)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import has_all_locations, locations_where
from openpractice.accounts.roles import Perm, Role
from openpractice.core.forms import Form
from openpractice.core.models import Department
from openpractice.scheduling.models import Provider

from .choices import Category, Channel, Priority, RuleHours
from .models import Queue, RoutingRule
from .selectors_rules import queues_for_rules, staff_choices

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RuleForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("An inactive rule is kept but never tried."))
    # Conditions
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
        error_messages={"invalid_choice": _("Unknown channel: %(value)s.")})
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
        error_messages={"invalid_choice": _("Unknown category: %(value)s.")})
    subject_words = forms.CharField(
        label=_("Words in the subject"), max_length=500, required=False,
        help_text=_("Comma-separated words or phrases, matched as whole words in any case, e.g. refill, prior auth."))
    body_words = forms.CharField(label=_("Words in the subject or text"), max_length=500, required=False)
    sender_contains = forms.CharField(label=_("Sender contains"), max_length=200, required=False,
                                      help_text=_("Part of the address or number, e.g. @bcbs.com or 919-555."))
    location: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Location"), queryset=None, required=False,  # type: ignore[arg-type]
                                      empty_label=_("Any location"))
    provider: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Patient's provider"), queryset=None, required=False,  # type: ignore[arg-type]
        empty_label=_("Any provider"),
        help_text=_("The provider of the linked patient's next visit, else of the last one."))
    hours = forms.ChoiceField(label=_("When"), choices=RuleHours.choices, initial=RuleHours.ANY)
    time_from = forms.TimeField(label=_("From (local time)"), required=False, widget=TIME_WIDGET)
    time_to = forms.TimeField(label=_("Until (local time)"), required=False, widget=TIME_WIDGET,
                              help_text=_("A window may pass midnight, e.g. 18:00 to 07:00."))
    # Actions
    queue: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Send to queue"), queryset=None)  # type: ignore[arg-type]
    assign_to: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Assign to"), queryset=None, required=False,  # type: ignore[arg-type]
                                       empty_label=_("Nobody (the queue works it)"),
                                       help_text=_("A member of the queue or a holder of its role."))
    round_robin = forms.BooleanField(label=_("Take turns among the queue's members"), required=False,
                                     help_text=_("Skips people away or on time off."))
    priority = forms.ChoiceField(label=_("Set priority"), required=False,
                                 choices=[("", _("Keep (normal unless the caller chose)")), *Priority.choices])
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"), required=False,
                                                min_value=1, max_value=60 * 24 * 30,
                                                help_text=_("Empty: the queue's."))
    resolve_minutes = forms.IntegerField(label=_("Resolve within (minutes)"), required=False, min_value=1,
                                         max_value=60 * 24 * 90, help_text=_("Empty: the queue's."))

    def __init__(self, *args: Any, actor: Any, rule: RoutingRule | None = None, **kwargs: Any) -> None:
        if rule is not None:
            kwargs.setdefault("initial", {
                "name": rule.name, "is_active": rule.is_active, "channels": rule.channels,
                "categories": rule.categories, "subject_words": rule.subject_words, "body_words": rule.body_words,
                "sender_contains": rule.sender_contains, "location": rule.location_id,
                "provider": rule.provider_id, "hours": rule.hours, "time_from": rule.time_from,
                "time_to": rule.time_to, "queue": rule.queue_id, "assign_to": rule.assign_to_id,
                "round_robin": rule.round_robin, "priority": rule.priority,
                "first_response_minutes": rule.first_response_minutes, "resolve_minutes": rule.resolve_minutes})
        super().__init__(*args, **kwargs)
        _limit(self.fields["location"], locations_where(actor, Perm.FRONTDESK_CONFIGURE).order_by("name"))
        if not has_all_locations(actor, Perm.FRONTDESK_CONFIGURE):
            location_field = self.fields["location"]
            location_field.required = True
            assert isinstance(location_field, forms.ModelChoiceField)
            location_field.empty_label = None
        _limit(self.fields["provider"], Provider.objects.filter(is_active=True).order_by("last_name", "first_name"))
        queues = queues_for_rules()
        if rule is not None:
            queues = queues | Queue.objects.filter(pk=rule.queue_id)
        _limit(self.fields["queue"], queues.distinct().order_by("name"))
        _limit(self.fields["assign_to"], staff_choices())

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["priority"] = data.get("priority") or ""
        return data


class QueueForm(Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    department: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)  # type: ignore[arg-type]
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("None")), *Role.choices],
                             help_text=_("Everyone holding this role at the message's location works the queue."))
    location: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Location"), queryset=None, required=False,  # type: ignore[arg-type]
                                      empty_label=_("Practice-wide"))
    members: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(label=_("Members"), queryset=None, required=False,  # type: ignore[arg-type]
                                             widget=forms.CheckboxSelectMultiple)
    leads: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Leads"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
        help_text=_("Told when a message in the queue breaches its service level; leads are members too."))
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"), min_value=1,
                                                max_value=60 * 24 * 30, initial=240)
    resolve_minutes = forms.IntegerField(label=_("Resolve within (minutes)"), min_value=1, max_value=60 * 24 * 90,
                                         initial=2 * 24 * 60)
    signature = forms.CharField(label=_("Signature"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                help_text=_("Added under replies sent from this queue (after the person's own)."))
    reply_address = forms.EmailField(label=_("Reply from"), required=False, max_length=254,
                                     help_text=_("The address replies are sent from; the practice's if empty."))
    is_default = forms.BooleanField(label=_("Default queue"), required=False,
                                    help_text=_("Messages no rule matches land here. Exactly one queue is the default: "
                                                "ticking this takes the flag from the current one."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Any, queue: Queue | None = None, **kwargs: Any) -> None:
        if queue is not None:
            memberships = list(queue.memberships.all())
            kwargs.setdefault("initial", {
                "name": queue.name, "department": queue.department_id, "role": queue.role,
                "location": queue.location_id, "first_response_minutes": queue.first_response_minutes,
                "resolve_minutes": queue.resolve_minutes, "signature": queue.signature,
                "reply_address": queue.reply_address, "is_default": queue.is_default, "is_active": queue.is_active,
                "members": [m.user_id for m in memberships], "leads": [m.user_id for m in memberships if m.is_lead]})
        super().__init__(*args, **kwargs)
        locations = locations_where(actor, Perm.FRONTDESK_CONFIGURE).order_by("name")
        _limit(self.fields["location"], locations)
        if not has_all_locations(actor, Perm.FRONTDESK_CONFIGURE):
            location_field = self.fields["location"]
            location_field.required = True
            assert isinstance(location_field, forms.ModelChoiceField)
            location_field.empty_label = None
        _limit(self.fields["department"], Department.objects.filter(is_active=True).order_by("name"))
        staff = staff_choices()
        _limit(self.fields["members"], staff)
        _limit(self.fields["leads"], staff)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["members"] = list(data.get("members") or [])
        data["leads"] = list(data.get("leads") or [])
        return data


def _limit(field: forms.Field, queryset: Any) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset
