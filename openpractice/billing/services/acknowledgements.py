"""Importing acknowledgements: the 999 (did the file pass the syntax check?) and the 277CA (did the payer take
each claim in?). Both move submitted claims to accepted or rejected, with the payer's reasons in the claim's
history, through claim_status.claim_transition().

- One file is imported once per person: its SHA-256 (with its kind and importer) is kept, and the same person
  importing it again changes nothing. Another person (a biller of other locations) may import the same file to
  apply it to the claims in their scope; claims an earlier import already moved are left alone (a claim already
  in the status the file gives it, or sent again since the file was first imported).
- All or nothing: the file is read completely before anything is written, and the writes share one
  transaction; a malformed file changes nothing and the error names the segment and its position.
- Only claims in the actor's scope (BILLING_MANAGE at the claim's location) are touched; the others are only
  counted (their claim numbers are not shown to someone who does not bill for them). Unknown claim numbers
  and claims that are no longer with the payer are reported and left alone.
- Audit: one event per claim whose status or payer claim number changed (with its patient and location), and
  one for the import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import AcknowledgementKind, ClaimStatus, StatusSource
from ..models import AcknowledgementImport, Claim, ClaimBatch
from ..x12.ack_277ca import Ack277CA, ClaimAck, parse_277ca
from ..x12.ack_999 import Ack999, FunctionalGroupAck, TransactionSetAck, parse_999
from ..x12.reader import X12SyntaxError, transaction_set_ids
from ..x12.writer_837p import MAX_CLAIMS_PER_TRANSACTION
from .claim_status import claim_transition

MAX_FILE_BYTES = 20 * 1024 * 1024
# Claims an acknowledgement may still move: those with the payer and not yet adjudicated.
ACKNOWLEDGEABLE = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED})
LOOKUP_CHUNK = 500


@dataclass
class ClaimOutcome:
    claim_number: str
    claim_id: int | None
    status: str  # the claim's status after the import
    reason: str = ""


@dataclass
class AckImportResult:
    kind: str
    file_name: str
    duplicate: bool = False
    import_id: int | None = None
    imported_at: Any = None
    accepted: list[ClaimOutcome] = field(default_factory=list)
    rejected: list[ClaimOutcome] = field(default_factory=list)
    unchanged: list[ClaimOutcome] = field(default_factory=list)  # a status that changes nothing (A0, P1 …)
    skipped: list[ClaimOutcome] = field(default_factory=list)  # no longer submitted/accepted: left alone
    unknown: list[str] = field(default_factory=list)  # claim numbers or batches we do not know
    not_yours: int = 0  # claims outside the actor's locations: a count, never their numbers
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted), "rejected": len(self.rejected), "unchanged": len(self.unchanged),
            "skipped": len(self.skipped), "unknown": len(self.unknown), "not_yours": self.not_yours,
            "notes": self.notes[:50],
        }


def authorize_import(*, actor: Any, action: str) -> None:
    """Importing a payer's file (999, 277CA, 271) takes billing.manage at one location at least; what the file
    then changes is limited to the actor's locations, claim by claim (or patient by patient). A refusal is
    audited (before any transaction opens, so it is kept) and raised as PermissionDenied."""
    if not can(actor, Perm.BILLING_MANAGE):
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action)


def check_file(content: bytes) -> None:
    if not content or not content.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB; ask the clearinghouse for smaller files.")
                              % {"mb": MAX_FILE_BYTES // (1024 * 1024)}, code="too_large")


def unreadable(error: X12SyntaxError) -> ValidationError:
    return ValidationError(_("The file cannot be read: %(error)s. Nothing was changed.") % {"error": str(error)},
                           code="x12_syntax")


def detect_kind(content: bytes) -> str:
    """999 or 277CA, from the first transaction set's ST01 (and ST03/GS08 for a 277)."""
    try:
        transaction_set, convention = transaction_set_ids(content)
    except X12SyntaxError as error:
        raise unreadable(error) from error
    if transaction_set == "999":
        return AcknowledgementKind.ACK_999
    if transaction_set == "277" and (not convention or convention.startswith("005010X214")):
        return AcknowledgementKind.ACK_277CA
    if transaction_set == "271":
        raise ValidationError(_("This is a 271 eligibility response: import it on the eligibility page."),
                              code="wrong_kind")
    raise ValidationError(
        _("This file holds a %(kind)s transaction set (%(convention)s), not a 999 or 277CA acknowledgement.")
        % {"kind": transaction_set, "convention": convention or "?"}, code="wrong_kind")


def previous_import(kind: str, sha256: str, actor: Any) -> AcknowledgementImport | None:
    """`actor`'s own earlier import of this file: importing it again is a no-op."""
    return AcknowledgementImport.objects.filter(kind=kind, sha256=sha256, imported_by=actor).first()


