"""837P batches: build one from the ready claims, hand it to a transport, or discard it; and the audit trail of
reading one (its page, its file).

- `batch_build` takes every ready claim not waiting in an unsent batch (never batched, or sent in an earlier
  batch, rejected, fixed and ready again, or released by a discard) within the actor's billing.manage scope
  (optionally for one payer; without a payer, one file for the clearinghouse). It reserves the interchange and
  group control numbers first, in a transaction of their own (persisted, never reused: a build that then fails
  leaves a gap, never a reuse, and the counters are not locked while the file is written), locks the claims so
  two people building at once never put a claim in two batches, streams the 837P into <data dir>/x12/batches/
  (never under the web root) and records the file's name, SHA-256, size, claim count and total. A claim the
  837P writer refuses does not fail the file: it leaves the batch and is held, its ClaimIssue saying why. One
  audit event for the batch. With `validate=True` pyx12 checks the file afterwards and the result is kept beside
  it (`selectors.batches.batch_validation`).
- `batch_submit` sends the file through a transport and logs every attempt (BatchSubmission). On success the
  batch and each of its claims become submitted (claims_transition, source batch), audited for the batch and for
  each patient whose claims went; on failure the claims stay as they are and the batch is marked failed, to be
  tried again.
- `batch_discard` (unsubmitted batches only): the batch is kept, discarded, with its submission log; its claims
  leave it and stay ready; the file is removed.
- `batch_viewed` / `batch_exported`: a batch's page and its file show patients' claims (financial PHI): one
  audit event per patient shown or exported.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Practice
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Payer

from ..choices import OPEN_BATCH_STATUSES, BatchStatus, ClaimStatus, Severity, StatusSource
from ..models import BatchSubmission, BillingSettings, Claim, ClaimBatch, ClaimIssue
from ..scrubber.context import chunks
from ..transports import DirectoryDropTransport, Transport, batch_file_path, batches_directory, validation_path
from ..x12.envelope import Envelope
from ..x12.validate import X12Validation, validate_x12
from ..x12.writer_837p import ClaimData, X12WriteError, claims_for_837p, write_837p
from .authorization import authorize_at
from .claim_status import claims_transition
from .numbers import GROUP, INTERCHANGE, MAX_INTERCHANGE, control_number_next

# pyx12 needs about a second per hundred claims: the web UI offers validation up to this many.
VALIDATE_MAX_CLAIMS = 1000
WRITE_BUFFER = 1 << 16


ISSUE_MESSAGE_MAX = ClaimIssue._meta.get_field("message").max_length or 300
# The ClaimIssue rule of a claim the 837P writer refused.
WRITER_RULE = "x12_writer"


@dataclass(frozen=True)
class BatchFile:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Refused:
    """A claim the 837P writer left out of the file, and why."""

    pk: int
    claim_number: str
    reason: str


@dataclass
class _Built:
    batch: ClaimBatch | None
    refused: list[Refused] = field(default_factory=list)


def batch_file_name(interchange_number: int) -> str:
    return f"837P-{interchange_number:09d}.x12"


def batch_note(batch: ClaimBatch) -> str:
    """The reason recorded on each claim's move to submitted: which file carried it (read back by the audit of a
    download, after a claim has moved on to a later batch)."""
    return f"batch {batch.interchange_control_number:09d}"


# --- build ---------------------------------------------------------------------------------------------------


def batch_build(
    *, actor: Any, payer: Payer | None = None, validate: bool = False, reason: str = "",
    held: list[str] | None = None,
) -> ClaimBatch | None:
    """Put every ready claim not waiting in an unsent batch, in the actor's billing.manage scope (for `payer` when
    given), into a new batch and write its 837P. Returns None when there is nothing to send. `actor` None is the
    system (a command run on the server: every location); `reason` is added to the audit event (e.g. the
    command's name). The claim numbers of claims the 837P writer refused (now held) are appended to `held` when
    given; when it refused every claim, no batch is built and ValidationError says which claims were held."""
    location_ids = _manage_scope(actor, action="billing.batch_build")
    billing, practice = _settings()
    if not _waiting(location_ids=location_ids, payer=payer).exists():
        return None
    interchange, group = _reserve_control_numbers()
    built = _build(actor=actor, payer=payer, location_ids=location_ids, reason=reason, billing=billing,
                   practice=practice, interchange=interchange, group=group)
    numbers = [refused.claim_number for refused in built.refused]
    if held is not None:
        held.extend(numbers)
    if built.batch is None:
        if len(built.refused) == 1:
            [refused] = built.refused
            raise ValidationError(_("Claim %(claim)s: %(reason)s It is now held: fix it and scrub it again.")
                                  % {"claim": refused.claim_number, "reason": refused.reason}, code="all_refused")
        if built.refused:
            raise ValidationError(
                _("The 837P cannot carry claims %(claims)s: they are now held, each saying what to fix (Claims held "
                  "by the scrubber).") % {"claims": _first(numbers)}, code="all_refused")
        return None
    if validate:
        batch_validate(batch=built.batch)
    return built.batch


def _first(numbers: list[str], count: int = 5) -> str:
    more = len(numbers) - count
    return ", ".join(numbers[:count]) + (_(" and %(count)s more") % {"count": more} if more > 0 else "")


def _settings() -> tuple[BillingSettings, Practice]:
    billing = BillingSettings.objects.filter(singleton=True).first()
    if billing is None:
        raise ValidationError(_("Billing settings are missing: enter the submitter and receiver in Billing "
                                "settings before building a batch."), code="no_billing_settings")
    practice = Practice.objects.first()
    if practice is None:
        raise ValidationError(_("The practice is not set up yet."), code="no_practice")
    return billing, practice


def _waiting(*, location_ids: frozenset[int] | None, payer: Payer | None) -> QuerySet[Claim]:
    """Ready claims that may go in a new batch: never batched, or whose batch was sent or discarded.

    Said positively (batch none, or one of the sent/discarded batches) rather than "not in an open batch": on
    PostgreSQL a build waiting on a row lock re-checks the row once the other build commits, against batches as
    its statement first saw them; a batch the other build just created is not among them, so the claim it took
    no longer qualifies (said negatively, that unseen batch would not count as open and the claim would go in
    two batches)."""
    done = ClaimBatch.objects.exclude(status__in=sorted(OPEN_BATCH_STATUSES)).values("pk")
    ready = Claim.objects.filter(Q(batch__isnull=True) | Q(batch__in=done), status=ClaimStatus.READY)
    if location_ids is not None:
        ready = ready.filter(location_id__in=location_ids)
    if payer is not None:
        ready = ready.filter(payer=payer)
    return ready


def _reserve_control_numbers() -> tuple[int, int]:
    """ISA13 and GS06 for a new batch, taken and committed before the claims are locked and the file written:
    the counters' rows are locked only for this (a build that fails later leaves a gap; a number is never used
    twice)."""
    with transaction.atomic():
        interchange = control_number_next(INTERCHANGE)
        if interchange > MAX_INTERCHANGE:
            raise ValidationError(_("The interchange control numbers (ISA13) are used up."), code="isa13_exhausted")
        group = control_number_next(GROUP)
    return interchange, group


@transaction.atomic
def _build(*, actor: Any, payer: Payer | None, location_ids: frozenset[int] | None, reason: str,
           billing: BillingSettings, practice: Practice, interchange: int, group: int) -> _Built:
    ready = _waiting(location_ids=location_ids, payer=payer)
    # Row locks (PostgreSQL; SQLite serializes writers): a second build waits, then finds these claims batched.
    if not list(ready.select_for_update().values_list("pk", flat=True)):
        return _Built(batch=None)
    batch = ClaimBatch(
        payer=payer, interchange_control_number=interchange, group_control_number=group,
        status=BatchStatus.BUILT, usage_indicator=billing.usage_indicator, file_name=batch_file_name(interchange),
        created_by=actor, created_at=timezone.now(),
    )
    batch.full_clean()
    batch.save(force_insert=True)
    # The same filter, not a list of ids (no limit on query parameters): the rows just locked, plus on PostgreSQL
    # any claim that became ready and committed meanwhile (the UPDATE locks it too).
    ready.update(batch=batch, updated_at=timezone.now())
    envelope = Envelope(
        sender_id=billing.submitter_id, receiver_id=billing.receiver_id, interchange_number=interchange,
        group_number=group, usage_indicator=billing.usage_indicator, created=practice_now(),
    )
    written, refused = _write_file(batch, envelope=envelope, billing=billing, practice=practice)
    if refused:
        _hold_refused(actor=actor, batch=batch, refused=refused)
    if written is None:  # the writer refused every claim: no file, no batch (its numbers stay unused)
        batch.delete()
        return _Built(batch=None, refused=refused)
    totals = Claim.objects.filter(batch=batch).aggregate(count=Count("pk"), total=Sum("total_charge"))
    batch.claim_count = totals["count"]
    batch.total_charge = (totals["total"] or Decimal(0)).quantize(Decimal("0.01"))
    batch.file_sha256 = written.sha256
    batch.file_size = written.size
    batch.save(update_fields=["claim_count", "total_charge", "file_sha256", "file_size"])
    locations = set(Claim.objects.filter(batch=batch).values_list("location_id", flat=True).distinct())
    note = f"{batch.claim_count} claim(s), ISA13 {interchange:09d}"
    if payer is not None:
        note += f", payer {payer.pk}"
    if refused:
        note += f", {len(refused)} held (the 837P cannot carry them)"
    record(actor=actor, action="billing.batch_built", target=batch,
           location_id=next(iter(locations)) if len(locations) == 1 else None,
           changed_fields=["claims", "file"], reason=f"{note}; {reason}" if reason else note)
    return _Built(batch=batch, refused=refused)


def _hold_refused(*, actor: Any, batch: ClaimBatch, refused: list[Refused]) -> None:
    """Claims the writer refused leave the batch and are held, with the writer's reason as their issue (beside
    the scrubber's warnings): a biller fixes them and scrubs them again. Each move audited with its patient."""
    ids = [claim.pk for claim in refused]
    for chunk in chunks(ids):
        Claim.objects.filter(pk__in=chunk, batch=batch).update(batch=None, updated_at=timezone.now())
    claims_transition(actor=actor, source=StatusSource.BATCH, moves=[
        (Claim(pk=claim.pk, claim_number=claim.claim_number), ClaimStatus.HELD, claim.reason) for claim in refused])
    ClaimIssue.objects.bulk_create(
        (ClaimIssue(claim_id=claim.pk, rule=WRITER_RULE, severity=Severity.ERROR,
                    message=(_("The 837P cannot carry this claim: %(reason)s") % {"reason": claim.reason}
                             )[:ISSUE_MESSAGE_MAX],
                    fix_hint=_("Fix what it names, then scrub the claim again: it goes in the next batch."))
         for claim in refused), batch_size=1000)
    whose: dict[int, tuple[int, int]] = {}
    for chunk in chunks(ids):
        whose.update((pk, (patient_id, location_id)) for pk, patient_id, location_id in
                     Claim.objects.filter(pk__in=chunk).values_list("pk", "patient_id", "location_id"))
    for claim in refused:
        patient_id, location_id = whose[claim.pk]
        record(actor=actor, action="billing.claim_status_changed", object_type="billing.claim", object_id=claim.pk,
               patient_id=patient_id, location_id=location_id, changed_fields=["status", "batch", "issues"],
               reason=f"ready -> held (837P writer refused it, batch ISA13 {batch.interchange_control_number:09d})")


