"""/charges: charge capture. List and read (billing.view at the charge's location), create a charge with its
diagnoses and lines in one all-or-nothing call (billing.manage). Charges are PHI: every patient shown is
recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.billing.models import Charge
from openpractice.billing.selectors import charges as selectors
from openpractice.billing.services import charges as services
from openpractice.core.selectors import location_scoped
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed, patient_scoped
from openpractice.scheduling.models import Provider
from openpractice.scheduling.selectors import appointment_list, referring_provider_list

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.charges import ChargeFilters, ChargeIn, ChargeLineIn, ChargeOut

router = Router(tags=["charges"])


def _detail_queryset(request: HttpRequest, permission: str = Perm.BILLING_VIEW) -> Any:
    return selectors.charge_detail_queryset(actor=request.user, permission=permission)


def _audit_shown(request: HttpRequest, charges: list[Charge], how: str) -> None:
    patient_records_viewed(actor=request.user, patients=(charge.patient for charge in charges), how=how)


@router.get("", response={200: Page[ChargeOut], **COMMON_RESPONSES}, url_name="charge_list",
            summary="Charges at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}`. Filters: status, location, patient, date-of-service range. "
                        "Each patient on the page returned is recorded in the audit trail once.")
def charge_list(request: HttpRequest, filters: Query[ChargeFilters], page: Query[PageIn]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.charge_list(actor=request.user, status=filters.status or "", location_id=filters.location_id,
                                     date_from=filters.date_from, date_to=filters.date_to)
    if filters.patient_id is not None:
        queryset = queryset.filter(patient_id=filters.patient_id)
    queryset = queryset.prefetch_related("diagnoses", "lines", "claims")
    result = paginate(queryset.order_by("-date_of_service", "-pk"), page)
    _audit_shown(request, result["items"], "api charge list")
    return result


@router.get("/{int:charge_id}", response={200: ChargeOut, **COMMON_RESPONSES}, url_name="charge_detail",
            summary="One charge with its diagnoses, lines and claims",
            description=f"Needs `{Perm.BILLING_VIEW}` at its location. The read is audited.")
def charge_detail(request: HttpRequest, charge_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    charge = get_scoped_or_404(request, _detail_queryset(request), permission=Perm.BILLING_VIEW, pk=charge_id)
    patient_record_viewed(actor=request.user, patient=charge.patient, how="api charge")
    return charge


def _one(queryset: Any, pk: int | None, field: str, message: str) -> Any:
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise ValidationError({field: message})
    return found


def _line_error(number: int, error: ValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError({f"lines.{number}.{name}": messages for name, messages in error.message_dict.items()})
    return ValidationError({f"lines.{number}": error.messages})


def _add_lines(request: HttpRequest, charge: Charge, lines: list[ChargeLineIn]) -> None:
    for number, line in enumerate(lines, start=1):
        try:
            services.charge_line_add(
                actor=request.user, charge=charge, procedure_code=line.procedure_code, modifiers=line.modifiers,
                units=line.units, service_date_from=line.service_date_from, service_date_to=line.service_date_to,
                pointers=line.pointers, amount=line.amount)
        except ValidationError as error:
            raise _line_error(number, error) from error


@router.post("", response={201: ChargeOut, **WRITE_RESPONSES}, url_name="charge_create",
             summary="Capture a charge (header, diagnoses and lines in one call)",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the location. With `appointment_id`, a checked-out "
                         "visit's charge: patient, location, rendering provider and date come from the visit. "
                         "Without, a stand-alone charge. Diagnoses and lines are validated like on the charge "
                         "page (ICD-10-CM valid and billable on the date of service, CPT/HCPCS, modifiers, "
                         "pointers, fee schedule); a single error and nothing is saved (422, with the field, e.g. "
                         "`lines.2.procedure_code`).")
@idempotent
def charge_create(request: HttpRequest, payload: ChargeIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    actor = request.user
    if payload.appointment_id is not None:
        appointment = get_scoped_or_404(request, appointment_list(actor=actor, permission=Perm.BILLING_MANAGE),
                                        permission=Perm.BILLING_MANAGE, pk=payload.appointment_id)
        location_id = appointment.location_id
    else:
        if payload.location_id is None:
            raise ValidationError({"location_id": "Give the location (or the appointment_id of a checked-out "
                                                  "visit)."})
        require(request, Perm.BILLING_MANAGE, location=payload.location_id)
        location_id = payload.location_id
    # Permission is settled above (a refusal is audited outside the transaction); now all or nothing.
    with transaction.atomic():
        if payload.appointment_id is not None:
            charge = services.charge_create_from_appointment(actor=actor, appointment=appointment)
            header = _header_changes(payload)
            if header:
                charge = services.charge_update(actor=actor, charge=charge, **header)
        else:
            location = _one(location_scoped(actor=actor, permission=Perm.BILLING_MANAGE), location_id,
                            "location_id", "There is no location with this id at your locations.")
            patient = _one(patient_scoped(actor=actor), payload.patient_id, "patient_id",
                           "There is no patient with this id at your locations.")
            provider = _one(Provider.objects.all(), payload.rendering_provider_id, "rendering_provider_id",
                            "There is no provider with this id.")
            if payload.date_of_service is None:
                raise ValidationError({"date_of_service": "Give the date of service."})
            extra: dict[str, Any] = {}
            if payload.group_bills:
                extra["billing_provider"] = None
            elif payload.billing_provider_id is not None:
                extra["billing_provider"] = _one(Provider.objects.all(), payload.billing_provider_id,
                                                 "billing_provider_id", "There is no provider with this id.")
            charge = services.charge_create(
                actor=actor, patient=patient, location=location, rendering_provider=provider,
                date_of_service=payload.date_of_service, place_of_service=payload.place_of_service,
                referring_provider=_referring(payload.referring_provider_id),
                prior_authorization=payload.prior_authorization, **extra)
        if payload.diagnoses:
            services.charge_set_diagnoses(actor=actor, charge=charge, codes=payload.diagnoses)
        _add_lines(request, charge, payload.lines)
    return Status(201, _detail_queryset(request).get(pk=charge.pk))


def _referring(pk: int | None) -> Any:
    if pk is None:
        return None
    return _one(referring_provider_list(), pk, "referring_provider_id", "There is no referring provider with this id.")


def _header_changes(payload: ChargeIn) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if payload.place_of_service:
        changes["place_of_service"] = payload.place_of_service
    if payload.prior_authorization:
        changes["prior_authorization"] = payload.prior_authorization
    if payload.referring_provider_id is not None:
        changes["referring_provider"] = _referring(payload.referring_provider_id)
    if payload.group_bills:
        changes["billing_provider"] = None
    elif payload.billing_provider_id is not None:
        changes["billing_provider"] = _one(Provider.objects.all(), payload.billing_provider_id,
                                           "billing_provider_id", "There is no provider with this id.")
    return changes

