"""/stock-movements: the stock ledger (every receipt, use, transfer, adjustment, expiry and disposal) at the
caller's locations, and recording one, exactly once per `Idempotency-Key`. Using, receiving and transferring need
inventory.use at the places' locations; adjusting, expiring and disposing need inventory.manage there. Stock never
goes below zero: the service takes it under a row lock, first expiry first out. Refusals answer 404 and are
audited; nothing changes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import MovementKind
from openpractice.inventory.models import Item, Lot, StockMovement, StoragePlace
from openpractice.inventory.selectors import stock as selectors
from openpractice.inventory.services import stock as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES, ErrorOut, error_body
from ..idempotency import IDEMPOTENCY_PARAMETER
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import ItemRefOut, LotOut, PlaceRefOut, unknown

router = Router(tags=["stock-movements"])
IDEMPOTENCY_HEADER = "Idempotency-Key"
ID = Field(None, ge=1, le=2_147_483_647)

ADDS = (MovementKind.RECEIVE, MovementKind.ADJUST_IN)
TAKES = (MovementKind.CONSUME, MovementKind.ADJUST_OUT, MovementKind.EXPIRE, MovementKind.DISPOSE)
ApiKind = Literal["receive", "consume", "transfer", "adjust_in", "adjust_out", "expire", "dispose"]


class MovementOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 90412, "operation": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "kind": "consume",
         "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL", "base_unit": "dose"},
         "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "quantity": 1,
         "from_place": {"id": 15, "name": "Vaccine refrigerator", "kind": "supply_room", "location_id": 1},
         "to_place": None, "unit_cost": "18.40", "reason": "", "actor_id": 31, "occurred_at": "2026-11-20T15:02:11Z",
         "receipt_line_id": None, "count_line_id": None, "rep_visit_id": None}]}}
    id: int
    operation: uuid.UUID = Field(description="The movements of one call share it (a use taken from two lots)")
    kind: str = Field(description="receive, consume, transfer, adjust_in, adjust_out, expire, dispose or sample")
    item: ItemRefOut
    lot: LotOut | None
    quantity: int = Field(description="Base units moved (always positive; the kind says which way)")
    from_place: PlaceRefOut | None = Field(description="Taken from (use, transfer, adjust down, expire, dispose)")
    to_place: PlaceRefOut | None = Field(description="Put into (receive, sample, adjust up, transfer)")
    unit_cost: Decimal | None
    reason: str
    actor_id: int | None
    occurred_at: dt.datetime
    receipt_line_id: int | None = Field(description="Received against a purchase order")
    count_line_id: int | None = Field(description="Posted by an approved cycle count")
    rep_visit_id: int | None = Field(description="A sample left by a sales representative")


class OperationOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"operation": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "kind": "consume", "item_id": 318, "quantity": 1,
         "replayed": False,
         "movements": [{"id": 90412, "operation": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "kind": "consume", "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL", "base_unit": "dose"}, "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "quantity": 1, "from_place": {"id": 15, "name": "Vaccine refrigerator", "kind": "supply_room", "location_id": 1}, "to_place": None, "unit_cost": "18.40", "reason": "", "actor_id": 31, "occurred_at": "2026-11-20T15:02:11Z", "receipt_line_id": None, "count_line_id": None, "rep_visit_id": None}]}]}}
    operation: uuid.UUID
    kind: str
    item_id: int
    quantity: int = Field(description="Base units, over all the movements")
    replayed: bool = Field(description="True: the key was used before with this body; nothing new was recorded")
    movements: list[MovementOut] = Field(description="One per lot touched, first expiry first")


class MovementIn(Schema):
    kind: ApiKind = Field(description="receive / adjust_in put stock into `place_id`; consume / adjust_out / expire / "
                                      "dispose take it from `place_id`; transfer moves it from `place_id` to "
                                      "`to_place_id`. Samples come in with rep visits.", examples=["consume"])
    item_id: int = Field(examples=[12])
    quantity: int = Field(ge=1, le=1_000_000, description="Base units", examples=[2])
    place_id: int = Field(description="A storage place (GET /stock/places)", examples=[3])
    to_place_id: int | None = Field(None, description="transfer only: where it goes", examples=[4])
    lot_id: int | None = Field(None, description="Taking out: this lot only (needed to expire a lot); default first "
                                                 "expiry first out")
    lot_number: str = Field("", max_length=40, description="receive / adjust_in of an item that tracks lots",
                            examples=["L24117B"])
    expires_on: dt.date | None = Field(None, description="receive: the lot's expiry date", examples=["2026-03-31"])
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4, description="receive only")
    reason: str = Field("", max_length=200, description="Required to adjust, expire or dispose",
                        examples=["Flu clinic, exam room 2"])


class UseLineIn(Schema):
    item_id: int = Field(ge=1, le=2_147_483_647, examples=[12])
    quantity: int = Field(ge=1, le=1_000_000, description="Base units", examples=[2])
    lot_id: int | None = Field(None, ge=1, le=2_147_483_647, description="This lot only; default first expiry "
                                                                         "first out")


class UsesIn(Schema):
    place_id: int = Field(ge=1, le=2_147_483_647, description="The storage place the supplies come from",
                          examples=[3])
    reason: str = Field("", max_length=200, examples=["Visit supplies, exam room 2"])
    lines: list[UseLineIn] = Field(min_length=1, max_length=services.MAX_LINES,
                                   description=f"1 to {services.MAX_LINES} items")


class UsesOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"operation": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "quantity": 1, "replayed": False,
         "movements": [{"id": 90412, "operation": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "kind": "consume", "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL", "base_unit": "dose"}, "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "quantity": 1, "from_place": {"id": 15, "name": "Vaccine refrigerator", "kind": "supply_room", "location_id": 1}, "to_place": None, "unit_cost": "18.40", "reason": "", "actor_id": 31, "occurred_at": "2026-11-20T15:02:11Z", "receipt_line_id": None, "count_line_id": None, "rep_visit_id": None}]}]}}
    operation: uuid.UUID
    quantity: int = Field(description="Base units, over all the movements")
    replayed: bool = Field(description="True: the key was used before with this body; nothing new was recorded")
    movements: list[MovementOut] = Field(description="One per item and lot touched")


class MovementFilter(PageIn):
    item_id: int | None = ID
    place_id: int | None = Field(None, ge=1, le=2_147_483_647, description="Taken from or put into this place")
    location_id: int | None = ID
    kind: MovementKind | None = None
    operation: uuid.UUID | None = None
    since: dt.date | None = Field(None, description="On or after this day (UTC)")
    until: dt.date | None = Field(None, description="On or before this day (UTC)")


def _place(request: HttpRequest, field: str, place_id: int) -> StoragePlace:
    """A place the caller sees (422 otherwise, the same for missing and hidden); what they may do there is the
    service's to decide (a refusal: 404, audited)."""
    found = selectors.place_scoped(actor=request.user).filter(pk=place_id).first()
    if found is None:
        raise unknown(field, place_id, "storage place")
    return found


