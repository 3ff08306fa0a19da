from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import location_list
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.locations import LocationOut

router = Router(tags=["locations"])


@router.get("", response={200: Page[LocationOut], **COMMON_RESPONSES}, url_name="location_list",
            summary="Locations you may see",
            description=f"Needs `{Perm.PRACTICE_VIEW}`; lists only the locations where you hold it.")
def locations(request: HttpRequest, page: Query[PageIn]) -> Any:
    require(request, Perm.PRACTICE_VIEW)
    queryset = location_list(actor=request.user, permission=Perm.PRACTICE_VIEW).order_by("name", "pk")
    return paginate(queryset, page)


@router.get("/{int:location_id}", response={200: LocationOut, **COMMON_RESPONSES}, url_name="location_detail",
            summary="One location with its opening hours",
            description=f"Needs `{Perm.PRACTICE_VIEW}` at that location; otherwise 404.")
def location(request: HttpRequest, location_id: int) -> Any:
    require(request, Perm.PRACTICE_VIEW)
    scoped = location_list(actor=request.user, permission=Perm.PRACTICE_VIEW)
    return get_scoped_or_404(request, scoped, permission=Perm.PRACTICE_VIEW, pk=location_id)
