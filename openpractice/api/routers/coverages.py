"""/coverages: a patient's insurance policies. Same scope as the patient: their home location."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients import selectors, services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.coverages import CoverageIn, CoverageOut, CoveragePatchIn
from ..schemas.supply import refuse_nulls

router = Router(tags=["coverages"])


class CoverageFilter(PageIn):
    patient: int | None = Field(None, description="Only this patient's coverages")
    active: bool | None = Field(None, description="true: current policies only; false: ended ones only")


@router.get("", response={200: Page[CoverageOut], **COMMON_RESPONSES}, url_name="coverage_list",
            summary="Insurance coverages",
            description=f"Needs `{Perm.PATIENTS_DEMOGRAPHICS}`; coverages of patients at your locations. Each "
                        "patient whose coverage is returned is recorded in the audit trail.")
def coverage_list(request: HttpRequest, filters: Query[CoverageFilter]) -> Any:
    require(request, Perm.PATIENTS_DEMOGRAPHICS)
    queryset = selectors.coverage_scoped(actor=request.user)
    if filters.patient is not None:
        queryset = queryset.filter(patient_id=filters.patient)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    page = paginate(queryset.order_by("patient_id", "-is_active", "rank", "pk"), filters)
    # Member ids, copays and subscriber details are PHI: one audit event per patient on the page, as the detail
    # endpoint writes. The patients came with the page (select_related), so no query per row.
    selectors.patient_records_viewed(actor=request.user, patients=(row.patient for row in page["items"]),
                                     how="api coverage list")
    return page


@router.get("/{int:coverage_id}", response={200: CoverageOut, **COMMON_RESPONSES}, url_name="coverage_detail",
            summary="One coverage", description=f"Needs `{Perm.PATIENTS_DEMOGRAPHICS}` at the patient's location.")
def coverage_detail(request: HttpRequest, coverage_id: int) -> Any:
    require(request, Perm.PATIENTS_DEMOGRAPHICS)
    coverage = get_scoped_or_404(request, selectors.coverage_scoped(actor=request.user),
                                 permission=Perm.PATIENTS_DEMOGRAPHICS, pk=coverage_id)
    selectors.patient_record_viewed(actor=request.user, patient=coverage.patient, how=f"api coverage {coverage.pk}")
    return coverage


@router.post("", response={201: CoverageOut, **WRITE_RESPONSES}, url_name="coverage_create",
             summary="Add a coverage to a patient",
             description=f"Needs `{Perm.PATIENTS_EDIT}` at the patient's location. One active coverage per rank.")
def coverage_create(request: HttpRequest, payload: CoverageIn) -> Any:
    require(request, Perm.PATIENTS_EDIT)
    data = payload.model_dump()
    patient = get_scoped_or_404(request, selectors.patient_scoped(actor=request.user, permission=Perm.PATIENTS_EDIT),
                                permission=Perm.PATIENTS_EDIT, pk=data.pop("patient"))
    return Status(201, services.coverage_add(actor=request.user, patient=patient, data=data))


@router.patch("/{int:coverage_id}", response={200: CoverageOut, **WRITE_RESPONSES}, url_name="coverage_update",
              summary="Change a coverage",
              description=f"Needs `{Perm.PATIENTS_EDIT}` at the patient's location. Send only the fields to change; "
                          "to end a policy send `effective_to`.")
def coverage_update(request: HttpRequest, coverage_id: int, payload: CoveragePatchIn) -> Any:
    require(request, Perm.PATIENTS_EDIT)
    coverage = get_scoped_or_404(request, selectors.coverage_scoped(actor=request.user, permission=Perm.PATIENTS_EDIT),
                                 permission=Perm.PATIENTS_EDIT, pk=coverage_id)
    data = payload.model_dump(exclude_unset=True)
    # null clears only what may be empty; anything else would reach the database's NOT NULL as a 500.
    refuse_nulls(data, nullable=("plan", "subscriber_date_of_birth", "effective_to"))
    return services.coverage_update(actor=request.user, coverage=coverage, data=data)