def _check_shape(payload: MovementIn) -> None:
    errors: dict[str, str] = {}
    if payload.kind == MovementKind.TRANSFER and payload.to_place_id is None:
        errors["to_place_id"] = _("Say where the stock goes.")
    if payload.kind != MovementKind.TRANSFER and payload.to_place_id is not None:
        errors["to_place_id"] = _("Only a transfer has a destination.")
    if payload.kind in ADDS and payload.lot_id is not None:
        errors["lot_id"] = _("Stock coming in names its lot with lot_number (and expires_on).")
    if payload.kind not in ADDS and (payload.lot_number.strip() or payload.expires_on is not None):
        errors["lot_number"] = _("Stock going out names its lot with lot_id.")
    if payload.kind != MovementKind.RECEIVE and payload.unit_cost is not None:
        errors["unit_cost"] = _("Only received stock has a unit cost.")
    if errors:
        raise ValidationError(errors)


def _idempotency_key(request: HttpRequest) -> tuple[str, Any]:
    """The request's Idempotency-Key, or the 400 answer when it is missing or unusable."""
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return key, Status(400, error_body("idempotency_key_required", _(
            "Send an Idempotency-Key header (e.g. a UUID) so that a retried call cannot move the stock twice.")))
    if len(key) > services.MAX_KEY_LENGTH or not key.isprintable():
        return key, Status(400, error_body("idempotency_key_invalid", _(
            "The Idempotency-Key must be printable text of at most %(n)s characters.") % {
            "n": services.MAX_KEY_LENGTH}))
    return key, None


