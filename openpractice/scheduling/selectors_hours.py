"""Reads of providers' weekly hours and time off across providers (the REST collections), scoped exactly as the
provider pages are: a provider's periods and time off are seen by whoever sees the provider (provider_list's
rule for `permission`). Not PHI: schedule settings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.roles import Perm

from .models import ProviderTemplate, TimeOff
from .selectors import provider_list


def provider_template_scoped(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[ProviderTemplate]:
    """Weekly periods of the providers the actor sees for `permission`, with what a row shows joined in."""
    providers = provider_list(actor=actor, permission=permission).values("pk")
    return ProviderTemplate.objects.filter(provider__in=providers).select_related("provider", "location")


def time_off_scoped(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[TimeOff]:
    """Blocked time of the providers the actor sees for `permission`, with the provider joined in."""
    providers = provider_list(actor=actor, permission=permission).values("pk")
    return TimeOff.objects.filter(provider__in=providers).select_related("provider")
