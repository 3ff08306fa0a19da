"""The one way a claim's status changes: checked against the lifecycle, recorded in its history and audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.audit import services as audit
from openpractice.core.bulk_insert import insert_rows
from openpractice.core.events import emit
from openpractice.core.lookups import any_of_chunk_size

from ..choices import CLAIM_TRANSITIONS, ClaimStatus, StatusSource
from ..models import Claim, ClaimStatusChange


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in CLAIM_TRANSITIONS.get(from_status, frozenset())


@transaction.atomic
def claim_transition(
    *, actor: Any, claim: Claim, to_status: str, source: str = StatusSource.USER, reason: str = "",
    audit_it: bool = True,
) -> ClaimStatusChange | None:
    """Move `claim` to `to_status`. Returns None when it already is there (nothing recorded).

    `actor` may be None for machine sources (acknowledgement files imported by a task still name the person
    who imported them, so None is rare). Raises ValidationError for a move the lifecycle does not allow.
    `audit_it=False` is for bulk callers (batches, scrubbing) that write one audit event for the whole run.
    """
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    from_status = locked.status
    if from_status == to_status and to_status != ClaimStatus.HELD:
        return None
    if to_status not in ClaimStatus.values or not transition_allowed(from_status, to_status):
        raise ValidationError(
            _("A claim that is %(from)s cannot become %(to)s.")
            % {"from": ClaimStatus(from_status).label.lower(), "to": ClaimStatus(to_status).label.lower()
               if to_status in ClaimStatus.values else to_status}
        )
    if from_status == to_status:
        return None
    now = timezone.now()
    locked.status = to_status
    fields = ["status", "updated_at"]
    if to_status == ClaimStatus.SUBMITTED:
        locked.submitted_at = now
        fields.append("submitted_at")
    locked.save(update_fields=fields)
    claim.status = to_status
    claim.submitted_at = locked.submitted_at
    change = ClaimStatusChange.objects.create(
        claim=locked, from_status=from_status, to_status=to_status, source=source, actor=actor, at=now,
        reason=reason[:500],
    )
    if audit_it:
        audit.record(actor=actor, action="billing.claim_status_changed", target=locked,
                     patient_id=locked.patient_id, location_id=locked.location_id, changed_fields=["status"],
                     reason=f"{from_status} -> {to_status} ({source})")
    _emit_status_changed(locked, from_status=from_status, to_status=to_status, source=source)
    return change


def _emit_status_changed(claim: Claim, *, from_status: str, to_status: str, source: str) -> None:
    """The domain event (webhooks): ids and statuses only."""
    emit("claim.status_changed", location_id=claim.location_id, data={
        "claim_id": claim.pk, "claim_number": claim.claim_number, "patient_id": claim.patient_id,
        "location_id": claim.location_id, "old_status": from_status, "new_status": to_status, "source": source})


class StatusMove(NamedTuple):
    """One status change claims_transition recorded (its ClaimStatusChange row is written without an instance)."""

    claim_id: int
    from_status: str
    to_status: str


@transaction.atomic
def claims_transition(
    *, actor: Any, moves: Sequence[tuple[Claim, str, str]], source: str,
    locked_statuses: Mapping[int, str] | None = None, also_set: Mapping[str, Any] | None = None,
) -> list[StatusMove]:
    """Many moves (claim, to_status, reason) at once, for bulk callers (scrubbing, batches) that write one audit
    event per run: claim_transition's lifecycle check and history rows in a fixed number of queries per 2,000
    claims. A claim already in its target status records nothing. Any move the lifecycle forbids raises
    ValidationError and nothing moves. `locked_statuses` (pk -> status) saves re-reading rows the caller already
    locked; `also_set` are further fields written in the same UPDATE (the scrubber's scrubbed_at)."""
    ids = [claim.pk for claim, _to, _why in moves]
    chunk = any_of_chunk_size()
    current: dict[int, str] = {}
    if locked_statuses is not None:  # the caller locked these rows in this transaction and read their statuses
        current.update((pk, locked_statuses[pk]) for pk in ids)
    else:
        for start in range(0, len(ids), chunk):
            current.update(Claim.objects.select_for_update().filter(pk__any_of=ids[start:start + chunk])
                           .values_list("pk", "status"))
    now = timezone.now()
    changes: list[StatusMove] = []
    history: list[tuple[int, str, str, str]] = []
    moved: set[int] = set()
    for claim, to_status, reason in moves:
        from_status = current[claim.pk]
        if from_status == to_status:
            continue
        if not transition_allowed(from_status, to_status):  # the table holds only valid statuses
            raise ValidationError(
                _("Claim %(number)s is %(from)s and cannot become %(to)s.")
                % {"number": claim.claim_number, "from": ClaimStatus(from_status).label.lower(), "to": to_status})
        changes.append(StatusMove(claim.pk, from_status, to_status))
        history.append((claim.pk, from_status, to_status, reason[:500]))
        current[claim.pk] = to_status  # the same claim twice in `moves`: the second move starts from the first
        moved.add(claim.pk)
    by_status: dict[str, list[int]] = {}
    for pk in moved:  # each claim updated once, to where its last move took it
        by_status.setdefault(current[pk], []).append(pk)
    for to_status, pks in by_status.items():
        extra: dict[str, Any] = {**(also_set or {})}
        if to_status == ClaimStatus.SUBMITTED:
            extra["submitted_at"] = now
        for start in range(0, len(pks), chunk):
            Claim.objects.filter(pk__any_of=pks[start:start + chunk]).update(status=to_status, updated_at=now,
                                                                              **extra)
    for start in range(0, len(history), chunk * 5):
        insert_rows(ClaimStatusChange, ("claim", "from_status", "to_status", "reason"),
                    history[start:start + chunk * 5], constants={"source": source, "actor": getattr(actor, "pk", None),
                                                                      "at": now})
    first_from = {change.claim_id: change.from_status for change in reversed(changes)}
    for claim, _to, _why in moves:
        claim.status = current[claim.pk]
        if claim.pk in moved and claim.status == ClaimStatus.SUBMITTED:
            claim.submitted_at = now
        if claim.pk in first_from:  # one event per claim, from where it was to where it ended
            _emit_status_changed(claim, from_status=first_from.pop(claim.pk), to_status=claim.status, source=source)
    return changes