def _same_request(payload: MovementIn, operation: services.Operation) -> bool:
    """The earlier operation under the key was this request: same places, lot and reason (the service compares the
    kind, the item and the quantity)."""
    first = operation.movements[0]
    if first.reason != payload.reason.strip():
        return False
    if payload.kind in ADDS:
        lot_number = first.lot.number if first.lot else ""
        same_expiry = payload.expires_on is None or (first.lot is not None
                                                     and first.lot.expires_on == payload.expires_on)
        return (first.to_place_id == payload.place_id and lot_number == payload.lot_number.strip() and same_expiry
                and first.unit_cost == payload.unit_cost)
    if payload.lot_id is not None and any(movement.lot_id != payload.lot_id for movement in operation.movements):
        return False
    return first.from_place_id == payload.place_id and first.to_place_id == payload.to_place_id


def _record(request: HttpRequest, payload: MovementIn, key: str) -> services.Operation:
    actor = request.user
    item = Item.objects.filter(pk=payload.item_id).first()
    if item is None:
        raise unknown("item_id", payload.item_id, "item")
    place = _place(request, "place_id", payload.place_id)
    lot = None
    if payload.lot_id is not None:
        lot = Lot.objects.filter(pk=payload.lot_id, item=item).first()
        if lot is None:
            raise unknown("lot_id", payload.lot_id, "lot of this item")
    reason = payload.reason.strip()
    if payload.kind in ADDS:
        return services.stock_receive(actor=actor, item=item, place=place, quantity=payload.quantity,
                                      lot_number=payload.lot_number, expires_on=payload.expires_on,
                                      unit_cost=payload.unit_cost, reason=reason, kind=payload.kind,
                                      idempotency_key=key)
    if payload.kind == MovementKind.CONSUME:
        return services.stock_consume(actor=actor, item=item, place=place, quantity=payload.quantity, reason=reason,
                                      lot=lot, idempotency_key=key)
    if payload.kind == MovementKind.TRANSFER:
        assert payload.to_place_id is not None  # _check_shape
        destination = _place(request, "to_place_id", payload.to_place_id)
        return services.stock_transfer(actor=actor, item=item, source=place, destination=destination,
                                       quantity=payload.quantity, reason=reason, lot=lot, idempotency_key=key)
    return services.stock_remove(actor=actor, kind=payload.kind, item=item, place=place, quantity=payload.quantity,
                                 reason=reason, lot=lot, idempotency_key=key)


@router.get("", response={200: Page[MovementOut], **COMMON_RESPONSES}, url_name="stock_movement_list",
            summary="The stock ledger at your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`: the movements that took from or put into a place at a "
                        "location where you hold it. Newest first. `kind` takes the listed values only (anything "
                        "else: 422).")
