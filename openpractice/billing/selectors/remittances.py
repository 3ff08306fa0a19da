"""Reads for the 835 pages and the /remittances API: imported files, remittances (payments), their claim
payments with lines and adjustments, and the exceptions queue.

Scope, decided here (the pages and the API only call these):
- A remittance is one payer's payment and may pay claims at several locations. A user holding the permission
  at every location sees every remittance and every claim payment, unmatched ones included. A user whose
  permission covers some locations sees the remittances that pay at least one claim there, and inside them
  only those claim payments. The payment itself (payer, trace number, amount, PLB) is the practice's, not a
  patient's, and is shown whole.
- An unmatched or dismissed claim payment that names no claim of ours has no location: only users holding the
  permission at every location see it (remittance pages: BILLING_VIEW; the exceptions queue and its actions:
  BILLING_POST). One kept in the queue although its claim was found (the claim was not with the payer, or the
  status carries nothing to post) is scoped by that claim's location like any other.
- An imported file is shown to users who see every location, to the user who imported it, and to users who
  see one of its claim payments; its claim-level drill-down is cut to what the user sees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.patients.selectors import patient_record_viewed

from ..choices import ClaimPaymentStatus, RemittanceClaimMatch
from ..models import Claim, Remittance, RemittanceAdjustment, RemittanceClaim, RemittanceImport, RemittanceLine
from .claims import claim_list

# Claim payments listed per category on an import's page; the remittance pages list them all (paginated).
DRILL_DOWN_LIMIT = 100
MATCHED = (RemittanceClaimMatch.MATCHED, RemittanceClaimMatch.RESOLVED)


def practice_wide(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> bool:
    """True when the actor holds `permission` at every location (and so sees unmatched claim payments)."""
    return location_ids_where(actor, permission) is None


def claim_payment_condition(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> Q | None:
    """The claim payments (RemittanceClaim rows) the actor may see: all of them for a
    practice-wide user (returns an empty Q), those whose claim is at one of the actor's locations otherwise,
    None when the actor holds the permission nowhere."""
    ids = location_ids_where(actor, permission)
    if ids is None:
        return Q()
    if not ids:
        return None
    return Q(claim__location_id__in=ids)


# --- remittances ----------------------------------------------------------------------------------------------


def remittance_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Remittance]:
    """Remittances the actor may open, each with `claim_count`: how many of its claim payments the actor sees."""
    ids = location_ids_where(actor, permission)
    queryset = Remittance.objects.select_related("payer")
    if ids is None:
        # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
        return queryset.annotate(claim_count=Count("claims")).order_by("-posted_at", "-pk")
    if not ids:
        return queryset.none()
    paid_here = RemittanceClaim.objects.filter(remittance=OuterRef("pk"), claim__location_id__in=ids)
    return queryset.filter(Exists(paid_here)).annotate(
        claim_count=Count("claims", filter=Q(claims__claim__location_id__in=ids))).order_by("-posted_at", "-pk")


def remittance_list(
    *,
    actor: Any,
    payer_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    trace_number: str = "",
    permission: str = Perm.BILLING_VIEW,
) -> QuerySet[Remittance]:
    """Remittances in scope, filtered by payer, payment date range (BPR16) and trace number (TRN02, exact)."""
    queryset = remittance_scoped(actor=actor, permission=permission)
    if payer_id is not None:
        queryset = queryset.filter(payer_id=payer_id)
    if date_from is not None:
        queryset = queryset.filter(payment_date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(payment_date__lte=date_to)
    trace_number = trace_number.replace("\x00", "").strip()[:80]
    if trace_number:
        queryset = queryset.filter(trace_number=trace_number)
    return queryset


def remittance_detail_queryset(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Remittance]:
    """Remittances in scope with the file they came in, who posted them and their PLB adjustments; also
    `total_claims`, every claim payment of the remittance (to say how many are not shown)."""
    return remittance_scoped(actor=actor, permission=permission).select_related(
        "source", "source__imported_by", "posted_by",
    ).prefetch_related("provider_adjustments").annotate(total_claims=Count("claims", distinct=True))


def _with_details(queryset: QuerySet[RemittanceClaim]) -> QuerySet[RemittanceClaim]:
    """Claim payments with what a detail shows: our claim and patient, lines with their adjustments, the
    claim-level adjustments (`claim_adjustments`), the payment a reversal takes back and the denial."""
    return queryset.select_related(
        "claim", "claim__patient", "claim__location", "reverses", "reverses__remittance", "denial",
    ).prefetch_related(
        Prefetch("lines", queryset=RemittanceLine.objects.prefetch_related(
            Prefetch("adjustments", queryset=RemittanceAdjustment.objects.order_by("pk"))).order_by("position")),
        Prefetch("adjustments", queryset=RemittanceAdjustment.objects.filter(line__isnull=True).order_by("pk"),
                 to_attr="claim_adjustments"),
    ).order_by("pk")


def remittance_claims_shown(*, actor: Any, remittance: Remittance,
                            permission: str = Perm.BILLING_VIEW) -> QuerySet[RemittanceClaim]:
    """The claim payments of `remittance` the actor may see, in file order, with lines and adjustments."""
    condition = claim_payment_condition(actor=actor, permission=permission)
    if condition is None:
        return RemittanceClaim.objects.none()
    return _with_details(RemittanceClaim.objects.filter(condition, remittance=remittance))


def claim_payments_viewed(*, actor: Any, remittance: Remittance, claim_payments: list[RemittanceClaim],
                          how: str) -> None:
    """The access events for claim payments shown (selectors do not audit by themselves: the page or API that
    shows them calls this). One per patient: our patient's record for a matched claim payment; for an unmatched
    one (a patient as the payer names them, with no record of ours) an event naming that claim payment."""
    seen: set[int] = set()
    for claim_payment in claim_payments:
        if claim_payment.claim is not None:
            patient = claim_payment.claim.patient
            if patient.pk not in seen:
                seen.add(patient.pk)
                patient_record_viewed(actor=actor, patient=patient, how=f"{how} {remittance.trace_number}")
        elif claim_payment.patient_name or claim_payment.member_id:
            record(actor=actor, action="patients.viewed", target=claim_payment,
                   reason=f"{how} {remittance.trace_number}: unmatched claim payment")


# --- imported files -------------------------------------------------------------------------------------------


def remittance_import_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[RemittanceImport]:
    ids = location_ids_where(actor, permission)
    queryset = RemittanceImport.objects.select_related("imported_by")
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    paid_here = RemittanceClaim.objects.filter(remittance__source=OuterRef("pk"), claim__location_id__in=ids)
    return queryset.filter(Q(imported_by=actor) | Exists(paid_here))


@dataclass
class ClaimGroup:
    """Some claim payments of one kind (at most DRILL_DOWN_LIMIT rows) and how many there are."""

    rows: list[RemittanceClaim] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


@dataclass
class ImportDrillDown:
    """What one import posted, as far as the actor may see it."""

    remittances: list[Remittance] = field(default_factory=list)
    matched: ClaimGroup = field(default_factory=ClaimGroup)
    unmatched: ClaimGroup = field(default_factory=ClaimGroup)
    denied: ClaimGroup = field(default_factory=ClaimGroup)
    reversed: ClaimGroup = field(default_factory=ClaimGroup)
    hidden: int = 0  # claim payments of the file the actor does not see
    sees_unmatched: bool = False


def import_drill_down(*, actor: Any, remittance_import: RemittanceImport | None,
                      permission: str = Perm.BILLING_VIEW) -> ImportDrillDown:
    """The remittances and claim payments one import created, cut to the actor's scope: seven queries however
    big the file (remittances, one aggregate of counts, four short lists of claim payments)."""
    result = ImportDrillDown(sees_unmatched=practice_wide(actor=actor, permission=permission))
    condition = claim_payment_condition(actor=actor, permission=permission)
    if remittance_import is None or remittance_import.pk is None or condition is None:
        return result
    result.remittances = list(remittance_scoped(actor=actor, permission=permission).filter(
        source=remittance_import).order_by("pk"))
    of_file = RemittanceClaim.objects.filter(remittance__source=remittance_import)
    kinds = {
        "matched": Q(match__in=MATCHED),
        "unmatched": Q(match=RemittanceClaimMatch.UNMATCHED),
        "denied": Q(status_code=ClaimPaymentStatus.DENIED),
        "reversed": Q(status_code=ClaimPaymentStatus.REVERSAL),
    }
    counts = of_file.aggregate(
        total=Count("pk"), shown=Count("pk", filter=condition),
        **{name: Count("pk", filter=condition & kind) for name, kind in kinds.items()})
    result.hidden = counts["total"] - counts["shown"]
    shown = of_file.filter(condition).select_related("claim", "remittance").order_by("pk")
    for name, kind in kinds.items():
        if counts[name]:
            setattr(result, name, ClaimGroup(rows=list(shown.filter(kind)[:DRILL_DOWN_LIMIT]), count=counts[name]))
    return result


# --- exceptions queue -----------------------------------------------------------------------------------------


def workable_claim_payments(*, actor: Any) -> QuerySet[RemittanceClaim]:
    """Claim payments the actor may match or dismiss (whatever their state now): every one for a user posting
    at every location, else those whose claim is at the actor's locations."""
    condition = claim_payment_condition(actor=actor, permission=Perm.BILLING_POST)
    if condition is None:
        return RemittanceClaim.objects.none()
    return RemittanceClaim.objects.filter(condition).select_related("remittance", "remittance__payer")


