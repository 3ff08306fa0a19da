"""/risks: the HIPAA security risk register (likelihood x impact, an owner, a remediation plan and its date).
compliance.view lists and reads every risk (the register is practice-wide); compliance.manage adds risks and
changes their details, scores, owner and plan. Closing a risk as mitigated or accepted, reopening it, and the
yearly assessment stay in the web interface. Refusals answer 404 and are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.compliance.choices import RiskStatus, Safeguard
from openpractice.compliance.models import Risk, SecurityRiskAssessment
from openpractice.compliance.selectors import sra as selectors
from openpractice.compliance.services import sra as services
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["risks"])
BAND_HELP = "low (score 1-4), medium (5-9), high (10-16), critical (17-25)"
Band = Literal["low", "medium", "high", "critical"]


class RiskOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 23, "title": "Shared login on the front-desk PC", "safeguard": "technical",
         "description": "Two receptionists use one Windows account at check-in.", "likelihood": 4, "impact": 3,
         "score": 12, "band": "high", "owner_id": 4, "remediation": "Individual accounts with badge tap login",
         "due_on": "2026-12-31", "overdue": False, "status": "open", "closed_at": None, "closing_note": "",
         "assessment_id": 3, "question_id": 41, "created_by_id": 4, "created_at": "2026-07-08T14:00:00Z"}]}}
    id: int
    title: str
    safeguard: str
    description: str = Field(description="The threat and the vulnerability")
    likelihood: int = Field(description="1-5")
    impact: int = Field(description="1-5")
    score: int = Field(description="likelihood x impact")
    band: str = Field(description=BAND_HELP)
    owner_id: int
    remediation: str = Field(description="The remediation plan")
    due_on: dt.date | None = Field(description="Remediate by")
    overdue: bool = Field(description="Open and past its remediation date")
    status: str = Field(description="open, mitigated or accepted")
    closed_at: dt.datetime | None
    closing_note: str
    assessment_id: int | None = Field(description="The yearly assessment it came from; empty: added on its own")
    question_id: int | None
    created_by_id: int
    created_at: dt.datetime

    @staticmethod
    def resolve_score(obj: Risk) -> int:
        return obj.score


class RiskIn(Schema):
    title: str = Field(max_length=200, examples=["Laptops without full-disk encryption"])
    safeguard: Safeguard = Field(examples=[Safeguard.TECHNICAL])
    description: str = Field("", examples=["A lost laptop would expose the PHI cached on it."])
    likelihood: int = Field(ge=1, le=5, examples=[3])
    impact: int = Field(ge=1, le=5, examples=[4])
    owner_id: int | None = Field(None, description="An active user; empty: you", examples=[12])
    remediation: str = Field("", examples=["Turn on BitLocker on every practice laptop; check monthly."])
    due_on: dt.date | None = Field(None, examples=["2025-09-30"])
    assessment_id: int | None = Field(None, description="The yearly assessment it belongs to")


class RiskPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"likelihood": 3, "impact": 4, "due_on": "2027-03-31"}]}}
    title: str | None = Field(None, max_length=200)
    safeguard: Safeguard | None = None
    description: str | None = None
    likelihood: int | None = Field(None, ge=1, le=5)
    impact: int | None = Field(None, ge=1, le=5)
    owner_id: int | None = Field(None, description="An active user")
    remediation: str | None = None
    due_on: dt.date | None = Field(None, description="null clears the date")


class RiskFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the title")
    status: RiskStatus | None = None
    band: Band | None = Field(None, description=BAND_HELP)
    safeguard: Safeguard | None = None
    assessment_id: int | None = Field(None, ge=1, le=2_147_483_647)
    overdue: bool = Field(False, description="Open risks past their remediation date only")


_NULLABLE = ("due_on",)


def _scored(queryset: QuerySet[Risk]) -> QuerySet[Any]:
    return selectors.with_score(queryset, today=practice_today())


def _risk(request: HttpRequest, risk_id: int, permission: str) -> Risk:
    return get_scoped_or_404(request, _scored(selectors.risks_visible(actor=request.user)), permission=permission,
                             pk=risk_id)


def _owner(owner_id: int) -> Any:
    found = selectors.owner_choices().filter(pk=owner_id).first()
    if found is None:
        raise ValidationError({"owner_id": _("There is no active user with id %(id)s.") % {"id": owner_id}},
                              code="unknown_reference")
    return found


def _assessment(request: HttpRequest, assessment_id: int) -> SecurityRiskAssessment:
    found = selectors.assessments_visible(actor=request.user).filter(pk=assessment_id).first()
    if found is None:
        raise ValidationError({"assessment_id": _("There is no assessment with id %(id)s.") % {"id": assessment_id}},
                              code="unknown_reference")
    return found


@router.get("", response={200: Page[RiskOut], **COMMON_RESPONSES}, url_name="risk_list",
            summary="The risk register",
            description=f"Needs `{Perm.COMPLIANCE_VIEW}`. Open risks first, highest score first. `status`, `band` "
                        "and `safeguard` take the listed values only (anything else: 422).")
def risk_list(request: HttpRequest, filters: Query[RiskFilter]) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    queryset = selectors.risk_list(actor=request.user, today=practice_today(), status=filters.status or "",
                                   band=filters.band or "", safeguard=filters.safeguard or "")
    if filters.assessment_id is not None:
        queryset = queryset.filter(assessment_id=filters.assessment_id)
    if filters.overdue:
        queryset = queryset.filter(overdue=True)
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(title__icontains=text)
    open_first = Case(When(status=RiskStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return paginate(queryset.order_by(open_first, "-score_value", "due_on", "pk"), filters)


@router.get("/{int:risk_id}", response={200: RiskOut, **COMMON_RESPONSES}, url_name="risk_detail",
            summary="One risk", description=f"Needs `{Perm.COMPLIANCE_VIEW}`.")
def risk_detail(request: HttpRequest, risk_id: int) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    return _risk(request, risk_id, Perm.COMPLIANCE_VIEW)


@router.post("", response={201: RiskOut, **WRITE_RESPONSES}, url_name="risk_create",
             summary="Add a risk to the register",
             description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. The owner is reminded of the remediation date.")
def risk_create(request: HttpRequest, payload: RiskIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    owner = request.user if payload.owner_id is None else _owner(payload.owner_id)
    assessment = None if payload.assessment_id is None else _assessment(request, payload.assessment_id)
    risk = services.risk_create(
        actor=request.user, assessment=assessment,
        data={"title": payload.title, "safeguard": payload.safeguard, "description": payload.description,
              "likelihood": payload.likelihood, "impact": payload.impact, "owner": owner,
              "remediation": payload.remediation, "due_on": payload.due_on})
    return Status(201, _risk(request, risk.pk, Perm.COMPLIANCE_MANAGE))


@router.patch("/{int:risk_id}", response={200: RiskOut, **WRITE_RESPONSES}, url_name="risk_update",
              summary="Change a risk",
              description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. Send only the fields to change; its status changes "
                          "in the web interface (close as mitigated or accepted, reopen).")
def risk_update(request: HttpRequest, risk_id: int, payload: RiskPatchIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    risk = _risk(request, risk_id, Perm.COMPLIANCE_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    for name, value in data.items():
        if value is None and name not in _NULLABLE:
            raise ValidationError({name: _("This field cannot be empty.")}, code="required")
    if "owner_id" in data:
        data["owner"] = _owner(data.pop("owner_id"))
    services.risk_update(actor=request.user, risk=risk, data=data)
    return _risk(request, risk.pk, Perm.COMPLIANCE_MANAGE)