def stock_movement_list(request: HttpRequest, filters: Query[MovementFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    queryset = selectors.movement_scoped(actor=request.user).select_related("item", "lot", "from_place", "to_place")
    if filters.item_id is not None:
        queryset = queryset.filter(item_id=filters.item_id)
    if filters.place_id is not None:
        queryset = queryset.filter(Q(from_place_id=filters.place_id) | Q(to_place_id=filters.place_id))
    if filters.location_id is not None:
        queryset = queryset.filter(Q(from_place__location_id=filters.location_id)
                                   | Q(to_place__location_id=filters.location_id))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.operation is not None:
        queryset = queryset.filter(operation=filters.operation)
    if filters.since is not None:
        queryset = queryset.filter(occurred_at__date__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(occurred_at__date__lte=filters.until)
    return paginate(queryset.order_by("-occurred_at", "-pk"), filters)


@router.get("/{int:movement_id}", response={200: MovementOut, **COMMON_RESPONSES}, url_name="stock_movement_detail",
            summary="One movement",
            description=f"Needs `{Perm.INVENTORY_VIEW}` at a location it took from or put into.")
def stock_movement_detail(request: HttpRequest, movement_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return get_scoped_or_404(request, selectors.movement_scoped(actor=request.user), permission=Perm.INVENTORY_VIEW,
                             pk=movement_id)


@router.post("", response={200: OperationOut, 201: OperationOut, 400: ErrorOut, 409: ErrorOut, **WRITE_RESPONSES},
             url_name="stock_movement_create", openapi_extra={"parameters": [IDEMPOTENCY_PARAMETER]},
             summary="Record a stock movement, exactly once per Idempotency-Key",
             description=f"Needs `{Perm.INVENTORY_USE}` at the places' locations to receive, use or transfer, and "
                         f"`{Perm.INVENTORY_MANAGE}` there to adjust, expire or dispose (with a reason). Stock is "
                         "taken first expiry first out unless `lot_id` names the lot; there is never less than "
                         "zero on hand (422 with what is there).\n\n"
                         "The `Idempotency-Key` header is required (up to 80 characters, unique per movement, e.g. "
                         "a UUID). Sent again with the same body, the call moves nothing and answers 200 with the "
                         "movements recorded the first time (201 the first time). The same key with a different "
                         "body answers 409 `idempotency_key_reused`; without the key, 400 "
                         "`idempotency_key_required`. Keys are per API user.")
def stock_movement_create(request: HttpRequest, payload: MovementIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    key, problem = _idempotency_key(request)
    if problem is not None:
        return problem
    _check_shape(payload)
    reused = _("This Idempotency-Key was already used for a different stock movement.")
    try:
        try:
            operation = _record(request, payload, key)
        except IntegrityError:
            # Two calls with the same key at once: the other one committed first. Its movement is the answer.
            if not StockMovement.objects.filter(actor_id=request.user.pk, idempotency_key=key).exists():
                raise
            operation = _record(request, payload, key)
    except services.IdempotencyKeyReused:
        return Status(409, error_body("idempotency_key_reused", reused))
    if operation.replayed and not _same_request(payload, operation):
        return Status(409, error_body("idempotency_key_reused", reused))
    ids = [movement.pk for movement in operation.movements]
    movements = list(StockMovement.objects.filter(pk__in=ids).select_related(
        "item", "lot", "from_place", "to_place").order_by("pk"))
    first = movements[0]
    return Status(200 if operation.replayed else 201, {
        "operation": first.operation, "kind": first.kind, "item_id": first.item_id,
        "quantity": sum(movement.quantity for movement in movements), "replayed": operation.replayed,
        "movements": movements})


def _use_lines(payload: UsesIn) -> list[services.UseLine]:
    item_ids = {line.item_id for line in payload.lines}
    items = Item.objects.in_bulk(item_ids)
    lot_ids = {line.lot_id for line in payload.lines if line.lot_id is not None}
    lots = Lot.objects.in_bulk(lot_ids)
    lines: list[services.UseLine] = []
    for line in payload.lines:
        item = items.get(line.item_id)
        if item is None:
            raise unknown("item_id", line.item_id, "item")
        lot = None
        if line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or lot.item_id != item.pk:
                raise unknown("lot_id", line.lot_id, "lot of this item")
        lines.append(services.UseLine(item=item, quantity=line.quantity, lot=lot))
    return lines


@router.post("/uses", response={200: UsesOut, 201: UsesOut, 400: ErrorOut, 409: ErrorOut, **WRITE_RESPONSES},
             url_name="stock_movement_uses", openapi_extra={"parameters": [IDEMPOTENCY_PARAMETER]},
             summary="Record the use of several items from one place, all or none, exactly once per Idempotency-Key",
             description=f"Needs `{Perm.INVENTORY_USE}` at the place's location. The supplies of a visit, say: each "
                         "line is taken first expiry first out unless `lot_id` names the lot, in one transaction; "
                         "a line short of stock refuses the whole call (422 naming the line) and nothing moves.\n\n"
                         "The `Idempotency-Key` header is required, as for a single movement: the same key with the "
                         "same place and quantities answers 200 with the first answer's movements; with another "
                         "body, 409 `idempotency_key_reused`.")
def stock_movement_uses(request: HttpRequest, payload: UsesIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    key, problem = _idempotency_key(request)
    if problem is not None:
        return problem
    place = _place(request, "place_id", payload.place_id)
    lines = _use_lines(payload)
    reused = _("This Idempotency-Key was already used for a different stock movement.")

    def use() -> services.Operation:
        return services.stock_consume_many(actor=request.user, place=place, lines=lines, reason=payload.reason,
                                           idempotency_key=key)

    try:
        try:
            operation = use()
        except IntegrityError:
            # The same key twice at once: the other call committed first; its movements are the answer.
            if not StockMovement.objects.filter(actor_id=request.user.pk, idempotency_key=key).exists():
                raise
            operation = use()
    except services.IdempotencyKeyReused:
        return Status(409, error_body("idempotency_key_reused", reused))
    if operation.replayed and operation.movements[0].reason != payload.reason.strip():
        return Status(409, error_body("idempotency_key_reused", reused))
    ids = [movement.pk for movement in operation.movements]
    movements = list(StockMovement.objects.filter(pk__in=ids).select_related(
        "item", "lot", "from_place", "to_place").order_by("pk"))
    return Status(200 if operation.replayed else 201, {
        "operation": movements[0].operation, "quantity": sum(movement.quantity for movement in movements),
        "replayed": operation.replayed, "movements": movements})
