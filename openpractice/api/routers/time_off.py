"""/time-off-periods: times a provider is blocked (conference, vacation). Seen by whoever sees the provider
(schedule.view at one of the provider's locations), as on the provider's page. Adding or removing one needs
schedule.manage at every location of the provider, through the same services as that page; a refusal answers 404
and is audited. Booked appointments inside new time off stay booked: the front desk reschedules them. The page has
no way to change a period, so neither has the API: remove it and add another."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime, field_validator

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.models import Provider
from openpractice.scheduling.selectors import provider_list
from openpractice.scheduling.selectors_hours import time_off_scoped

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import ProviderRefOut

router = Router(tags=["time-off-periods"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
MAX_ID = 2_147_483_647


class TimeOffOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 31, "provider": {"id": 7, "display_name": "Priya Raman, MD"}, "starts_at": "2026-12-21T13:00:00Z",
         "ends_at": "2026-12-24T22:00:00Z", "reason": "Vacation"}]}}
    id: int
    provider: ProviderRefOut
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class TimeOffIn(Schema):
    provider_id: int = Field(ge=1, le=MAX_ID, description="A provider whose schedule you manage at all their "
                                                          "locations", examples=[7])
    starts_at: AwareDatetime = Field(description="With a time zone offset", examples=["2026-12-21T08:00:00-05:00"])
    ends_at: AwareDatetime = Field(description="After starts_at", examples=["2026-12-24T17:00:00-05:00"])
    reason: str = Field("", max_length=120, pattern=NO_NUL, description="Short, e.g. conference or vacation",
                        examples=["Vacation"])

    model_config = {"json_schema_extra": {"examples": [
        {"provider_id": 7, "starts_at": "2026-12-21T08:00:00-05:00", "ends_at": "2026-12-24T17:00:00-05:00",
         "reason": "Vacation"}]}}

    @field_validator("starts_at", "ends_at")
    @classmethod
    def storable(cls, value: dt.datetime) -> dt.datetime:
        # Stored in UTC: a moment at the very edge of the calendar would not convert (an error, not a 500).
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValueError("out of range") from exc


class TimeOffFilter(PageIn):
    provider_id: int | None = Field(None, ge=1, le=MAX_ID)
    upcoming: bool | None = Field(None, description="true: not over yet (as on the provider's page); false: over")


def _provider(request: HttpRequest, provider_id: int) -> Provider:
    """A provider the caller sees; the service refuses (and audits) one they see but may not block time for."""
    found = provider_list(actor=request.user).filter(pk=provider_id).first()
    if found is None:
        raise ValidationError({"provider_id": _("There is no provider with id %(id)s that you may use.")
                               % {"id": provider_id}})
    return found


@router.get("", response={200: Page[TimeOffOut], **COMMON_RESPONSES}, url_name="time_off_list",
            summary="Providers' time off",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`; the time off of the providers working at a location where "
                        "you hold it, by start.")
def time_off_list(request: HttpRequest, filters: Query[TimeOffFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = time_off_scoped(actor=request.user)
    if filters.provider_id is not None:
        queryset = queryset.filter(provider_id=filters.provider_id)
    if filters.upcoming is not None:
        now = timezone.now()
        queryset = queryset.filter(ends_at__gt=now) if filters.upcoming else queryset.filter(ends_at__lte=now)
    return paginate(queryset.order_by("starts_at", "pk"), filters)


@router.get("/{int:time_off_period_id}", response={200: TimeOffOut, **COMMON_RESPONSES}, url_name="time_off_detail",
            summary="One period of time off",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` at one of the provider's locations.")
def time_off_detail(request: HttpRequest, time_off_period_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, time_off_scoped(actor=request.user), permission=Perm.SCHEDULE_VIEW,
                             pk=time_off_period_id)


@router.post("", response={201: TimeOffOut, **WRITE_RESPONSES}, url_name="time_off_create",
             summary="Block a provider's time",
             description=f"Needs `{Perm.SCHEDULE_MANAGE}` at every location of the provider. The end must be after "
                         "the start (else 422). Appointments already booked in that time stay booked.")
def time_off_create(request: HttpRequest, payload: TimeOffIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    provider = _provider(request, payload.provider_id)
    created = services.time_off_create(actor=request.user, provider=provider, starts_at=payload.starts_at,
                                       ends_at=payload.ends_at, reason=payload.reason)
    return Status(201, time_off_scoped(actor=request.user).get(pk=created.pk))


@router.delete("/{int:time_off_period_id}", response={204: None, **WRITE_RESPONSES}, url_name="time_off_delete",
               summary="Give blocked time back",
               description=f"Needs `{Perm.SCHEDULE_MANAGE}` at every location of the provider. The period is removed "
                           "(as on the provider's page); the audit trail keeps what it was.")
def time_off_delete(request: HttpRequest, time_off_period_id: int) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    found = get_scoped_or_404(request, time_off_scoped(actor=request.user, permission=Perm.SCHEDULE_MANAGE),
                              permission=Perm.SCHEDULE_MANAGE, pk=time_off_period_id)
    services.time_off_delete(actor=request.user, time_off=found)
    return HttpResponse(status=204)
