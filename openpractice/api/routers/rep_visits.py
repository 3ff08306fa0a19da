"""/rep-visits: sales representatives' visits (who came, from which company, who met them, the products discussed,
the samples left) at the caller's locations (vendors.view there). vendors.manage at the location logs a visit; the
practice's rep-access policy is checked and what the visit did against it is kept with it. Samples left are
received into a sample cabinet there, by lot and expiry (that also needs inventory.use at the location). A visit
at another location answers 404 (audited); refusals change nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import MovementKind
from openpractice.inventory.models import Item, StockMovement
from openpractice.inventory.selectors import stock as stock_selectors
from openpractice.inventory.services import samples as sample_services
from openpractice.vendors import selectors
from openpractice.vendors.models import RepVisit, VendorContact
from openpractice.vendors.services import vendors as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import ItemRefOut, LotOut, VendorRefOut, unknown

router = Router(tags=["rep-visits"])
ID = Field(None, ge=1, le=2_147_483_647)


class SampleOut(Schema):
    movement_id: int
    item: ItemRefOut
    lot: LotOut | None
    quantity: int = Field(description="Base units received into sample stock")
    place_id: int


class RepVisitOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 52, "vendor": {"id": 26, "name": "Seqirus"}, "rep_id": 44, "rep_name": "Jordan Pike", "location_id": 1,
         "visited_at": "2026-09-15T17:30:00Z", "had_appointment": True, "met_with_ids": [7],
         "products": "Flu vaccine 2026-27 season", "notes": "", "policy_exceptions": [],
         "samples": [{"movement_id": 88201, "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL", "base_unit": "dose"}, "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "quantity": 10, "place_id": 15}],
         "logged_by_id": 6, "created_at": "2026-09-15T18:02:00Z"}]}}
    id: int
    vendor: VendorRefOut
    rep_id: int | None = Field(description="The vendor contact who came")
    rep_name: str = Field(description="The representative's name")
    location_id: int
    visited_at: dt.datetime
    had_appointment: bool
    met_with_ids: list[int] = Field(description="Staff who met them")
    products: str = Field(description="Products discussed")
    notes: str
    policy_exceptions: list[str] = Field(description="What the visit did against the rep-access policy, as it "
                                                     "was when logged; empty: within the policy")
    samples: list[SampleOut]
    logged_by_id: int
    created_at: dt.datetime

    @staticmethod
    def resolve_rep_name(obj: RepVisit) -> str:
        return obj.rep.name if obj.rep is not None else obj.rep_name

    @staticmethod
    def resolve_met_with_ids(obj: RepVisit) -> list[int]:
        return [user.pk for user in obj.met_with.all()]

    @staticmethod
    def resolve_samples(obj: RepVisit) -> list[Any]:
        return getattr(obj, "sample_rows", [])


class SampleIn(Schema):
    item_id: int = Field(examples=[31])
    quantity: int = Field(ge=1, le=100_000, description="Base units", examples=[10])
    lot_number: str = Field("", max_length=40, description="Needed for an item that tracks lots",
                            examples=["NV2291A"])
    expires_on: dt.date | None = Field(None, examples=["2026-02-28"])


class RepVisitIn(Schema):
    vendor_id: int = Field(examples=[7])
    rep_id: int | None = Field(None, description="One of the vendor's contacts; or give `rep_name`", examples=[15])
    rep_name: str = Field("", max_length=120, description="When the representative is not a contact",
                          examples=["Jordan Pike"])
    location_id: int = Field(description="Where the visit took place", examples=[1])
    visited_at: dt.datetime | None = Field(None, description="Default: now", examples=["2025-06-10T12:15:00-04:00"])
    had_appointment: bool = True
    met_with_ids: list[int] = Field(default_factory=list, max_length=20, description="Active staff who met them",
                                    examples=[[9]])
    products: str = Field("", examples=["New once-weekly GLP-1 pen; patient savings cards."])
    notes: str = ""
    samples: list[SampleIn] = Field(default_factory=list, max_length=50, description="Left with the practice")
    sample_place_id: int | None = Field(None, description="With samples: a sample cabinet at the visit's location",
                                        examples=[5])


class RepVisitFilter(PageIn):
    vendor_id: int | None = ID
    location_id: int | None = ID
    since: dt.date | None = Field(None, description="Visits on or after this day (UTC)")
    until: dt.date | None = Field(None, description="Visits on or before this day (UTC)")
    exceptions: bool | None = Field(None, description="true: only visits against the policy; false: only within it")


def _visits(actor: Any) -> QuerySet[RepVisit]:
    """Visits at the locations where the actor holds vendors.view."""
    return selectors.rep_visits_visible(actor=actor).prefetch_related("met_with")


def _with_samples(visits: list[RepVisit]) -> list[RepVisit]:
    """Attach each visit's sample movements: one query for the page."""
    rows: dict[int, list[Any]] = defaultdict(list)
    movements = StockMovement.objects.filter(rep_visit_id__in=[visit.pk for visit in visits],
                                             kind=MovementKind.SAMPLE).select_related("item", "lot").order_by("pk")
    for movement in movements if visits else ():
        rows[movement.rep_visit_id or 0].append({"movement_id": movement.pk, "item": movement.item, "lot": movement.lot,
                                            "quantity": movement.quantity, "place_id": movement.to_place_id})
    for visit in visits:
        visit.sample_rows = rows.get(visit.pk, [])  # type: ignore[attr-defined]
    return visits


