from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.selectors import provider_list

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.providers import ProviderIn, ProviderOut, ProviderPatchIn

router = Router(tags=["providers"])


@router.get("", response={200: Page[ProviderOut], **COMMON_RESPONSES}, url_name="provider_list",
            summary="Providers at your locations",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`; lists providers working at a location where you hold it.")
def providers(request: HttpRequest, page: Query[PageIn]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return paginate(provider_list(actor=request.user).order_by("last_name", "first_name", "pk"), page)


@router.get("/{int:provider_id}", response={200: ProviderOut, **COMMON_RESPONSES}, url_name="provider_detail",
            summary="One provider", description=f"Needs `{Perm.SCHEDULE_VIEW}` at one of the provider's locations.")
def provider(request: HttpRequest, provider_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, provider_list(actor=request.user), permission=Perm.SCHEDULE_VIEW,
                             pk=provider_id)


def _locations(request: HttpRequest, ids: list[int]) -> list[Location]:
    """The chosen locations, each one where the caller may manage the practice; anything else is a field error
    (the service audits a refusal at a location the caller can see but not manage)."""
    found = {location.pk: location for location in location_scoped(actor=request.user, permission=Perm.PRACTICE_VIEW)
             .filter(pk__in=ids)}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError({"locations": f"Unknown location id(s): {', '.join(map(str, missing))}."})
    return [found[pk] for pk in dict.fromkeys(ids)]


@router.post("", response={201: ProviderOut, **WRITE_RESPONSES}, url_name="provider_create",
             summary="Add a provider",
             description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location given. NPI check digit and NUCC "
                         "taxonomy format are verified (422 on the field).")
def provider_create(request: HttpRequest, payload: ProviderIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    data = payload.model_dump(exclude={"locations"})
    created = services.provider_create(actor=request.user, data=data,
                                       locations=_locations(request, payload.locations))
    return Status(201, provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE).get(pk=created.pk))


@router.patch("/{int:provider_id}", response={200: ProviderOut, **WRITE_RESPONSES}, url_name="provider_update",
              summary="Change a provider",
              description=f"Needs `{Perm.PRACTICE_MANAGE}` at the provider's locations (and at new ones). Send only "
                          "the fields to change.")
def provider_update(request: HttpRequest, provider_id: int, payload: ProviderPatchIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    managed = provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE)
    provider = get_scoped_or_404(request, managed, permission=Perm.PRACTICE_MANAGE, pk=provider_id)
    data = payload.model_dump(exclude_unset=True, exclude={"locations"})
    locations = _locations(request, payload.locations) if payload.locations is not None else None
    services.provider_update(actor=request.user, provider=provider, data=data, locations=locations)
    return managed.get(pk=provider.pk)
