"""The operations brief's settings form: schedule, staff recipients, outside addresses. The service checks again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import Weekday

from .choices import BriefFrequency
from .models import BriefSettings
from .selectors_brief import extra_addresses, recipient_choices

MAX_EXTRA_RECIPIENTS = 50


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} <{obj.email}>"


class BriefSettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send the brief on schedule"), required=False)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=BriefFrequency.choices)
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int,
                                     help_text=_("For weekly and fortnightly briefs; a monthly brief goes on the "
                                                 "first of the month."))
    hour = forms.TypedChoiceField(label=_("Hour (practice time)"), coerce=int,
                                  choices=[(hour, f"{hour:02d}:00") for hour in range(24)])
    recipients = StaffChoiceField(label=_("Staff recipients"), queryset=recipient_choices(), required=False,
                                  widget=forms.CheckboxSelectMultiple,
                                  help_text=_("Active staff with an email address."))
    extra_recipients = forms.CharField(label=_("Other recipients"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
                                       help_text=_("Email addresses of people without an account (owners, a board), "
                                                   "one per line. The brief holds figures only, never a patient."))

    def __init__(self, *args: Any, instance: BriefSettings | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "enabled": instance.enabled, "frequency": instance.frequency, "weekday": instance.weekday,
                "hour": instance.hour, "recipients": list(instance.recipients.values_list("pk", flat=True)),
                "extra_recipients": instance.extra_recipients,
            }
        super().__init__(*args, **kwargs)
        recipients = self.fields["recipients"]
        assert isinstance(recipients, StaffChoiceField)
        recipients.queryset = recipient_choices()  # evaluated per form: staff change

    def clean_extra_recipients(self) -> list[str]:
        addresses = extra_addresses(self.cleaned_data.get("extra_recipients") or "")
        if len(addresses) > MAX_EXTRA_RECIPIENTS:
            raise ValidationError(_("At most %(count)s outside addresses.") % {"count": MAX_EXTRA_RECIPIENTS})
        bad = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError(_("Not an email address: %(addresses)s") % {"addresses": ", ".join(bad)})
        return addresses

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("enabled") and not cleaned.get("recipients") and not cleaned.get("extra_recipients") \
                and "extra_recipients" not in self.errors:
            self.add_error("recipients", _("Name at least one recipient before turning the brief on."))
        return cleaned
