"""Case forms: input only. The services decide what is allowed; the numbers a person types (a patient's account
number, a claim or employee number, an incident id) are looked up among what they may see (selectors_pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.forms import Form
from openpractice.core.models import Location

from . import selectors_pages
from .choices import CaseKind, Confidentiality, EntryKind, LetterKind, Outcome, Severity
from .models import Case, CaseCategory

DATE = forms.DateInput(attrs={"type": "date"})
NOTE_KINDS = [(value, label) for value, label in EntryKind.choices
              if value in (EntryKind.NOTE, EntryKind.ACTION, EntryKind.CONTACT)]


def _person(user: User) -> str:
    return user.get_full_name() or user.username


class _IntakeBase(Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=CaseCategory.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              help_text=_("A short summary without names or clinical detail."))
    narrative = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 6}))
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("The whole practice / none"))

    def __init__(self, *args: Any, kind: str, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors_pages.intake_categories(kind)  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ComplaintForm(_IntakeBase):
    """A patient's complaint or grievance, taken by anyone on the staff."""

    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    confidentiality = forms.ChoiceField(label=_("Who may see it"), choices=Confidentiality.choices,
                                        initial=Confidentiality.NORMAL)
    complainant_name = forms.CharField(label=_("Complainant's name"), max_length=200, required=False)
    complainant_contact = forms.CharField(label=_("Complainant's address, phone or email"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 3}),
                                          help_text=_("Letters go to this address."))
    patient = forms.CharField(label=_("Patient account number"), max_length=12, required=False,
                              help_text=_("If the complaint is about a patient's care or account, e.g. P0001234."))

    field_order = ["category", "subject", "narrative", "location", "received_on", "severity", "confidentiality",
                   "complainant_name", "complainant_contact", "patient"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, kind=CaseKind.PATIENT, locations=selectors_pages.intake_locations(actor=actor),
                         **kwargs)
        self.actor = actor
        if not selectors_pages.may_pick_patients(actor):
            del self.fields["patient"]

    def clean_patient(self) -> Any:
        number = self.cleaned_data.get("patient") or ""
        if not number.strip():
            return None
        patient = selectors_pages.patient_by_account(actor=self.actor, account_number=number)
        if patient is None:
            raise forms.ValidationError(_("No patient you may see has this account number."))
        return patient


class GrievanceForm(_IntakeBase):
    """A staff member's own grievance: confidential unless they choose otherwise."""

    confidentiality = forms.ChoiceField(label=_("Who may see it"), choices=Confidentiality.choices,
                                        initial=Confidentiality.CONFIDENTIAL)
    contact = forms.CharField(label=_("How to reach you"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("An address, phone or email for the letters about your grievance."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, kind=CaseKind.STAFF, locations=selectors_pages.intake_locations(actor=actor),
                         **kwargs)


class AssignForm(Form):
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {user.pk: user for user in users}
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Nobody (unassigned)")), *((user.pk, _person(user)) for user in users)]

    def chosen(self) -> User | None:
        pk = self.cleaned_data.get("assignee")
        return self.users.get(pk) if pk is not None else None


class AcknowledgeForm(Form):
    note = forms.CharField(label=_("Note for the timeline"), max_length=1000, required=False,
                           help_text=_("Optional: how the complainant was told it is in hand."))


class NoteForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NOTE_KINDS, initial=EntryKind.NOTE)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class CaseEditForm(Form):
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              help_text=_("A short summary without names or clinical detail."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=CaseCategory.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    confidentiality = forms.ChoiceField(label=_("Who may see it"), choices=Confidentiality.choices)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("The whole practice"))

    def __init__(self, *args: Any, case: Case, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The case's own category stays offered even once it is retired.
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            CaseCategory.objects.filter(kind=case.kind, is_active=True)
            | CaseCategory.objects.filter(pk=case.category_id)).distinct()
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(case: Case) -> dict[str, Any]:
        return {"subject": case.subject, "category": case.category_id, "severity": case.severity,
                "confidentiality": case.confidentiality, "location": case.location_id}


class LinksForm(Form):
    """The links, by the numbers people know them by; only the links of the case's kind are offered."""

    patient = forms.CharField(label=_("Patient account number"), max_length=12, required=False)
    claim = forms.CharField(label=_("Claim number"), max_length=20, required=False,
                            help_text=_("A claim of the patient above (a billing dispute)."))
    respondent = forms.CharField(label=_("Employee number of the colleague concerned"), max_length=20,
                                 required=False)
    incident = forms.IntegerField(label=_("Incident number"), min_value=1, required=False)

    def __init__(self, *args: Any, actor: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        drop = ["respondent"] if case.kind == CaseKind.PATIENT else ["patient", "claim"]
        for name in drop:
            del self.fields[name]

    def clean_patient(self) -> Any:
        number = self.cleaned_data.get("patient") or ""
        found = selectors_pages.patient_by_account(actor=self.actor, account_number=number)
        if number.strip() and found is None:
            raise forms.ValidationError(_("No patient you may see has this account number."))
        return found

    def clean_claim(self) -> Any:
        number = self.cleaned_data.get("claim") or ""
        found = selectors_pages.claim_by_number(actor=self.actor, claim_number=number)
        if number.strip() and found is None:
            raise forms.ValidationError(_("No claim you may see has this number."))
        return found

    def clean_respondent(self) -> Any:
        number = self.cleaned_data.get("respondent") or ""
        found = selectors_pages.employee_by_number(actor=self.actor, employee_number=number)
        if number.strip() and found is None:
            raise forms.ValidationError(_("No employee whose record you may see has this number."))
        return found

    def clean_incident(self) -> Any:
        number = self.cleaned_data.get("incident")
        found = selectors_pages.incident_by_id(actor=self.actor, incident_id=number)
        if number and found is None:
            raise forms.ValidationError(_("No incident you manage has this number."))
        return found


class EscalateForm(Form):
    reason = forms.CharField(label=_("Why escalate"), max_length=500,
                             help_text=_("The senior practice managers are emailed (without the case's details)."))


class ResolveForm(Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices])
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 5}),
                                 help_text=_("What was found and done; the resolution letter says this."))


class ReopenForm(Form):
    reason = forms.CharField(label=_("Why reopen"), max_length=500)


class LetterForm(Form):
    kind = forms.ChoiceField(label=_("Letter"), choices=LetterKind.choices)
