"""/patients: search, read, register and edit patients. Every patient record returned is an audited read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients import selectors, services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.patients import DuplicatesOut, PatientIn, PatientOut, PatientPatchIn

router = Router(tags=["patients"])


class PatientFilter(PageIn):
    q: str = Field("", max_length=100, description="Name, date of birth, 10-digit phone or account number")
    include_inactive: bool = False


def _viewed(request: HttpRequest, patient: Any) -> Any:
    selectors.patient_record_viewed(actor=request.user, patient=patient, how="api")
    return patient


@router.get("", response={200: Page[PatientOut], **COMMON_RESPONSES}, url_name="patient_list",
            summary="Search patients",
            description=f"Needs `{Perm.PATIENTS_DEMOGRAPHICS}`; only patients whose home location is one where "
                        "you hold it. Each patient returned is recorded in the audit trail.")
def patient_list(request: HttpRequest, filters: Query[PatientFilter]) -> Any:
    require(request, Perm.PATIENTS_DEMOGRAPHICS)
    queryset = selectors.patient_search(actor=request.user, text=filters.q,
                                        include_inactive=filters.include_inactive).order_by("search_last_name",
                                                                                            "search_first_name", "pk")
    result = paginate(queryset, filters)
    selectors.patient_records_viewed(actor=request.user, patients=result["items"], how="api")
    return result


@router.get("/{int:patient_id}", response={200: PatientOut, **COMMON_RESPONSES}, url_name="patient_detail",
            summary="One patient", description=f"Needs `{Perm.PATIENTS_DEMOGRAPHICS}` at the home location.")
def patient_detail(request: HttpRequest, patient_id: int) -> Any:
    require(request, Perm.PATIENTS_DEMOGRAPHICS)
    patient = get_scoped_or_404(request, selectors.patient_scoped(actor=request.user),
                                permission=Perm.PATIENTS_DEMOGRAPHICS, pk=patient_id)
    return _viewed(request, patient)




@router.post("", response={201: PatientOut, 409: DuplicatesOut, **WRITE_RESPONSES}, url_name="patient_create",
             summary="Register a patient",
             description=f"Needs `{Perm.PATIENTS_EDIT}` at the home location. Possible duplicates (similar name "
                         "with the same date of birth or phone) answer 409 with the candidates; send again with "
                         "`confirm_not_duplicate: true` to register anyway.")
def patient_create(request: HttpRequest, payload: PatientIn) -> Any:
    require(request, Perm.PATIENTS_EDIT)
    data = payload.model_dump()
    confirm = data.pop("confirm_not_duplicate")
    if not data.get("ssn"):
        data.pop("ssn", None)
    try:
        patient = services.patient_register(actor=request.user, data=data, confirm_not_duplicate=confirm)
    except services.PossibleDuplicates as exc:
        return Status(409, {
            "code": "possible_duplicates",
            "message": _("This patient may already be registered."),
            "candidates": [
                {"id": c.patient.pk, "account_number": c.patient.account_number, "first_name": c.patient.first_name,
                 "last_name": c.patient.last_name, "date_of_birth": c.patient.date_of_birth,
                 "reasons": [str(reason) for reason in c.reasons]}
                for c in exc.candidates
            ],
        })
    return Status(201, patient)


@router.patch("/{int:patient_id}", response={200: PatientOut, **WRITE_RESPONSES}, url_name="patient_update",
              summary="Change a patient's demographics",
              description=f"Needs `{Perm.PATIENTS_EDIT}` at the home location (and at the new one when moving "
                          f"the patient); `ssn` needs `{Perm.PATIENTS_SSN}`. Send only the fields to change.")
def patient_update(request: HttpRequest, patient_id: int, payload: PatientPatchIn) -> Any:
    require(request, Perm.PATIENTS_EDIT)
    patient = get_scoped_or_404(request, selectors.patient_scoped(actor=request.user, permission=Perm.PATIENTS_EDIT),
                                permission=Perm.PATIENTS_EDIT, pk=patient_id)
    return services.patient_update(actor=request.user, patient=patient, data=payload.model_dump(exclude_unset=True))
