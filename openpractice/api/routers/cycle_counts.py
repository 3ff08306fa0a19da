"""/cycle-counts: counts of one storage place at a time, at the locations where the caller holds inventory.view.
Someone holding inventory.use at the place's location starts a count (a line per item and lot on the books there),
enters what is on the shelf and submits; a manager (inventory.manage there) other than the counter approves it,
which posts each variance to the ledger as an adjustment, exactly once per Idempotency-Key. Counting is blind, as
on the count page: while a count is open its lines do not show the books (`expected` and `variance` are null).
The same services as the count pages; a count at another location answers 404 (audited); refusals change
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import CountStatus
from openpractice.inventory.models import CycleCount, CycleCountLine
from openpractice.inventory.selectors import pages_stock
from openpractice.inventory.services import counts as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import ItemRefOut, LotOut, PlaceRefOut, unknown

router = Router(tags=["cycle-counts"])
ID = Field(None, ge=1, le=2_147_483_647)
MAX_ENTRIES = 2000

COUNT_EXAMPLE: dict[str, Any] = {
    "id": 57, "place": {"id": 15, "name": "Vaccine refrigerator", "kind": "supply_room", "location_id": 1},
    "location_id": 1, "status": "approved", "started_by_id": 31, "submitted_by_id": 31, "approved_by_id": 3,
    "approved_at": "2026-11-20T16:40:00Z", "line_count": 1, "counted_lines": 1,
    "created_at": "2026-11-20T15:02:11Z", "updated_at": "2026-11-20T16:40:00Z"}
LINE_EXAMPLE: dict[str, Any] = {
    "id": 880, "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL",
                        "base_unit": "dose"},
    "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "expected": 34, "counted": 32,
    "variance": -2}


class CycleCountOut(Schema):
    model_config = {"json_schema_extra": {"examples": [COUNT_EXAMPLE]}}
    id: int
    place: PlaceRefOut
    location_id: int
    status: str = Field(description="open (counting), submitted (waiting for approval), approved or cancelled")
    started_by_id: int
    submitted_by_id: int | None
    approved_by_id: int | None
    approved_at: dt.datetime | None = Field(description="When the variances were posted to the ledger")
    line_count: int = Field(description="Items and lots to count")
    counted_lines: int = Field(description="Lines with a counted quantity so far")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_location_id(obj: CycleCount) -> int:
        return obj.place.location_id


class CycleCountLineOut(Schema):
    id: int
    item: ItemRefOut
    lot: LotOut | None
    expected: int | None = Field(description="On the books when the count started; null while counting (blind)")
    counted: int | None = Field(description="What is on the shelf; null: not counted yet")
    variance: int | None = Field(description="counted - expected: what approval posts; null while counting")


class CycleCountDetailOut(CycleCountOut):
    model_config = {"json_schema_extra": {"examples": [{**COUNT_EXAMPLE, "lines": [LINE_EXAMPLE]}]}}
    lines: list[CycleCountLineOut]

    @staticmethod
    def resolve_lines(obj: CycleCount) -> list[dict[str, Any]]:
        blind = obj.status == CountStatus.OPEN
        return [{"id": line.pk, "item": line.item, "lot": line.lot, "expected": None if blind else line.expected,
                 "counted": line.counted, "variance": None if blind else line.variance}
                for line in obj.lines.all()]


class CycleCountIn(Schema):
    place_id: int = Field(ge=1, le=2_147_483_647, description="A storage place in use (GET /storage-places)",
                          examples=[15])


class CountedIn(Schema):
    line_id: int = Field(ge=1, le=2_147_483_647, description="A line of this count", examples=[880])
    counted: int = Field(ge=0, le=1_000_000, description="Base units on the shelf (0 for none)", examples=[32])


class CycleCountPatchIn(Schema):
    lines: list[CountedIn] = Field(min_length=1, max_length=MAX_ENTRIES,
                                   description="Any of the lines, as often as needed while the count is open")

    model_config = {"json_schema_extra": {"examples": [{"lines": [{"line_id": 880, "counted": 32}]}]}}


class CycleCountFilter(PageIn):
    status: CountStatus | None = None
    place_id: int | None = ID
    location_id: int | None = ID


def _counts(actor: Any, permission: str = Perm.INVENTORY_VIEW, *, lines: bool = False) -> QuerySet[CycleCount]:
    queryset = pages_stock.count_scoped(actor=actor, permission=permission).annotate(
        line_count=Count("lines"), counted_lines=Count("lines", filter=Q(lines__counted__isnull=False)))
    if lines:
        queryset = queryset.prefetch_related(Prefetch("lines", queryset=CycleCountLine.objects.select_related(
            "item", "lot").order_by("item__name", "item_id", "lot__number", "pk")))
    return queryset


def _count(request: HttpRequest, count_id: int, permission: str = Perm.INVENTORY_VIEW) -> CycleCount:
    return get_scoped_or_404(request, _counts(request.user, permission, lines=True), permission=permission,
                             pk=count_id)


@router.get("", response={200: Page[CycleCountOut], **COMMON_RESPONSES}, url_name="cycle_count_list",
            summary="Cycle counts at your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`; the counts of places at the locations where you hold it, "
                        "newest first. `status` takes the listed values only (anything else: 422).")
def cycle_count_list(request: HttpRequest, filters: Query[CycleCountFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    queryset = _counts(request.user)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.place_id is not None:
        queryset = queryset.filter(place_id=filters.place_id)
    if filters.location_id is not None:
        queryset = queryset.filter(place__location_id=filters.location_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@router.get("/{int:count_id}", response={200: CycleCountDetailOut, **COMMON_RESPONSES},
            url_name="cycle_count_detail", summary="One cycle count with its lines",
            description=f"Needs `{Perm.INVENTORY_VIEW}` at the place's location. While the count is open the lines "
                        "do not show the books (blind counting).")
def cycle_count_detail(request: HttpRequest, count_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return _count(request, count_id)


@router.post("", response={201: CycleCountDetailOut, **WRITE_RESPONSES}, url_name="cycle_count_start",
             summary="Start counting a storage place",
             description=f"Needs `{Perm.INVENTORY_USE}` at the place's location. The count gets a line for each "
                         "item and lot on the books there. One count at a time per place: another open or "
                         "submitted count of it answers 422.")
def cycle_count_start(request: HttpRequest, payload: CycleCountIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    place = pages_stock.places_for(actor=request.user, permission=Perm.INVENTORY_VIEW).filter(
        pk=payload.place_id).first()
    if place is None:
        raise unknown("place_id", payload.place_id, "storage place in use")
    count = services.count_start(actor=request.user, place=place)
    return Status(201, _count(request, count.pk))


@router.patch("/{int:count_id}", response={200: CycleCountDetailOut, **WRITE_RESPONSES},
              url_name="cycle_count_record", summary="Enter counted quantities",
              description=f"Needs `{Perm.INVENTORY_USE}` at the place's location. Any of the count's lines, as often "
                          "as needed while it is open (422 once submitted, or for a line of another count).")
def cycle_count_record(request: HttpRequest, count_id: int, payload: CycleCountPatchIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    count = _count(request, count_id, Perm.INVENTORY_USE)
    counted = {entry.line_id: entry.counted for entry in payload.lines}
    if len(counted) < len(payload.lines):
        raise ValidationError({"lines": _("Each line is counted once per request.")})
    services.count_record(actor=request.user, count=count, counted=counted)
    return _count(request, count.pk)


@router.post("/{int:count_id}/submit", response={200: CycleCountDetailOut, **WRITE_RESPONSES},
             url_name="cycle_count_submit", summary="Submit a count for approval",
             description=f"Needs `{Perm.INVENTORY_USE}` at the place's location. Every line must be counted first "
                         "(0 for none), else 422. The books show from now on.")
def cycle_count_submit(request: HttpRequest, count_id: int) -> Any:
    require(request, Perm.INVENTORY_USE)
    count = _count(request, count_id, Perm.INVENTORY_USE)
    services.count_submit(actor=request.user, count=count)
    return _count(request, count.pk)


@router.post("/{int:count_id}/approve", response={200: CycleCountDetailOut, **WRITE_RESPONSES},
             url_name="cycle_count_approve", summary="Approve a submitted count: post its variances to the ledger",
             description=f"Needs `{Perm.INVENTORY_MANAGE}` at the place's location, and someone other than the "
                         "person who counted or submitted it (otherwise 404, audited, nothing posted). Each "
                         "variance becomes an adjustment in the ledger (up or down), applied to what is on hand "
                         "now; stock never goes below zero (422, nothing posted). Only a submitted count is approved "
                         "(422).")
@idempotent
def cycle_count_approve(request: HttpRequest, count_id: int) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    count = _count(request, count_id, Perm.INVENTORY_MANAGE)
    services.count_approve(actor=request.user, count=count)
    return _count(request, count.pk)
