"""/vendors: the firms the practice buys from or hires (suppliers, service providers, maintenance and cleaning
firms, medical sales companies) with their contacts. The vendor list is practice-wide: vendors.view lists and reads
it; vendors.manage adds and changes vendors and their contacts. The tax ID is encrypted at rest and never leaves
the server: the API takes it and shows its last four digits only. Marking a vendor as handling PHI puts it in the
compliance BAA register. Negotiations and performance stay in the web interface. Refusals answer 404 and are
audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.vendors import selectors
from openpractice.vendors.choices import PaymentTerms, VendorKind
from openpractice.vendors.models import Vendor, VendorCategory, VendorContact
from openpractice.vendors.services import vendors as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.common import AddressOut, address_of
from ..schemas.supply import refuse_nulls, unknown

router = Router(tags=["vendors"])


class CategoryOut(Schema):
    id: int
    name: str


class ContactOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 41, "name": "Renee Colton", "title": "Account manager", "email": "renee.colton@medline.example",
         "phone": "919-555-0177", "is_primary": True, "is_sales_rep": True, "is_active": True}]}}
    id: int
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool
    is_sales_rep: bool
    is_active: bool


class VendorOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 17, "name": "Medline Industries", "kind": "supplier",
         "categories": [{"id": 1, "name": "Medical supplies"}], "account_number": "1184220", "tax_id_last4": "3371",
         "payment_terms": "net30", "order_email": "orders@medline.example", "phone": "800-555-0133",
         "website": "https://www.medline.example",
         "address": {"line1": "Three Lakes Drive", "line2": "", "city": "Northfield", "state": "IL", "postal_code": "60093"},
         "handles_phi": False, "notes": "", "is_active": True,
         "contacts": [{"id": 41, "name": "Renee Colton", "title": "Account manager", "email": "renee.colton@medline.example", "phone": "919-555-0177", "is_primary": True, "is_sales_rep": True, "is_active": True}],
         "created_at": "2024-02-01T15:00:00Z", "updated_at": "2025-06-24T17:30:00Z"}]}}
    id: int
    name: str
    kind: str = Field(description="supplier, service, maintenance, cleaning or sales")
    categories: list[CategoryOut]
    account_number: str = Field(description="The practice's account number with them")
    tax_id_last4: str = Field(description="The last four digits of the EIN (the full number is never shown)")
    payment_terms: str
    order_email: str = Field(description="Where purchase orders are emailed")
    phone: str
    website: str
    address: AddressOut
    handles_phi: bool = Field(description="Needs a business associate agreement")
    notes: str
    is_active: bool
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_address(obj: Vendor) -> AddressOut:
        return address_of(obj)

    @staticmethod
    def resolve_categories(obj: Vendor) -> list[Any]:
        return list(obj.categories.all())

    @staticmethod
    def resolve_contacts(obj: Vendor) -> list[Any]:
        return list(obj.contacts.all())


class ContactIn(Schema):
    name: str = Field(max_length=120, examples=["Renee Whitaker"])
    title: str = Field("", max_length=80, examples=["Account manager"])
    email: str = Field("", max_length=254, examples=["renee.whitaker@piedmontmed.example"])
    phone: str = Field("", max_length=20, examples=["919-555-0181"])
    is_primary: bool = Field(False, description="Making one primary makes the vendor's previous primary ordinary")
    is_sales_rep: bool = False


class VendorIn(Schema):
    name: str = Field(max_length=200, examples=["Piedmont Medical Supply"])
    kind: VendorKind = Field(examples=[VendorKind.SUPPLIER])
    category_ids: list[int] = Field(default_factory=list, max_length=20, description="Vendor categories",
                                    examples=[[1, 2]])
    account_number: str = Field("", max_length=40, examples=["RFM-20931"])
    tax_id: str = Field("", max_length=10, description="EIN, nine digits (12-3456789); stored encrypted, only the "
                                                       "last four digits are ever shown", examples=["56-1234567"])
    payment_terms: PaymentTerms = PaymentTerms.NET_30
    order_email: str = Field("", max_length=254, description="Where purchase orders are emailed",
                             examples=["orders@piedmontmed.example"])
    phone: str = Field("", max_length=20, examples=["919-555-0180"])
    website: str = Field("", max_length=200, examples=["https://piedmontmed.example"])
    address_line1: str = Field("", max_length=55, examples=["2200 Gateway Centre Blvd"])
    address_line2: str = Field("", max_length=55)
    city: str = Field("", max_length=30, examples=["Morrisville"])
    state: str = Field("", max_length=2, examples=["NC"])
    postal_code: str = Field("", max_length=10, examples=["27560"])
    handles_phi: bool = Field(False, description="The vendor sees patient information: it goes into the BAA "
                                                 "register")
    notes: str = ""
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20, description="Added with the vendor")


class VendorPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"order_email": "orders@supplier.example", "phone": "555-0150"}]}}
    name: str | None = Field(None, max_length=200)
    kind: VendorKind | None = None
    category_ids: list[int] | None = Field(None, max_length=20, description="Replaces the categories")
    account_number: str | None = Field(None, max_length=40)
    tax_id: str | None = Field(None, max_length=10, description="An empty string removes it")
    payment_terms: PaymentTerms | None = None
    order_email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20)
    website: str | None = Field(None, max_length=200)
    address_line1: str | None = Field(None, max_length=55)
    address_line2: str | None = Field(None, max_length=55)
    city: str | None = Field(None, max_length=30)
    state: str | None = Field(None, max_length=2)
    postal_code: str | None = Field(None, max_length=10)
    handles_phi: bool | None = None
    notes: str | None = None
    is_active: bool | None = None


class VendorFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the name, or our account number")
    kind: VendorKind | None = None
    category_id: int | None = Field(None, ge=1, le=2_147_483_647)
    active: bool | None = None
    handles_phi: bool | None = None


def _vendors(request: HttpRequest) -> QuerySet[Vendor]:
    """The vendor list is practice-wide: whoever holds vendors.view anywhere sees all of it."""
    return selectors.vendors_visible(actor=request.user).prefetch_related("categories", "contacts")


def _vendor(request: HttpRequest, vendor_id: int, permission: str) -> Vendor:
    return get_scoped_or_404(request, _vendors(request), permission=permission, pk=vendor_id)


def _categories(ids: list[int]) -> list[VendorCategory]:
    found = {category.pk: category for category in VendorCategory.objects.filter(pk__in=ids)}
    for category_id in ids:
        if category_id not in found:
            raise unknown("category_ids", category_id, "vendor category")
    return [found[category_id] for category_id in dict.fromkeys(ids)]


@router.get("", response={200: Page[VendorOut], **COMMON_RESPONSES}, url_name="vendor_list",
            summary="Vendors",
            description=f"Needs `{Perm.VENDORS_VIEW}`. By name. `kind` takes the listed values only (anything "
                        "else: 422).")
def vendor_list(request: HttpRequest, filters: Query[VendorFilter]) -> Any:
    require(request, Perm.VENDORS_VIEW)
    queryset = _vendors(request)
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(Q(name__icontains=text) | Q(account_number__iexact=text))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.category_id is not None:
        queryset = queryset.filter(categories__id=filters.category_id)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.handles_phi is not None:
        queryset = queryset.filter(handles_phi=filters.handles_phi)
    return paginate(queryset.order_by("name", "pk"), filters)


@router.get("/{int:vendor_id}", response={200: VendorOut, **COMMON_RESPONSES}, url_name="vendor_detail",
            summary="One vendor with its contacts", description=f"Needs `{Perm.VENDORS_VIEW}`.")
def vendor_detail(request: HttpRequest, vendor_id: int) -> Any:
    require(request, Perm.VENDORS_VIEW)
    return _vendor(request, vendor_id, Perm.VENDORS_VIEW)


@router.post("", response={201: VendorOut, **WRITE_RESPONSES}, url_name="vendor_create",
             summary="Add a vendor (with its contacts)",
             description=f"Needs `{Perm.VENDORS_MANAGE}`. The name is unique (ignoring case). A vendor that handles "
                         "PHI is put into the compliance BAA register. The vendor and its contacts are saved "
                         "together or not at all.")
def vendor_create(request: HttpRequest, payload: VendorIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    data = payload.model_dump(exclude={"category_ids", "contacts"})
    categories = _categories(payload.category_ids)
    with transaction.atomic():
        vendor = services.vendor_create(actor=request.user, data=data, categories=categories)
        for contact in payload.contacts:
            services.contact_save(actor=request.user, vendor=vendor, data=contact.model_dump())
    return Status(201, _vendor(request, vendor.pk, Perm.VENDORS_MANAGE))


@router.patch("/{int:vendor_id}", response={200: VendorOut, **WRITE_RESPONSES}, url_name="vendor_update",
              summary="Change a vendor",
              description=f"Needs `{Perm.VENDORS_MANAGE}`. Send only the fields to change; `category_ids` replaces "
                          "the categories. The audit trail names the fields changed, never their values.")
def vendor_update(request: HttpRequest, vendor_id: int, payload: VendorPatchIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    vendor = _vendor(request, vendor_id, Perm.VENDORS_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data)
    category_ids = data.pop("category_ids", None)
    categories = None if category_ids is None else _categories(category_ids)
    services.vendor_update(actor=request.user, vendor=vendor, data=data, categories=categories)
    return _vendor(request, vendor.pk, Perm.VENDORS_MANAGE)


@router.post("/{int:vendor_id}/contacts", response={201: ContactOut, **WRITE_RESPONSES},
             url_name="vendor_contact_create", summary="Add a contact to a vendor",
             description=f"Needs `{Perm.VENDORS_MANAGE}`. A sales representative (`is_sales_rep`) can then be "
                         "named on a rep visit.")
def vendor_contact_create(request: HttpRequest, vendor_id: int, payload: ContactIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    vendor = _vendor(request, vendor_id, Perm.VENDORS_MANAGE)
    contact: VendorContact = services.contact_save(actor=request.user, vendor=vendor, data=payload.model_dump())
    return Status(201, contact)
