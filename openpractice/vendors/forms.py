"""Vendor forms: input only. The services decide what is allowed and validate again; a form checks what a person
can correct at once (an end before the start, a renewal without a term, a visit naming no rep) in plain words.

The tax ID is write-only: its box starts empty, an empty box keeps the stored value, and the pages show only its
last four digits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location

from . import selectors
from .choices import Weekday
from .models import Contract, Negotiation, RepAccessPolicy, RepVisit, Vendor, VendorCategory, VendorContact
from .services.contracts import CONTRACT_FIELDS
from .services.setup import POLICY_FIELDS
from .services.vendors import CONTACT_FIELDS, VENDOR_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
# A visit is logged once it happened; a little slack for clocks.
FUTURE_SLACK = dt.timedelta(minutes=15)


def person_label(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class RepChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A contact, with its company when the list spans vendors."""

    def label_from_instance(self, obj: Any) -> str:
        label = f"{obj.name} ({obj.vendor.name})"
        return f"{label} · {_('sales rep')}" if obj.is_sales_rep else label


class ContractChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.vendor.name}: {obj.title}"


def _set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


# --- vendors ---------------------------------------------------------------------------------------------------


class VendorForm(ModelForm):
    tax_id = forms.CharField(label=_("Tax ID (EIN)"), required=False, max_length=12,
                             help_text=_("Nine digits, e.g. 12-3456789. Stored encrypted; pages show the last four."),
                             widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    remove_tax_id = forms.BooleanField(label=_("Remove the stored tax ID"), required=False)
    website = forms.URLField(label=_("website"), required=False, max_length=200, assume_scheme="https")
    categories = forms.ModelMultipleChoiceField(label=_("Categories"), required=False,
                                                queryset=VendorCategory.objects.none(),
                                                widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Vendor
        fields = [name for name in VENDOR_FIELDS if name != "tax_id"] + ["categories"]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["name", "kind", "categories", "account_number", "tax_id", "remove_tax_id", "payment_terms"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "categories", VendorCategory.objects.order_by("name", "pk"))
        if self.instance.pk and self.instance.tax_id_last4:
            self.fields["tax_id"].help_text = _(
                "On file: the number ending %(last4)s. Leave empty to keep it; type a new one to replace it."
            ) % {"last4": self.instance.tax_id_last4}
        else:
            del self.fields["remove_tax_id"]

    def _post_clean(self) -> None:
        # The service validates the model (and returns its errors to the fields).
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove_tax_id") and data.get("tax_id"):
            self.add_error("tax_id", _("Either type a new tax ID or remove the stored one, not both."))
        return data

    def service_data(self) -> dict[str, Any]:
        """Every vendor field; the tax ID only when one was typed (or its removal asked for)."""
        data = {name: self.cleaned_data[name] for name in VENDOR_FIELDS if name in self.cleaned_data
                and name != "tax_id"}
        if self.cleaned_data.get("tax_id"):
            data["tax_id"] = self.cleaned_data["tax_id"]
        elif self.cleaned_data.get("remove_tax_id"):
            data["tax_id"] = ""
        return data


class ContactForm(ModelForm):
    class Meta:
        model = VendorContact
        fields = list(CONTACT_FIELDS)
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}
        help_texts = {"is_primary": _("The vendor's previous primary contact becomes an ordinary one.")}

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CONTACT_FIELDS}


class CategoryForm(Form):
    name = forms.CharField(label=_("New category"), max_length=80)


# --- contracts -------------------------------------------------------------------------------------------------


