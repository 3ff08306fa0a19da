from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WebhookEvent
from .services_webhooks import MAX_NAME_LENGTH
from .urlsafety import MAX_URL_LENGTH


class SubscriptionForm(forms.Form):
    """What a manager fills in; the service checks the URL (https, public address) and the events."""

    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH,
                           help_text=_("Which system receives these events, e.g. “Data warehouse”."))
    url = forms.CharField(label=_("Receiver URL"), max_length=MAX_URL_LENGTH,
                          help_text=_("An https address reachable from the internet."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple)
