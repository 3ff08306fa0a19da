"""Front desk forms: a call logged, the public contact form, a message to a colleague, a callback done, links from a
message to other records, the staff directory's presence and profile, and the report's filter. Input only: the
services decide what is allowed. Choices come from the actor's scope (patients they may see, locations they work
at), so a record out of scope is "not a valid choice" before a service is ever called.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import location_ids_where, locations_where
from openpractice.accounts.roles import Perm, Role
from openpractice.audit.services import record_denied
from openpractice.cases.choices import Severity
from openpractice.cases.models import CaseCategory
from openpractice.core.forms import Form
from openpractice.core.models import Department, Location
from openpractice.facilities import selectors_work_orders as work_order_selectors
from openpractice.facilities.choices import Priority as WorkOrderPriority
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from .choices import Category, PresenceStatus, Priority
from .models import Message, Queue
from .services import callbacks, calls, contact_form, internal
from .services import links as link_services

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PRIORITY_CHOICES = [("", _("As routing decides")), *Priority.choices]


def _person(user: User) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Model) -> str:
        return _person(obj)  # type: ignore[arg-type]


class PatientChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A patient picked from the search results (a radio list the page fills as the desk types)."""

    def label_from_instance(self, obj: Model) -> str:
        patient: Patient = obj  # type: ignore[assignment]
        return f"{patient.last_name}, {patient.first_name} — {patient.date_of_birth:%m/%d/%Y} · {patient.account_number}"


def may_pick_patients(actor: Any) -> bool:
    """Whether the actor may name a patient at all (sees demographics somewhere)."""
    return location_ids_where(actor, Perm.PATIENTS_DEMOGRAPHICS) != frozenset()


def pickable_patients(actor: Any) -> QuerySet[Patient]:
    return patient_scoped(actor=actor).filter(is_active=True, merged_into__isnull=True)


def chosen_patient(form: forms.Form) -> list[Patient]:
    """The patient chosen before, among those the form offers (kept when the page comes back with errors)."""
    if "patient" not in form.fields or not form.is_bound or not form.data.get("patient"):
        return []
    value = str(form.data["patient"])
    if not value.isdigit() or int(value) >= 2**31:
        return []
    chosen = form.fields["patient"].queryset.filter(pk=int(value)).first()  # type: ignore[attr-defined]
    return [chosen] if chosen is not None else []


# --- a call -----------------------------------------------------------------------------------------------------


