"""/claims: claims at your locations with their lines, the scrubber's findings and the status history; a status
move by hand. billing.view to read, billing.manage to move; claims are PHI, every patient shown is audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openpractice.accounts.roles import Perm
from openpractice.billing.models import Claim
from openpractice.billing.selectors import claims as selectors
from openpractice.billing.services import claims as services
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.claims import ClaimDetailOut, ClaimFilters, ClaimOut, ClaimStatusChangeOut, ClaimStatusIn

router = Router(tags=["claims"])


def _claim(request: HttpRequest, claim_id: int, permission: str) -> Claim:
    return get_scoped_or_404(request, selectors.claim_detail_queryset(actor=request.user, permission=permission),
                             permission=permission, pk=claim_id)


@router.get("", response={200: Page[ClaimOut], **COMMON_RESPONSES}, url_name="claim_list",
            summary="Claims at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}`. Filters: status, payer, location, a claim number or a "
                        "patient. Each patient on the page returned is recorded in the audit trail once.")
def claim_list(request: HttpRequest, filters: Query[ClaimFilters], page: Query[PageIn]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.claim_list(actor=request.user, status=filters.status or "", payer_id=filters.payer_id,
                                    location_id=filters.location_id, q=filters.q)
    result = paginate(queryset.order_by("-date_of_service", "-pk"), page)
    patient_records_viewed(actor=request.user, patients=(claim.patient for claim in result["items"]),
                           how="api claim list")
    return result


@router.get("/{int:claim_id}", response={200: ClaimDetailOut, **COMMON_RESPONSES}, url_name="claim_detail",
            summary="One claim: lines, diagnoses, the scrubber's findings, the primary's payment",
            description=f"Needs `{Perm.BILLING_VIEW}` at its location. The read is audited.")
def claim_detail(request: HttpRequest, claim_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    claim = _claim(request, claim_id, Perm.BILLING_VIEW)
    patient_record_viewed(actor=request.user, patient=claim.patient, how="api claim")
    return claim


@router.get("/{int:claim_id}/history", response={200: list[ClaimStatusChangeOut], **COMMON_RESPONSES},
            url_name="claim_history", summary="The claim's status history, oldest first",
            description=f"Needs `{Perm.BILLING_VIEW}` at its location: who (or which file) moved it, when and why.")
def claim_history(request: HttpRequest, claim_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    claim = _claim(request, claim_id, Perm.BILLING_VIEW)
    patient_record_viewed(actor=request.user, patient=claim.patient, how="api claim history")
    return selectors.claim_history(claim)


@router.post("/{int:claim_id}/status", response={200: ClaimDetailOut, **WRITE_RESPONSES},
             url_name="claim_change_status", summary="Move a claim to another status by hand",
             description=f"Needs `{Perm.BILLING_MANAGE}` at its location. Only moves the claim lifecycle allows "
                         "(e.g. accepted -> paid, denied -> appealed); ready and held are the scrubber's and "
                         "submitted the batch's. `reason` is required for denied, appealed and closed.")
def claim_change_status(request: HttpRequest, claim_id: int, payload: ClaimStatusIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    claim = _claim(request, claim_id, Perm.BILLING_MANAGE)
    services.claim_change_status(actor=request.user, claim=claim, to_status=payload.to_status, reason=payload.reason)
    return _claim(request, claim_id, Perm.BILLING_MANAGE)