def exception_scoped(*, actor: Any) -> QuerySet[RemittanceClaim]:
    """The exceptions queue as the actor may work it."""
    return workable_claim_payments(actor=actor).filter(match=RemittanceClaimMatch.UNMATCHED)


def exception_queue(*, actor: Any, remittance_id: int | None = None) -> QuerySet[RemittanceClaim]:
    queryset = exception_scoped(actor=actor)
    if remittance_id is not None:
        queryset = queryset.filter(remittance_id=remittance_id)
    return queryset


def exception_candidates(*, actor: Any, remittance_claim: RemittanceClaim, text: str = "") -> QuerySet[Claim]:
    """Our claims an unmatched claim payment may belong to. With `text`: a claim number (ours or the payer's) or
    a patient (name, account number, date of birth). Without: the claims whose member ID or payer's claim
    number equal the payment's, or that were billed to this payer for the patient the payer names."""
    queryset = claim_list(actor=actor, permission=Perm.BILLING_POST, q=text).select_related("coverage")
    if text.strip():
        return queryset.order_by("-date_of_service", "-pk")
    condition = Q(pk__in=[])
    if remittance_claim.member_id:
        condition |= Q(coverage__member_id__iexact=remittance_claim.member_id)
    if remittance_claim.payer_claim_number:
        condition |= Q(payer_claim_number__iexact=remittance_claim.payer_claim_number)
    last_name = remittance_claim.patient_name.split(",")[0].split(" ")[0].strip()
    payer_id = remittance_claim.remittance.payer_id
    if last_name and payer_id is not None:
        condition |= Q(payer_id=payer_id, patient__last_name__iexact=last_name)
    return queryset.filter(condition).order_by("-date_of_service", "-pk")


def can_work_exceptions(actor: Any) -> bool:
    """The whole queue, claim payments naming no claim of ours included."""
    return can(actor, Perm.BILLING_POST) and practice_wide(actor=actor, permission=Perm.BILLING_POST)