class CallLogForm(Form):
    caller_name = forms.CharField(label=_("Caller's name"), max_length=calls.NAME_MAX_CHARS, required=False)
    phone = forms.CharField(label=_("Caller's number"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.EmailField(label=_("Caller's email"), required=False,
                             help_text=_("To answer by email (replies then stay in one thread)."))
    patient = PatientChoiceField(label=_("Patient"), queryset=Patient.objects.none(), required=False,
                                 widget=forms.RadioSelect, empty_label=None)
    category = forms.ChoiceField(label=_("Reason for the call"), choices=Category.choices, initial=Category.OTHER)
    subject = forms.CharField(label=_("Subject"), max_length=calls.SUBJECT_MAX_CHARS, required=False,
                              help_text=_("Leave empty: the reason and the caller's name."))
    body = forms.CharField(label=_("Message"), max_length=calls.BODY_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4}))
    callback_number = forms.CharField(label=_("Callback number"), max_length=20, required=False,
                                      widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                                      help_text=_("Leave empty to call back the number the call came from."))
    priority = forms.ChoiceField(label=_("Urgency"), choices=PRIORITY_CHOICES, required=False)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("Practice-wide"))
    callback_needed = forms.BooleanField(label=_("Callback needed"), required=False)
    callback_due_at = forms.DateTimeField(label=_("Call back by"), required=False, widget=DATETIME)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations_where(  # type: ignore[attr-defined]
            actor, Perm.FRONTDESK_MANAGE).filter(is_active=True).order_by("name", "pk")
        # Practice-wide calls are for those who log calls everywhere; the others say where the call is about.
        self.fields["location"].required = location_ids_where(actor, Perm.FRONTDESK_MANAGE) is not None
        self.patients_allowed = may_pick_patients(actor)
        if self.patients_allowed:
            self.fields["patient"].queryset = pickable_patients(actor)  # type: ignore[attr-defined]
        else:
            del self.fields["patient"]

    def patient_options(self) -> list[Patient]:
        return chosen_patient(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("callback_needed") and not data.get("callback_due_at"):
            self.add_error("callback_due_at", _("Say by when to call back."))
        if not data.get("callback_needed"):
            data["callback_due_at"] = None
        return data


# --- the public contact form ------------------------------------------------------------------------------------


class ContactForm(Form):
    name = forms.CharField(label=_("Your name"), max_length=contact_form.NAME_MAX_CHARS)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel"}))
    location = forms.ModelChoiceField(label=_("Which of our locations is it about?"),
                                      queryset=Location.objects.none(), required=False,
                                      empty_label=_("Not sure / any"))
    subject = forms.CharField(label=_("Subject"), max_length=contact_form.SUBJECT_MAX_CHARS)
    body = forms.CharField(label=_("Message"), min_length=contact_form.BODY_MIN_CHARS,
                           max_length=contact_form.BODY_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Please do not send medical details here: we will call or write back."))
    # The honeypot: hidden from people (the template puts it in a `hidden` block), filled by bots.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = contact_form.public_locations()  # type: ignore[attr-defined]

    def visible_without_honeypot(self) -> list[Any]:
        return [field for field in self.visible_fields() if field.name != "website"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and "email" not in self.errors \
                and "phone" not in self.errors:
            self.add_error("email", _("Give an email address or a phone number so we can answer you."))
        return data


# --- a message to a colleague -----------------------------------------------------------------------------------


class InternalMessageForm(Form):
    recipient = PersonChoiceField(label=_("To a colleague"), queryset=User.objects.none(), required=False,
                                  empty_label=_("—"))
    queue = forms.ModelChoiceField(label=_("Or to a queue"), queryset=Queue.objects.none(), required=False,
                                   empty_label=_("—"))
    subject = forms.CharField(label=_("Subject"), max_length=internal.SUBJECT_MAX_CHARS)
    body = forms.CharField(label=_("Message"), max_length=internal.BODY_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 5}))
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITY_CHOICES, required=False)
    patient = PatientChoiceField(label=_("About a patient"), queryset=Patient.objects.none(), required=False,
                                 widget=forms.RadioSelect, empty_label=None)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = internal.staff_colleagues(actor=actor)  # type: ignore[attr-defined]
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.patients_allowed = may_pick_patients(actor)
        if self.patients_allowed:
            self.fields["patient"].queryset = pickable_patients(actor)  # type: ignore[attr-defined]
        else:
            del self.fields["patient"]

    def patient_options(self) -> list[Patient]:
        return chosen_patient(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("recipient") is None) == (data.get("queue") is None) and "recipient" not in self.errors \
                and "queue" not in self.errors:
            self.add_error("recipient", _("Send it to one colleague or to one queue."))
        return data


# --- callbacks --------------------------------------------------------------------------------------------------


