"""/credentials: employees' certifications and licences (HR data). Everyone reads their own; workforce.view
reads those of the employees at its locations; workforce.manage adds and corrects them. Evidence files and
verification go through the web pages (a file upload and a person's judgement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.models import CredentialType
from openpractice.workforce.selectors import credentials as selectors
from openpractice.workforce.selectors.scope import employees_scoped
from openpractice.workforce.services import credentials as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["credentials"])


class CredentialOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 88, "employee_id": 31, "credential_type": "RN", "credential_name": "Registered nurse licence",
         "number": "NC-RN-238814", "state": "NC", "issued_on": "2026-02-20", "expires_on": "2028-02-29",
         "replaces_id": 61, "renewed_by_id": None, "verified": True, "verified_at": "2026-02-24T16:10:00Z",
         "verification_method": "primary_source", "has_evidence": True}]}}
    id: int
    employee_id: int
    credential_type: str = Field(description="Catalog code, e.g. CMPE, RN, DEA")
    credential_name: str
    number: str
    state: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    replaces_id: int | None = Field(description="The credential this one renewed")
    renewed_by_id: int | None = Field(description="The renewal that replaced this one, if any")
    verified: bool
    verified_at: dt.datetime | None
    verification_method: str
    has_evidence: bool

    @staticmethod
    def resolve_credential_type(obj: Any) -> str:
        return str(obj.credential_type.code)

    @staticmethod
    def resolve_credential_name(obj: Any) -> str:
        return str(obj.credential_type.name)

    @staticmethod
    def resolve_renewed_by_id(obj: Any) -> int | None:
        renewal = getattr(obj, "renewed_by", None)
        return renewal.pk if renewal is not None else None

    @staticmethod
    def resolve_verified(obj: Any) -> bool:
        return obj.verified_at is not None

    @staticmethod
    def resolve_has_evidence(obj: Any) -> bool:
        return bool(obj.evidence)


class CredentialIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"employee_id": 31, "credential_type": "RN", "number": "NC-RN-238814", "state": "NC", "issued_on": "2026-02-20",
         "expires_on": "2028-02-29"}]}}
    employee_id: int
    credential_type: str = Field(description="Catalog code")
    number: str = ""
    state: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = Field(None, description="Empty: issued date plus the type's renewal period")


class CredentialPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"number": "NC-RN-238814", "expires_on": "2028-02-29"}]}}
    number: str | None = None
    state: str | None = None
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None


class CredentialFilter(PageIn):
    employee_id: int | None = None
    current: bool = Field(False, description="Only credentials no renewal has replaced")
    expiring_within_days: int | None = Field(None, ge=0, le=3650,
                                             description="Only held credentials expiring within this many days "
                                                         "(or expired)")


def _type(code: str) -> CredentialType:
    found = selectors.credential_types().filter(code__iexact=code.strip()).first()
    if found is None:
        raise ValidationError({"credential_type": "Unknown credential code."})
    return found


@router.get("", response={200: Page[CredentialOut], **COMMON_RESPONSES}, url_name="credential_list",
            summary="Credentials",
            description=f"Your own, and with `{Perm.WORKFORCE_VIEW}` those of the employees at your locations.")
def credential_list(request: HttpRequest, filters: Query[CredentialFilter]) -> Any:
    queryset = selectors.credentials_scoped(actor=request.user).select_related("renewed_by")
    if filters.employee_id is not None:
        queryset = queryset.filter(employee_id=filters.employee_id)
    if filters.current or filters.expiring_within_days is not None:
        queryset = selectors.current_only(queryset)
    if filters.expiring_within_days is not None:
        queryset = queryset.filter(expires_on__lte=practice_today()
                                   + dt.timedelta(days=filters.expiring_within_days))
    return paginate(queryset.order_by("employee_id", "credential_type__code", "-issued_on", "pk"), filters)


@router.get("/{int:credential_id}", response={200: CredentialOut, **COMMON_RESPONSES}, url_name="credential_detail",
            summary="One credential", description=f"Your own, or `{Perm.WORKFORCE_VIEW}` over the employee.")
def credential_detail(request: HttpRequest, credential_id: int) -> Any:
    return get_scoped_or_404(request, selectors.credentials_scoped(actor=request.user).select_related("renewed_by"),
                             permission=Perm.WORKFORCE_VIEW, pk=credential_id)


@router.post("", response={201: CredentialOut, **WRITE_RESPONSES}, url_name="credential_create",
             summary="Record a credential", description=f"Needs `{Perm.WORKFORCE_MANAGE}` over the employee.")
def credential_create(request: HttpRequest, payload: CredentialIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    employee = get_scoped_or_404(request, employees_scoped(actor=request.user, permission=Perm.WORKFORCE_MANAGE,
                                                           include_self=False),
                                 permission=Perm.WORKFORCE_MANAGE, pk=payload.employee_id)
    data = payload.model_dump(exclude={"employee_id"})
    data["credential_type"] = _type(payload.credential_type)
    return Status(201, services.credential_add(actor=request.user, employee=employee, data=data))


@router.patch("/{int:credential_id}", response={200: CredentialOut, **WRITE_RESPONSES},
              url_name="credential_update", summary="Correct a credential",
              description=f"Needs `{Perm.WORKFORCE_MANAGE}` over the employee. Send only the fields to change; a "
                          "change clears an earlier verification.")
def credential_update(request: HttpRequest, credential_id: int, payload: CredentialPatchIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    credential = get_scoped_or_404(request, selectors.credentials_scoped(
        actor=request.user, permission=Perm.WORKFORCE_MANAGE, include_self=False),
        permission=Perm.WORKFORCE_MANAGE, pk=credential_id)
    updated = services.credential_update(actor=request.user, credential=credential,
                                         data=payload.model_dump(exclude_unset=True))
    return selectors.credentials_scoped(actor=request.user).select_related("renewed_by").get(pk=updated.pk)
