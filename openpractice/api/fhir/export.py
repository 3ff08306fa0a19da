"""FHIR Bulk Data `$export` (https://hl7.org/fhir/uv/bulkdata/): patients and their coverages as NDJSON.

    GET /fhir/r4/$export  or  /fhir/r4/Patient/$export      (Prefer: respond-async; _type, _since, _outputFormat)
        -> 202, Content-Location: /fhir/r4/$export-status/<id>
    GET    $export-status/<id>  -> 202 + X-Progress while queued/running; 200 + manifest when done; 500 if failed
    DELETE $export-status/<id>  -> 202: cancelled (and any files deleted)
    GET    $export-file/<id>    -> application/fhir+ndjson, until the export expires (24 hours after it finished)

Needs patients.bulk_export; the export holds the patients whose home location is one where the caller holds it
(and their coverages), mapped by the same ResourceType.to_resource as the FHIR reads. Status and files are the
requester's only: anyone else gets 404 and the attempt is audited. The build runs as a background task, a chunk
of CHUNK_SIZE rows at a time (one query, prepare() and the mapping per chunk), checking between chunks whether
the export was cancelled. Every patient in a file is recorded as exported (patients.exported) when the files are
stored; each download is audited too.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_timezone_name
from openpractice.core.web import deny, get_scoped_or_404
from openpractice.integrations import services_export as services
from openpractice.integrations.models import BulkExport, ExportStatus
from openpractice.patients.selectors import patient_scoped

from . import resources  # noqa: F401  (registers every resource type)
from .base import REGISTRY, ModelResourceType
from .bundle import base_url
from .errors import FhirError, operation_outcome
from .http import fhir_endpoint, fhir_response
from .mapping import instant
from .search import date_range

logger = logging.getLogger("openpractice.fhir.export")

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
CHUNK_SIZE = 1000
# The types an export may hold, and how to find the patient (id, home location id) of one of their objects.
PATIENT_OF: dict[str, Callable[[Any], tuple[int, int | None]]] = {
    "Patient": lambda patient: (patient.pk, patient.home_location_id),
    "Coverage": lambda coverage: (coverage.patient_id, coverage.patient.home_location_id),
}
# The field that ties each type to its patient (to cut it to the bulk-export scope).
PATIENT_FIELD = {"Patient": "pk", "Coverage": "patient_id"}
KICKOFF_PARAMETERS = frozenset({"_type", "_since", "_outputFormat", "_format"})
PERMISSION = Perm.PATIENTS_BULK_EXPORT


def exportable_types() -> list[str]:
    """The export types the facade serves: each needs its type registered, and one model to read in chunks."""
    return [name for name in PATIENT_OF if isinstance(REGISTRY.get(name), ModelResourceType)]


# -- kick-off --------------------------------------------------------------------------------------------------


def _require(request: HttpRequest) -> None:
    if not can(request.user, PERMISSION):
        raise deny(request, permission=PERMISSION)


def _types(query: QueryDict) -> list[str]:
    wanted = [part.strip() for value in query.getlist("_type") for part in value.split(",") if part.strip()]
    available = exportable_types()
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise FhirError(400, "not-supported", f"_type {', '.join(unknown)} cannot be exported; use "
                                              f"{', '.join(available)}.", expression=["_type"])
    return list(dict.fromkeys(wanted)) or available


def _since(query: QueryDict) -> datetime.datetime | None:
    values = query.getlist("_since")
    if not values:
        return None
    if len(values) > 1 or not values[0].strip():
        raise FhirError(400, "invalid", "Give _since once, as a FHIR instant.", expression=["_since"])
    start, _end = date_range(values[0].strip(), what="_since")
    return start


def _check_kickoff(request: HttpRequest) -> None:
    prefer = [part.strip().lower() for part in request.headers.get("Prefer", "").split(",")]
    if "respond-async" not in prefer:
        raise FhirError(400, "invalid", "Send the header 'Prefer: respond-async': an export runs in the background.")
    unknown = sorted(set(request.GET) - KICKOFF_PARAMETERS)
    if unknown:
        raise FhirError(400, "not-supported", f"Unsupported $export parameter(s): {', '.join(unknown)}. Supported: "
                                              "_type, _since, _outputFormat.", expression=unknown)
    formats = request.GET.getlist("_outputFormat")
    if any(value.strip().lower() not in OUTPUT_FORMATS for value in formats):
        raise FhirError(400, "not-supported", f"_outputFormat must be {NDJSON}.", expression=["_outputFormat"])


@fhir_endpoint
def export_kickoff(request: HttpRequest) -> HttpResponse:
    """System-level ($export) and Patient-level (Patient/$export) kick-off: both export the patients in scope."""
    if request.method != "GET":
        raise FhirError(405, "not-supported", "Use GET (POST with Parameters is not supported).",
                        headers={"Allow": "GET"})
    _require(request)
    _check_kickoff(request)
    types, since = _types(request.GET), _since(request.GET)
    try:
        export = services.export_request(actor=request.user, resource_types=types, since=since,
                                         request_url=request.build_absolute_uri())
    except services.ExportInProgress:
        raise FhirError(429, "throttled", "You already have an export in progress: wait for it or cancel it.",
                        headers={"Retry-After": "60"}) from None
    from openpractice.integrations.tasks_export import run_bulk_export

    export_id = export.pk
    transaction.on_commit(lambda: run_bulk_export(export_id))
    outcome = operation_outcome([("information", "informational", f"Export {export_id} accepted.", [])])
    return fhir_response(outcome, status=202, headers={"Content-Location": _status_url(request, export_id)})


def _status_url(request: HttpRequest, export_id: int) -> str:
    return f"{base_url(request)}$export-status/{export_id}"


def _file_url(request: HttpRequest, file_id: int) -> str:
    return f"{base_url(request)}$export-file/{file_id}"


# -- status, cancel ---------------------------------------------------------------------------------------------


def _manifest(request: HttpRequest, export: BulkExport) -> dict[str, Any]:
    return {
        "transactionTime": instant(export.created_at),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [{"type": item.resource_type, "url": _file_url(request, item.pk), "count": item.count}
                   for item in export.files.order_by("pk").only("pk", "resource_type", "count", "export_id")],
        "error": [],
    }


@fhir_endpoint
def export_status(request: HttpRequest, export_id: int) -> HttpResponse:
    if request.method not in ("GET", "DELETE"):
        raise FhirError(405, "not-supported", "Use GET or DELETE.", headers={"Allow": "GET, DELETE"})
    _require(request)
    export = get_scoped_or_404(request, services.export_owned(actor=request.user), permission=PERMISSION,
                               pk=export_id)
    if export.status == ExportStatus.CANCELLED:
        raise FhirError(404, "not-found", "This export was cancelled.")
    if request.method == "DELETE":
        services.export_cancel(actor=request.user, export=export)
        return fhir_response(operation_outcome([("information", "informational", "Export cancelled.", [])]),
                             status=202)
    if export.status in services.IN_PROGRESS:
        return HttpResponse(status=202, headers={"X-Progress": export.status, "Retry-After": "5"})
    if export.status == ExportStatus.FAILED:
        raise FhirError(500, "exception", export.error or "The export failed.")
    if not services.export_is_available(export):
        raise FhirError(404, "not-found", "This export has expired: start a new one.")
    assert export.expires_at is not None
    response = HttpResponse(json.dumps(_manifest(request, export), separators=(",", ":")),
                            content_type="application/json")
    response["Expires"] = export.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    response["Cache-Control"] = "private, no-store"
    return response


# -- files -----------------------------------------------------------------------------------------------------


@fhir_endpoint
def export_file(request: HttpRequest, file_id: int) -> HttpResponse:
    if request.method != "GET":
        raise FhirError(405, "not-supported", "Use GET.", headers={"Allow": "GET"})
    _require(request)
    export_file = get_scoped_or_404(request, services.export_file_owned(actor=request.user),
                                    permission=PERMISSION, pk=file_id)
    if not services.export_is_available(export_file.export):
        raise FhirError(404, "not-found", "This export has expired or was cancelled: start a new one.")
    services.export_file_downloaded(actor=request.user, export_file=export_file)
    response = HttpResponse(export_file.content, content_type=NDJSON)
    response["Content-Disposition"] = f'attachment; filename="{export_file.resource_type}.ndjson"'
    response["Cache-Control"] = "private, no-store"
    return response


# -- the build (run by the task integrations.tasks_export.run_bulk_export) ---------------------------------------


class _TaskRequest(HttpRequest):
    """What to_resource() sees when an export is built outside a request: the requester, and the scheme and host
    the export was asked at (for any absolute URL)."""

    def __init__(self, export: BulkExport) -> None:
        super().__init__()
        asked = urlsplit(export.request_url)
        self.method = "GET"
        self.user = export.requested_by
        self.path = asked.path or "/"
        self._scheme = asked.scheme or "https"
        if asked.netloc:
            self.META["HTTP_HOST"] = asked.netloc

    def _get_scheme(self) -> str:
        return self._scheme


def _build_file(export: BulkExport, type_name: str, request: HttpRequest) -> services.BuiltFile | None:
    """One type's NDJSON, CHUNK_SIZE rows at a time; None when the export was cancelled meanwhile."""
    kind = REGISTRY[type_name]
    if not isinstance(kind, ModelResourceType):  # kick-off accepts only exportable_types()
        raise ValueError(f"{type_name} cannot be exported in chunks")
    in_scope = patient_scoped(actor=export.requested_by, permission=PERMISSION).values("pk")
    rows = kind.scoped(request).filter(**{f"{PATIENT_FIELD[type_name]}__in": in_scope})
    if export.since is not None:
        rows = rows.filter(updated_at__gte=export.since)
    patient_of = PATIENT_OF[type_name]
    built = services.BuiltFile(resource_type=type_name, content="", count=0)
    lines = io.StringIO()
    last_pk = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_pk).order_by("pk")[:CHUNK_SIZE])
        if not chunk:
            break
        kind.prepare(chunk, request)
        for obj in chunk:
            lines.write(json.dumps(kind.to_resource(obj, request), separators=(",", ":"), ensure_ascii=False))
            lines.write("\n")
            patient_id, location_id = patient_of(obj)
            built.patients.setdefault(patient_id, location_id)
        built.count += len(chunk)
        last_pk = chunk[-1].pk
        if services.export_is_cancelled(export_id=export.pk):
            return None
    built.content = lines.getvalue()
    return built


def build_export(export_id: int) -> bool:
    """Build a queued export's files and store them (True), or record why it failed (False). A cancelled or
    already-taken export is left alone."""
    export = services.export_start(export_id=export_id)
    if export is None:
        return False
    try:
        # Times as the FHIR reads write them: in the practice's zone (the middleware's job in a request).
        zone = practice_timezone_name()
        with timezone.override(zoneinfo.ZoneInfo(zone) if zone else None):
            return _build_and_store(export)
    except Exception:
        logger.exception("FHIR bulk export %s failed", export_id)
        services.export_fail(export_id=export_id,
                             error="The export could not be built. Try again; if it fails again, tell your "
                                   "administrator (the server log has the details).")
        return False


def _build_and_store(export: BulkExport) -> bool:
    request = _TaskRequest(export)
    files = []
    for type_name in export.resource_types:
        if type_name not in REGISTRY or type_name not in PATIENT_OF:
            raise LookupError(f"{type_name} is not exportable")
        built = _build_file(export, type_name, request)
        if built is None:
            return False  # cancelled meanwhile
        files.append(built)
    return services.export_finish(export_id=export.pk, files=files)