class CallbackForm(Form):
    """Book a callback from the message page: who calls whom back, by when."""

    assignee = forms.ModelChoiceField(label=_("Who calls back"), queryset=User.objects.none())
    number = forms.CharField(label=_("Number to call"), max_length=20,
                             widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    due_at = forms.DateTimeField(label=_("Call back by"), widget=DATETIME)
    note = forms.CharField(label=_("Note"), max_length=callbacks.NOTE_MAX_CHARS, required=False)

    def __init__(self, *args: Any, message: Message, people: list[User], actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[person.pk for person in people]).order_by(
            "first_name", "last_name", "username", "pk")
        self.initial.setdefault("assignee", message.assignee_id or getattr(actor, "pk", None))
        self.initial.setdefault("number", message.callback_number or message.sender_phone)


class CallbackDoneForm(Form):
    result = forms.CharField(label=_("What came of the call"), max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. Left a voicemail")}))


# --- links from a message ---------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
LINK_KIND_LABELS: dict[str, Any] = {"patient": _("Patient (account number, e.g. P0001234)"),
                                    "appointment": _("Appointment (its number)"),
                                    "claim": _("Claim (claim number)"),
                                    "case": _("Case (e.g. CASE-00012)"),
                                    "work_order": _("Work order (e.g. WO-00042)")}


def linkable_kinds(actor: Any) -> list[str]:
    """The kinds of record the actor may link (those they see somewhere)."""
    return [field for field in link_services.LINK_FIELDS if _sees_some(actor, field)]


def _sees_some(actor: Any, field: str) -> bool:
    if field == "case":
        return any(location_ids_where(actor, perm) != frozenset() for perm in (Perm.CASES_VIEW, Perm.CASES_STAFF))
    permission = link_services.LINK_PERMISSIONS[field]
    return location_ids_where(actor, permission) != frozenset()


def _lookup(field: str, number: str) -> dict[str, Any] | None:
    """The lookup a typed number means for each kind; None when it cannot be one."""
    text = number.strip().upper()
    if field == "patient":
        return {"account_number": text} if text else None
    if field == "claim":
        return {"claim_number": text} if text else None
    digits = _DIGITS.findall(text)
    if len(digits) != 1 or int(digits[0]) >= 2**31:
        return None
    return {"pk": int(digits[0])}


class LinkForm(Form):
    kind = forms.ChoiceField(label=_("Link to"), choices=())
    number = forms.CharField(label=_("Number"), max_length=30, required=False,
                             help_text=_("Leave empty to remove the link of this kind."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["kind"].choices = [(kind, LINK_KIND_LABELS[kind])  # type: ignore[attr-defined]
                                       for kind in linkable_kinds(actor)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, number = data.get("kind"), (data.get("number") or "").strip()
        data["target"] = None
        if not kind or not number:
            return data
        lookup = _lookup(kind, number)
        scope = link_services.link_scope(actor=self.actor, field=kind)
        target = scope.filter(**lookup).first() if lookup is not None else None
        if target is None:
            if lookup is not None and scope.model._default_manager.filter(**lookup).exists():
                # It exists, out of the actor's sight: the same answer as "no such number", and on record.
                record_denied(actor=self.actor, action="frontdesk.message_link", object_type=scope.model._meta.label_lower,
                              object_id=str(scope.model._default_manager.filter(**lookup).values_list(
                                  "pk", flat=True).first()), reason=f"{link_services.LINK_PERMISSIONS[kind]} required"[:200])
            self.add_error("number", _("No record of this kind that you may see has this number."))
            return data
        data["target"] = target
        return data


class CaseOpenForm(Form):
    category = forms.ModelChoiceField(label=_("Case category"), queryset=CaseCategory.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    subject = forms.CharField(label=_("Case subject"), max_length=200,
                              help_text=_("A short summary without names or clinical detail."))

    def __init__(self, *args: Any, message: Message, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"subject": message.subject[:200]})
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = link_services.case_categories()  # type: ignore[attr-defined]


class WorkOrderOpenForm(Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    title = forms.CharField(label=_("What is wrong"), max_length=160)
    room = forms.CharField(label=_("Room"), max_length=60, required=False)
    description = forms.CharField(label=_("Details"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("No patient information: the maintenance firm may read this."))
    priority = forms.ChoiceField(label=_("Priority"), choices=WorkOrderPriority.choices,
                                 initial=WorkOrderPriority.NORMAL)

    def __init__(self, *args: Any, actor: Any, message: Message, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"title": message.subject[:160], "location": message.location_id,
                                      "priority": WorkOrderPriority.NORMAL})
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = work_order_selectors.report_locations(actor=actor)  # type: ignore[attr-defined]


# --- the staff directory ----------------------------------------------------------------------------------------


class PresenceForm(Form):
    presence = forms.ChoiceField(label=_("Status"), choices=PresenceStatus.choices)
    presence_note = forms.CharField(label=_("Note"), max_length=120, required=False,
                                    help_text=_("e.g. At the South clinic this afternoon."))
    away_until = forms.DateTimeField(label=_("Away until"), required=False, widget=DATETIME,
                                     help_text=_("Away or off only; leave empty until you change it."))
    user = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class ProfileForm(Form):
    handles = forms.CharField(label=_("Handles"), max_length=300, required=False,
                              help_text=_("What to send this person, e.g. 'prior authorizations, Aetna claims'."))
    extension = forms.CharField(label=_("Extension"), max_length=10, required=False)
    presence = forms.ChoiceField(label=_("Status"), choices=PresenceStatus.choices)
    presence_note = forms.CharField(label=_("Status note"), max_length=120, required=False)
    away_until = forms.DateTimeField(label=_("Away until"), required=False, widget=DATETIME)


class DirectoryFilterForm(Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False,
                                        empty_label=_("Every department"))
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Every role")), *Role.choices], required=False)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("Every location"))
    available = forms.BooleanField(label=_("On duty now"), required=False)

    def __init__(self, *args: Any, departments: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


# --- the report -------------------------------------------------------------------------------------------------

MAX_REPORT_DAYS = 366


class ReportFilterForm(Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("All my locations"))

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The range ends before it starts."))
            elif (end - start).days >= MAX_REPORT_DAYS:
                self.add_error("end", _("Choose at most a year."))
        return data
