"""/acknowledgements: who attested which policy version, and when (kept forever). Every signed-in caller lists
their own and acknowledges their own open requests (self-service); compliance.view also lists those of the people
at its locations. Nobody acknowledges for someone else: another person's request answers 404, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from openpractice.accounts.roles import Perm
from openpractice.compliance.models import Acknowledgement, AcknowledgementRequest
from openpractice.compliance.selectors import policies as selectors
from openpractice.compliance.services import acknowledgements as services
from openpractice.core.web import get_scoped_or_404

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["acknowledgements"])


class AcknowledgementOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 1180, "user_id": 14, "policy_id": 6, "policy_title": "Minimum necessary use of PHI", "version_id": 58,
         "version_number": 3, "acknowledged_at": "2026-02-03T14:22:09Z",
         "attestation": "I have read and understood this policy."}]}}
    id: int
    user_id: int
    policy_id: int
    policy_title: str
    version_id: int
    version_number: int
    acknowledged_at: dt.datetime
    attestation: str = Field(description="The statement the person attested")

    @staticmethod
    def resolve_policy_id(obj: Acknowledgement) -> int:
        return obj.version.policy_id

    @staticmethod
    def resolve_policy_title(obj: Acknowledgement) -> str:
        return obj.version.policy.title

    @staticmethod
    def resolve_version_number(obj: Acknowledgement) -> int:
        return obj.version.number


class AcknowledgeIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"version_id": 3, "attested": True}]}}
    request_id: int | None = Field(None, description="Your acknowledgement request (the link in the email)",
                                   examples=[41])
    version_id: int | None = Field(None, description="Or: the policy version you were asked to acknowledge",
                                   examples=[7])
    attested: bool = Field(description="true: I have read and understood this policy and will follow it",
                           examples=[True])

    @model_validator(mode="after")
    def _one_target(self) -> AcknowledgeIn:
        if (self.request_id is None) == (self.version_id is None):
            raise ValueError("Send either request_id or version_id.")
        return self


class AcknowledgementFilter(PageIn):
    user_id: int | None = Field(None, description="Only this person's")
    version_id: int | None = Field(None, description="Only acknowledgements of this policy version")
    policy_id: int | None = Field(None, description="Only acknowledgements of this policy's versions")


def _visible(request: HttpRequest) -> QuerySet[Acknowledgement]:
    return selectors.acknowledgements_visible(actor=request.user)


def _own_request(request: HttpRequest, payload: AcknowledgeIn) -> AcknowledgementRequest:
    own = selectors.requests_own(actor=request.user)
    if payload.request_id is not None:
        return get_scoped_or_404(request, own, permission="self", pk=payload.request_id)
    # Any of the caller's requests for the version will do: the acknowledgement is per version.
    return get_scoped_or_404(request, own.order_by("due_on", "pk"), permission="self",
                             campaign__version_id=payload.version_id)


@router.get("", response={200: Page[AcknowledgementOut], **COMMON_RESPONSES}, url_name="acknowledgement_list",
            summary="Policy acknowledgements",
            description=f"Your own; with `{Perm.COMPLIANCE_VIEW}` also those of the people at your locations. "
                        "Newest first.")
def acknowledgement_list(request: HttpRequest, filters: Query[AcknowledgementFilter]) -> Any:
    queryset = _visible(request)
    if filters.user_id is not None:
        queryset = queryset.filter(user_id=filters.user_id)
    if filters.version_id is not None:
        queryset = queryset.filter(version_id=filters.version_id)
    if filters.policy_id is not None:
        queryset = queryset.filter(version__policy_id=filters.policy_id)
    return paginate(queryset.order_by("-acknowledged_at", "-pk"), filters)


@router.post("", response={200: AcknowledgementOut, 201: AcknowledgementOut, **WRITE_RESPONSES},
             url_name="acknowledgement_create", summary="Acknowledge a policy you were asked to",
             description="Self-service: only your own request (anyone else's answers 404). `attested` must be true. "
                         "201 with the new acknowledgement; acknowledging a version again changes nothing and "
                         "answers 200 with the acknowledgement given the first time. A version no longer in force "
                         "cannot be acknowledged (422).")
def acknowledgement_create(request: HttpRequest, payload: AcknowledgeIn) -> Any:
    ack_request = _own_request(request, payload)
    acknowledgement, created = services.acknowledge(actor=request.user, request=ack_request,
                                                    attested=payload.attested)
    row = _visible(request).get(pk=acknowledgement.pk)
    return Status(201 if created else 200, row)
