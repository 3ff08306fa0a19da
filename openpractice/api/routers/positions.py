"""/positions: the practice's positions (job, system role and tier, place in the org chart and on a career path,
requirements, pay range). Reading needs workforce.view (a position at a location is seen where you hold it; a
practice-wide one wherever you hold it); adding and changing need workforce.manage there (practice-wide: at every
location). Certifications are named by their catalog code (CMPE, CPPM …). Refusals answer 404 and are audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import department_list, location_list
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.models import CredentialType, Position
from openpractice.workforce.selectors.positions import position_list, position_scoped
from openpractice.workforce.services import positions as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["positions"])


class PositionOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5, "title": "Billing specialist", "role": "biller", "tier": "standard", "department_id": 2,
         "location_id": None, "reports_to_id": 2, "next_position_id": 6, "required_education": "high_school",
         "required_certifications": [], "preferred_certifications": ["CEHRS"], "min_months_in_previous_role": 0,
         "pay_basis": "hourly", "pay_min": "20.00", "pay_max": "27.50", "headcount": 3,
         "description": "Codes visits, works claim edits, denials and patient balances.", "is_active": True,
         "updated_at": "2026-01-08T14:00:00Z"}]}}
    id: int
    title: str
    role: str = Field(description="System role a person in this position gets; empty if none")
    tier: str = Field(description="Seniority tier of that role")
    department_id: int | None
    location_id: int | None = Field(description="Empty: the position serves every location")
    reports_to_id: int | None
    next_position_id: int | None = Field(description="The next step on this position's career path")
    required_education: str
    required_certifications: list[str] = Field(description="Catalog codes")
    preferred_certifications: list[str] = Field(description="Catalog codes")
    min_months_in_previous_role: int
    pay_basis: str
    pay_min: Decimal | None
    pay_max: Decimal | None
    headcount: int
    description: str
    is_active: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_required_certifications(obj: Position) -> list[str]:
        return [item.code for item in obj.required_certifications.all()]

    @staticmethod
    def resolve_preferred_certifications(obj: Position) -> list[str]:
        return [item.code for item in obj.preferred_certifications.all()]


class PositionPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"headcount": 4}]}}
    title: str | None = Field(None, max_length=120)
    role: str | None = None
    tier: str | None = None
    department_id: int | None = None
    location_id: int | None = None
    reports_to_id: int | None = None
    next_position_id: int | None = None
    required_education: str | None = None
    required_certifications: list[str] | None = None
    preferred_certifications: list[str] | None = None
    min_months_in_previous_role: int | None = Field(None, ge=0, le=600)
    pay_basis: str | None = None
    pay_min: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    pay_max: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    headcount: int | None = Field(None, ge=0, le=1000)
    description: str | None = None


class PositionIn(PositionPatchIn):
    model_config = {"json_schema_extra": {"examples": [
        {"title": "Medical assistant", "location_id": 1, "pay_min": "17.50", "pay_max": "22.00", "headcount": 3}]}}
    title: str = Field(max_length=120)  # type: ignore[assignment]


class PositionFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the title")
    active: bool | None = Field(None, description="true: only active positions; false: only deactivated ones")


_REFERENCES = {"department_id": "department", "location_id": "location", "reports_to_id": "reports_to",
               "next_position_id": "next_position"}
_NOT_NULL = ("title", "required_education", "min_months_in_previous_role", "pay_basis", "headcount")


def _resolve(request: HttpRequest, payload: PositionPatchIn) -> dict[str, Any]:
    """The payload as the service takes it: ids turned into objects the caller may see, codes into catalog
    entries. An unknown or unseen id is a 422 on that field."""
    data = payload.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be empty."}, code="required")
    choices: dict[str, Any] = {
        "department_id": department_list(actor=request.user, permission=Perm.PRACTICE_VIEW),
        "location_id": location_list(actor=request.user, permission=Perm.WORKFORCE_MANAGE),
        "reports_to_id": position_list(actor=request.user),
        "next_position_id": position_list(actor=request.user),
    }
    for key, name in _REFERENCES.items():
        if key not in data:
            continue
        value = data.pop(key)
        if value is None:
            data[name] = None
            continue
        found = choices[key].filter(pk=value).first()
        if found is None:
            raise ValidationError({key: f"There is no {name.replace('_', ' ')} with id {value} that you may use."},
                                  code="unknown_reference")
        data[name] = found
    for name in ("required_certifications", "preferred_certifications"):
        if name not in data:
            continue
        codes = sorted({code.strip().upper() for code in data[name] or ()})
        found_types = list(CredentialType.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {item.code for item in found_types})
        if missing:
            raise ValidationError({name: f"Not in the credential catalog: {', '.join(missing)}."},
                                  code="unknown_credential")
        data[name] = found_types
    for name in ("role", "tier", "description"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


def _with_relations(queryset: Any) -> Any:
    return queryset.prefetch_related("required_certifications", "preferred_certifications")


@router.get("", response={200: Page[PositionOut], **COMMON_RESPONSES}, url_name="position_list",
            summary="Positions you may see", description=f"Needs `{Perm.WORKFORCE_VIEW}`.")
def positions(request: HttpRequest, filters: Query[PositionFilter]) -> Any:
    require(request, Perm.WORKFORCE_VIEW)
    queryset = _with_relations(position_list(actor=request.user))
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(title__icontains=text)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return paginate(queryset.order_by("title", "pk"), filters)


@router.post("", response={201: PositionOut, **WRITE_RESPONSES}, url_name="position_create",
             summary="Add a position",
             description=f"Needs `{Perm.WORKFORCE_MANAGE}` at the position's location (every location for a "
                         "practice-wide one). The tier must belong to the role; reports-to and next position may "
                         "not lead back to the position.")
def position_create(request: HttpRequest, payload: PositionIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    position = services.position_create(actor=request.user, data=_resolve(request, payload))
    return Status(201, _with_relations(Position.objects).get(pk=position.pk))


@router.get("/{int:position_id}", response={200: PositionOut, **COMMON_RESPONSES}, url_name="position_detail",
            summary="One position", description=f"Needs `{Perm.WORKFORCE_VIEW}` where the position is.")
def position_detail(request: HttpRequest, position_id: int) -> Any:
    require(request, Perm.WORKFORCE_VIEW)
    return get_scoped_or_404(request, _with_relations(position_list(actor=request.user)),
                             permission=Perm.WORKFORCE_VIEW, pk=position_id)


@router.patch("/{int:position_id}", response={200: PositionOut, **WRITE_RESPONSES}, url_name="position_update",
              summary="Change a position",
              description=f"Needs `{Perm.WORKFORCE_MANAGE}` where the position is (and where it moves to). Send "
                          "only the fields to change.")
def position_update(request: HttpRequest, position_id: int, payload: PositionPatchIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    position = get_scoped_or_404(request, position_scoped(actor=request.user), permission=Perm.WORKFORCE_MANAGE,
                                 pk=position_id)
    services.position_update(actor=request.user, position=position, data=_resolve(request, payload))
    return _with_relations(Position.objects).get(pk=position.pk)
