"""837P batches: build one from the ready claims, hand it to a transport, or discard it.

- `batch_build` takes every ready claim not yet in a batch within the actor's billing.manage scope (optionally
  for one payer; without a payer, one file for the clearinghouse), locks them so two people building at once
  never put a claim in two batches, reserves the interchange and group control numbers (persisted, never
  reused), streams the 837P into <data dir>/x12/batches/ (never under the web root) and records the file's name,
  SHA-256, size, claim count and total. One audit event for the batch. With `validate=True` pyx12 checks the file
  afterwards and the result is kept beside it (`selectors.batches.batch_validation`).
- `batch_submit` sends the file through a transport and logs every attempt (BatchSubmission). On success the
  batch and each of its claims become submitted (claims_transition, source batch); on failure the claims stay as
  they are and the batch is marked failed, to be tried again.
- `batch_discard` (unsubmitted batches only): the claims leave the batch and stay ready, the file is removed.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Practice
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Payer

from ..choices import BatchStatus, ClaimStatus, StatusSource
from ..models import BatchSubmission, BillingSettings, Claim, ClaimBatch
from ..transports import DirectoryDropTransport, Transport, batch_file_path, batches_directory, validation_path
from ..x12.envelope import Envelope
from ..x12.validate import X12Validation, validate_x12
from ..x12.writer_837p import X12WriteError, claims_for_837p, write_837p
from .claim_status import claims_transition
from .numbers import GROUP, INTERCHANGE, MAX_INTERCHANGE, control_number_next

# pyx12 needs about a second per hundred claims: the web UI offers validation up to this many.
VALIDATE_MAX_CLAIMS = 1000
WRITE_BUFFER = 1 << 16


@dataclass(frozen=True)
class BatchFile:
    path: Path
    sha256: str
    size: int


def batch_file_name(interchange_number: int) -> str:
    return f"837P-{interchange_number:09d}.x12"


# --- build ---------------------------------------------------------------------------------------------------


def batch_build(
    *, actor: Any, payer: Payer | None = None, validate: bool = False, reason: str = "",
) -> ClaimBatch | None:
    """Put every ready, unbatched claim in the actor's billing.manage scope (for `payer` when given) into a new
    batch and write its 837P. Returns None when there is nothing to send. `actor` None is the system (a command
    run on the server: every location); `reason` is added to the audit event (e.g. the command's name)."""
    location_ids = _manage_scope(actor, action="billing.batch_build")
    batch = _build(actor=actor, payer=payer, location_ids=location_ids, reason=reason)
    if batch is not None and validate:
        batch_validate(batch=batch)
    return batch


@transaction.atomic
def _build(*, actor: Any, payer: Payer | None, location_ids: frozenset[int] | None, reason: str) -> ClaimBatch | None:
    billing = BillingSettings.objects.filter(singleton=True).first()
    if billing is None:
        raise ValidationError(_("Billing settings are missing: enter the submitter and receiver in Billing "
                                "settings before building a batch."), code="no_billing_settings")
    practice = Practice.objects.first()
    if practice is None:
        raise ValidationError(_("The practice is not set up yet."), code="no_practice")
    ready = Claim.objects.filter(status=ClaimStatus.READY, batch__isnull=True)
    if location_ids is not None:
        ready = ready.filter(location_id__in=location_ids)
    if payer is not None:
        ready = ready.filter(payer=payer)
    # Row locks (PostgreSQL; SQLite serializes writers): a second build waits, then finds these claims batched.
    if not list(ready.select_for_update().values_list("pk", flat=True)):
        return None
    interchange = control_number_next(INTERCHANGE)
    if interchange > MAX_INTERCHANGE:
        raise ValidationError(_("The interchange control numbers (ISA13) are used up."), code="isa13_exhausted")
    group = control_number_next(GROUP)
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
    totals = Claim.objects.filter(batch=batch).aggregate(count=Count("pk"), total=Sum("total_charge"))
    envelope = Envelope(
        sender_id=billing.submitter_id, receiver_id=billing.receiver_id, interchange_number=interchange,
        group_number=group, usage_indicator=billing.usage_indicator, created=practice_now(),
    )
    written = _write_file(batch, envelope=envelope, billing=billing, practice=practice)
    batch.claim_count = totals["count"]
    batch.total_charge = (totals["total"] or Decimal(0)).quantize(Decimal("0.01"))
    batch.file_sha256 = written.sha256
    batch.file_size = written.size
    batch.save(update_fields=["claim_count", "total_charge", "file_sha256", "file_size"])
    locations = set(Claim.objects.filter(batch=batch).values_list("location_id", flat=True).distinct())
    note = f"{batch.claim_count} claim(s), ISA13 {interchange:09d}"
    if payer is not None:
        note += f", payer {payer.pk}"
    record(actor=actor, action="billing.batch_built", target=batch,
           location_id=next(iter(locations)) if len(locations) == 1 else None,
           changed_fields=["claims", "file"], reason=f"{note}; {reason}" if reason else note)
    return batch


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


def _write_file(batch: ClaimBatch, *, envelope: Envelope, billing: BillingSettings, practice: Practice) -> BatchFile:
    """Stream the batch's 837P to a temporary file, then rename it into place (the stale validation of an
    earlier file of the same name is removed)."""
    directory = batches_directory()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / batch.file_name
    partial = directory / f".{batch.file_name}.part"
    claims = claims_for_837p(Claim.objects.filter(batch=batch))
    try:
        with open(partial, "wb") as raw:
            hashing = _HashingWriter(raw)
            with io.TextIOWrapper(io.BufferedWriter(hashing, WRITE_BUFFER), encoding="ascii", newline="\n") as out:
                summary = write_837p(out, claims, envelope=envelope, billing_settings=billing, practice=practice)
            os.fsync(raw.fileno())
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
    if summary.claim_count == 0:
        final.unlink(missing_ok=True)
        raise ValidationError(_("No claim was written to the file."), code="x12_empty")
    return BatchFile(path=final, sha256=hashing.sha.hexdigest(), size=hashing.size)


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
        note = f"batch {locked.interchange_control_number:09d}"
        claims_transition(actor=actor, source=StatusSource.BATCH,
                          moves=[(claim, ClaimStatus.SUBMITTED, note) for claim in locked.claims.order_by("pk")])
        record(actor=actor, action="billing.batch_submitted", target=locked, changed_fields=["status"],
               reason=f"{locked.claim_count} claim(s) via {transport.name}")
        _refresh(batch, locked)
        return submission


def _check_submittable(batch: ClaimBatch) -> Path:
    if batch.status == BatchStatus.SUBMITTED:
        raise ValidationError(_("This batch was already submitted."), code="already_submitted")
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
    """Take an unsubmitted batch apart: its claims leave it (they stay ready), its file and its log of failed
    attempts go (the audit trail keeps the story). Returns the number of claims released."""
    _authorize_batch(actor, batch, action="billing.batch_discard")
    with transaction.atomic():
        locked = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.SUBMITTED:
            raise ValidationError(_("A submitted batch cannot be discarded: its claims are with the payer."),
                                  code="already_submitted")
        released = Claim.objects.filter(batch=locked).update(batch=None, updated_at=timezone.now())
        attempts = locked.submissions.count()
        record(actor=actor, action="billing.batch_discarded", target=locked, changed_fields=["claims", "file"],
               reason=f"{released} claim(s) released, ISA13 {locked.interchange_control_number:09d}, "
                      f"{attempts} failed attempt(s)")
        locked.submissions.all().delete()
        paths = (batch_file_path(locked), validation_path(locked))
        locked.delete()
        transaction.on_commit(lambda: _remove(paths))
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
    """billing.manage at every location the batch's claims belong to."""
    if actor is None:
        return
    locations = set(Claim.objects.filter(batch=batch).values_list("location_id", flat=True).distinct())
    if not locations and not can(actor, Perm.BILLING_MANAGE):
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action, target=batch)
    for location_id in locations:
        if not can(actor, Perm.BILLING_MANAGE, location_id):
            raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action, target=batch)
