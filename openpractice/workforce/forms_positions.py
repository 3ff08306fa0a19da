"""The position form: what a manager may choose is limited to what they may act on (locations they manage,
positions they see, active catalog entries). The service checks everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import department_list, location_scoped

from .models import CredentialType, Position
from .selectors.positions import position_list
from .services.positions import POSITION_FIELDS, POSITION_M2M_FIELDS


class PositionForm(forms.ModelForm):
    class Meta:
        model = Position
        fields = (*POSITION_FIELDS, *POSITION_M2M_FIELDS)
        widgets = {
            "required_certifications": forms.CheckboxSelectMultiple,
            "preferred_certifications": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "pay_min": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "pay_max": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        location.queryset = location_scoped(actor=actor, permission=Perm.WORKFORCE_MANAGE).filter(is_active=True)
        if has_all_locations(actor, Perm.WORKFORCE_MANAGE):
            location.required = False
            location.empty_label = str(_("Every location (practice-wide)"))
        else:
            location.required = True
            location.empty_label = None
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = department_list(actor=actor, permission=Perm.PRACTICE_VIEW).filter(is_active=True)
        others = position_list(actor=actor).filter(is_active=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        for name in ("reports_to", "next_position"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = others
        for name in POSITION_M2M_FIELDS:
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = CredentialType.objects.filter(is_active=True)
            field.required = False
