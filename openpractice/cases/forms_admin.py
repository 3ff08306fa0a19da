"""Category form: input only; services.category_save decides what is allowed (the kinds the user manages, the
service-level order, incidents only for patient complaints)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .choices import CaseKind
from .models import CaseCategory


class CategoryForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    name = forms.CharField(label=_("Name"), max_length=80)
    acknowledge_days = forms.IntegerField(label=_("Acknowledge within (days)"), min_value=1, max_value=365)
    resolve_days = forms.IntegerField(label=_("Resolve within (days)"), min_value=1, max_value=365,
                                      help_text=_("New cases only: open cases keep the dates promised at intake."))
    opens_incident = forms.BooleanField(
        label=_("Opens a privacy incident"), required=False,
        help_text=_("A case in this category also opens an incident in the compliance incident log "
                    "(patient complaints only)."))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("A category no longer in use keeps its cases but takes no new ones."))

    def __init__(self, *args: Any, kinds: list[str], category: CaseCategory | None = None, **kwargs: Any) -> None:
        if category is not None:
            kwargs.setdefault("initial", {
                "kind": category.kind, "name": category.name, "acknowledge_days": category.acknowledge_days,
                "resolve_days": category.resolve_days, "opens_incident": category.opens_incident,
                "is_active": category.is_active})
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(value, label) for value, label in CaseKind.choices if value in kinds]
        if category is not None:
            # A category keeps its kind: its cases are of that kind.
            kind_field.disabled = True
