"""The billing settings form (submitter, receiver, usage, drop directory). The service validates again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import ModelForm

from .models import BillingSettings
from .services.billing_settings import SETTINGS_FIELDS


class BillingSettingsForm(ModelForm):
    contact_phone = forms.CharField(label=_("EDI contact phone"), max_length=20,
                                    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                                    help_text=_("Ten digits; dashes, spaces and parentheses are fine."))

    class Meta:
        model = BillingSettings
        fields = SETTINGS_FIELDS

    def _post_clean(self) -> None:
        # The service sets the values and runs full_clean() (plus its own checks): nothing is set on the instance
        # here, so a refused save leaves the stored settings untouched.
        pass
