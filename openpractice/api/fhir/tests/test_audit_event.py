"""FHIR AuditEvent: the audit trail for holders of audit.view, with the web log's location scope."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import record
from openpractice.core.selectors import practice_timezone_name
from openpractice.scheduling.tests.factories import ProviderFactory

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_auditor(make_user: Callable[..., Any], north: Any) -> Any:
    return make_user(Role.AUDITOR, locations=[north])


def test_read_maps_an_event(auditor: Any, make_user: Callable[..., Any], north: Any) -> None:
    clerk = make_user(Role.FRONT_DESK, username="clerk")
    event = record(actor=clerk, action="patients.viewed", object_type="patients.patient", object_id=41,
                   patient_id=41, location_id=north.pk, reason="fhir")
    resource = body(FhirClient(auditor).get(f"AuditEvent/{event.pk}"))
    validate(resource)
    assert resource["subtype"] == [{"system": "https://openpractice.org/fhir/audit-action", "code": "patients.viewed"}]
    assert resource["type"]["code"] == "110110"
    assert resource["action"] == "R"
    assert resource["outcome"] == "0"
    agent = resource["agent"][0]
    assert agent["who"] == {"identifier": {"system": "https://openpractice.org/fhir/user", "value": str(clerk.pk)},
                            "display": "clerk"}
    assert agent["altId"] == "clerk"
    assert agent["requestor"] is True
    assert resource["source"]["observer"] == {"display": "OpenPractice"}
    assert resource["entity"][0]["what"] == {"reference": "Patient/41"}
    assert resource["entity"][1]["what"]["identifier"]["value"] == "patients.patient/41"
    # Reading the trail is not itself recorded, as in the web log and on /audit.
    assert not AuditEvent.objects.filter(actor=auditor, action__startswith="audit.").exists()


def test_a_provider_is_a_practitioner_and_a_denial_a_minor_failure(auditor: Any,
                                                                   make_user: Callable[..., Any]) -> None:
    doctor = make_user(Role.PROVIDER, username="drwho")
    provider = ProviderFactory(user=doctor)
    denied = record(actor=doctor, action="access.denied", outcome=Outcome.DENIED, reason="billing.view GET /x")
    system = record(actor=None, action="practice.settings_updated", changed_fields=["name", "phone"])
    client = FhirClient(auditor)
    resource = body(client.get(f"AuditEvent/{denied.pk}"))
    validate(resource)
    assert resource["agent"][0]["who"] == {"reference": f"Practitioner/{provider.pk}", "display": "drwho"}
    assert resource["outcome"] == "4"
    assert resource["outcomeDesc"] == "billing.view GET /x"
    assert resource["type"]["code"] == "110113"
    automatic = body(client.get(f"AuditEvent/{system.pk}"))
    validate(automatic)
    assert automatic["agent"][0]["requestor"] is False
    assert automatic["action"] == "U"


def test_location_scope_404_and_audited(north_auditor: Any, north: Any, south: Any) -> None:
    here = record(actor=None, action="facilities.asset_updated", location_id=north.pk)
    there = record(actor=None, action="facilities.asset_updated", location_id=south.pk)
    nowhere = record(actor=None, action="accounts.signed_in")
    client = FhirClient(north_auditor)
    assert client.get(f"AuditEvent/{here.pk}").status_code == 200
    for event in (there, nowhere):
        response = client.get(f"AuditEvent/{event.pk}")
        assert response.status_code == 404
        validate(body(response))
        assert AuditEvent.objects.filter(action="access.denied", actor=north_auditor,
                                         object_id=str(event.pk)).exists()
    assert resource_ids(body(client.get("AuditEvent", {"subtype": "facilities.asset_updated"}))) == [str(here.pk)]


def test_out_of_role_is_404(make_user: Callable[..., Any]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    assert FhirClient(manager).get("AuditEvent").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=manager).exists()


def test_search_parameters(auditor: Any, make_user: Callable[..., Any]) -> None:
    clerk = make_user(Role.FRONT_DESK, username="clerk")
    viewed = record(actor=clerk, action="patients.viewed", patient_id=7)
    created = record(actor=clerk, action="patients.registered", patient_id=8)
    denied = record(actor=clerk, action="access.denied", outcome=Outcome.DENIED)
    deleted = record(actor=None, action="billing.claim_deleted")  # the trail is append-only: recorded now
    client = FhirClient(auditor)

    def ids(**query: str) -> list[str]:
        return search_ids(client, "AuditEvent", query)

    assert ids(patient="Patient/7") == [str(viewed.pk)]
    assert ids(patient="8") == [str(created.pk)]
    assert ids(agent=str(clerk.pk), subtype="patients.*") == [str(created.pk), str(viewed.pk)]
    assert ids(agent="CLERK", outcome="4") == [str(denied.pk)]
    assert ids(agent="https://openpractice.org/fhir/user|clerk", action="C") == [str(created.pk)]
    assert ids(action="R", agent="clerk") == [str(viewed.pk)]
    assert ids(action="E", agent="clerk") == [str(denied.pk)]
    assert ids(action="D") == [str(deleted.pk)]
    today = deleted.occurred_at.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())).date()
    assert ids(subtype="billing.claim_deleted", date=today.isoformat()) == [str(deleted.pk)]
    assert ids(subtype="billing.claim_deleted", date=f"ge{today.year}") == [str(deleted.pk)]
    assert ids(subtype="billing.claim_deleted", date=f"lt{today.isoformat()}") == []
    assert ids(subtype="billing.claim_deleted", date=f"gt{(today + dt.timedelta(days=1)).isoformat()}") == []
    assert ids(_id=str(viewed.pk)) == [str(viewed.pk)]


def test_paging_newest_first_covers_every_event_once(auditor: Any) -> None:
    made = [record(actor=None, action="reports.report_viewed", object_id=n) for n in range(7)]
    client = FhirClient(auditor)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("AuditEvent", {"_count": "3", "subtype": "reports.report_viewed"}))):
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert seen == [str(event.pk) for event in reversed(made)]


def test_query_count_is_flat(auditor: Any, make_user: Callable[..., Any]) -> None:
    client = FhirClient(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("AuditEvent", {"_count": "200", "subtype": "patients.viewed"}).status_code == 200
        return len(captured)

    def events(count: int) -> None:
        for _ in range(count):
            doctor = make_user(Role.PROVIDER)
            ProviderFactory(user=doctor)
            record(actor=doctor, action="patients.viewed", patient_id=1)
            record(actor=make_user(Role.FRONT_DESK), action="patients.viewed", patient_id=2)

    events(2)
    queries()
    few = queries()
    events(10)
    assert queries() == few


def test_bad_search_values_are_400(auditor: Any) -> None:
    client = FhirClient(auditor)
    for query in ({"action": "X"}, {"outcome": "1"}, {"date": "last week"}, {"patient": "Practitioner/1"},
                  {"_id": "seq-1"}, {"user": "1"}):
        response = client.get("AuditEvent", query)
        assert response.status_code == 400, query
        validate(body(response))
