from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from openpractice.accounts.permissions import grants, permissions_of, reachable_location_ids
from openpractice.core.models import Location

from ..errors import COMMON_RESPONSES
from ..schemas.me import MeOut

router = Router(tags=["me"])


@router.get("", response={200: MeOut, **COMMON_RESPONSES}, url_name="me",
            summary="Who you are and what you may do",
            description="Any authenticated caller: your roles with tier and location scope, the locations where "
                        "you hold any role, and your permissions.")
def me(request: HttpRequest) -> Any:
    user: Any = request.user
    held = grants(user)
    reach = reachable_location_ids(user)
    all_locations = reach is None
    # Location names are not protected; the ids come from the user's own grants.
    locations = Location.objects.all() if reach is None else Location.objects.filter(pk__in=reach)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name,
        "email": user.email,
        "auth_method": getattr(request, "api_auth_method", "session"),
        "roles": [
            {"role": g.role, "tier": g.tier, "all_locations": g.all_locations, "location_ids": sorted(g.location_ids)}
            for g in held
        ],
        "tiers": sorted({g.tier for g in held}),
        "all_locations": all_locations,
        "locations": list(locations.order_by("name", "pk")),
        "permissions": sorted(permissions_of(user)),
    }