class _HashingWriter(io.RawIOBase):
    """A raw binary stream that hashes and counts what it writes to `target`."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.sha.update(view)
        self.target.write(view)
        self.size += len(view)
        return len(view)


def _write_file(batch: ClaimBatch, *, envelope: Envelope, billing: BillingSettings,
                practice: Practice) -> tuple[BatchFile | None, list[Refused]]:
    """Stream the batch's 837P to a temporary file, then rename it into place (the stale validation of an
    earlier file of the same name is removed). Returns the file (None when the writer refused every claim) and
    the claims it refused."""
    directory = batches_directory()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / batch.file_name
    partial = directory / f".{batch.file_name}.part"
    claims = claims_for_837p(Claim.objects.filter(batch=batch))
    refused: list[Refused] = []

    def leave_out(claim: ClaimData, why: str) -> None:
        refused.append(Refused(pk=claim.pk, claim_number=claim.claim_number, reason=why))

    try:
        with open(partial, "wb") as raw:
            hashing = _HashingWriter(raw)
            with io.TextIOWrapper(io.BufferedWriter(hashing, WRITE_BUFFER), encoding="ascii", newline="\n") as out:
                summary = write_837p(out, claims, envelope=envelope, billing_settings=billing, practice=practice,
                                     on_refused=leave_out)
            os.fsync(raw.fileno())
        if summary.claim_count == 0:
            partial.unlink(missing_ok=True)
            return None, refused
        os.replace(partial, final)
    except X12WriteError as error:
        partial.unlink(missing_ok=True)
        raise ValidationError(str(error), code="x12_write") from error
    except UnicodeEncodeError as error:
        partial.unlink(missing_ok=True)
        raise ValidationError(_("A claim holds a character the 837P cannot carry."), code="x12_charset") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    validation_path(batch).unlink(missing_ok=True)
    return BatchFile(path=final, sha256=hashing.sha.hexdigest(), size=hashing.size), refused


def batch_validate(*, batch: ClaimBatch) -> X12Validation:
    """Run pyx12 on the batch's file and keep the result beside it (read-only on the database)."""
    result = validate_x12(batch_file_path(batch))
    result.save(validation_path(batch))
    return result


