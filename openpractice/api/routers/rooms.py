"""/rooms: exam and procedure rooms at your locations (schedule.view there to read them, as booking needs them).
Adding, changing, moving or retiring a room needs practice.manage at its location (and at the new one when it
moves), through the same service as the settings page. A room at another location answers 404 (audited); a
refused change is audited and changes nothing. Rooms are retired (is_active false), never deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.selectors import room_list

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.common import LocationRefOut

router = Router(tags=["rooms"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class RoomOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 4, "name": "Exam 3", "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "is_active": True,
         "created_at": "2024-01-15T14:00:00Z", "updated_at": "2024-01-15T14:00:00Z"}]}}
    id: int
    name: str
    location: LocationRefOut
    is_active: bool = Field(description="false: retired, no longer offered for booking")
    created_at: dt.datetime
    updated_at: dt.datetime


class RoomIn(Schema):
    location_id: int = Field(ge=1, le=2_147_483_647, description="A location where you manage the practice",
                             examples=[1])
    name: str = Field(min_length=1, max_length=40, pattern=NO_NUL, description="Unique at its location",
                      examples=["Exam 3"])
    is_active: bool = True

    model_config = {"json_schema_extra": {"examples": [{"location_id": 1, "name": "Exam 3"}]}}


class RoomPatchIn(Schema):
    location_id: int | None = Field(None, ge=1, le=2_147_483_647, description="Move the room", examples=[2])
    name: str | None = Field(None, min_length=1, max_length=40, pattern=NO_NUL, examples=["Procedure room"])
    is_active: bool | None = Field(None, description="false retires the room")

    model_config = {"json_schema_extra": {"examples": [{"name": "Procedure room"}, {"is_active": False}]}}


class RoomFilter(PageIn):
    location_id: int | None = Field(None, ge=1, le=2_147_483_647)
    active: bool | None = Field(None, description="true: offered for booking; false: retired")


def _location(request: HttpRequest, location_id: int) -> Location:
    """A location the caller sees; the service refuses (and audits) one they see but do not manage."""
    found = location_scoped(actor=request.user, permission=Perm.PRACTICE_VIEW).filter(pk=location_id).first()
    if found is None:
        found = location_scoped(actor=request.user, permission=Perm.SCHEDULE_VIEW).filter(pk=location_id).first()
    if found is None:
        raise ValidationError({"location_id": _("There is no location with id %(id)s that you may use.")
                               % {"id": location_id}})
    return found


@router.get("", response={200: Page[RoomOut], **COMMON_RESPONSES}, url_name="room_list",
            summary="Rooms at your locations",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`; the rooms at the locations where you hold it, by location "
                        "and name.")
def room_list_(request: HttpRequest, filters: Query[RoomFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = room_list(actor=request.user)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return paginate(queryset.order_by("location__name", "name", "pk"), filters)


@router.get("/{int:room_id}", response={200: RoomOut, **COMMON_RESPONSES}, url_name="room_detail",
            summary="One room", description=f"Needs `{Perm.SCHEDULE_VIEW}` at the room's location.")
def room_detail(request: HttpRequest, room_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, room_list(actor=request.user), permission=Perm.SCHEDULE_VIEW, pk=room_id)


@router.post("", response={201: RoomOut, **WRITE_RESPONSES}, url_name="room_create",
             summary="Add a room",
             description=f"Needs `{Perm.PRACTICE_MANAGE}` at the room's location. A name already used there "
                         "answers 422.")
def room_create(request: HttpRequest, payload: RoomIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    location = _location(request, payload.location_id)
    created = services.room_save(actor=request.user, data={
        "location": location, "name": payload.name, "is_active": payload.is_active})
    return Status(201, room_list(actor=request.user, permission=Perm.PRACTICE_MANAGE).get(pk=created.pk))


@router.patch("/{int:room_id}", response={200: RoomOut, **WRITE_RESPONSES}, url_name="room_update",
              summary="Change, move or retire a room",
              description=f"Needs `{Perm.PRACTICE_MANAGE}` at the room's location, and at the new one when it "
                          "moves. Send only the fields to change.")
def room_update(request: HttpRequest, room_id: int, payload: RoomPatchIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    managed = room_list(actor=request.user, permission=Perm.PRACTICE_MANAGE)
    room = get_scoped_or_404(request, managed, permission=Perm.PRACTICE_MANAGE, pk=room_id)
    data: dict[str, Any] = {}
    if payload.location_id is not None:
        data["location"] = _location(request, payload.location_id)
    if payload.name is not None:
        data["name"] = payload.name
    if payload.is_active is not None:
        data["is_active"] = payload.is_active
    services.room_save(actor=request.user, room=room, data=data)
    return room_list(actor=request.user, permission=Perm.PRACTICE_MANAGE).get(pk=room.pk)
