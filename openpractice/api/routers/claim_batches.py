"""/claim-batches: the 837P batches, as the batches pages list them (read only; the X12 file stays in the web
interface). A batch opens for people with billing.view at every location its claims belong to (selectors.batches);
a batch left without claims, for the person who built it and people who work everywhere. What is shown here is
the batch's own record (payer, counts, totals, control numbers, pyx12's verdict, the submission log): no patient
data, so nothing is recorded per patient. Out of role or out of scope answers 404 and is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from openpractice.accounts.roles import Perm
from openpractice.billing.choices import BatchStatus
from openpractice.billing.models import ClaimBatch
from openpractice.billing.selectors import batches as selectors
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.claims import ActorOut

router = Router(tags=["claim-batches"])
ID = Field(None, ge=1, le=2_147_483_647)


class BatchPayerOut(Schema):
    id: int
    name: str


class ClaimBatchOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 41, "interchange_control_number": 1207, "group_control_number": 1207, "status": "submitted",
         "payer": {"id": 5, "name": "Aetna"}, "claim_count": 37, "total_charge": "9412.00",
         "file_name": "837P-000001207.x12", "file_sha256": "9f2c4e0b7d1a" + "0" * 52, "file_size": 48211,
         "usage_indicator": "P", "created_by": {"id": 14, "username": "mlopez"},
         "created_at": "2026-11-18T21:05:00Z", "submitted_at": "2026-11-18T21:06:12Z"}]}}
    id: int
    interchange_control_number: int = Field(description="ISA13")
    group_control_number: int = Field(description="GS06")
    status: str = Field(description="built, submitted, failed (transport failed) or discarded (never sent)")
    payer: BatchPayerOut | None = Field(description="Empty: every payer's ready claims, for the clearinghouse")
    claim_count: int
    total_charge: Decimal
    file_name: str
    file_sha256: str
    file_size: int = Field(description="Bytes")
    usage_indicator: str = Field(description="P production, T test")
    created_by: ActorOut | None = Field(description="Empty when a command on the server built it")
    created_at: dt.datetime
    submitted_at: dt.datetime | None


class BatchSubmissionOut(Schema):
    transport: str
    destination: str
    succeeded: bool
    detail: str
    actor: ActorOut
    at: dt.datetime


class BatchValidationOut(Schema):
    ok: bool = Field(description="pyx12 found the file valid")
    error_count: int = Field(description="Errors pyx12 reported (details on the batch's page)")
    segments: int
    truncated: bool = Field(description="More errors than were kept")


class ClaimBatchDetailOut(ClaimBatchOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 41, "interchange_control_number": 1207, "group_control_number": 1207, "status": "submitted",
         "payer": {"id": 5, "name": "Aetna"}, "claim_count": 37, "total_charge": "9412.00",
         "file_name": "837P-000001207.x12", "file_sha256": "9f2c4e0b7d1a" + "0" * 52, "file_size": 48211,
         "usage_indicator": "P", "created_by": {"id": 14, "username": "mlopez"},
         "created_at": "2026-11-18T21:05:00Z", "submitted_at": "2026-11-18T21:06:12Z",
         "validation": {"ok": True, "error_count": 0, "segments": 1480, "truncated": False},
         "submissions": [{"transport": "drop directory", "destination": "/srv/clearinghouse/outbound",
                          "succeeded": True, "detail": "", "actor": {"id": 14, "username": "mlopez"},
                          "at": "2026-11-18T21:06:12Z"}]}]}}
    validation: BatchValidationOut | None = Field(description="pyx12's verdict on the file; empty when it was not "
                                                              "validated")
    submissions: list[BatchSubmissionOut] = Field(description="Every attempt to hand the batch over, newest first")

    @staticmethod
    def resolve_validation(obj: ClaimBatch) -> dict[str, Any] | None:
        verdict = selectors.batch_validation(obj)
        if verdict is None:
            return None
        return {"ok": verdict.ok, "error_count": len(verdict.errors), "segments": verdict.segments,
                "truncated": verdict.truncated}

    @staticmethod
    def resolve_submissions(obj: ClaimBatch) -> list[Any]:
        return list(selectors.batch_submissions(batch=obj))


class ClaimBatchFilter(PageIn):
    status: BatchStatus | None = None
    payer_id: int | None = ID


@router.get("", response={200: Page[ClaimBatchOut], **COMMON_RESPONSES}, url_name="claim_batch_list",
            summary="837P claim batches you may see",
            description=f"Needs `{Perm.BILLING_VIEW}` at every location of a batch's claims. Newest first. Filters: "
                        "status (the listed values only), payer_id.")
def claim_batch_list(request: HttpRequest, filters: Query[ClaimBatchFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.batch_list(actor=request.user)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.payer_id is not None:
        queryset = queryset.filter(payer_id=filters.payer_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@router.get("/{int:claim_batch_id}", response={200: ClaimBatchDetailOut, **COMMON_RESPONSES},
            url_name="claim_batch_detail", summary="One claim batch: its file's record, verdict and submissions",
            description=f"Needs `{Perm.BILLING_VIEW}` at every location of its claims. The X12 file itself is "
                        "downloaded from the web interface (billing.manage, audited per patient).")
def claim_batch_detail(request: HttpRequest, claim_batch_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    return get_scoped_or_404(request, selectors.batch_list(actor=request.user), permission=Perm.BILLING_VIEW,
                             pk=claim_batch_id)
