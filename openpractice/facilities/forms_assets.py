"""Asset and maintenance-plan forms: input only. The services decide what is allowed and validate again; a form
checks what a person can correct at once (a plan by meter without its reading, a person and a firm both named) in
plain words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location
from openpractice.vendors.models import Vendor

from . import selectors_assets as selectors
from .choices import AssetStatus, IntervalUnit
from .models import Asset, MaintenancePlan
from .services.assets import ASSET_FIELDS
from .services.plans import MAX_CHECKLIST, MAX_LEAD_DAYS, PLAN_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_REPORT_DAYS = 5 * 366


def _set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class AssetChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.tag} {obj.name} ({obj.location.name})"


class AssetForm(ModelForm):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    service_vendor = forms.ModelChoiceField(label=_("Service vendor"), queryset=Vendor.objects.none(), required=False,
                                            help_text=_("The firm that services it (the maintenance contract)."))

    class Meta:
        model = Asset
        fields = list(ASSET_FIELDS)
        widgets = {"purchased_on": DATE, "warranty_ends_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"meter_unit": _("What the meter counts (cycles, copies, hours); empty: no meter.")}

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = selectors.asset_manage_locations(actor=actor, include=self.instance.location_id)
        _set_queryset(self, "location", locations)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        if len(locations) == 1:
            location_field.empty_label = None
        current = self.instance.service_vendor if self.instance.pk else None
        _set_queryset(self, "service_vendor", selectors.service_vendor_choices(actor=actor, include=current))

    def _post_clean(self) -> None:
        # The service validates the model (and returns its errors to the fields).
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ASSET_FIELDS if name in self.cleaned_data}


class AssetStatusForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=AssetStatus.choices)
    reason = forms.CharField(label=_("Why"), max_length=150, required=False,
                             help_text=_("e.g. compressor failed, replaced by a new unit."))


class MeterForm(Form):
    reading = forms.IntegerField(label=_("Meter reading"), min_value=0, max_value=2_147_483_647)


class DocumentForm(Form):
    title = forms.CharField(label=_("Title"), max_length=120, required=False,
                            help_text=_("e.g. User manual, Warranty certificate. Empty: the file's name."))
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG or JPEG, at most 10 MB."),
                           widget=forms.FileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))


class PlanForm(ModelForm):
    asset = AssetChoiceField(label=_("Asset"), queryset=Asset.objects.none())
    assignee = PersonChoiceField(label=_("Assign to (staff)"), queryset=User.objects.none(), required=False)
    vendor = forms.ModelChoiceField(label=_("Assign to (firm)"), queryset=Vendor.objects.none(), required=False)
    checklist = forms.CharField(label=_("Checklist"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                help_text=_("One step per line (at most %(count)s); copied into each work order.")
                                % {"count": MAX_CHECKLIST})

    class Meta:
        model = MaintenancePlan
        fields = ["asset", *PLAN_FIELDS]
        widgets = {"next_due_on": DATE}
        help_texts = {"next_due_on": _("For plans by days or months."),
                      "next_due_meter": _("For plans by meter reading."),
                      "lead_days": _("The work order opens this many days before the due date (at most 365).")}

    field_order = ["asset", "title", "interval", "interval_unit", "next_due_on", "next_due_meter", "lead_days",
                   "priority", "assignee", "vendor", "checklist", "is_active"]

    def __init__(self, *args: Any, actor: Any, asset: Asset | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan: MaintenancePlan = self.instance
        if plan.pk:
            del self.fields["asset"]
            location_id: int | None = plan.asset.location_id
            self.initial.setdefault("checklist", "\n".join(selectors.plan_checklist(plan)))
        else:
            _set_queryset(self, "asset", selectors.plan_assets(actor=actor))
            if asset is not None:
                self.initial.setdefault("asset", asset.pk)
            location_id = asset.location_id if asset is not None else None
        _set_queryset(self, "assignee", selectors.assignee_choices(location_id=location_id))
        _set_queryset(self, "vendor", selectors.service_vendor_choices(
            actor=actor, include=plan.vendor if plan.pk else None))

    def _post_clean(self) -> None:
        pass

    def clean_lead_days(self) -> Any:
        value = self.cleaned_data.get("lead_days")
        if value is not None and value > MAX_LEAD_DAYS:
            raise forms.ValidationError(_("Open the work order at most %(days)s days ahead.") % {"days": MAX_LEAD_DAYS})
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = data.get("interval_unit")
        if unit == IntervalUnit.METER and data.get("next_due_meter") is None and not self.has_error("next_due_meter"):
            self.add_error("next_due_meter", _("Give the meter reading at which the maintenance is due."))
        if unit and unit != IntervalUnit.METER and not data.get("next_due_on") and not self.has_error("next_due_on"):
            self.add_error("next_due_on", _("Give the date the maintenance is next due."))
        if data.get("assignee") is not None and data.get("vendor") is not None:
            self.add_error("vendor", _("Assign the plan to a person or to a firm, not both."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PLAN_FIELDS if name in self.cleaned_data}

    def checklist_lines(self) -> list[str]:
        return str(self.cleaned_data.get("checklist") or "").splitlines()


class PeriodForm(Form):
    """A report's period (GET): from and to, both included."""

    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("start", _("Choose at most five years."))
        return data
