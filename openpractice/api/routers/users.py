from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openpractice.accounts.roles import Perm
from openpractice.accounts.selectors import user_list
from openpractice.accounts.services.users import user_deactivate
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.users import UserOut

router = Router(tags=["users"])


@router.get("", response={200: Page[UserOut], **COMMON_RESPONSES}, url_name="user_list",
            summary="Staff with their roles",
            description=f"Needs `{Perm.USERS_VIEW}`. Someone who holds it at some locations sees the people who "
                        "hold a role there.")
def users(request: HttpRequest, page: Query[PageIn]) -> Any:
    require(request, Perm.USERS_VIEW)
    queryset = user_list(actor=request.user).order_by("last_name", "first_name", "username", "pk")
    return paginate(queryset, page)


@router.get("/{int:user_id}", response={200: UserOut, **COMMON_RESPONSES}, url_name="user_detail",
            summary="One person with their roles", description=f"Needs `{Perm.USERS_VIEW}`; otherwise 404.")
def user(request: HttpRequest, user_id: int) -> Any:
    require(request, Perm.USERS_VIEW)
    return get_scoped_or_404(request, user_list(actor=request.user), permission=Perm.USERS_VIEW, pk=user_id)


@router.post("/{int:user_id}/deactivate", response={200: UserOut, **WRITE_RESPONSES}, url_name="user_deactivate",
             summary="Deactivate a person",
             description=f"Needs `{Perm.USERS_MANAGE}` over that person. Ends all of their sessions and revokes "
                         "their API tokens and open invitations at once. Deactivating someone already deactivated "
                         "changes nothing.")
def deactivate(request: HttpRequest, user_id: int) -> Any:
    require(request, Perm.USERS_MANAGE)
    scoped = user_list(actor=request.user, permission=Perm.USERS_MANAGE)
    target = get_scoped_or_404(request, scoped, permission=Perm.USERS_MANAGE, pk=user_id)
    user_deactivate(actor=request.user, user=target)  # type: ignore[arg-type]
    return scoped.get(pk=user_id)
