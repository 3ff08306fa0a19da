"""/referring-providers: clinicians outside the practice who send patients (claims carry their NPI). Practice-wide
reference data, not PHI: anyone who sees the schedule (schedule.view) reads them. Adding or changing one needs
schedule.manage at any location (the desk that takes the referral adds them), through the same service as the
referring-provider pages; a caller without it gets 404 and the refusal is audited. The UI never deletes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.scheduling import services
from openpractice.scheduling.selectors import referring_provider_list

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["referring-providers"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class ReferringProviderOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "first_name": "Jordan", "last_name": "Okafor", "npi": "1234567893", "taxonomy_code": "207R00000X",
         "phone": "919-555-0142", "fax": "919-555-0143", "created_at": "2025-02-03T15:00:00Z",
         "updated_at": "2025-02-03T15:00:00Z"}]}}
    id: int
    first_name: str
    last_name: str
    npi: str = Field(description="10-digit NPI (check digit verified)")
    taxonomy_code: str = Field(description="NUCC taxonomy code, or empty")
    phone: str
    fax: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ReferringProviderPatchIn(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=35, pattern=NO_NUL, examples=["Jordan"])
    last_name: str | None = Field(None, min_length=1, max_length=60, pattern=NO_NUL, examples=["Okafor"])
    npi: str | None = Field(None, pattern=r"^\d{10}$", description="10 digits with a valid check digit",
                            examples=["1234567893"])
    taxonomy_code: str | None = Field(None, max_length=10, pattern=r"^(\d{3}[0-9A-Z]{6}X)?$",
                                      description="e.g. 207R00000X; empty clears", examples=["207R00000X"])
    phone: str | None = Field(None, max_length=20, pattern=NO_NUL, description="10-digit US number; empty clears",
                              examples=["919-555-0142"])
    fax: str | None = Field(None, max_length=20, pattern=NO_NUL, description="10-digit US number; empty clears",
                            examples=["919-555-0143"])

    model_config = {"json_schema_extra": {"examples": [{"phone": "919-555-0199"}, {"taxonomy_code": ""}]}}


class ReferringProviderIn(Schema):
    first_name: str = Field(min_length=1, max_length=35, pattern=NO_NUL, examples=["Jordan"])
    last_name: str = Field(min_length=1, max_length=60, pattern=NO_NUL, examples=["Okafor"])
    npi: str = Field(pattern=r"^\d{10}$", description="10 digits with a valid check digit; unique",
                     examples=["1234567893"])
    taxonomy_code: str = Field("", max_length=10, pattern=r"^(\d{3}[0-9A-Z]{6}X)?$", examples=["207R00000X"])
    phone: str = Field("", max_length=20, pattern=NO_NUL, description="10-digit US number",
                       examples=["919-555-0142"])
    fax: str = Field("", max_length=20, pattern=NO_NUL, description="10-digit US number", examples=["919-555-0143"])

    model_config = {"json_schema_extra": {"examples": [
        {"first_name": "Jordan", "last_name": "Okafor", "npi": "1234567893", "taxonomy_code": "207R00000X",
         "phone": "919-555-0142"}]}}


class ReferringProviderFilter(PageIn):
    q: str = Field("", max_length=60, description="Part of the first or last name, or of the NPI")


@router.get("", response={200: Page[ReferringProviderOut], **COMMON_RESPONSES}, url_name="referring_provider_list",
            summary="Referring providers",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` somewhere. By last and first name.")
def referring_provider_list_(request: HttpRequest, filters: Query[ReferringProviderFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = referring_provider_list()
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text)
                                   | Q(npi__contains=text))
    return paginate(queryset.order_by("last_name", "first_name", "pk"), filters)


@router.get("/{int:referring_provider_id}", response={200: ReferringProviderOut, **COMMON_RESPONSES},
            url_name="referring_provider_detail", summary="One referring provider",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` somewhere.")
def referring_provider_detail(request: HttpRequest, referring_provider_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    return get_scoped_or_404(request, referring_provider_list(), permission=Perm.SCHEDULE_VIEW,
                             pk=referring_provider_id)


@router.post("", response={201: ReferringProviderOut, **WRITE_RESPONSES}, url_name="referring_provider_create",
             summary="Add a referring provider",
             description=f"Needs `{Perm.SCHEDULE_MANAGE}` somewhere. The NPI's check digit is verified and an NPI "
                         "already on file answers 422; so do a malformed taxonomy code or phone number.")
def referring_provider_create(request: HttpRequest, payload: ReferringProviderIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    created = services.referring_provider_save(actor=request.user, data=payload.model_dump())
    return Status(201, referring_provider_list().get(pk=created.pk))


@router.patch("/{int:referring_provider_id}", response={200: ReferringProviderOut, **WRITE_RESPONSES},
              url_name="referring_provider_update", summary="Change a referring provider",
              description=f"Needs `{Perm.SCHEDULE_MANAGE}` somewhere. Send only the fields to change; an empty "
                          "taxonomy code, phone or fax clears it.")
def referring_provider_update(request: HttpRequest, referring_provider_id: int,
                              payload: ReferringProviderPatchIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    current = get_scoped_or_404(request, referring_provider_list(), permission=Perm.SCHEDULE_MANAGE,
                                pk=referring_provider_id)
    # null for a field means "leave it": names and the NPI cannot be cleared.
    data = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    services.referring_provider_save(actor=request.user, data=data, referring_provider=current)
    return referring_provider_list().get(pk=current.pk)