class ContractForm(ModelForm):
    """A contract's terms and dates, with its document; a new contract also names its vendor."""

    vendor = forms.ModelChoiceField(label=_("Vendor"), queryset=Vendor.objects.none())
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                              help_text=_("Gets the notice-deadline reminders with the vendor managers."))
    document = forms.FileField(
        label=_("Document"), required=False,
        help_text=_("The signed contract as a PDF, at most 10 MB. A new file replaces the stored one."),
        widget=forms.FileInput(attrs={"accept": "application/pdf"}))

    class Meta:
        model = Contract
        fields = list(CONTRACT_FIELDS)
        widgets = {"starts_on": DATE, "ends_on": DATE, "terms": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"notice_days": _("Days before the end by which notice must be given; reminders go out 60, 30, "
                                       "14 and 7 days before that deadline.")}

    field_order = ["vendor", "kind", "title", "reference", "status", "starts_on", "ends_on", "auto_renews",
                   "renewal_months", "notice_days", "annual_value", "handles_phi", "owner", "terms", "document"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "owner", selectors.contract_owner_choices())
        if self.instance.pk:
            del self.fields["vendor"]
        else:
            _set_queryset(self, "vendor", selectors.vendor_choices(actor=actor))

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The contract cannot end before it starts."))
        if data.get("auto_renews") and not data.get("renewal_months"):
            self.add_error("renewal_months", _("Give the length of each renewal term in months."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CONTRACT_FIELDS if name in self.cleaned_data}


# --- negotiations ----------------------------------------------------------------------------------------------


class NegotiationForm(ModelForm):
    vendor = forms.ModelChoiceField(label=_("Vendor"), queryset=Vendor.objects.none())
    contract = ContractChoiceField(label=_("Contract"), queryset=Contract.objects.none(), required=False,
                                   empty_label=_("None: the vendor in general"))
    our_people = PeopleField(label=_("Our people"), queryset=User.objects.none(), required=False,
                             widget=forms.SelectMultiple(attrs={"size": 6}))

    class Meta:
        model = Negotiation
        fields = ["vendor", "contract", "held_on", "their_people", "our_people", "asks", "offers", "outcome",
                  "annual_savings"]
        widgets = {"held_on": DATE, "asks": forms.Textarea(attrs={"rows": 3}),
                   "offers": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"their_people": _("Names and roles on the vendor's side."),
                      "annual_savings": _("What the outcome saves a year, in dollars; 0 if nothing yet.")}

    def __init__(self, *args: Any, actor: Any, vendor: Vendor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "vendor", selectors.vendor_choices(actor=actor, include=vendor))
        _set_queryset(self, "contract", selectors.contract_choices(actor=actor, vendor=vendor))
        _set_queryset(self, "our_people", selectors.people_choices())

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vendor, contract = data.get("vendor"), data.get("contract")
        if vendor is not None and contract is not None and contract.vendor_id != vendor.pk:
            self.add_error("contract", _("Choose one of this vendor's contracts."))
        return data

    def service_data(self) -> dict[str, Any]:
        names = ("contract", "held_on", "their_people", "asks", "offers", "outcome", "annual_savings")
        return {name: self.cleaned_data[name] for name in names}


# --- sales-rep visits ------------------------------------------------------------------------------------------


class RepVisitForm(ModelForm):
    vendor = forms.ModelChoiceField(label=_("Company"), queryset=Vendor.objects.none())
    rep = RepChoiceField(label=_("Representative"), queryset=VendorContact.objects.none(), required=False,
                         empty_label=_("Not among the company's contacts"))
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    visited_at = forms.DateTimeField(label=_("Visited at"), input_formats=DATETIME_FORMATS,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"))
    met_with = PeopleField(label=_("Met with"), queryset=User.objects.none(), required=False,
                           widget=forms.SelectMultiple(attrs={"size": 6}))

    class Meta:
        model = RepVisit
        fields = ["vendor", "rep", "rep_name", "location", "visited_at", "had_appointment", "met_with", "products",
                  "notes"]
        widgets = {"products": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"rep_name": _("Only when the representative is not one of the company's contacts.")}

    def __init__(self, *args: Any, actor: Any, vendor: Vendor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "vendor", selectors.vendor_choices(actor=actor, include=vendor))
        _set_queryset(self, "rep", selectors.rep_choices(actor=actor, vendor=vendor))
        locations = selectors.rep_visit_locations(actor=actor)
        _set_queryset(self, "location", locations)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.empty_label = None if len(locations) == 1 else location_field.empty_label
        _set_queryset(self, "met_with", selectors.people_choices())

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vendor, rep = data.get("vendor"), data.get("rep")
        if rep is None and not (data.get("rep_name") or "").strip() and not self.has_error("rep"):
            self.add_error("rep_name", _("Choose the representative or type their name."))
        if vendor is not None and rep is not None and rep.vendor_id != vendor.pk:
            self.add_error("rep", _("Choose one of this company's contacts."))
        visited_at = data.get("visited_at")
        if visited_at is not None and visited_at > timezone.now() + FUTURE_SLACK:
            self.add_error("visited_at", _("Log a visit once it has happened."))
        return data

    def service_data(self) -> dict[str, Any]:
        names = ("rep", "rep_name", "location", "visited_at", "had_appointment", "products", "notes")
        return {name: self.cleaned_data[name] for name in names}


class RepPolicyForm(ModelForm):
    allowed_weekdays = forms.TypedMultipleChoiceField(
        label=_("Days reps are seen"), choices=Weekday.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any day."))

    class Meta:
        model = RepAccessPolicy
        fields = list(POLICY_FIELDS)
        widgets = {"earliest": TIME, "latest": TIME, "notes": forms.Textarea(attrs={"rows": 4})}

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest, latest = data.get("earliest"), data.get("latest")
        if earliest and latest and latest <= earliest:
            self.add_error("latest", _("The latest time must be after the earliest."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}
