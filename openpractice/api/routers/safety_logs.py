"""/safety-logs: the clinic's safety-log entries (refrigerator and freezer temperatures, autoclave cycles and spore
tests, eyewash, fire extinguisher and AED checks) at the caller's locations (facilities.view there). Recording one
goes through the same service as the daily round: a temperature's pass/fail is computed from the checkpoint's
range, one current entry per checkpoint, day and slot, no future days, up to 7 days late with a note; an entry out
of range alerts the location's facilities managers by mail. An entry elsewhere answers 404 (audited); a refusal
changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.facilities import selectors_safety as selectors
from openpractice.facilities.models import SafetyLogEntry
from openpractice.facilities.services import safety as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["safety-logs"])
ID = Field(None, ge=1, le=2_147_483_647)


class CheckpointRefOut(Schema):
    id: int
    name: str
    kind: str = Field(description="fridge_temp, freezer_temp, autoclave_cycle, spore_test, eyewash, extinguisher "
                                  "or aed")
    frequency: str = Field(description="twice_daily, daily, weekly or monthly")
    location_id: int
    room: str
    minimum: Decimal | None = Field(description="Lowest acceptable reading (temperatures)")
    maximum: Decimal | None = Field(description="Highest acceptable reading (temperatures)")
    unit: str = Field(description="°F or °C for temperatures; empty for pass/fail checks")


class SafetyLogOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 7719,
         "checkpoint": {"id": 11, "name": "Vaccine refrigerator", "kind": "fridge_temp", "frequency": "twice_daily", "location_id": 1, "room": "Lab", "minimum": "2.0", "maximum": "8.0", "unit": "°C"},
         "log_date": "2026-11-17", "slot": "am", "value": "9.4", "passed": False, "out_of_range": True,
         "needs_action": False, "notes": "Door found ajar", "recorded_by_id": 31, "recorded_at": "2026-11-17T13:02:00Z",
         "alerted_at": "2026-11-17T13:02:05Z",
         "corrective_action": "Vaccines moved to the backup unit; work order WO-2026-0219 opened",
         "corrective_action_by_id": 3, "corrective_action_at": "2026-11-17T13:25:00Z", "superseded_by_id": None}]}}
    id: int
    checkpoint: CheckpointRefOut
    log_date: dt.date
    slot: str = Field(description="am or pm for twice-daily checks, day otherwise")
    value: Decimal | None = Field(description="The reading (temperatures); null for pass/fail checks")
    passed: bool = Field(description="Within range / check passed (computed by the server for temperatures)")
    out_of_range: bool = Field(description="Out of range or failed")
    needs_action: bool = Field(description="Out of range, current, and no corrective action recorded yet")
    notes: str
    recorded_by_id: int
    recorded_at: dt.datetime
    alerted_at: dt.datetime | None = Field(description="When the facilities managers were mailed")
    corrective_action: str
    corrective_action_by_id: int | None
    corrective_action_at: dt.datetime | None
    superseded_by_id: int | None = Field(description="The correction that replaced this entry; null: current")

    @staticmethod
    def resolve_out_of_range(obj: SafetyLogEntry) -> bool:
        return not obj.passed

    @staticmethod
    def resolve_needs_action(obj: SafetyLogEntry) -> bool:
        return selectors.needs_action(obj)


class SafetyLogIn(Schema):
    checkpoint_id: int = Field(ge=1, le=2_147_483_647, examples=[3])
    log_date: dt.date | None = Field(None, description="Default: today (practice time); up to 7 days back with "
                                                       "notes saying why", examples=["2025-06-10"])
    slot: str = Field("", max_length=3, description="am or pm for twice-daily checks; leave empty otherwise",
                      examples=["am"])
    value: Decimal | None = Field(None, ge=-999.9, le=999.9, max_digits=4, decimal_places=1,
                                  description="The temperature read (required for temperatures)", examples=["38.5"])
    passed: bool | None = Field(None, description="For pass/fail checks; ignored for temperatures (computed)")
    notes: str = Field("", max_length=300)


class SafetyLogFilter(PageIn):
    location_id: int | None = ID
    checkpoint_id: int | None = ID
    since: dt.date | None = Field(None, description="Entries on or after this day")
    until: dt.date | None = Field(None, description="Entries on or before this day")
    out_of_range: bool | None = Field(None, description="true: only entries out of range or failed")
    current: bool = Field(True, description="false: include the entries superseded by a correction")


def _entries(actor: Any) -> QuerySet[SafetyLogEntry]:
    return selectors.entries_visible(actor=actor)


@router.get("", response={200: Page[SafetyLogOut], **COMMON_RESPONSES}, url_name="safety_log_list",
            summary="Safety-log entries at your locations",
            description=f"Needs `{Perm.FACILITIES_VIEW}`; the entries at the locations where you hold it, newest "
                        "first. Filters: location, checkpoint, date range, out of range only.")
def safety_log_list(request: HttpRequest, filters: Query[SafetyLogFilter]) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    queryset = _entries(request.user)
    if filters.location_id is not None:
        queryset = queryset.filter(checkpoint__location_id=filters.location_id)
    if filters.checkpoint_id is not None:
        queryset = queryset.filter(checkpoint_id=filters.checkpoint_id)
    if filters.since is not None:
        queryset = queryset.filter(log_date__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(log_date__lte=filters.until)
    if filters.out_of_range is not None:
        queryset = queryset.filter(passed=not filters.out_of_range)
    if filters.current:
        queryset = queryset.filter(superseded_by__isnull=True)
    return paginate(queryset.order_by("-log_date", "-recorded_at", "-pk"), filters)


@router.get("/{int:entry_id}", response={200: SafetyLogOut, **COMMON_RESPONSES}, url_name="safety_log_detail",
            summary="One safety-log entry",
            description=f"Needs `{Perm.FACILITIES_VIEW}` at the checkpoint's location.")
def safety_log_detail(request: HttpRequest, entry_id: int) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    return get_scoped_or_404(request, _entries(request.user), permission=Perm.FACILITIES_VIEW, pk=entry_id)


@router.post("", response={201: SafetyLogOut, **WRITE_RESPONSES}, url_name="safety_log_create",
             summary="Record a reading or a check",
             description=f"Needs `{Perm.FACILITIES_VIEW}` at the checkpoint's location. A temperature needs "
                         "`value` (whether it passed is computed from the checkpoint's range); a check needs "
                         "`passed`. A second entry for the same checkpoint, day and slot is refused (422): "
                         "correct the first one in the web interface. Out of range or failed: the location's "
                         "facilities managers are mailed.")
def safety_log_create(request: HttpRequest, payload: SafetyLogIn) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    # A checkpoint at another location is not found (404, the refusal audited), like one that does not exist.
    checkpoint = get_scoped_or_404(request, selectors.checkpoints_visible(actor=request.user),
                                   permission=Perm.FACILITIES_VIEW, pk=payload.checkpoint_id)
    entry = services.safety_entry_record(actor=request.user, checkpoint=checkpoint, log_date=payload.log_date,
                                         slot=payload.slot, value=payload.value, passed=payload.passed,
                                         notes=payload.notes)
    return Status(201, _entries(request.user).get(pk=entry.pk))
