"""/policies: the practice's policy library. compliance.view lists every policy (drafts and retired ones too) and
reads any of them with the version in progress; every signed-in caller reads a policy in force with the text of
its published version (staff must be able to read the policies they follow). compliance.manage adds a policy with
its first draft and changes its title, category, owner and review cycle. The review workflow (submit, approve,
publish), new versions and attachments stay in the web interface. Refusals answer 404 and are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.compliance.choices import PolicyCategory, VersionStatus
from openpractice.compliance.models import Policy, PolicyVersion
from openpractice.compliance.selectors import policies as selectors
from openpractice.compliance.services import policies as services
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["policies"])

BODY_EXAMPLE = "<h2>Purpose</h2><p>Staff use and disclose only the minimum necessary PHI.</p>"


class PolicyOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 6, "title": "Minimum necessary use of PHI", "category": "privacy", "owner_id": 4, "review_months": 12,
         "retired_at": None, "current_version": 3, "current_effective_on": "2026-02-01", "next_review_on": "2027-02-01",
         "in_progress_version": None, "in_progress_status": None, "updated_at": "2026-01-20T16:00:00Z"}]}}
    id: int
    title: str
    category: str
    owner_id: int = Field(description="User reminded by email when the review comes due")
    review_months: int
    retired_at: dt.datetime | None
    current_version: int | None = Field(description="Number of the version in force; null: none published")
    current_effective_on: dt.date | None
    next_review_on: dt.date | None
    in_progress_version: int | None = Field(description="Number of the version being drafted or reviewed")
    in_progress_status: str | None = Field(description="draft, review or approved")
    updated_at: dt.datetime

    @staticmethod
    def resolve_current_version(obj: Any) -> int | None:
        return getattr(obj, "current_number", None)

    @staticmethod
    def resolve_in_progress_version(obj: Any) -> int | None:
        return getattr(obj, "progress_number", None)

    @staticmethod
    def resolve_in_progress_status(obj: Any) -> str | None:
        return getattr(obj, "progress_status", None)


class VersionOut(Schema):
    id: int
    number: int
    status: str
    body_html: str = Field(description="Sanitised HTML: basic formatting only")
    change_summary: str
    effective_on: dt.date | None
    next_review_on: dt.date | None
    published_at: dt.datetime | None


class PolicyDetailOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 6, "title": "Minimum necessary use of PHI", "category": "privacy", "owner_id": 4, "review_months": 12,
         "retired_at": None, "updated_at": "2026-11-24T15:05:00Z",
         "current_version": {"id": 58, "number": 3, "status": "published", "body_html": "<p>Staff access only the minimum PHI ...</p>", "change_summary": "Added texting rules", "effective_on": "2026-02-01", "next_review_on": "2027-02-01", "published_at": "2026-01-20T16:00:00Z"},
         "in_progress_version": {"id": 71, "number": 4, "status": "draft", "body_html": "<p>Staff access only ...</p>", "change_summary": "Portal messages", "effective_on": None, "next_review_on": None, "published_at": None}}]}}
    id: int
    title: str
    category: str
    owner_id: int
    review_months: int
    retired_at: dt.datetime | None
    updated_at: dt.datetime
    current_version: VersionOut | None = Field(description="The version in force, with its text")
    in_progress_version: VersionOut | None = Field(
        description=f"The draft or the version in review (`{Perm.COMPLIANCE_VIEW}` only; null for everyone else)")


class PolicyPatchIn(Schema):
    title: str | None = Field(None, max_length=200, examples=["Minimum necessary"])
    category: PolicyCategory | None = None
    owner_id: int | None = Field(None, description="An active user you may see", examples=[12])
    review_months: int | None = Field(None, ge=1, le=60, examples=[12])


class PolicyIn(Schema):
    title: str = Field(max_length=200, examples=["Minimum necessary"])
    category: PolicyCategory = Field(examples=[PolicyCategory.PRIVACY])
    owner_id: int | None = Field(None, description="An active user you may see; empty: you", examples=[12])
    review_months: int = Field(12, ge=1, le=60)
    body_html: str = Field(description="Text of the first draft; only basic formatting is kept",
                           examples=[BODY_EXAMPLE])
    change_summary: str = Field("", max_length=500, examples=["First version"])
    effective_on: dt.date | None = Field(None, examples=["2025-07-01"])


class PolicyFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the title")
    category: PolicyCategory | None = None
    status: VersionStatus | None = Field(
        None, description="Policies that have a version in this status; retired: retired policies")


def _owner(request: HttpRequest, owner_id: int) -> Any:
    found = selectors.users_visible(actor=request.user).filter(pk=owner_id).first()
    if found is None:
        raise ValidationError({"owner_id": _("There is no user with id %(id)s that you may use.") % {"id": owner_id}},
                              code="unknown_reference")
    return found


def _detail(request: HttpRequest, policy: Policy) -> dict[str, Any]:
    may_view = can(request.user, Perm.COMPLIANCE_VIEW)
    progress: PolicyVersion | None = selectors.in_progress_version(policy) if may_view else None
    return {
        "id": policy.pk, "title": policy.title, "category": policy.category, "owner_id": policy.owner_id,
        "review_months": policy.review_months, "retired_at": policy.retired_at, "updated_at": policy.updated_at,
        "current_version": selectors.current_version(policy), "in_progress_version": progress,
    }


def _policy(request: HttpRequest, policy_id: int, permission: str) -> Policy:
    return get_scoped_or_404(request, selectors.policies_visible(actor=request.user), permission=permission,
                             pk=policy_id)


@router.get("", response={200: Page[PolicyOut], **COMMON_RESPONSES}, url_name="policy_list",
            summary="The policy library",
            description=f"Needs `{Perm.COMPLIANCE_VIEW}`. Every policy with its version in force and the one in "
                        "progress. `category` and `status` take the listed values only (anything else: 422).")
def policy_list(request: HttpRequest, filters: Query[PolicyFilter]) -> Any:
    require(request, Perm.COMPLIANCE_VIEW)
    queryset = selectors.policy_list(actor=request.user, category=filters.category or "",
                                     status=filters.status or "")
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(title__icontains=text)
    return paginate(queryset.order_by("title", "pk"), filters)


@router.get("/{int:policy_id}", response={200: PolicyDetailOut, **COMMON_RESPONSES}, url_name="policy_detail",
            summary="One policy with the text in force",
            description=f"Any signed-in caller reads a policy in force; `{Perm.COMPLIANCE_VIEW}` reads every "
                        "policy, and the version in progress too.")
def policy_detail(request: HttpRequest, policy_id: int) -> Any:
    return _detail(request, _policy(request, policy_id, Perm.COMPLIANCE_VIEW))


@router.post("", response={201: PolicyDetailOut, **WRITE_RESPONSES}, url_name="policy_create",
             summary="Add a policy with its first draft",
             description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. The draft goes through review and publication in the "
                         "web interface.")
def policy_create(request: HttpRequest, payload: PolicyIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    owner = request.user if payload.owner_id is None else _owner(request, payload.owner_id)
    policy = services.policy_create(
        actor=request.user,
        data={"title": payload.title, "category": payload.category, "owner": owner,
              "review_months": payload.review_months},
        version={"body_html": payload.body_html, "change_summary": payload.change_summary,
                 "effective_on": payload.effective_on})
    return Status(201, _detail(request, policy))


@router.patch("/{int:policy_id}", response={200: PolicyDetailOut, **WRITE_RESPONSES}, url_name="policy_update",
              summary="Change a policy",
              description=f"Needs `{Perm.COMPLIANCE_MANAGE}`. Send only the fields to change; a retired policy "
                          "answers 422. A new review cycle moves the next review of the version in force.")
def policy_update(request: HttpRequest, policy_id: int, payload: PolicyPatchIn) -> Any:
    require(request, Perm.COMPLIANCE_MANAGE)
    policy = _policy(request, policy_id, Perm.COMPLIANCE_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    for name, value in data.items():
        if value is None:
            raise ValidationError({name: _("This field cannot be empty.")}, code="required")
    if "owner_id" in data:
        data["owner"] = _owner(request, data.pop("owner_id"))
    updated = services.policy_update(actor=request.user, policy=policy, data=data)
    return _detail(request, updated)
