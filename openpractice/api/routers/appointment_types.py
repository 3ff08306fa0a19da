"""/appointment-types: the practice's kinds of visit (name, length, colour, whether a room is needed). Practice-wide
settings, not PHI: anyone who sees the schedule (schedule.view) reads them, as booking needs them. Adding or
changing one needs practice.manage at every location, through the same service as the settings page; a caller
without it gets 404 and the refusal is audited. Types are retired (is_active false), never deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.selectors import appointment_type_list

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["appointment-types"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
COLOUR = r"^#[0-9a-fA-F]{6}$"


class AppointmentTypeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 2, "name": "Follow-up visit", "duration_minutes": 20, "colour": "#2E7D32", "needs_room": True,
         "is_active": True, "created_at": "2024-01-15T14:00:00Z", "updated_at": "2025-06-10T12:30:00Z"}]}}
    id: int
    name: str
    duration_minutes: int
    colour: str = Field(description="#rrggbb, the colour on the calendar")
    needs_room: bool
    is_active: bool = Field(description="false: retired, no longer offered for booking")
    created_at: dt.datetime
    updated_at: dt.datetime


class AppointmentTypeIn(Schema):
    name: str = Field(min_length=1, max_length=60, pattern=NO_NUL, description="Unique in the practice",
                      examples=["New patient visit"])
    duration_minutes: int = Field(ge=5, le=480, examples=[40])
    colour: str = Field("#2a7ab0", pattern=COLOUR, examples=["#2a7ab0"])
    needs_room: bool = Field(False, examples=[True])
    is_active: bool = True

    model_config = {"json_schema_extra": {"examples": [
        {"name": "New patient visit", "duration_minutes": 40, "colour": "#2a7ab0", "needs_room": True}]}}


class AppointmentTypePatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=60, pattern=NO_NUL, examples=["Annual physical"])
    duration_minutes: int | None = Field(None, ge=5, le=480, examples=[30])
    colour: str | None = Field(None, pattern=COLOUR, examples=["#7a4bb0"])
    needs_room: bool | None = None
    is_active: bool | None = Field(None, description="false retires the type")

    model_config = {"json_schema_extra": {"examples": [{"duration_minutes": 30}, {"is_active": False}]}}


class AppointmentTypeFilter(PageIn):
    active: bool | None = Field(None, description="true: offered for booking; false: retired")
    q: str = Field("", max_length=60, description="Part of the name")


@router.get("", response={200: Page[AppointmentTypeOut], **COMMON_RESPONSES}, url_name="appointment_type_list",
            summary="Appointment types",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` somewhere. By name.")
def appointment_type_list_(request: HttpRequest, filters: Query[AppointmentTypeFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = appointment_type_list()
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(name__icontains=text)
    return paginate(queryset.order_by("name", "pk"), filters)


@router.get("/{int:appointment_type_id}", response={200: AppointmentTypeOut, **COMMON_RESPONSES},
            url_name="appointment_type_detail", summary="One appointment type",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` somewhere.")
def appointment_type_detail(request: HttpRequest, appointment_type_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, appointment_type_list(), permission=Perm.SCHEDULE_VIEW,
                             pk=appointment_type_id)


@router.post("", response={201: AppointmentTypeOut, **WRITE_RESPONSES}, url_name="appointment_type_create",
             summary="Add an appointment type",
             description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location (types are practice-wide). A name "
                         "already used answers 422.")
def appointment_type_create(request: HttpRequest, payload: AppointmentTypeIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    created = services.appointment_type_save(actor=request.user, data=payload.model_dump())
    return Status(201, appointment_type_list().get(pk=created.pk))


@router.patch("/{int:appointment_type_id}", response={200: AppointmentTypeOut, **WRITE_RESPONSES},
              url_name="appointment_type_update", summary="Change or retire an appointment type",
              description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location. Send only the fields to change; "
                          "`is_active: false` retires the type (booked appointments keep it).")
def appointment_type_update(request: HttpRequest, appointment_type_id: int, payload: AppointmentTypePatchIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    current = get_scoped_or_404(request, appointment_type_list(), permission=Perm.PRACTICE_MANAGE,
                                pk=appointment_type_id)
    data = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    services.appointment_type_save(actor=request.user, data=data, appointment_type=current)
    return appointment_type_list().get(pk=current.pk)
