"""FHIR bulk exports (`$export`): their lifecycle, audit and retention. The NDJSON itself is built by the FHIR
facade (openpractice.api.fhir.export), with the same mapping as its reads; this module keeps the records.

queued -> running -> done (files kept EXPORT_LIFETIME, then purged) | failed; cancelled from any of them by the
person who asked. Only that person may see the status or download the files. Every patient in a file is an
audited PHI disclosure (patients.exported), written in the same transaction as the files, so an export that
fails or is cancelled discloses nothing and records nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from openpractice.audit.services import Event, record, record_many

from .models import BulkExport, BulkExportFile, ExportStatus

EXPORT_LIFETIME = dt.timedelta(hours=24)
# Failed and cancelled exports (no files) are forgotten after this.
UNFINISHED_LIFETIME = dt.timedelta(hours=24)
# Audit events are written this many per statement.
AUDIT_BATCH = 1000
# Exports one person may have waiting or running at once (a second kick-off answers 429).
MAX_IN_PROGRESS = 1
IN_PROGRESS = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportInProgress(Exception):
    """The person already has an export queued or running."""


@dataclass
class BuiltFile:
    """One NDJSON output: its resource type, lines, and the patients in it (patient id -> home location id)."""

    resource_type: str
    content: str
    count: int
    patients: dict[int, int | None] = field(default_factory=dict)


def export_owned(*, actor: Any) -> QuerySet[BulkExport]:
    """The exports the actor asked for (nobody else's: exports are personal)."""
    if not getattr(actor, "is_authenticated", False):
        return BulkExport.objects.none()
    return BulkExport.objects.filter(requested_by_id=actor.pk)


def export_file_owned(*, actor: Any) -> QuerySet[BulkExportFile]:
    if not getattr(actor, "is_authenticated", False):
        return BulkExportFile.objects.none()
    return BulkExportFile.objects.filter(export__requested_by_id=actor.pk).select_related("export")


def export_is_available(export: BulkExport, now: dt.datetime | None = None) -> bool:
    """Done and not yet expired: the manifest and files may be read."""
    now = now or timezone.now()
    return export.status == ExportStatus.DONE and export.expires_at is not None and export.expires_at > now


@transaction.atomic
def export_request(*, actor: Any, resource_types: Sequence[str], since: dt.datetime | None,
                   request_url: str) -> BulkExport:
    """Queue an export (the caller queues its task on commit)."""
    # Lock the person's row so two kick-offs at once cannot both pass the in-progress check.
    type(actor).objects.select_for_update().filter(pk=actor.pk).first()
    if export_owned(actor=actor).filter(status__in=IN_PROGRESS).count() >= MAX_IN_PROGRESS:
        raise ExportInProgress
    export = BulkExport(requested_by=actor, resource_types=list(resource_types), since=since,
                        request_url=request_url[:500], status=ExportStatus.QUEUED)
    export.full_clean()
    export.save()
    record(actor=actor, action="fhir.bulk_export_requested", target=export,
           reason=f"{','.join(resource_types)}{' since ' + since.isoformat() if since else ''}"[:200])
    return export


@transaction.atomic
def export_start(*, export_id: int) -> BulkExport | None:
    """Claim a queued export for building; None when it is gone, cancelled or already taken."""
    export = BulkExport.objects.select_for_update().filter(pk=export_id).select_related("requested_by").first()
    if export is None or export.status != ExportStatus.QUEUED:
        return None
    export.status = ExportStatus.RUNNING
    export.save(update_fields=["status"])
    return export


def export_is_cancelled(*, export_id: int) -> bool:
    """Checked between chunks, so a cancel stops a long export soon."""
    return BulkExport.objects.filter(pk=export_id).values_list("status", flat=True).first() != ExportStatus.RUNNING


@transaction.atomic
def export_finish(*, export_id: int, files: Iterable[BuiltFile]) -> bool:
    """Store the files and the disclosures of every patient in them, and mark the export done; False (nothing
    stored) when it was cancelled meanwhile."""
    export = BulkExport.objects.select_for_update().select_related("requested_by").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.RUNNING:
        return False
    for built in files:
        if not built.count:
            continue  # the manifest lists no empty files
        BulkExportFile.objects.create(export=export, resource_type=built.resource_type, count=built.count,
                                      content=built.content)
        events = [Event(action="patients.exported", object_type="patients.patient", object_id=str(patient_id),
                        patient_id=patient_id, location_id=location_id,
                        reason=f"FHIR bulk export {export.pk}: {built.resource_type}")
                  for patient_id, location_id in built.patients.items()]
        for start in range(0, len(events), AUDIT_BATCH):
            record_many(actor=export.requested_by, events=events[start:start + AUDIT_BATCH])
    now = timezone.now()
    export.status, export.finished_at, export.expires_at = ExportStatus.DONE, now, now + EXPORT_LIFETIME
    export.save(update_fields=["status", "finished_at", "expires_at"])
    return True


@transaction.atomic
def export_fail(*, export_id: int, error: str) -> None:
    """A build that broke: the person sees `error` (no PHI in it) in the status answer."""
    export = BulkExport.objects.select_for_update().filter(pk=export_id).first()
    if export is None or export.status not in IN_PROGRESS:
        return
    export.status, export.error, export.finished_at = ExportStatus.FAILED, error[:300], timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])


@transaction.atomic
def export_cancel(*, actor: Any, export: BulkExport) -> None:
    """DELETE on the status URL: stop a queued or running export, or drop a finished one's files now."""
    locked = BulkExport.objects.select_for_update().get(pk=export.pk)
    locked.files.all().delete()
    locked.status = ExportStatus.CANCELLED
    locked.finished_at = locked.finished_at or timezone.now()
    locked.save(update_fields=["status", "finished_at"])
    record(actor=actor, action="fhir.bulk_export_cancelled", target=locked)
    export.status = locked.status


def export_file_downloaded(*, actor: Any, export_file: BulkExportFile) -> None:
    """The download of a file (its patients were recorded as exported when it was built)."""
    record(actor=actor, action="fhir.bulk_export_downloaded", target=export_file,
           reason=f"export {export_file.export_id}: {export_file.resource_type}, {export_file.count} resource(s)")


@transaction.atomic
def export_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete exports past their expiry (their files are PHI) and old failed or cancelled ones. Returns how
    many exports were deleted."""
    now = now or timezone.now()
    stale = BulkExport.objects.filter(
        Q(expires_at__lte=now)
        | Q(status__in=[ExportStatus.FAILED, ExportStatus.CANCELLED], created_at__lte=now - UNFINISHED_LIFETIME))
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return 0
    BulkExportFile.objects.filter(export_id__in=ids).delete()
    BulkExport.objects.filter(pk__in=ids).delete()
    record(actor=None, action="fhir.bulk_exports_purged", object_type="integrations.bulkexport",
           reason=f"{len(ids)} export(s) past their expiry")
    return len(ids)
