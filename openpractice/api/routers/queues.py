"""/queues: the front desk's queues with their members and leads, service levels, signature, reply address and the
default flag. Reading: frontdesk.view or frontdesk.configure. Creating and changing: frontdesk.configure where the
queue is (practice-wide, and the default queue: at every location). Exactly one queue is the default: making one
the default takes the flag from the old one in the same transaction; the default cannot be unflagged or
deactivated. A queue out of reach answers 404 (audited) and nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm, Role
from openpractice.core.models import Department, Location
from openpractice.core.web import deny, get_scoped_or_404, require
from openpractice.frontdesk import selectors_rules
from openpractice.frontdesk.models import Queue
from openpractice.frontdesk.services import queues as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import referenced, refuse_nulls, unknown

router = Router(tags=["queues"])
MAX_ID = 2_147_483_647
CONFIGURE = Perm.FRONTDESK_CONFIGURE
READ = f"{Perm.FRONTDESK_VIEW} or {Perm.FRONTDESK_CONFIGURE}"


class MemberOut(Schema):
    user_id: int
    name: str
    is_lead: bool = Field(description="Told when a message in the queue breaches its service level")


class QueueOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 2, "name": "Clinical – Raleigh", "department_id": 3, "role": "clinical_staff", "location_id": 1,
         "is_default": False, "is_active": True, "first_response_minutes": 240, "resolve_minutes": 1440,
         "signature": "Piedmont Family Medicine – clinical team", "reply_address": "clinical@piedmontfm.example",
         "members": [{"user_id": 31, "name": "Alex Moreno, RN", "is_lead": True}, {"user_id": 35, "name": "Sam Patel, CMA", "is_lead": False}],
         "open_messages": 7, "created_at": "2025-02-03T15:00:00Z", "updated_at": "2026-08-19T13:45:00Z"}]}}
    id: int
    name: str
    department_id: int | None
    role: str = Field(description="Everyone holding this role at the message's location works the queue")
    location_id: int | None = Field(description="Empty: practice-wide")
    is_default: bool = Field(description="Messages no rule matches land here; exactly one queue is")
    is_active: bool
    first_response_minutes: int
    resolve_minutes: int
    signature: str
    reply_address: str
    members: list[MemberOut]
    open_messages: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_members(obj: Queue) -> list[dict[str, Any]]:
        return [{"user_id": m.user_id, "name": m.user.get_full_name() or m.user.get_username(), "is_lead": m.is_lead}
                for m in obj.memberships.all()]

    @staticmethod
    def resolve_open_messages(obj: Queue) -> int:
        return int(getattr(obj, "open_count", 0))


class QueuePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"first_response_minutes": 60, "resolve_minutes": 480}]}}
    name: str | None = Field(None, min_length=1, max_length=80)
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    role: Role | None = Field(None, description="null: none")
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: practice-wide")
    is_default: bool | None = Field(None, description="true takes the flag from the current default")
    is_active: bool | None = None
    first_response_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)
    resolve_minutes: int | None = Field(None, ge=1, le=60 * 24 * 90)
    signature: str | None = Field(None, max_length=2000)
    reply_address: str | None = Field(None, max_length=254, description="Empty: the practice's address")
    member_ids: list[int] | None = Field(None, max_length=200, description="The members, all of them (replaces)")
    lead_ids: list[int] | None = Field(None, max_length=200, description="Leads (members too); with member_ids")


class QueueIn(QueuePatchIn):
    model_config = {"json_schema_extra": {"examples": [
        {"name": "Billing questions", "role": "biller", "first_response_minutes": 60, "resolve_minutes": 480}]}}
    name: str = Field(min_length=1, max_length=80, examples=["Billing questions"])  # type: ignore[assignment]


class QueueFilter(PageIn):
    active: bool | None = Field(None, description="Only queues in use (true) or not (false)")


_NULLABLE = ("department_id", "role", "location_id")


def _require_read(request: HttpRequest) -> None:
    if not (can(request.user, Perm.FRONTDESK_VIEW) or can(request.user, CONFIGURE)):
        raise deny(request, permission=READ)


def _users(ids: list[int], key: str) -> list[User]:
    users = {user.pk: user for user in User.objects.filter(pk__in=ids, is_active=True)}
    for pk in ids:
        if pk not in users:
            raise unknown(key, pk, "active user")
    return [users[pk] for pk in dict.fromkeys(ids)]


def _fields(data: dict[str, Any], queue: Queue | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    references = {"department_id": ("department", Department.objects.all(), "department"),
                  "location_id": ("location", Location.objects.all(), "location")}
    for key, value in data.items():
        if key in references:
            name, queryset, what = references[key]
            fields[name] = referenced(queryset, key, value, what)
        elif key == "role":
            fields[key] = str(value or "")
        elif key in ("member_ids", "lead_ids"):
            continue
        else:
            fields[key] = value
    if "lead_ids" in data and "member_ids" not in data:
        raise ValidationError({"lead_ids": _("Send member_ids with lead_ids (the whole membership).")})
    if "member_ids" in data:
        fields["members"] = _users(data["member_ids"], "member_ids")
        fields["leads"] = _users(data.get("lead_ids") or [], "lead_ids")
    elif queue is None:
        fields["members"], fields["leads"] = [], []
    return fields


@router.get("", response={200: Page[QueueOut], **COMMON_RESPONSES}, url_name="queue_list",
            summary="Queues with their members", description=f"Needs {READ}. The default queue first.")
def queue_list(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    _require_read(request)
    queryset = selectors_rules.queue_list()
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return paginate(queryset, filters)


@router.get("/{int:queue_id}", response={200: QueueOut, **COMMON_RESPONSES}, url_name="queue_detail",
            summary="One queue", description=f"Needs {READ}.")
def queue_detail(request: HttpRequest, queue_id: int) -> Any:
    _require_read(request)
    return get_scoped_or_404(request, selectors_rules.queue_list(), permission=READ, pk=queue_id)


@router.post("", response={201: QueueOut, **WRITE_RESPONSES}, url_name="queue_create", summary="Create a queue",
             description=f"Needs `{CONFIGURE}` where the queue is (practice-wide or default: every location).")
def queue_create(request: HttpRequest, payload: QueueIn) -> Any:
    require(request, CONFIGURE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, _NULLABLE)
    queue = services.queue_create(actor=request.user, **_fields(data, None))
    return Status(201, selectors_rules.queue_list().get(pk=queue.pk))


@router.patch("/{int:queue_id}", response={200: QueueOut, **WRITE_RESPONSES}, url_name="queue_update",
              summary="Change a queue",
              description=f"Needs `{CONFIGURE}` where the queue is, before and after the change. Only the fields "
                          "sent change; member_ids replaces the whole membership. All or nothing.")
def queue_update(request: HttpRequest, queue_id: int, payload: QueuePatchIn) -> Any:
    require(request, CONFIGURE)
    queue = get_scoped_or_404(request, selectors_rules.queues_configurable(actor=request.user), permission=CONFIGURE,
                              pk=queue_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, _NULLABLE)
    services.queue_update(actor=request.user, queue=queue, **_fields(data, queue))
    return selectors_rules.queue_list().get(pk=queue.pk)
