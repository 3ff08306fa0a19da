"""Reads of 837P batches. A batch is scoped by the locations of its claims: a person sees a batch only when they
may see every one of its claims' locations (a batch that mixes North and South claims is for people who work at
both, or everywhere). A batch left without claims (discarded, or every claim of it sent again in a later batch)
shows no patient: the person who built it and people who work everywhere see it.

Selectors do not audit: the page or download that shows a batch's claims calls services.batches.batch_viewed /
batch_exported."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from ..choices import ClaimStatus
from ..models import BatchSubmission, BillingSettings, Claim, ClaimBatch, in_open_batch_q
from ..transports import batch_file_path, validation_path
from ..x12.validate import X12Validation


def batch_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[ClaimBatch]:
    """Batches all of whose claims are at locations where the actor holds `permission` (and, without claims,
    the ones the actor built)."""
    queryset = ClaimBatch.objects.select_related("payer", "created_by")
    ids = location_ids_where(actor, permission)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    claims = Claim.objects.filter(batch=OuterRef("pk"))
    return queryset.filter(
        (Exists(claims.filter(location_id__in=ids)) & ~Exists(claims.exclude(location_id__in=ids)))
        | (~Exists(claims) & Q(created_by=actor)))


def batch_list(*, actor: Any) -> QuerySet[ClaimBatch]:
    return batch_scoped(actor=actor, permission=Perm.BILLING_VIEW)


def batch_claims(*, actor: Any, batch: ClaimBatch) -> QuerySet[Claim]:
    """The claims of a batch the actor may open (batch_scoped already checked every one is in scope)."""
    queryset = Claim.objects.filter(batch=batch).select_related("patient", "payer", "location")
    ids = location_ids_where(actor, Perm.BILLING_VIEW)
    if ids is not None:
        queryset = queryset.filter(location_id__in=ids)
    return queryset.order_by("claim_number")


def batch_submissions(*, batch: ClaimBatch) -> QuerySet[BatchSubmission]:
    return BatchSubmission.objects.filter(batch=batch).select_related("actor").order_by("-at", "-pk")


def batch_validation(batch: ClaimBatch) -> X12Validation | None:
    """What pyx12 said about the batch's file, when it was validated."""
    return X12Validation.load(validation_path(batch))


def batch_file(batch: ClaimBatch) -> Path | None:
    """The batch's 837P on disk, or None when it is missing."""
    path = batch_file_path(batch)
    return path if path.is_file() else None


def billing_settings_current() -> BillingSettings | None:
    return BillingSettings.objects.filter(singleton=True).first()


CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ReadyForPayer:
    payer_id: int
    payer_name: str
    electronic_id: str
    claims: int
    total: Decimal


def ready_claims_by_payer(*, actor: Any) -> list[ReadyForPayer]:
    """Ready claims not waiting in an unsent batch (never batched, or sent before and ready again), per payer,
    within the actor's billing.manage scope (one query)."""
    claims = Claim.objects.filter(status=ClaimStatus.READY).exclude(in_open_batch_q())
    ids = location_ids_where(actor, Perm.BILLING_MANAGE) if actor is not None else None
    if ids is not None:
        claims = claims.filter(location_id__in=ids)
    rows = (claims.values("payer_id", "payer__name", "payer__payer_id")
            .annotate(count=Count("pk"), total=Sum("total_charge")).order_by("payer__name"))
    return [ReadyForPayer(payer_id=row["payer_id"], payer_name=row["payer__name"],
                          electronic_id=row["payer__payer_id"], claims=row["count"],
                          total=(row["total"] or Decimal(0)).quantize(CENTS))
            for row in rows]