# --- submit --------------------------------------------------------------------------------------------------


def batch_submit(*, actor: Any, batch: ClaimBatch, transport: Transport | None = None) -> BatchSubmission:
    """Send the batch through `transport` (default: the drop directory) and log the attempt. Returns the log row:
    `succeeded` says how it went. Raises ValidationError when the batch may not be sent (already submitted,
    failed validation, a claim no longer ready, the file missing or changed since it was built)."""
    _authorize_batch(actor, batch, action="billing.batch_submit")
    transport = transport or DirectoryDropTransport()
    with transaction.atomic():
        locked = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
        path = _check_submittable(locked)
        now = timezone.now()
        try:
            destination = transport.send(locked, path)
        except Exception as error:  # noqa: BLE001 - whatever the transport raised, the attempt is logged
            detail = str(error) or type(error).__name__
            submission = BatchSubmission(batch=locked, transport=transport.name,
                                         destination=_target(transport) or f"({transport.name})",
                                         succeeded=False, detail=detail[:500], actor=actor, at=now)
            submission.full_clean()
            submission.save(force_insert=True)
            locked.status = BatchStatus.FAILED
            locked.save(update_fields=["status"])
            record(actor=actor, action="billing.batch_submit_failed", target=locked,
                   changed_fields=["status"], reason=f"{transport.name}: {type(error).__name__}")
            _refresh(batch, locked)
            return submission
        submission = BatchSubmission(batch=locked, transport=transport.name, destination=destination[:300],
                                     succeeded=True, actor=actor, at=now)
        submission.full_clean()
        submission.save(force_insert=True)
        locked.status = BatchStatus.SUBMITTED
        locked.submitted_at = now
        locked.save(update_fields=["status", "submitted_at"])
        note = batch_note(locked)
        sent = list(locked.claims.order_by("pk").only("pk", "claim_number", "patient_id", "location_id"))
        claims_transition(actor=actor, source=StatusSource.BATCH,
                          moves=[(claim, ClaimStatus.SUBMITTED, note) for claim in sent])
        record(actor=actor, action="billing.batch_submitted", target=locked, changed_fields=["status"],
               reason=f"{locked.claim_count} claim(s) via {transport.name}")
        # Each patient whose claims left for the payer (a disclosure of financial PHI), in the same transaction.
        for (patient_id, location_id), count in _per_patient((claim.patient_id, claim.location_id)
                                                             for claim in sent).items():
            record(actor=actor, action="billing.claims_submitted", target=locked, patient_id=patient_id,
                   location_id=location_id, changed_fields=["status"],
                   reason=f"{count} claim(s) in {note} via {transport.name}")
        _refresh(batch, locked)
        return submission