def _visit(request: HttpRequest, visit_id: int, permission: str = Perm.VENDORS_VIEW) -> RepVisit:
    visit = get_scoped_or_404(request, _visits(request.user), permission=permission, pk=visit_id)
    return _with_samples([visit])[0]


@router.get("", response={200: Page[RepVisitOut], **COMMON_RESPONSES}, url_name="rep_visit_list",
            summary="Sales representatives' visits at your locations",
            description=f"Needs `{Perm.VENDORS_VIEW}`; the visits at the locations where you hold it. Newest first.")
def rep_visit_list(request: HttpRequest, filters: Query[RepVisitFilter]) -> Any:
    require(request, Perm.VENDORS_VIEW)
    queryset = _visits(request.user)
    if filters.vendor_id is not None:
        queryset = queryset.filter(vendor_id=filters.vendor_id)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.since is not None:
        queryset = queryset.filter(visited_at__date__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(visited_at__date__lte=filters.until)
    if filters.exceptions is not None:
        within = Q(policy_exceptions=[])
        queryset = queryset.exclude(within) if filters.exceptions else queryset.filter(within)
    result = paginate(queryset.order_by("-visited_at", "-pk"), filters)
    result["items"] = _with_samples(result["items"])
    return result


@router.get("/{int:visit_id}", response={200: RepVisitOut, **COMMON_RESPONSES}, url_name="rep_visit_detail",
            summary="One visit with the samples left",
            description=f"Needs `{Perm.VENDORS_VIEW}` at the visit's location.")
def rep_visit_detail(request: HttpRequest, visit_id: int) -> Any:
    require(request, Perm.VENDORS_VIEW)
    return _visit(request, visit_id)


@router.post("", response={201: RepVisitOut, **WRITE_RESPONSES}, url_name="rep_visit_create",
             summary="Log a sales representative's visit (and the samples left)",
             description=f"Needs `{Perm.VENDORS_MANAGE}` at the visit's location, and `{Perm.INVENTORY_USE}` there "
                         "too when samples were left. The visit is logged even when it broke the practice's "
                         "rep-access policy (`policy_exceptions` says how). The visit and its samples are saved "
                         "together or not at all.")
@idempotent
def rep_visit_create(request: HttpRequest, payload: RepVisitIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    actor = request.user
    vendor = selectors.vendors_visible(actor=actor).filter(pk=payload.vendor_id).first()
    if vendor is None:
        raise unknown("vendor_id", payload.vendor_id, "vendor")
    location = Location.objects.filter(pk=payload.location_id).first()
    if location is None:
        raise unknown("location_id", payload.location_id, "location")
    rep = None
    if payload.rep_id is not None:
        rep = VendorContact.objects.filter(pk=payload.rep_id, vendor=vendor).first()
        if rep is None:
            raise unknown("rep_id", payload.rep_id, "contact of this vendor")
    met_with = list(selectors.people_choices().filter(pk__in=payload.met_with_ids))
    missing = sorted(set(payload.met_with_ids) - {user.pk for user in met_with})
    if missing:
        raise unknown("met_with_ids", missing[0], "active user")
    # Both permissions are settled before anything is written, so that a refusal is audited (outside the
    # transaction below) and the visit and its samples are all or nothing.
    require(request, Perm.VENDORS_MANAGE, location=location.pk)
    samples: list[sample_services.SampleIn] = []
    place = None
    if payload.samples:
        if payload.sample_place_id is None:
            raise ValidationError({"sample_place_id": _("Say which sample cabinet the samples went into.")})
        place = stock_selectors.place_scoped(actor=actor).filter(pk=payload.sample_place_id).first()
        if place is None:
            raise unknown("sample_place_id", payload.sample_place_id, "storage place")
        require(request, Perm.INVENTORY_USE, location=place.location_id)
        items = {item.pk: item for item in Item.objects.filter(pk__in=[sample.item_id for sample in payload.samples])}
        for sample in payload.samples:
            if sample.item_id not in items:
                raise unknown("samples", sample.item_id, "item")
        samples = [sample_services.SampleIn(item=items[sample.item_id], quantity=sample.quantity,
                                            lot_number=sample.lot_number, expires_on=sample.expires_on)
                   for sample in payload.samples]
    with transaction.atomic():
        visit = services.rep_visit_log(actor=actor, vendor=vendor, met_with=met_with, data={
            "rep": rep, "rep_name": payload.rep_name, "location": location,
            "visited_at": payload.visited_at or timezone.now(), "had_appointment": payload.had_appointment,
            "products": payload.products, "notes": payload.notes})
        if samples and place is not None:
            sample_services.samples_receive(actor=actor, visit=visit, place=place, samples=samples)
    return Status(201, _visit(request, visit.pk, Perm.VENDORS_MANAGE))
