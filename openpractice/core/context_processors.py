"""What the shared layout needs on every page: the menu the user may use, their locations, idle timeout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from openpractice.accounts.mfa import mfa_pending
from openpractice.accounts.permissions import SESSION_LOCATION_KEY, reachable_location_ids

from . import navigation
from .models import Location
from .selectors import practice_settings


def shell(request: HttpRequest) -> dict[str, Any]:
    practice = practice_settings()
    context: dict[str, Any] = {
        "practice_name": practice.name,
        "demo_mode": settings.DEMO_MODE,
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    if mfa_pending(user):
        # Password given, second factor not yet: the menu would only bounce back to the MFA page.
        return context
    context["nav_items"] = [
        item
        for item in navigation.items()
        if item.visible_to(user) and (settings.DEMO_MODE or not item.demo_only)
    ]
    context["idle_timeout_seconds"] = practice.idle_timeout_minutes * 60
    # Locations for the switcher: wherever any of the user's roles reaches.
    ids = reachable_location_ids(user)
    active = Location.objects.active().only("pk", "name")
    locations = list(active if ids is None else active.filter(pk__in=ids))
    context["switcher_locations"] = locations
    selected = request.session.get(SESSION_LOCATION_KEY)
    context["current_location"] = next((loc for loc in locations if loc.pk == selected), None)
    return context
