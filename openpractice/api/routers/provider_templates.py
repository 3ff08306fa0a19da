"""/provider-templates: a provider's weekly working hours, one period (weekday, location, from, until; practice-
local wall-clock times) a row. Seen by whoever sees the provider (schedule.view at one of their locations), as on
the provider's page. Changes need practice.manage at every location of the provider, the weekly-hours page's
rule. Each write adds, changes or drops one period, checked against the rest of the week under the provider's
lock (no overlap on a day, at most two periods a day, as the page holds); the other periods keep their ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from openpractice.accounts.roles import Perm
from openpractice.core.choices import Weekday
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.models import Provider, ProviderTemplate
from openpractice.scheduling.selectors import provider_list
from openpractice.scheduling.selectors_hours import provider_template_scoped
from openpractice.scheduling.services import PERIODS_PER_DAY, TemplatePeriod

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import ProviderRefOut
from ..schemas.common import LocalTime, LocationRefOut

router = Router(tags=["provider-templates"])
MAX_ID = 2_147_483_647
WEEKDAYS = "0 Monday … 6 Sunday"


def _wall_clock(value: dt.time | None) -> dt.time | None:
    if value is not None and value.tzinfo is not None:
        raise ValueError("a practice-local time of day, without an offset (e.g. 08:30)")
    return value


class ProviderTemplateOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 88, "provider": {"id": 7, "display_name": "Priya Raman, MD"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "weekday": 0, "start": "08:00:00",
         "end": "12:00:00"}]}}
    id: int
    provider: ProviderRefOut
    location: LocationRefOut
    weekday: Weekday = Field(description=WEEKDAYS)
    start: LocalTime = Field(description="Practice-local")
    end: LocalTime = Field(description="Practice-local, after start")


class ProviderTemplateIn(Schema):
    provider_id: int = Field(ge=1, le=MAX_ID, examples=[7])
    location_id: int = Field(ge=1, le=MAX_ID, description="One of the provider's locations", examples=[1])
    weekday: Weekday = Field(description=WEEKDAYS, examples=[0])
    start: LocalTime = Field(description="Practice-local", examples=["08:00:00"])
    end: LocalTime = Field(description="Practice-local, after start", examples=["12:00:00"])

    model_config = {"json_schema_extra": {"examples": [
        {"provider_id": 7, "location_id": 1, "weekday": 0, "start": "08:00:00", "end": "12:00:00"}]}}

    _times = field_validator("start", "end")(_wall_clock)


class ProviderTemplatePatchIn(Schema):
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="Another of the provider's locations",
                                    examples=[2])
    weekday: Weekday | None = Field(None, description=WEEKDAYS, examples=[2])
    start: LocalTime | None = Field(None, examples=["13:00:00"])
    end: LocalTime | None = Field(None, examples=["17:00:00"])

    model_config = {"json_schema_extra": {"examples": [{"start": "13:00:00", "end": "17:00:00"}, {"weekday": 2}]}}

    _times = field_validator("start", "end")(_wall_clock)


class ProviderTemplateFilter(PageIn):
    provider_id: int | None = Field(None, ge=1, le=MAX_ID)
    location_id: int | None = Field(None, ge=1, le=MAX_ID)
    weekday: Weekday | None = Field(None, description=WEEKDAYS)


def _provider(request: HttpRequest, provider_id: int) -> Provider:
    """A provider the caller sees; the service refuses (and audits) one whose hours they may not set."""
    found = provider_list(actor=request.user).filter(pk=provider_id).first()
    if found is None:
        raise ValidationError({"provider_id": _("There is no provider with id %(id)s that you may use.")
                               % {"id": provider_id}})
    return found


def _location(provider: Provider, location_id: int) -> Location:
    for location in provider.locations.all():
        if location.pk == location_id:
            return location
    raise ValidationError({"location_id": _("Location %(id)s is not one of this provider's locations.")
                           % {"id": location_id}})


def _managed(request: HttpRequest, provider_template_id: int) -> ProviderTemplate:
    return get_scoped_or_404(request, provider_template_scoped(actor=request.user, permission=Perm.PRACTICE_MANAGE),
                             permission=Perm.PRACTICE_MANAGE, pk=provider_template_id)


@router.get("", response={200: Page[ProviderTemplateOut], **COMMON_RESPONSES}, url_name="provider_template_list",
            summary="Providers' weekly hours",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`; the periods of the providers working at a location where you "
                        "hold it, by provider, weekday and start.")
def provider_template_list(request: HttpRequest, filters: Query[ProviderTemplateFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = provider_template_scoped(actor=request.user)
    for name in ("provider_id", "location_id", "weekday"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    return paginate(queryset.order_by("provider__last_name", "provider__first_name", "provider_id", "weekday",
                                      "start", "pk"), filters)


@router.get("/{int:provider_template_id}", response={200: ProviderTemplateOut, **COMMON_RESPONSES},
            url_name="provider_template_detail", summary="One period of a provider's week",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` at one of the provider's locations.")
def provider_template_detail(request: HttpRequest, provider_template_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, provider_template_scoped(actor=request.user), permission=Perm.SCHEDULE_VIEW,
                             pk=provider_template_id)


@router.post("", response={201: ProviderTemplateOut, **WRITE_RESPONSES}, url_name="provider_template_create",
             summary="Add a period to a provider's week",
             description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location of the provider. The period must be at "
                         "one of the provider's locations and may not overlap another of that day (whatever its "
                         f"location); at most {PERIODS_PER_DAY} a day.")
def provider_template_create(request: HttpRequest, payload: ProviderTemplateIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    provider = _provider(request, payload.provider_id)
    period: TemplatePeriod = (int(payload.weekday), _location(provider, payload.location_id), payload.start,
                              payload.end)
    return Status(201, services.provider_template_save(actor=request.user, provider=provider, period=period))


@router.patch("/{int:provider_template_id}", response={200: ProviderTemplateOut, **WRITE_RESPONSES},
              url_name="provider_template_update", summary="Change a period of a provider's week",
              description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location of the provider. Send only the fields "
                          "to change; the period keeps its id.")
def provider_template_update(request: HttpRequest, provider_template_id: int,
                             payload: ProviderTemplatePatchIn) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    current = _managed(request, provider_template_id)
    provider = provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE).get(pk=current.provider_id)
    period: TemplatePeriod = (
        int(payload.weekday) if payload.weekday is not None else current.weekday,
        _location(provider, payload.location_id) if payload.location_id is not None else current.location,
        payload.start if payload.start is not None else current.start,
        payload.end if payload.end is not None else current.end,
    )
    if period == (current.weekday, current.location, current.start, current.end):
        return current  # nothing to change: the week keeps its ids
    return services.provider_template_save(actor=request.user, provider=provider, period=period, template=current)


@router.delete("/{int:provider_template_id}", response={204: None, **WRITE_RESPONSES},
               url_name="provider_template_delete", summary="Drop a period from a provider's week",
               description=f"Needs `{Perm.PRACTICE_MANAGE}` at every location of the provider, as on the weekly-"
                           "hours page (which drops a period by leaving it empty).")
def provider_template_delete(request: HttpRequest, provider_template_id: int) -> Any:
    require(request, Perm.PRACTICE_MANAGE)
    current = _managed(request, provider_template_id)
    services.provider_template_remove(actor=request.user, template=current)
    return HttpResponse(status=204)