def first_imported(kind: str, sha256: str) -> AcknowledgementImport | None:
    """The first import of this file by anyone (None for a new file)."""
    return (AcknowledgementImport.objects.filter(kind=kind, sha256=sha256).select_related("imported_by")
            .order_by("imported_at", "pk").first())


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%m/%d/%Y %I:%M %p")


def _who(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def duplicate_note(earlier: AcknowledgementImport) -> str:
    return _("You already imported this file on %(when)s; nothing was changed.") % {"when": _when(earlier.imported_at)}


def imported_before_note(first: AcknowledgementImport) -> str:
    return (_("This file was first imported on %(when)s by %(who)s. It was applied to what you bill for; what that "
              "import already changed was left alone.") % {"when": _when(first.imported_at), "who": _who(first.imported_by)})


def _duplicate(result: AckImportResult, earlier: AcknowledgementImport) -> AckImportResult:
    result.duplicate = True
    result.import_id = earlier.pk
    result.imported_at = earlier.imported_at
    result.notes.append(duplicate_note(earlier))
    return result


def acknowledgement_import(*, actor: Any, file_name: str, content: bytes) -> AckImportResult:
    """Import a 999 or 277CA file and move the claims it names. Raises PermissionDenied without
    BILLING_MANAGE, ValidationError for a file that is too large, not an acknowledgement or malformed."""
    authorize_import(actor=actor, action="billing.acknowledgement_import")
    check_file(content)
    kind = detect_kind(content)
    file_name = (file_name or "acknowledgement").strip()[:200]
    sha256 = hashlib.sha256(content).hexdigest()
    result = AckImportResult(kind=kind, file_name=file_name)
    earlier = previous_import(kind, sha256, actor)
    if earlier is not None:
        return _duplicate(result, earlier)
    try:
        parsed: Ack999 | Ack277CA = parse_999(content) if kind == AcknowledgementKind.ACK_999 else parse_277ca(content)
    except X12SyntaxError as error:
        raise unreadable(error) from error
    try:
        return _apply(actor=actor, kind=kind, file_name=file_name, sha256=sha256, parsed=parsed, result=result)
    except IntegrityError:
        # The same file imported at the same moment by the same person (a double submit): the first counts.
        earlier = previous_import(kind, sha256, actor)
        if earlier is None:
            raise
        return _duplicate(AckImportResult(kind=kind, file_name=file_name), earlier)


@transaction.atomic
def _apply(*, actor: Any, kind: str, file_name: str, sha256: str, parsed: Ack999 | Ack277CA,
           result: AckImportResult) -> AckImportResult:
    first = first_imported(kind, sha256)
    if first is not None:
        result.notes.append(imported_before_note(first))
    run = _Run(actor=actor, scope=location_ids_where(actor, Perm.BILLING_MANAGE), result=result,
               first_seen=first.imported_at if first is not None else None)
    imported = AcknowledgementImport(kind=kind, file_name=file_name, sha256=sha256, imported_by=actor,
                                     imported_at=timezone.now())
    imported.full_clean(exclude=["summary"], validate_unique=False, validate_constraints=False)
    imported.save(force_insert=True)  # first: the same person's concurrent import of the file waits, then fails
    if isinstance(parsed, Ack999):
        _apply_999(run, parsed)
    else:
        _apply_277ca(run, parsed)
    imported.summary = result.summary()
    imported.save(update_fields=["summary"])
    record(actor=actor, action="billing.acknowledgement_imported", target=imported,
           changed_fields=["claims.status"] if result.accepted or result.rejected else [],
           reason=(f"{kind}: {len(result.accepted)} accepted, {len(result.rejected)} rejected, "
                   f"{len(result.unknown)} unknown, {result.not_yours} out of scope, "
                   f"{len(result.skipped)} left alone")[:200])
    result.import_id = imported.pk
    result.imported_at = imported.imported_at
    return result


@dataclass
class _Run:
    """One import: who, where they bill, what happened, and when anyone first imported the file (None: never)."""

    actor: Any
    scope: frozenset[int] | None
    result: AckImportResult
    first_seen: dt.datetime | None

    def in_scope(self, claim: Claim) -> bool:
        return self.scope is None or claim.location_id in self.scope

    def skip(self, claim: Claim, why: str) -> None:
        self.result.skipped.append(ClaimOutcome(claim.claim_number, claim.pk, claim.status, why))

    def why_left_alone(self, claim: Claim, to_status: str) -> str:
        """Why the file may not move `claim` to `to_status`; "" when it may."""
        status = ClaimStatus(claim.status).label.lower()
        if claim.status == to_status == ClaimStatus.REJECTED:
            return _("already rejected: left alone")
        if claim.status not in ACKNOWLEDGEABLE:
            return _("not with the payer (%(status)s): left alone") % {"status": status}
        if self.first_seen is not None and claim.submitted_at is not None and claim.submitted_at > self.first_seen:
            return _("sent again after this file was first imported (%(when)s): the file is about the earlier "
                     "submission; left alone") % {"when": _when(self.first_seen)}
        return ""


def _move(*, actor: Any, claim: Claim, to_status: str, source: str, reason: str,
          payer_claim_number: str = "") -> bool:
    """Move one claim (and keep the payer's claim number); one audit event with what changed."""
    changed: list[str] = []
    before = claim.status
    if claim.status != to_status:
        claim_transition(actor=actor, claim=claim, to_status=to_status, source=source, reason=reason,
                         audit_it=False)
        changed.append("status")
    if payer_claim_number and payer_claim_number != claim.payer_claim_number:
        field_ = Claim._meta.get_field("payer_claim_number")
        try:
            field_.clean(payer_claim_number, claim)
        except ValidationError as error:
            raise ValidationError(
                _("Claim %(claim)s: the payer claim number in the file is not valid (%(error)s). Nothing was "
                  "changed.") % {"claim": claim.claim_number, "error": " ".join(error.messages)}) from error
        Claim.objects.filter(pk=claim.pk).update(payer_claim_number=payer_claim_number, updated_at=timezone.now())
        claim.payer_claim_number = payer_claim_number
        changed.append("payer_claim_number")
    if changed:
        record(actor=actor, action="billing.claim_acknowledged", target=claim, patient_id=claim.patient_id,
               location_id=claim.location_id, changed_fields=changed,
               reason=f"{before} -> {claim.status} ({source})")
    return bool(changed)


# --- 999 ------------------------------------------------------------------------------------------------------


def _batch_label(batch: ClaimBatch) -> str:
    return f"{batch.interchange_control_number:09d}"


def _claims_of_transaction(batch: ClaimBatch, control_number: str) -> tuple[list[Claim], bool]:
    """The claims the 837P writer put in transaction set `control_number` of `batch`, and whether that could
    be told. The writer numbers its transaction sets 0001, 0002 … and fills each with up to
    MAX_CLAIMS_PER_TRANSACTION claims in the order billing provider (none first), then claim id; a batch whose
    claims no longer add up to what was written, or a control number it never wrote, cannot be told apart,
    and then every claim of the batch is meant."""
    claims = list(Claim.objects.filter(batch=batch)
                  .order_by(F("billing_provider_id").asc(nulls_first=True), "pk"))
    set_count = max(1, -(-len(claims) // MAX_CLAIMS_PER_TRANSACTION))
    number = control_number.strip()
    if len(claims) != batch.claim_count or not number.isdigit() or not number.isascii():
        return claims, False
    index = int(number)
    if not 1 <= index <= set_count:
        return claims, False
    if set_count == 1:
        return claims, True
    start = (index - 1) * MAX_CLAIMS_PER_TRANSACTION
    return claims[start:start + MAX_CLAIMS_PER_TRANSACTION], True


def _reject_claims(run: _Run, *, claims: Iterable[Claim], reason_for: Any, source: str) -> None:
    for claim in claims:
        if not run.in_scope(claim):
            run.result.not_yours += 1
            continue
        why = run.why_left_alone(claim, ClaimStatus.REJECTED)
        if why:
            run.skip(claim, why)
            continue
        reason = reason_for(claim)
        _move(actor=run.actor, claim=claim, to_status=ClaimStatus.REJECTED, source=source, reason=reason)
        run.result.rejected.append(ClaimOutcome(claim.claim_number, claim.pk, claim.status, reason))


def _reason_999(transaction_set: TransactionSetAck | None, group: FunctionalGroupAck) -> Any:
    """The reason for each claim: the errors pointing at that claim (CTX CLM01) when the 999 names it, else
    every error of the transaction set."""
    if transaction_set is None:
        summary = f"999: functional group {group.group_control_number} rejected — {group.describe()}"
        return lambda claim: summary
    summary = f"999: {transaction_set.describe()}"

    def reason(claim: Claim) -> str:
        own = [error.describe() for error in transaction_set.errors if claim.claim_number in error.claim_numbers]
        return f"999: {'; '.join(own)}" if own else summary

    return reason


def _apply_999(run: _Run, ack: Ack999) -> None:
    result = run.result
    for group in ack.groups:
        if group.functional_id and group.functional_id != "HC":
            result.notes.append(_("Group %(number)s acknowledges a %(kind)s file, not claims: ignored.")
                                % {"number": group.group_control_number, "kind": group.functional_id})
            continue
        batch = ClaimBatch.objects.filter(group_control_number=group.group_control_number).first()
        if batch is None:
            result.unknown.append(_("batch with group control number %(number)s")
                                  % {"number": group.group_control_number})
            continue
        label = _batch_label(batch)
        if not group.transaction_sets:
            if group.rejected:
                claims = list(Claim.objects.filter(batch=batch).order_by("pk"))
                result.notes.append(_("Batch %(batch)s: the whole file was rejected (%(why)s); all %(count)s "
                                      "claims are rejected.")
                                    % {"batch": label, "why": group.describe(), "count": len(claims)})
                _reject_claims(run, claims=claims, reason_for=_reason_999(None, group), source=StatusSource.ACK_999)
            else:
                result.notes.append(_("Batch %(batch)s: %(what)s.") % {"batch": label, "what": group.describe()})
            continue
        for transaction_set in group.transaction_sets:
            if transaction_set.transaction_set_id not in ("837", ""):
                result.notes.append(_("Batch %(batch)s: transaction set %(number)s is a %(kind)s, not claims: "
                                      "ignored.") % {"batch": label, "number": transaction_set.control_number,
                                                     "kind": transaction_set.transaction_set_id})
                continue
            claims, exact = _claims_of_transaction(batch, transaction_set.control_number)
            where = _("Batch %(batch)s, transaction set %(number)s") % {
                "batch": label, "number": transaction_set.control_number}
            if transaction_set.rejected:
                if exact:
                    result.notes.append(_("%(where)s: rejected; its %(count)s claim(s) are rejected.")
                                        % {"where": where, "count": len(claims)})
                else:
                    result.notes.append(_("%(where)s: rejected, and which claims it held cannot be told (the batch "
                                          "changed or the number is not one we wrote): all %(count)s claims of "
                                          "the batch are rejected.") % {"where": where, "count": len(claims)})
                _reject_claims(run, claims=claims, reason_for=_reason_999(transaction_set, group),
                               source=StatusSource.ACK_999)
            elif transaction_set.accepted:
                if transaction_set.code == "E":
                    result.notes.append(_("%(where)s: accepted with errors noted (%(errors)s); its %(count)s "
                                          "claim(s) stay submitted.")
                                        % {"where": where, "errors": transaction_set.describe(),
                                           "count": len(claims)})
                else:
                    result.notes.append(_("%(where)s: accepted; its %(count)s claim(s) stay submitted until the "
                                          "payer's 277CA.") % {"where": where, "count": len(claims)})
            else:
                result.notes.append(_("%(where)s: %(what)s; no claim changed.")
                                    % {"where": where, "what": transaction_set.describe()})


# --- 277CA ----------------------------------------------------------------------------------------------------


def _claims_by_number(numbers: list[str]) -> dict[str, Claim]:
    found: dict[str, Claim] = {}
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        for claim in Claim.objects.filter(claim_number__in=unique[start:start + LOOKUP_CHUNK]):
            found[claim.claim_number] = claim
    return found


def _apply_277ca(run: _Run, ack: Ack277CA) -> None:
    result = run.result
    for level, status in ack.other_statuses:
        if status.rejected:
            result.notes.append(_("The payer rejected at the %(level)s level: %(why)s.")
                                % {"level": level, "why": status.describe()})
    claims = _claims_by_number([claim_ack.claim_number for claim_ack in ack.claims])
    for claim_ack in ack.claims:
        claim = claims.get(claim_ack.claim_number)
        if claim is None:
            result.unknown.append(claim_ack.claim_number)
            continue
        if not run.in_scope(claim):
            result.not_yours += 1
            continue
        _apply_claim_ack(run, claim=claim, claim_ack=claim_ack)


def _apply_claim_ack(run: _Run, *, claim: Claim, claim_ack: ClaimAck) -> None:
    """A1 (received) and other statuses that neither accept nor reject leave the claim as it is."""
    result = run.result
    reason = f"277CA: {claim_ack.describe()}"
    if not claim_ack.rejected and not claim_ack.accepted:
        result.unchanged.append(ClaimOutcome(claim.claim_number, claim.pk, claim.status, reason))
        return
    to_status = ClaimStatus.REJECTED if claim_ack.rejected else ClaimStatus.ACCEPTED
    why = run.why_left_alone(claim, to_status)
    if why:
        run.skip(claim, f"{why} — {reason}")
        return
    if claim_ack.rejected:
        _move(actor=run.actor, claim=claim, to_status=ClaimStatus.REJECTED, source=StatusSource.ACK_277CA,
              reason=reason)
        result.rejected.append(ClaimOutcome(claim.claim_number, claim.pk, claim.status, reason))
        return
    if not _move(actor=run.actor, claim=claim, to_status=ClaimStatus.ACCEPTED, source=StatusSource.ACK_277CA,
                 reason=reason, payer_claim_number=claim_ack.payer_claim_number):
        run.skip(claim, _("already accepted, with this payer claim number: nothing to change"))
        return
    result.accepted.append(ClaimOutcome(claim.claim_number, claim.pk, claim.status, reason))
