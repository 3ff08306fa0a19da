from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling.selectors import provider_list

from ..errors import COMMON_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.providers import ProviderOut

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
