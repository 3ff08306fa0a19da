from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_get
from openpractice.core.services import practice_update
from openpractice.core.web import require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..schemas.practice import PracticeOut, PracticePatchIn
from ..schemas.supply import refuse_nulls

router = Router(tags=["practice"])


@router.get("", response={200: PracticeOut, **COMMON_RESPONSES}, url_name="practice_get",
            summary="The practice", description=f"Needs `{Perm.PRACTICE_VIEW}`.")
def practice_detail(request: HttpRequest) -> Any:
    require(request, Perm.PRACTICE_VIEW)
    practice = practice_get()
    if practice is None:
        raise Http404
    return practice


@router.patch("", response={200: PracticeOut, **WRITE_RESPONSES}, url_name="practice_update",
              summary="Change the practice's settings",
              description=f"Needs `{Perm.PRACTICE_MANAGE}` at all locations. Send only the fields to change.")
def practice_patch(request: HttpRequest, payload: PracticePatchIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    practice = practice_get()
    if practice is None:
        raise Http404
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data)  # every practice setting is required: null would reach the database's NOT NULL as a 500
    return practice_update(actor=request.user, practice=practice, data=data)
