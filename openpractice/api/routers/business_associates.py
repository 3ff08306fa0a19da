"""/business-associates and /business-associate-agreements: the HIPAA register of business associates and their
agreements (BAAs), as on the compliance pages. compliance.view reads the whole register (associates are
practice-wide: no location scope); compliance.manage adds and changes associates, starts agreements as drafts,
edits them (every date while a draft; end date, review date and notes once in force), puts a draft in force and
terminates one, all through the same services as the pages, audited there. Without the permission everything
answers 404 (audited); refusals and bad input change nothing. The signed PDF is uploaded and downloaded on the
pages (multipart, audited download); here an agreement only says whether it has one."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement
from openpractice.compliance.selectors import associates as selectors
from openpractice.compliance.services import associates as services
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["business-associates"])
agreements_router = Router(tags=["business-associates"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
Standing = Literal["flagged", "review_due", "covered", "not_needed", "inactive"]


# --- associates ------------------------------------------------------------------------------------------------


class BusinessAssociateOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 7, "name": "Cloud Billing Services", "services": "Claims clearinghouse", "handles_phi": True,
         "contact_name": "Pat Moore", "contact_email": "pat.moore@cloudbilling.example", "contact_phone": "919-555-0188",
         "is_active": True, "vendor_id": 12, "standing": "review_due", "agreement_in_force_id": 31,
         "agreement_expires_on": "2027-01-31", "agreement_review_on": "2026-12-15", "has_draft": False,
         "created_at": "2024-02-01T15:00:00Z", "updated_at": "2026-06-10T13:20:00Z"}]}}
    id: int
    name: str
    services: str = Field(description="What they do for the practice")
    handles_phi: bool
    contact_name: str
    contact_email: str
    contact_phone: str
    is_active: bool = Field(description="false: no longer used")
    vendor_id: int | None = Field(description="The vendors module's record of the same firm")
    standing: Standing = Field(description="flagged: handles PHI, in use, no agreement in force; review_due: the "
                                           "agreement in force ends or is due for review within 30 days; covered; "
                                           "not_needed: no PHI; inactive: no longer used")
    agreement_in_force_id: int | None
    agreement_expires_on: dt.date | None
    agreement_review_on: dt.date | None
    has_draft: bool = Field(description="An agreement is being negotiated")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_agreement_in_force_id(obj: Any) -> int | None:
        return getattr(obj, "baa_id", None)

    @staticmethod
    def resolve_agreement_expires_on(obj: Any) -> dt.date | None:
        return getattr(obj, "baa_expires_on", None)

    @staticmethod
    def resolve_agreement_review_on(obj: Any) -> dt.date | None:
        return getattr(obj, "baa_review_on", None)


class BusinessAssociateIn(Schema):
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="Unique in the register, ignoring "
                      "case", examples=["Cloud Billing Services"])
    services: str = Field(min_length=1, max_length=300, pattern=NO_NUL, examples=["Claims clearinghouse"])
    handles_phi: bool = Field(True, description="Creates, receives, keeps or sends PHI for the practice")
    contact_name: str = Field("", max_length=120, pattern=NO_NUL, examples=["Pat Moore"])
    contact_email: str = Field("", max_length=254, pattern=NO_NUL, examples=["pat.moore@cloudbilling.example"])
    contact_phone: str = Field("", max_length=20, pattern=NO_NUL, examples=["919-555-0188"])
    is_active: bool = Field(True, description="Still in use")

    model_config = {"json_schema_extra": {"examples": [
        {"name": "Cloud Billing Services", "services": "Claims clearinghouse", "contact_name": "Pat Moore",
         "contact_email": "pat.moore@cloudbilling.example"},
        {"name": "Shred-It Right", "services": "Paper shredding on site", "handles_phi": True}]}}


class BusinessAssociatePatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL, examples=["Cloud Billing Inc."])
    services: str | None = Field(None, min_length=1, max_length=300, pattern=NO_NUL)
    handles_phi: bool | None = None
    contact_name: str | None = Field(None, max_length=120, pattern=NO_NUL)
    contact_email: str | None = Field(None, max_length=254, pattern=NO_NUL)
    contact_phone: str | None = Field(None, max_length=20, pattern=NO_NUL)
    is_active: bool | None = Field(None, description="false: no longer used")

    model_config = {"json_schema_extra": {"examples": [{"contact_phone": "919-555-0199"}, {"is_active": False}]}}


class BusinessAssociateFilter(PageIn):
    q: str = Field("", max_length=100, pattern=NO_NUL, description="Part of the name or of the services")
    standing: Standing | None = None
    flagged: bool = Field(False, description="Only associates that handle PHI, are in use and have no agreement "
                                             "in force")
    active: bool | None = Field(None, description="true: still in use; false: no longer used")


def _associate(request: HttpRequest, business_associate_id: int, permission: str) -> BusinessAssociate:
    return get_scoped_or_404(request, selectors.associates_visible(actor=request.user), permission=permission,
                             pk=business_associate_id)


def _with_standing(associate: BusinessAssociate) -> BusinessAssociate:
    return selectors.associate_standing(associate=associate, today=practice_today())


def _patch_data(payload: Schema) -> dict[str, Any]:
    """The fields sent; an explicit null for a field that cannot be empty is refused by the service (422)."""
    return payload.model_dump(exclude_unset=True)


@router.get("", response={200: Page[BusinessAssociateOut], **COMMON_RESPONSES}, url_name="business_associate_list",
            summary="The business associate register",
            description=f"Needs `{Perm.COMPLIANCE_VIEW}`; every associate with its standing, by name. `standing` "
                        "takes the listed values only (else 422).")
def business_associate_list(request: HttpRequest, filters: Query[BusinessAssociateFilter]) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    queryset = selectors.associate_list(actor=request.user, today=practice_today(), flagged_only=filters.flagged)
    text = filters.q.strip()
    if text:
        queryset = queryset.filter(Q(name__icontains=text) | Q(services__icontains=text))
    if filters.standing is not None:
        queryset = queryset.filter(standing=filters.standing)  # type: ignore[misc]  # an annotation
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return paginate(queryset.order_by("name", "pk"), filters)


@router.get("/{int:business_associate_id}", response={200: BusinessAssociateOut, **COMMON_RESPONSES},
            url_name="business_associate_detail", summary="One business associate",
            description=f"Needs `{Perm.COMPLIANCE_VIEW}`. Its agreements: "
                        "`GET /business-associate-agreements?business_associate_id=`.")
def business_associate_detail(request: HttpRequest, business_associate_id: int) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    return _with_standing(_associate(request, business_associate_id, Perm.COMPLIANCE_VIEW))


@router.post("", response={201: BusinessAssociateOut, **WRITE_RESPONSES}, url_name="business_associate_create",
             summary="Add a business associate",
             description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. A name already in the register (ignoring case) answers "
                         "422.")
def business_associate_create(request: HttpRequest, payload: BusinessAssociateIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    created = services.associate_create(actor=request.user, data=payload.model_dump())
    return Status(201, _with_standing(created))


@router.patch("/{int:business_associate_id}", response={200: BusinessAssociateOut, **WRITE_RESPONSES},
              url_name="business_associate_update", summary="Change a business associate",
              description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. Send only the fields to change; `is_active` false "
                          "marks it no longer used (associates are never deleted).")
def business_associate_update(request: HttpRequest, business_associate_id: int,
                              payload: BusinessAssociatePatchIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    associate = _associate(request, business_associate_id, Perm.COMPLIANCE_MANAGE)
    saved = services.associate_update(actor=request.user, associate=associate, data=_patch_data(payload))
    return _with_standing(saved)


# --- agreements ------------------------------------------------------------------------------------------------


class AgreementOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 31, "business_associate_id": 7, "business_associate_name": "Cloud Billing Services",
         "status": "active", "in_force": True, "signed_on": "2025-01-20", "effective_on": "2025-02-01",
         "expires_on": "2027-01-31", "review_on": "2026-12-15", "terminated_on": None, "has_document": True,
         "notes": "Standard HHS sample terms; breach notice within 10 days.", "created_by_id": 5,
         "created_at": "2025-01-10T16:00:00Z"}]}}
    id: int
    business_associate_id: int
    business_associate_name: str
    status: str = Field(description="draft (being negotiated), active (signed), terminated")
    in_force: bool = Field(description="Active, and today lies between its effective date and its end date")
    signed_on: dt.date | None
    effective_on: dt.date | None
    expires_on: dt.date | None = Field(description="Empty: until terminated")
    review_on: dt.date | None
    terminated_on: dt.date | None
    has_document: bool = Field(description="The signed PDF is attached (downloaded on the web page, audited)")
    notes: str
    created_by_id: int
    created_at: dt.datetime

    @staticmethod
    def resolve_business_associate_id(obj: BusinessAssociateAgreement) -> int:
        return obj.associate_id

    @staticmethod
    def resolve_business_associate_name(obj: BusinessAssociateAgreement) -> str:
        return obj.associate.name

    @staticmethod
    def resolve_in_force(obj: BusinessAssociateAgreement) -> bool:
        return selectors.agreement_in_force(obj, practice_today())

    @staticmethod
    def resolve_has_document(obj: BusinessAssociateAgreement) -> bool:
        return bool(obj.document)


class AgreementFilter(PageIn):
    business_associate_id: int | None = Field(None, ge=1, le=2_147_483_647)
    status: AgreementStatus | None = None


class AgreementIn(Schema):
    business_associate_id: int = Field(ge=1, le=2_147_483_647, examples=[7])
    signed_on: dt.date | None = Field(None, description="Not in the future")
    effective_on: dt.date | None = Field(None, examples=["2027-02-01"])
    expires_on: dt.date | None = Field(None, description="Not before the effective date; empty: until terminated")
    review_on: dt.date | None = Field(None, description="Compliance managers are reminded 30 days before")
    notes: str = Field("", max_length=20000, pattern=NO_NUL, examples=["Draft from the vendor's counsel, v2."])

    model_config = {"json_schema_extra": {"examples": [
        {"business_associate_id": 7, "effective_on": "2027-02-01", "notes": "Draft from the vendor's counsel, v2."}]}}


class AgreementPatchIn(Schema):
    signed_on: dt.date | None = Field(None, description="Drafts only")
    effective_on: dt.date | None = Field(None, description="Drafts only")
    expires_on: dt.date | None = None
    review_on: dt.date | None = None
    notes: str | None = Field(None, max_length=20000, pattern=NO_NUL)

    model_config = {"json_schema_extra": {"examples": [{"review_on": "2027-06-30"},
                                                       {"expires_on": "2028-01-31", "notes": "Amended: extended."}]}}


class AgreementActivateIn(Schema):
    signed_on: dt.date = Field(examples=["2026-11-20"])
    effective_on: dt.date = Field(examples=["2026-12-01"])
    expires_on: dt.date | None = None
    review_on: dt.date | None = None

    model_config = {"json_schema_extra": {"examples": [
        {"signed_on": "2026-11-20", "effective_on": "2026-12-01", "review_on": "2027-11-01"}]}}


class AgreementTerminateIn(Schema):
    terminated_on: dt.date = Field(description="Not in the future, not before it took effect",
                                   examples=["2026-11-30"])
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL, examples=["Vendor contract ended."])

    model_config = {"json_schema_extra": {"examples": [{"terminated_on": "2026-11-30",
                                                        "reason": "Vendor contract ended."}]}}


def _agreement(request: HttpRequest, agreement_id: int, permission: str) -> BusinessAssociateAgreement:
    return get_scoped_or_404(request, selectors.agreements_visible(actor=request.user), permission=permission,
                             pk=agreement_id)


def _reread(request: HttpRequest, agreement: BusinessAssociateAgreement) -> BusinessAssociateAgreement:
    return selectors.agreements_visible(actor=request.user).get(pk=agreement.pk)


@agreements_router.get("", response={200: Page[AgreementOut], **COMMON_RESPONSES}, url_name="agreement_list",
                       summary="Business associate agreements",
                       description=f"Needs `{Perm.COMPLIANCE_VIEW}`; by associate, newest first. `status` takes "
                                   "the listed values only (else 422).")
def agreement_list(request: HttpRequest, filters: Query[AgreementFilter]) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    queryset = selectors.agreements_visible(actor=request.user)
    if filters.business_associate_id is not None:
        queryset = queryset.filter(associate_id=filters.business_associate_id)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    return paginate(queryset.order_by("associate__name", "-created_at", "-pk"), filters)


@agreements_router.get("/{int:agreement_id}", response={200: AgreementOut, **COMMON_RESPONSES},
                       url_name="agreement_detail", summary="One business associate agreement",
                       description=f"Needs `{Perm.COMPLIANCE_VIEW}`.")
def agreement_detail(request: HttpRequest, agreement_id: int) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    return _agreement(request, agreement_id, Perm.COMPLIANCE_VIEW)


@agreements_router.post("", response={201: AgreementOut, **WRITE_RESPONSES}, url_name="agreement_create",
                        summary="Start an agreement (a draft)",
                        description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. Every date is optional while it is "
                                    "negotiated; a signature date in the future or an end before the effective "
                                    "date answers 422.")
def agreement_create(request: HttpRequest, payload: AgreementIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    associate = selectors.associates_visible(actor=request.user).filter(pk=payload.business_associate_id).first()
    if associate is None:
        raise ValidationError({"business_associate_id": _("There is no business associate with id %(id)s.")
                               % {"id": payload.business_associate_id}})
    data = payload.model_dump(exclude={"business_associate_id"})
    created = services.agreement_create(actor=request.user, associate=associate, data=data)
    return Status(201, _reread(request, created))


@agreements_router.patch("/{int:agreement_id}", response={200: AgreementOut, **WRITE_RESPONSES},
                         url_name="agreement_update", summary="Change an agreement",
                         description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. A draft takes every date and the notes; "
                                     "an agreement in force only `expires_on`, `review_on` and `notes` (an amendment "
                                     "or a review); a terminated one nothing (422).")
def agreement_update(request: HttpRequest, agreement_id: int, payload: AgreementPatchIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    agreement = _agreement(request, agreement_id, Perm.COMPLIANCE_MANAGE)
    saved = services.agreement_update(actor=request.user, agreement=agreement, data=_patch_data(payload))
    return _reread(request, saved)


@agreements_router.post("/{int:agreement_id}/activate", response={200: AgreementOut, **WRITE_RESPONSES},
                        url_name="agreement_activate", summary="Put a draft agreement in force",
                        description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. Only a draft (else 422), and only when the "
                                    "associate has no other active agreement (terminate that first).")
def agreement_activate(request: HttpRequest, agreement_id: int, payload: AgreementActivateIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    agreement = _agreement(request, agreement_id, Perm.COMPLIANCE_MANAGE)
    saved = services.agreement_activate(actor=request.user, agreement=agreement, signed_on=payload.signed_on,
                                        effective_on=payload.effective_on, expires_on=payload.expires_on,
                                        review_on=payload.review_on)
    return _reread(request, saved)


@agreements_router.post("/{int:agreement_id}/terminate", response={200: AgreementOut, **WRITE_RESPONSES},
                        url_name="agreement_terminate", summary="Terminate an agreement in force",
                        description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. The date it ended and why (kept in the "
                                    "notes). Only an active agreement (else 422).")
def agreement_terminate(request: HttpRequest, agreement_id: int, payload: AgreementTerminateIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    agreement = _agreement(request, agreement_id, Perm.COMPLIANCE_MANAGE)
    saved = services.agreement_terminate(actor=request.user, agreement=agreement,
                                         terminated_on=payload.terminated_on, reason=payload.reason)
    return _reread(request, saved)
