"""/calendar: the compliance calendar (reporting) — every dated obligation of every module the caller may see.

Open to every caller: each source (credentials, training, policy reviews, agreements, breach notices, contracts,
maintenance, safety checks, work orders, timely filing, cases, stock lots, pay periods) is filtered by its own
permission and location rule, so someone whose roles open none gets an empty list. At most 366 days at a time; a
range, kind, module or location that is not valid answers 422. Items carry no PHI (a claim's number and payer, never
the patient)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import field_validator, model_validator

from openpractice.core.selectors import practice_today
from openpractice.reporting.calendar import KINDS, MODULES, STATUSES, CalendarItem
from openpractice.reporting.selectors_calendar import (
    MAX_RANGE_DAYS,
    Filters,
    base_url,
    calendar_items,
    calendar_locations,
)

from ..errors import COMMON_RESPONSES, ValidationErrorOut
from ..pagination import PageIn

router = Router(tags=["calendar"])
DEFAULT_DAYS = 30
MAX_ID = 2_147_483_647


class CalendarItemOut(Schema):
    date: dt.date
    kind: str = Field(description=f"One of: {', '.join(KINDS)}")
    module: str = Field(description=f"One of: {', '.join(MODULES)}")
    title: str = Field(description="What is owed; never a patient's name")
    status: str = Field(description=f"One of: {', '.join(STATUSES)}")
    location_id: int | None = Field(description="Empty: the whole practice")
    location_name: str
    url: str = Field(description="The object's page in the app")
    uid: str = Field(description="Stable identifier of the item (the feed's UID)")


class CalendarPage(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"items": [{"date": "2026-12-05", "kind": "breach_notice", "module": "compliance", "title": "Notify individuals: Lab results faxed to the wrong number", "status": "done", "location_id": 2, "location_name": "Cary Office", "url": "/compliance/incidents/9/", "uid": "breach-21"}, {"date": "2026-12-14", "kind": "credential_expiry", "module": "workforce", "title": "BLS expires: Alex Moreno", "status": "due_soon", "location_id": 1, "location_name": "Raleigh Main", "url": "/workforce/credentials/93/", "uid": "credential-93"}, {"date": "2027-01-15", "kind": "maintenance_due", "module": "facilities", "title": "Autoclave spore test and door seal check (EQ-0031)", "status": "upcoming", "location_id": 1, "location_name": "Raleigh Main", "url": "/facilities/maintenance/plans/24/", "uid": "plan-24-20270115"}],
         "count": 3, "sources": ["credentials", "training", "breach_notices", "maintenance", "work_orders"],
         "truncated": []}]}}
    items: list[CalendarItemOut]
    count: int = Field(description="Items matching the query, over all pages.")
    sources: list[str] = Field(description="The sources your roles open (empty: none, hence no item)")
    truncated: list[str] = Field(description="Sources that had more items in the range than they return")


class CalendarFilter(PageIn):
    start: dt.date | None = Field(None, description="First day (practice date); default today")
    end: dt.date | None = Field(None, description=f"Last day, included; default start + {DEFAULT_DAYS} days; "
                                                  f"at most {MAX_RANGE_DAYS} days after start")
    kind: str | None = Field(None, description=f"Only this kind: {', '.join(KINDS)}")
    module: str | None = Field(None, description=f"Only this module: {', '.join(MODULES)}")
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this location (one you reach)")
    overdue: bool = Field(False, description="Only items past their date and not done")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value not in KINDS:
            raise ValueError(f"Unknown kind; one of: {', '.join(KINDS)}.")
        return value

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str | None) -> str | None:
        if value is not None and value not in MODULES:
            raise ValueError(f"Unknown module; one of: {', '.join(MODULES)}.")
        return value

    @model_validator(mode="after")
    def _range(self) -> CalendarFilter:
        if self.start is not None and self.end is not None:
            if self.end < self.start:
                raise ValueError("end is before start.")
            if (self.end - self.start).days >= MAX_RANGE_DAYS:
                raise ValueError(f"Ask for at most {MAX_RANGE_DAYS} days.")
        return self


def _out(item: CalendarItem) -> dict[str, Any]:
    return {"date": item.date, "kind": item.kind, "module": item.module, "title": item.title,
            "status": item.status, "location_id": item.location_id, "location_name": item.location_name,
            "url": base_url() + item.url, "uid": item.uid}


@router.get("", response={200: CalendarPage, 422: ValidationErrorOut, **COMMON_RESPONSES}, url_name="calendar",
            summary="Compliance calendar",
            description="Every dated obligation you may see between `start` and `end`, by date. Each module's items "
                        "follow that module's permission and your locations.")
def calendar(request: HttpRequest, filters: Query[CalendarFilter]) -> Any:
    today = practice_today()
    start = filters.start or today
    end = filters.end or start + dt.timedelta(days=DEFAULT_DAYS)
    if (end - start).days >= MAX_RANGE_DAYS or end < start:
        raise ValidationError({"end": f"Ask for at most {MAX_RANGE_DAYS} days, ending after start."})
    if filters.location_id is not None and not calendar_locations(actor=request.user).filter(
            pk=filters.location_id).exists():
        raise ValidationError({"location_id": "Unknown location."})
    result = calendar_items(actor=request.user, today=today, filters=Filters(
        start=start, end=end, kinds=frozenset({filters.kind}) if filters.kind else frozenset(),
        modules=frozenset({filters.module}) if filters.module else frozenset(),
        location_id=filters.location_id, overdue_only=filters.overdue))
    page = result.items[filters.offset:filters.offset + filters.limit]
    return {"items": [_out(item) for item in page], "count": len(result.items),
            "sources": [source.slug for source in result.sources],
            "truncated": [source.slug for source in result.truncated]}
