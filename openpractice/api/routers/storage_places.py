"""/storage-places: the supply rooms, exam rooms, sample cabinets ... where stock is kept, at the locations where the
caller holds inventory.view. Adding, changing, moving or retiring one needs inventory.manage at its location (and
at the new one when it moves), through the same service as the storage-place pages; a place still holding stock
neither moves nor retires (422). A place at another location answers 404 (audited); refusals change nothing.
Places are retired (is_active false), never deleted: the ledger keeps pointing at them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import PlaceKind
from openpractice.inventory.models import StoragePlace
from openpractice.inventory.selectors import pages_stock
from openpractice.inventory.selectors import stock as selectors
from openpractice.inventory.services import catalog as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.common import LocationRefOut
from ..schemas.supply import refuse_nulls, unknown

router = Router(tags=["storage-places"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
ID = Field(None, ge=1, le=2_147_483_647)


class StoragePlaceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 9, "name": "Raleigh supply room", "kind": "supply_room",
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "is_active": True}]}}
    id: int
    name: str
    kind: str = Field(description="supply_room, exam_room, samples, office or other")
    location: LocationRefOut
    is_active: bool = Field(description="false: retired, no longer offered for stock")


class StoragePlaceIn(Schema):
    location_id: int = Field(ge=1, le=2_147_483_647, description="A location where you manage inventory",
                             examples=[1])
    name: str = Field(min_length=1, max_length=80, pattern=NO_NUL, description="Unique at its location",
                      examples=["Exam room 2 cabinet"])
    kind: PlaceKind = Field(PlaceKind.SUPPLY_ROOM, examples=[PlaceKind.EXAM_ROOM])
    is_active: bool = True

    model_config = {"json_schema_extra": {"examples": [
        {"location_id": 1, "name": "Exam room 2 cabinet", "kind": "exam_room"}]}}


class StoragePlacePatchIn(Schema):
    location_id: int | None = Field(None, ge=1, le=2_147_483_647, description="Move the place (it must be empty)",
                                    examples=[2])
    name: str | None = Field(None, min_length=1, max_length=80, pattern=NO_NUL, examples=["Vaccine refrigerator"])
    kind: PlaceKind | None = Field(None, examples=[PlaceKind.SUPPLY_ROOM])
    is_active: bool | None = Field(None, description="false retires the place (it must be empty)")

    model_config = {"json_schema_extra": {"examples": [{"name": "Vaccine refrigerator"}, {"is_active": False}]}}


class StoragePlaceFilter(PageIn):
    location_id: int | None = ID
    kind: PlaceKind | None = None
    active: bool | None = Field(None, description="true: in use; false: retired")


def place_rows(request: HttpRequest, filters: StoragePlaceFilter) -> QuerySet[StoragePlace]:
    """The places the caller sees, filtered and in a stable order (also behind /stock/places)."""
    queryset = selectors.place_scoped(actor=request.user)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return queryset.order_by("location__name", "name", "pk")


def _location(request: HttpRequest, location_id: int) -> Location:
    """A location where the caller sees inventory (422 otherwise); the service refuses (and audits) one they see
    but do not manage."""
    found = pages_stock.locations_for(actor=request.user, permission=Perm.INVENTORY_VIEW).filter(
        pk=location_id).first()
    if found is None:
        raise unknown("location_id", location_id, "location")
    return found


def _managed(request: HttpRequest, place_id: int) -> StoragePlace:
    return get_scoped_or_404(request, selectors.place_scoped(actor=request.user, permission=Perm.INVENTORY_MANAGE),
                             permission=Perm.INVENTORY_MANAGE, pk=place_id)


@router.get("", response={200: Page[StoragePlaceOut], **COMMON_RESPONSES}, url_name="storage_place_list",
            summary="Storage places at your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`; the places at the locations where you hold it, by location "
                        "and name (retired ones too unless `active` says otherwise). `kind` takes the listed values "
                        "only (anything else: 422).")
def storage_place_list(request: HttpRequest, filters: Query[StoragePlaceFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return paginate(place_rows(request, filters), filters)


@router.get("/{int:place_id}", response={200: StoragePlaceOut, **COMMON_RESPONSES}, url_name="storage_place_detail",
            summary="One storage place", description=f"Needs `{Perm.INVENTORY_VIEW}` at the place's location.")
def storage_place_detail(request: HttpRequest, place_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return get_scoped_or_404(request, selectors.place_scoped(actor=request.user), permission=Perm.INVENTORY_VIEW,
                             pk=place_id)


@router.post("", response={201: StoragePlaceOut, **WRITE_RESPONSES}, url_name="storage_place_create",
             summary="Add a storage place",
             description=f"Needs `{Perm.INVENTORY_MANAGE}` at the place's location. A name already used there "
                         "answers 422.")
def storage_place_create(request: HttpRequest, payload: StoragePlaceIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    location = _location(request, payload.location_id)
    created = services.place_save(actor=request.user, location=location, name=payload.name, kind=payload.kind,
                                  is_active=payload.is_active)
    return Status(201, selectors.place_scoped(actor=request.user).get(pk=created.pk))


@router.patch("/{int:place_id}", response={200: StoragePlaceOut, **WRITE_RESPONSES},
              url_name="storage_place_update", summary="Change, move or retire a storage place",
              description=f"Needs `{Perm.INVENTORY_MANAGE}` at the place's location, and at the new one when it "
                          "moves. Send only the fields to change. A place that still holds stock neither moves to "
                          "another location nor retires (422: move the stock out first).")
def storage_place_update(request: HttpRequest, place_id: int, payload: StoragePlacePatchIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    place = _managed(request, place_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data)
    location = place.location if "location_id" not in data else _location(request, data["location_id"])
    services.place_save(actor=request.user, place=place, location=location, name=data.get("name", place.name),
                        kind=data.get("kind", place.kind), is_active=data.get("is_active", place.is_active))
    return _managed(request, place.pk)
