"""/payers: insurance companies and programs with their plans (practice-wide reference data, no PHI)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients import selectors, services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.payers import PayerIn, PayerOut, PayerPatchIn

router = Router(tags=["payers"])


class PayerFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the name or the electronic payer ID")
    active: bool | None = None


@router.get("", response={200: Page[PayerOut], **COMMON_RESPONSES}, url_name="payer_list",
            summary="Payers", description=f"Needs `{Perm.PAYERS_VIEW}`.")
def payer_list(request: HttpRequest, filters: Query[PayerFilter]) -> Any:
    require(request, Perm.PAYERS_VIEW)
    queryset = selectors.payer_list(actor=request.user).prefetch_related("plans")
    if filters.q:
        queryset = queryset.filter(name__icontains=filters.q) | queryset.filter(payer_id__iexact=filters.q)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return paginate(queryset.order_by("name", "pk"), filters)


@router.get("/{int:payer_id}", response={200: PayerOut, **COMMON_RESPONSES}, url_name="payer_detail",
            summary="One payer with its plans", description=f"Needs `{Perm.PAYERS_VIEW}`.")
def payer_detail(request: HttpRequest, payer_id: int) -> Any:
    require(request, Perm.PAYERS_VIEW)
    return get_scoped_or_404(request, selectors.payer_list(actor=request.user), permission=Perm.PAYERS_VIEW,
                             pk=payer_id)


@router.post("", response={201: PayerOut, **WRITE_RESPONSES}, url_name="payer_create",
             summary="Add a payer", description=f"Needs `{Perm.PAYERS_MANAGE}`.")
def payer_create(request: HttpRequest, payload: PayerIn) -> Any:
    require(request, Perm.PAYERS_MANAGE)
    return Status(201, services.payer_create(actor=request.user, data=payload.model_dump()))


@router.patch("/{int:payer_id}", response={200: PayerOut, **WRITE_RESPONSES}, url_name="payer_update",
              summary="Change a payer", description=f"Needs `{Perm.PAYERS_MANAGE}`. Send only the fields to change.")
def payer_update(request: HttpRequest, payer_id: int, payload: PayerPatchIn) -> Any:
    require(request, Perm.PAYERS_MANAGE)
    payer = get_scoped_or_404(request, selectors.payer_list(actor=request.user), permission=Perm.PAYERS_MANAGE,
                              pk=payer_id)
    return services.payer_update(actor=request.user, payer=payer, data=payload.model_dump(exclude_unset=True))
