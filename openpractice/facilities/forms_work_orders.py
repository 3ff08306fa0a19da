"""Work order forms: reporting a problem, the manager's triage / assignment / dispatch, and the forms the assignee,
the manager and the firm (through its link) use to move the work on. The services check every rule again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.vendors.models import Vendor

from .choices import CostKind, Priority, WorkOrderStatus
from .models import Asset, WorkOrder
from .selectors_work_orders import assignee_choices, firm_choices, report_assets, report_locations
from .services import vendor_links
from .services.work_orders import NOTE_MAX_CHARS, TRANSITIONS, CostIn

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
PHOTO_ACCEPT = "image/png,image/jpeg"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        where = f"{obj.location.name}{' · ' + obj.room if obj.room else ''}"
        return f"{obj.tag} {obj.name} ({where})"


def photo_field(required: bool = False) -> forms.FileField:
    return forms.FileField(label=_("Photo"), required=required, widget=forms.ClearableFileInput(
        attrs={"accept": PHOTO_ACCEPT}), help_text=_("A PNG or JPEG picture, at most 8 MB."))


class ProblemReportForm(forms.Form):
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(label=_("Location"),
                                                                         queryset=Location.objects.none())
    asset = AssetChoiceField(label=_("Equipment"), queryset=Asset.objects.none(), required=False,
                             empty_label=_("Not one listed piece of equipment"),
                             help_text=_("Leave it empty for a problem with the building or a room."))
    room = forms.CharField(label=_("Room"), max_length=60, required=False)
    title = forms.CharField(label=_("What is wrong"), max_length=160)
    description = forms.CharField(label=_("Details"), required=False, max_length=NOTE_MAX_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("No patient information: the maintenance firm may read this."))
    asset_down = forms.BooleanField(label=_("The equipment is out of service"), required=False)
    photo = photo_field()

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = report_locations(actor=actor)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["asset"].queryset = report_assets(actor=actor)  # type: ignore[attr-defined]
        only = list(locations[:2])
        if len(only) == 1:
            self.fields["location"].initial = only[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asset: Asset | None = data.get("asset")
        location = data.get("location")
        if asset is not None and location is not None and asset.location_id != location.pk:
            self.add_error("asset", _("This equipment is at another location."))
        return data


class TriageForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class AssignForm(forms.Form):
    assignee = PersonChoiceField(label=_("Staff member"), queryset=User.objects.none(), required=False,
                                 empty_label=_("Nobody"))
    vendor: forms.ModelChoiceField[Vendor] = forms.ModelChoiceField(label=_("or a firm"),
                                                                     queryset=Vendor.objects.none(), required=False,
                                                                     empty_label=_("No firm"))
    scheduled_for = forms.DateTimeField(label=_("Scheduled for"), required=False, input_formats=DATETIME_FORMATS,
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                   format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args: Any, work_order: WorkOrder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = assignee_choices(work_order)
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[person.pk for person in people]).order_by("last_name", "first_name", "username", "pk")
        self.fields["vendor"].queryset = firm_choices(  # type: ignore[attr-defined]
            include=work_order.vendor if work_order.vendor_id else None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assignee") is not None and data.get("vendor") is not None:
            raise forms.ValidationError(_("Assign the work order to a person or a firm, not both."))
        return data


class DispatchForm(forms.Form):
    sent_to = forms.EmailField(label=_("Send to"), help_text=_("The firm's email address."))
    days_valid = forms.IntegerField(label=_("The link works for (days)"), min_value=1,
                                    max_value=vendor_links.MAX_LINK_DAYS, initial=vendor_links.DEFAULT_LINK_DAYS)
    message = forms.CharField(label=_("Message to the firm"), required=False, max_length=NOTE_MAX_CHARS,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Access instructions, who to ask for. No patient information."))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current: str, allowed: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = TRANSITIONS.get(current, frozenset()) - {WorkOrderStatus.VERIFIED}
        if allowed is not None:
            targets &= set(allowed)
        self.fields["status"].choices = [(value, label) for value, label in WorkOrderStatus.choices  # type: ignore[attr-defined]
                                         if value in targets]

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["status"].choices)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class CostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CostKind.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=0, max_value=9999, decimal_places=2,
                               max_digits=6, help_text=_("For labour."))
    amount = forms.DecimalField(label=_("Amount ($)"), min_value=0, max_digits=12, decimal_places=2)
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=40, required=False,
                                     help_text=_("For a vendor invoice."))

    def cost(self) -> CostIn:
        data = self.cleaned_data
        return CostIn(kind=data["kind"], amount=data["amount"], hours=data.get("hours"),
                      description=data.get("description") or "", invoice_number=data.get("invoice_number") or "")


class PhotoForm(forms.Form):
    photo = photo_field(required=True)


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PeriodForm(forms.Form):
    """A report's period (GET): from and to, both included, at most five years."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > 5 * 366:
                self.add_error("start", _("Choose at most five years."))
        return data
