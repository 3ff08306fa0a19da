"""FHIR bulk export jobs (imported by integrations.tasks, which djhuey loads): build one export, purge old ones."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services_export import export_purge_expired


@db_task()
def run_bulk_export(export_id: int) -> bool:
    """Build the NDJSON files of a queued export (the queue holds only the id). The mapping to FHIR is the
    facade's own, so an export holds exactly what the FHIR reads serve."""
    from openpractice.api.fhir.export import build_export  # the facade loads every resource type: import late

    return build_export(export_id)


@db_periodic_task(crontab(minute="*/15"))
def purge_expired_bulk_exports() -> int:
    """Every quarter hour: delete the exports past their 24 hours (and old failed or cancelled ones)."""
    return export_purge_expired()