def _check_submittable(batch: ClaimBatch) -> Path:
    if batch.status == BatchStatus.SUBMITTED:
        raise ValidationError(_("This batch was already submitted."), code="already_submitted")
    if batch.status == BatchStatus.DISCARDED:
        raise ValidationError(_("This batch was discarded: build a new one."), code="discarded")
    validation = X12Validation.load(validation_path(batch))
    if validation is not None and not validation.ok:
        raise ValidationError(_("pyx12 found errors in this batch's file. Discard the batch, fix the claims and "
                                "build a new one."), code="invalid_file")
    # Lock every claim of the batch until the end of the transaction: once the file is delivered, none of them
    # may have moved on before it is marked submitted.
    not_ready = [number for number, status in batch.claims.select_for_update().order_by("pk")
                 .values_list("claim_number", "status")
                 if status != ClaimStatus.READY][:5]
    if not_ready:
        raise ValidationError(
            _("Claim(s) %(claims)s are no longer ready to send. Discard this batch and build a new one.")
            % {"claims": ", ".join(not_ready)}, code="claims_not_ready")
    path = batch_file_path(batch)
    if not path.is_file():
        raise ValidationError(_("The batch's file is missing. Discard the batch and build a new one."),
                              code="file_missing")
    if _sha256(path) != batch.file_sha256:
        raise ValidationError(_("The batch's file changed after it was built. Discard the batch and build a new "
                                "one."), code="file_changed")
    return path


def _target(transport: Transport) -> str:
    describe = getattr(transport, "target_directory", None)
    try:
        return str(describe())[:300] if callable(describe) else ""
    except Exception:  # noqa: BLE001 - only a description for the log
        return ""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _refresh(batch: ClaimBatch, locked: ClaimBatch) -> None:
    batch.status = locked.status
    batch.submitted_at = locked.submitted_at


# --- discard -------------------------------------------------------------------------------------------------


