from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openpractice.accounts.roles import Perm
from openpractice.audit.selectors import audit_event_list
from openpractice.core.web import require

from ..errors import COMMON_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.audit import AuditEventFilterIn, AuditEventOut

router = Router(tags=["audit"])


@router.get("", response={200: Page[AuditEventOut], **COMMON_RESPONSES}, url_name="audit_event_list",
            summary="The audit trail, newest first",
            description=f"Needs `{Perm.AUDIT_VIEW}`. Filters combine; `action` ending in `*` matches a prefix "
                        "(`accounts.*`). Someone who holds the permission at some locations sees the events "
                        "recorded there.")
def audit_events(request: HttpRequest, filters: Query[AuditEventFilterIn], page: Query[PageIn]) -> Any:
    require(request, Perm.AUDIT_VIEW)
    events = audit_event_list(
        actor=request.user,
        user_id=filters.user,
        patient_id=filters.patient_id,
        action=filters.action,
        since=filters.since,
        until=filters.until,
    )
    return paginate(events, page)
