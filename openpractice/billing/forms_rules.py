"""The form for the practice's scrubber rules, with the rule explained in one sentence as it is typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.codes import place_of_service_choices
from openpractice.core.forms import ModelForm
from openpractice.patients.models import Payer
from openpractice.scheduling.params import parse_id

from .choices import Severity
from .models import ScrubRule
from .scrubber import describe_rule


class ScrubRuleForm(ModelForm):
    place_of_service = forms.ChoiceField(label=_("Place of service"), required=False)

    class Meta:
        model = ScrubRule
        fields = ["name", "payer", "procedure_code", "place_of_service", "requires_modifier", "forbids_modifier",
                  "requires_prior_authorization", "severity", "message", "fix_hint"]
        labels = {
            "payer": _("Payer"),
            "procedure_code": _("Procedure code (CPT/HCPCS)"),
            "requires_prior_authorization": _("Requires a prior authorization number on the claim"),
        }
        help_texts = {
            "payer": _("Empty: lines of every payer."),
            "procedure_code": _("Empty: every code."),
            "requires_modifier": _("The line must carry this modifier, e.g. 25."),
            "forbids_modifier": _("The line must not carry this modifier, e.g. 59."),
            "message": _("What the biller reads on the held claim."),
            "fix_hint": _("Where and how to fix it."),
        }
        widgets = {
            "severity": forms.RadioSelect,
            "procedure_code": forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
            "requires_modifier": forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
            "forbids_modifier": forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer_field = self.fields["payer"]
        assert isinstance(payer_field, forms.ModelChoiceField)
        # Active payers, and the rule's own payer even when it has been deactivated since.
        payer_field.queryset = Payer.objects.filter(Q(is_active=True) | Q(pk=self.instance.payer_id)).order_by("name")
        payer_field.empty_label = str(_("Any payer"))
        place = self.fields["place_of_service"]
        assert isinstance(place, forms.ChoiceField)
        place.choices = [("", _("Any place of service")), *place_of_service_choices()]

    def explanation(self) -> str:
        """The rule as it stands in the form (typed so far, valid or not) in one sentence."""
        if self.is_bound:
            def value(name: str) -> str:
                return str(self.data.get(self.add_prefix(name)) or "").strip()
            payer_id = parse_id(value("payer"))  # "²".isdigit() is true, int("²") fails: parse_id refuses it
            payer_name = ""
            if payer_id is not None:
                payer_name = Payer.objects.filter(pk=payer_id).values_list("name", flat=True).first() or ""
            return describe_rule(
                payer_name=payer_name, procedure_code=value("procedure_code").upper(),
                place_of_service=value("place_of_service"), requires_modifier=value("requires_modifier").upper(),
                forbids_modifier=value("forbids_modifier").upper(),
                requires_prior_authorization=value("requires_prior_authorization") in ("on", "true", "True", "1"),
                severity=value("severity") or Severity.ERROR,
            )
        rule = self.instance
        return describe_rule(
            payer_name=rule.payer.name if rule.payer is not None else "", procedure_code=rule.procedure_code,
            place_of_service=rule.place_of_service, requires_modifier=rule.requires_modifier,
            forbids_modifier=rule.forbids_modifier,
            requires_prior_authorization=rule.requires_prior_authorization, severity=rule.severity,
        )