def batch_discard(*, actor: Any, batch: ClaimBatch) -> int:
    """Take an unsubmitted batch apart: its claims leave it (they stay ready, to be batched again) and its file
    goes; the batch itself stays, discarded, with its submission log (its control numbers are never reused).
    Returns the number of claims released."""
    _authorize_batch(actor, batch, action="billing.batch_discard")
    with transaction.atomic():
        locked = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.SUBMITTED:
            raise ValidationError(_("A submitted batch cannot be discarded: its claims are with the payer."),
                                  code="already_submitted")
        if locked.status == BatchStatus.DISCARDED:
            raise ValidationError(_("This batch was already discarded."), code="already_discarded")
        released = Claim.objects.filter(batch=locked).update(batch=None, updated_at=timezone.now())
        attempts = locked.submissions.count()
        locked.status = BatchStatus.DISCARDED
        locked.save(update_fields=["status"])
        record(actor=actor, action="billing.batch_discarded", target=locked,
               changed_fields=["status", "claims", "file"],
               reason=f"{released} claim(s) released, ISA13 {locked.interchange_control_number:09d}, "
                      f"{attempts} failed attempt(s)")
        paths = (batch_file_path(locked), validation_path(locked))
        transaction.on_commit(lambda: _remove(paths))
    batch.status = locked.status
    return released


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# --- permission ----------------------------------------------------------------------------------------------


def _manage_scope(actor: Any, *, action: str) -> frozenset[int] | None:
    """Locations where the actor may batch claims (None: all). The system (actor None) may everywhere."""
    if actor is None:
        return None
    ids = location_ids_where(actor, Perm.BILLING_MANAGE)
    if ids is not None and not ids:
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action)
    return ids


def _authorize_batch(actor: Any, batch: ClaimBatch, *, action: str) -> None:
    """billing.manage at every location the batch's claims belong to (a batch left without claims: anywhere)."""
    if actor is None:
        return
    locations = sorted(set(Claim.objects.filter(batch=batch).values_list("location_id", flat=True).distinct()))
    if not locations and not can(actor, Perm.BILLING_MANAGE):
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action, target=batch)
    for location_id in locations:
        authorize_at(actor=actor, location_id=location_id, action=action, target=batch)


# --- reading: the audit trail --------------------------------------------------------------------------------


def _per_patient(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """{(patient, location of the claims): number of claims}, one entry per patient (the first location seen)."""
    location_of: dict[int, int] = {}
    counts: dict[tuple[int, int], int] = {}
    for patient_id, location_id in pairs:
        key = (patient_id, location_of.setdefault(patient_id, location_id))
        counts[key] = counts.get(key, 0) + 1
    return counts


def batch_viewed(*, actor: Any, batch: ClaimBatch, claims: Iterable[Claim], how: str = "") -> None:
    """The audit of a batch's page: one event per patient whose claims it shows (financial PHI), with the
    patient and the claims' location; one event for the batch alone when it shows no claim."""
    shown = _per_patient((claim.patient_id, claim.location_id) for claim in claims)
    reason = how or f"{batch.claim_count} claim(s)"
    with transaction.atomic():
        if not shown:
            record(actor=actor, action="billing.batch_viewed", target=batch, reason=reason)
        for (patient_id, location_id), count in shown.items():
            record(actor=actor, action="billing.batch_viewed", target=batch, patient_id=patient_id,
                   location_id=location_id, reason=f"{reason}: {count} claim(s) of this patient")


def batch_exported(*, actor: Any, batch: ClaimBatch) -> None:
    """The audit of downloading a batch's 837P, an export of every claim in it: one event per patient in the
    file (the claims the batch holds, and those it carried when it was submitted that have moved on to a later
    batch since), read in one query."""
    in_file = (Claim.objects.filter(Q(batch=batch) | Q(status_changes__source=StatusSource.BATCH,
                                                       status_changes__to_status=ClaimStatus.SUBMITTED,
                                                       status_changes__reason=batch_note(batch)))
               .order_by("pk").values_list("pk", "patient_id", "location_id").distinct())
    exported = _per_patient((patient_id, location_id) for _pk, patient_id, location_id in in_file)
    reason = f"837P download, ISA13 {batch.interchange_control_number:09d}, sha256 {batch.file_sha256[:12]}"
    with transaction.atomic():
        if not exported:
            record(actor=actor, action="billing.batch_exported", target=batch, changed_fields=["file"],
                   reason=reason)
        for (patient_id, location_id), count in exported.items():
            record(actor=actor, action="billing.batch_exported", target=batch, patient_id=patient_id,
                   location_id=location_id, changed_fields=["file"], reason=f"{reason}, {count} claim(s)")
