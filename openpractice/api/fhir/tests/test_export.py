"""FHIR Bulk Data $export: kick-off -> status -> manifest -> NDJSON download, scope, audit, expiry, cancel, errors.

The tests' huey runs tasks at once; the kick-off queues its task on commit, so each kick-off runs inside
django_capture_on_commit_callbacks(execute=True) when the test wants the export built.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.integrations.models import BulkExport, BulkExportFile, ExportStatus
from openpractice.integrations.tasks_export import purge_expired_bulk_exports
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory

from .. import export as export_module
from .support import FhirClient, body, validate

pytestmark = pytest.mark.django_db

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def manager(make_user: Callable[..., Any], north: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], username="manager-north")


@pytest.fixture
def world(north: Any, south: Any) -> dict[str, Any]:
    """Three patients at North (two insured, one twice), two at South (one insured)."""
    north_patients = [PatientFactory(home_location=north) for _ in range(3)]
    south_patients = [PatientFactory(home_location=south) for _ in range(2)]
    coverages = [CoverageFactory(patient=north_patients[0]), CoverageFactory(patient=north_patients[0], rank=2),
                 CoverageFactory(patient=north_patients[1])]
    CoverageFactory(patient=south_patients[0])
    return {"north": north_patients, "south": south_patients, "coverages": coverages}


def _path(url: str) -> str:
    return url.replace("http://testserver/fhir/r4/", "")


def kick_off(client: FhirClient, capture: Any, path: str = "$export", query: Any = None) -> Any:
    with capture(execute=True):
        response = client.get(path, query, **ASYNC)
    return response


def manifest_of(client: FhirClient, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.content
    status = client.get(_path(response["Content-Location"]))
    assert status.status_code == 200, status.content
    assert status["Content-Type"].startswith("application/json")
    return json.loads(status.content)


def download(client: FhirClient, url: str) -> list[dict[str, Any]]:
    response = client.get(_path(url), Accept="application/fhir+ndjson")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = response.content.decode().splitlines()
    resources = [json.loads(line) for line in lines]
    for resource in resources:
        validate(resource)
    return resources


def test_export_end_to_end(manager: Any, world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    response = kick_off(client, django_capture_on_commit_callbacks)
    validate(body(response))
    assert "/fhir/r4/$export-status/" in response["Content-Location"]
    manifest = manifest_of(client, response)
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["request"].endswith("/fhir/r4/$export")
    dt.datetime.fromisoformat(manifest["transactionTime"])
    outputs = {item["type"]: item for item in manifest["output"]}
    assert {name: item["count"] for name, item in outputs.items()} == {"Patient": 3, "Coverage": 3}

    patients = download(client, outputs["Patient"]["url"])
    assert sorted(int(p["id"]) for p in patients) == sorted(p.pk for p in world["north"])
    coverages = download(client, outputs["Coverage"]["url"])
    assert sorted(int(c["id"]) for c in coverages) == sorted(c.pk for c in world["coverages"])
    # The same mapping as the FHIR read of the patient.
    read = body(FhirClient(manager).get(f"Patient/{world['north'][0].pk}"))
    assert next(p for p in patients if p["id"] == read["id"]) == read

    export = BulkExport.objects.get()
    assert export.status == ExportStatus.DONE
    assert export.expires_at is not None
    assert export.finished_at is not None
    assert dt.timedelta(hours=23) < export.expires_at - export.finished_at <= dt.timedelta(hours=24)
    # Every patient of each file is a recorded disclosure; nobody at South.
    exported = AuditEvent.objects.filter(action="patients.exported", actor=manager)
    def exported_in(kind: str) -> list[int]:
        return sorted(pid or 0 for pid in exported.filter(reason__endswith=kind).values_list("patient_id", flat=True))

    assert exported_in("Patient") == sorted(p.pk for p in world["north"])
    assert exported_in("Coverage") == sorted(p.pk for p in world["north"][:2])
    assert not exported.filter(patient_id__in=[p.pk for p in world["south"]]).exists()
    assert AuditEvent.objects.filter(action="fhir.bulk_export_requested", actor=manager).count() == 1
    assert AuditEvent.objects.filter(action="fhir.bulk_export_downloaded", actor=manager).count() == 2
    # Stored encrypted: the database never holds the NDJSON in clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM integrations_bulkexportfile")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored
    assert all(world["north"][0].last_name not in value for value in stored)


def test_patient_level_kick_off_types_and_since(manager: Any, world: dict[str, Any],
                                                django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    manifest = manifest_of(client, kick_off(client, django_capture_on_commit_callbacks, "Patient/$export",
                                            {"_type": "Patient", "_outputFormat": "application/fhir+ndjson"}))
    assert [item["type"] for item in manifest["output"]] == ["Patient"]
    assert BulkExport.objects.get().resource_types == ["Patient"]
    # _since: only what changed since then.
    old = [p.pk for p in world["north"][1:]]
    Patient.objects.filter(pk__in=old).update(updated_at=timezone.now() - dt.timedelta(days=30))
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    manifest = manifest_of(client, kick_off(client, django_capture_on_commit_callbacks, "$export",
                                            {"_type": "Patient", "_since": since}))
    (output,) = manifest["output"]
    assert output["count"] == 1
    assert [p["id"] for p in download(client, output["url"])] == [str(world["north"][0].pk)]


def test_the_build_goes_chunk_by_chunk(manager: Any, world: dict[str, Any], north: Any,
                                       django_capture_on_commit_callbacks: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "CHUNK_SIZE", 2)
    for _ in range(4):
        PatientFactory(home_location=north)
    client = FhirClient(manager)
    manifest = manifest_of(client, kick_off(client, django_capture_on_commit_callbacks, "$export",
                                            {"_type": "Patient"}))
    (output,) = manifest["output"]
    ids = [p["id"] for p in download(client, output["url"])]
    assert output["count"] == 7 == len(ids) == len(set(ids))


def test_nobody_else_sees_the_status_or_the_files(manager: Any, make_user: Callable[..., Any], north: Any,
                                                  world: dict[str, Any],
                                                  django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    response = kick_off(client, django_capture_on_commit_callbacks)
    manifest = manifest_of(client, response)
    colleague = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="colleague")
    other = FhirClient(colleague)
    status_path = _path(response["Content-Location"])
    file_path = _path(manifest["output"][0]["url"])
    for path in (status_path, file_path):
        refused = other.get(path)
        assert refused.status_code == 404
        validate(body(refused))
    assert other.client.delete(f"/fhir/r4/{status_path}", headers=other.headers).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=colleague, outcome=Outcome.DENIED).count() == 3
    assert BulkExport.objects.get().status == ExportStatus.DONE
    # Without the permission (a biller), not even one's own kind of request gets anywhere.
    biller = make_user(Role.BILLER, locations=[north])
    assert FhirClient(biller).get("$export", **ASYNC).status_code == 404
    assert FhirClient(biller).get(status_path).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=biller).count() == 2
    assert BulkExport.objects.count() == 1


def test_expired_exports_answer_404_and_are_purged(manager: Any, world: dict[str, Any],
                                                   django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    response = kick_off(client, django_capture_on_commit_callbacks)
    manifest = manifest_of(client, response)
    BulkExport.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get(_path(response["Content-Location"])).status_code == 404
    assert client.get(_path(manifest["output"][0]["url"])).status_code == 404
    assert purge_expired_bulk_exports.call_local() == 1
    assert not BulkExport.objects.exists()
    assert not BulkExportFile.objects.exists()
    assert AuditEvent.objects.filter(action="fhir.bulk_exports_purged").exists()


def test_a_fresh_export_is_not_purged(manager: Any, world: dict[str, Any],
                                      django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    manifest_of(client, kick_off(client, django_capture_on_commit_callbacks))
    assert purge_expired_bulk_exports.call_local() == 0
    assert BulkExportFile.objects.count() == 2


def test_cancel_deletes_the_files(manager: Any, world: dict[str, Any],
                                  django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    response = kick_off(client, django_capture_on_commit_callbacks)
    manifest = manifest_of(client, response)
    status_path = _path(response["Content-Location"])
    cancelled = client.client.delete(f"/fhir/r4/{status_path}", headers=client.headers)
    assert cancelled.status_code == 202
    assert BulkExport.objects.get().status == ExportStatus.CANCELLED
    assert not BulkExportFile.objects.exists()
    assert client.get(status_path).status_code == 404
    assert client.get(_path(manifest["output"][0]["url"])).status_code == 404
    assert AuditEvent.objects.filter(action="fhir.bulk_export_cancelled", actor=manager).count() == 1


def test_status_while_queued_then_cancel_stops_the_build(manager: Any, world: dict[str, Any],
                                                         django_capture_on_commit_callbacks: Any) -> None:
    client = FhirClient(manager)
    response = client.get("$export", **ASYNC)  # the task is queued on commit, which never comes here
    assert response.status_code == 202
    status_path = _path(response["Content-Location"])
    waiting = client.get(status_path)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == "queued"
    # A second export while one is waiting: 429.
    again = client.get("$export", **ASYNC)
    assert again.status_code == 429
    validate(body(again))
    assert client.client.delete(f"/fhir/r4/{status_path}", headers=client.headers).status_code == 202
    # The task, if it comes late, builds nothing.
    export = BulkExport.objects.get()
    assert export_module.build_export(export.pk) is False
    assert export.files.count() == 0
    assert not AuditEvent.objects.filter(action="patients.exported").exists()


def test_a_failed_export_says_so(manager: Any) -> None:
    export = BulkExport.objects.create(requested_by=manager, resource_types=["Patient"], request_url="x",
                                       status=ExportStatus.FAILED, error="The export could not be built.")
    response = FhirClient(manager).get(f"$export-status/{export.pk}")
    assert response.status_code == 500
    outcome = body(response)
    validate(outcome)
    assert outcome["issue"][0]["diagnostics"] == "The export could not be built."


def test_a_build_that_breaks_is_failed_not_half_done(manager: Any, world: dict[str, Any]) -> None:
    export = BulkExport.objects.create(requested_by=manager, resource_types=["Patient", "Unicorn"],
                                       request_url="http://testserver/fhir/r4/$export")
    assert export_module.build_export(export.pk) is False
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error
    assert not export.files.exists()
    assert not AuditEvent.objects.filter(action="patients.exported").exists()


@pytest.mark.parametrize(("query", "headers"), [
    (None, {}),  # no Prefer: respond-async
    ({"_type": "Patient,Unicorn"}, ASYNC),
    ({"_type": "Appointment"}, ASYNC),
    ({"_outputFormat": "text/csv"}, ASYNC),
    ({"_since": "last week"}, ASYNC),
    ({"_typeFilter": "Patient?active=true"}, ASYNC),
])
def test_bad_kick_offs_are_400(manager: Any, query: Any, headers: dict[str, str]) -> None:
    response = FhirClient(manager).get("$export", query, **headers)
    assert response.status_code == 400, response.content
    validate(body(response))
    assert not BulkExport.objects.exists()


def test_metadata_announces_export(manager: Any) -> None:
    statement = body(FhirClient(manager).get("metadata"))
    validate(statement)
    assert statement["rest"][0]["operation"][0]["name"] == "export"
