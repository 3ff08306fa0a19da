"""/fee-schedules: the practice's standard fees and payer contract schedules with their fees (practice-wide
reference data, no PHI). A fee is addressed by its code, or code-modifier: /entries/99213, /entries/93000-26.
Reading needs billing.view; changing needs billing.manage at every location (the services refuse and audit a
biller of some locations only, answered like any refusal: 404)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.billing.codes.modifiers import is_modifier, normalize_modifier
from openpractice.billing.codes.procedures import is_procedure_code, normalize_procedure_code
from openpractice.billing.models import FeeSchedule
from openpractice.billing.selectors import fees as selectors
from openpractice.billing.services import fees as services
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.models import Payer
from openpractice.patients.selectors import payer_choices

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.fee_schedules import FeeEntryIn, FeeEntryOut, FeeScheduleIn, FeeScheduleOut, FeeSchedulePatchIn

router = Router(tags=["fee-schedules"])


class FeeScheduleFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the schedule's or the payer's name")
    payer_id: int | None = Field(None, description="Only this payer's schedules")
    standard: bool | None = Field(None, description="true: only standard schedules; false: only payer schedules")


class FeeEntryFilter(PageIn):
    code: str = Field("", max_length=20, description="Start of the code, or code-modifier: 992, 99213-25")


def _schedule(request: HttpRequest, fee_schedule_id: int, permission: str) -> FeeSchedule:
    return get_scoped_or_404(request, selectors.fee_schedule_list(actor=request.user), permission=permission,
                             pk=fee_schedule_id)


def _payer(payer_id: int | None) -> Payer | None:
    if payer_id is None:
        return None
    payer = payer_choices(include_inactive=True).filter(pk=payer_id).first()
    if payer is None:
        raise ValidationError({"payer_id": "There is no payer with this id."}, code="unknown_payer")
    return payer


@router.get("", response={200: Page[FeeScheduleOut], **COMMON_RESPONSES}, url_name="fee_schedule_list",
            summary="Fee schedules", description=f"Needs `{Perm.BILLING_VIEW}`.")
def fee_schedule_list(request: HttpRequest, filters: Query[FeeScheduleFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.fee_schedule_list(actor=request.user)
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(name__icontains=text) | queryset.filter(payer__name__icontains=text)
    if filters.payer_id is not None:
        queryset = queryset.filter(payer_id=filters.payer_id)
    if filters.standard is not None:
        queryset = queryset.filter(payer__isnull=filters.standard)
    return paginate(queryset.order_by("payer__name", "-effective_from", "pk"), filters)


@router.post("", response={201: FeeScheduleOut, **WRITE_RESPONSES}, url_name="fee_schedule_create",
             summary="Add a fee schedule",
             description=f"Needs `{Perm.BILLING_MANAGE}` at every location. Dates may not overlap another schedule "
                         "of the same payer (or another standard schedule).")
def fee_schedule_create(request: HttpRequest, payload: FeeScheduleIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    schedule = services.fee_schedule_create(
        actor=request.user, name=payload.name, payer=_payer(payload.payer_id),
        effective_from=payload.effective_from, effective_to=payload.effective_to)
    return Status(201, schedule)


@router.get("/{int:fee_schedule_id}", response={200: FeeScheduleOut, **COMMON_RESPONSES},
            url_name="fee_schedule_detail", summary="One fee schedule", description=f"Needs `{Perm.BILLING_VIEW}`.")
def fee_schedule_detail(request: HttpRequest, fee_schedule_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    return _schedule(request, fee_schedule_id, Perm.BILLING_VIEW)


@router.patch("/{int:fee_schedule_id}", response={200: FeeScheduleOut, **WRITE_RESPONSES},
              url_name="fee_schedule_update", summary="Change a fee schedule",
              description=f"Needs `{Perm.BILLING_MANAGE}` at every location. Send only the fields to change.")
def fee_schedule_update(request: HttpRequest, fee_schedule_id: int, payload: FeeSchedulePatchIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    schedule = _schedule(request, fee_schedule_id, Perm.BILLING_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    if "payer_id" in data:
        data["payer"] = _payer(data.pop("payer_id"))
    if "name" in data and data["name"] is None:
        raise ValidationError({"name": "The name cannot be empty."}, code="required")
    if "effective_from" in data and data["effective_from"] is None:
        raise ValidationError({"effective_from": "The start date cannot be empty."}, code="required")
    return services.fee_schedule_update(actor=request.user, schedule=schedule, data=data)


@router.get("/{int:fee_schedule_id}/entries", response={200: Page[FeeEntryOut], **COMMON_RESPONSES},
            url_name="fee_schedule_entries", summary="The fees of a schedule",
            description=f"Needs `{Perm.BILLING_VIEW}`.")
def fee_schedule_entries(request: HttpRequest, fee_schedule_id: int, filters: Query[FeeEntryFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    schedule = _schedule(request, fee_schedule_id, Perm.BILLING_VIEW)
    return paginate(selectors.fee_entries(actor=request.user, schedule=schedule, search=filters.code), filters)


def _split(entry_code: str) -> tuple[str, str]:
    code, _dash, modifier = entry_code.strip().partition("-")
    return code, modifier


@router.put("/{int:fee_schedule_id}/entries/{entry_code}", response={200: FeeEntryOut, **WRITE_RESPONSES},
            url_name="fee_schedule_entry_set", summary="Set the fee of a code",
            description=f"Needs `{Perm.BILLING_MANAGE}` at every location. `entry_code` is the code (99213) or "
                        "code-modifier (93000-26). Adds the fee or changes its amount.")
def fee_schedule_entry_set(request: HttpRequest, fee_schedule_id: int, entry_code: str, payload: FeeEntryIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    schedule = _schedule(request, fee_schedule_id, Perm.BILLING_MANAGE)
    code, modifier = _split(entry_code)
    return services.fee_entry_set(actor=request.user, schedule=schedule, procedure_code=code, modifier=modifier,
                                  amount=payload.amount)


@router.delete("/{int:fee_schedule_id}/entries/{entry_code}", response={204: None, **WRITE_RESPONSES},
               url_name="fee_schedule_entry_delete", summary="Remove the fee of a code",
               description=f"Needs `{Perm.BILLING_MANAGE}` at every location.")
def fee_schedule_entry_delete(request: HttpRequest, fee_schedule_id: int, entry_code: str) -> Any:
    require(request, Perm.BILLING_MANAGE)
    schedule = _schedule(request, fee_schedule_id, Perm.BILLING_MANAGE)
    code, modifier = _split(entry_code)
    code, modifier = normalize_procedure_code(code), normalize_modifier(modifier)
    if not is_procedure_code(code) or (modifier and not is_modifier(modifier)):
        raise Http404()  # not a fee anyone could have set (and never a NUL byte sent to the database)
    entry = schedule.entries.filter(procedure_code=code, modifier=modifier).first()
    if entry is None:
        raise Http404()
    services.fee_entry_delete(actor=request.user, entry=entry)
    return HttpResponse(status=204)
