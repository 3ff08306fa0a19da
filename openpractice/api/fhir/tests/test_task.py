"""FHIR Task: facilities work orders (wo-<n>) and front desk messages (msg-<n>), each kind for its own role,
merged into one newest-first search with the right total and paging; message reads audited like /messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.facilities.choices import Priority, WorkOrderStatus
from openpractice.facilities.models import WorkOrder
from openpractice.facilities.tests.factories_assets import make_asset
from openpractice.frontdesk.choices import MessageStatus
from openpractice.frontdesk.models import Message
from openpractice.frontdesk.tests.factories_queue import MessageFactory
from openpractice.patients.tests.factories import PatientFactory

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def manager(make_user: Callable[..., Any], north: Any) -> Any:
    """Both kinds, with demographics."""
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])


def _work_order(location: Any, *, hours_ago: float = 0, **fields: Any) -> WorkOrder:
    made = WorkOrder.objects.create(location=location, title=fields.pop("title", "Fridge not cooling"), **fields)
    WorkOrder.objects.filter(pk=made.pk).update(created_at=NOW - dt.timedelta(hours=hours_ago))
    made.refresh_from_db()
    return made


def _message(location: Any, *, hours_ago: float = 0, **fields: Any) -> Message:
    received = NOW - dt.timedelta(hours=hours_ago)
    return MessageFactory(location=location, received_at=received, first_response_due=received + dt.timedelta(hours=4),
                          resolve_due=received + dt.timedelta(days=2), **fields)


def test_read_a_work_order(nurse_north: Any, north: Any) -> None:
    asset = make_asset(location=north)
    order = _work_order(north, asset=asset, status=WorkOrderStatus.WAITING_FOR_PARTS, priority=Priority.URGENT,
                        resolve_by=NOW + dt.timedelta(days=1), description="Call 919-555-0100")
    resource = body(FhirClient(nurse_north).get(f"Task/wo-{order.pk}"))
    validate(resource)
    assert resource["status"] == "on-hold"
    assert resource["businessStatus"]["coding"][0]["code"] == "waiting_parts"
    assert resource["intent"] == "order"
    assert resource["priority"] == "asap"
    assert resource["code"]["coding"][0]["code"] == "work-order"
    assert resource["description"] == "Fridge not cooling"
    assert resource["for"]["reference"] == f"Device/{asset.pk}"
    assert resource["location"]["reference"] == f"Location/{north.pk}"
    assert resource["identifier"][0]["value"] == order.number
    assert dt.datetime.fromisoformat(resource["restriction"]["period"]["end"]) == order.resolve_by
    assert "919-555" not in str(resource)


def test_read_a_message_is_audited_and_shows_what_the_rest_api_shows(desk: Any, make_user: Callable[..., Any],
                                                                     north: Any) -> None:
    patient = PatientFactory(home_location=north)
    message = _message(north, patient=patient, status=MessageStatus.WAITING, subject="Refill question")
    resource = body(FhirClient(desk).get(f"Task/msg-{message.pk}"))
    validate(resource)
    assert resource["status"] == "on-hold"
    assert resource["description"] == "Refill question"
    assert resource["for"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["owner"] == {"display": message.queue.name}
    text = str(resource)
    assert message.body not in text
    assert message.sender_phone not in text
    assert message.sender_name not in text
    assert AuditEvent.objects.filter(action="frontdesk.message_viewed", actor=desk, patient_id=patient.pk,
                                     object_id=str(message.pk)).count() == 1
    assert not AuditEvent.objects.filter(action="frontdesk.message_listed").exists()
    # A role without demographics does not see whom it is about.
    office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    other = body(FhirClient(office).get(f"Task/msg-{message.pk}"))
    validate(other)
    assert "for" not in other


def test_a_caller_reads_only_their_kind(nurse_north: Any, desk: Any, north: Any) -> None:
    order, message = _work_order(north), _message(north)
    response = FhirClient(nurse_north).get(f"Task/msg-{message.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=nurse_north, object_id=str(message.pk)).exists()
    assert FhirClient(desk).get(f"Task/wo-{order.pk}").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=desk, object_id=str(order.pk)).exists()
    # Each sees the kind they may in a search, and only that.
    assert resource_ids(body(FhirClient(nurse_north).get("Task"))) == [f"wo-{order.pk}"]
    assert resource_ids(body(FhirClient(desk).get("Task"))) == [f"msg-{message.pk}"]


def test_out_of_scope_read_is_404_and_audited(manager: Any, south: Any) -> None:
    order = _work_order(south)
    message = _message(south)
    client = FhirClient(manager)
    for ident, pk in ((f"wo-{order.pk}", order.pk), (f"msg-{message.pk}", message.pk)):
        response = client.get(f"Task/{ident}")
        assert response.status_code == 404, ident
        assert AuditEvent.objects.filter(action="access.denied", actor=manager, object_id=str(pk)).exists()
    assert client.get("Task/wo-999999").status_code == 404
    assert client.get("Task/12").status_code == 400


def test_out_of_role_is_404(make_user: Callable[..., Any]) -> None:
    biller = make_user(Role.BILLER)
    assert FhirClient(biller).get("Task").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=biller).exists()


def test_search_merges_both_kinds_newest_first_and_pages(manager: Any, north: Any, south: Any) -> None:
    made = [
        f"wo-{_work_order(north, hours_ago=1).pk}",
        f"msg-{_message(north, hours_ago=2).pk}",
        f"msg-{_message(None, hours_ago=3).pk}",  # practice-wide
        f"wo-{_work_order(north, hours_ago=4).pk}",
        f"wo-{_work_order(north, hours_ago=5).pk}",
        f"msg-{_message(north, hours_ago=6).pk}",
        f"wo-{_work_order(north, hours_ago=7).pk}",
    ]
    _work_order(south, hours_ago=0)  # out of scope
    client = FhirClient(manager)
    bundles = list(pages(client, body(client.get("Task", {"_count": "3"}))))
    assert len(bundles) == 3
    seen: list[str] = []
    for bundle in bundles:
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert seen == made
    # An offset past the end is an empty page with the total.
    beyond = body(client.get("Task", {"_count": "3", "_offset": "9"}))
    assert beyond["total"] == 7
    assert resource_ids(beyond) == []
    only_total = body(client.get("Task", {"_count": "0"}))
    assert only_total["total"] == 7
    assert resource_ids(only_total) == []


def test_search_parameters(manager: Any, north: Any) -> None:
    new_order = _work_order(north, hours_ago=1)
    done_order = _work_order(north, hours_ago=30, status=WorkOrderStatus.DONE, priority=Priority.HIGH)
    open_message = _message(north, hours_ago=2, status=MessageStatus.OPEN)
    closed_message = _message(None, hours_ago=50, status=MessageStatus.CLOSED, closed_at=NOW,
                              outcome="resolved")
    client = FhirClient(manager)

    def ids(**query: str) -> list[str]:
        return search_ids(client, "Task", query)

    assert ids(code="message") == [f"msg-{open_message.pk}", f"msg-{closed_message.pk}"]
    assert ids(code="https://openpractice.org/fhir/task-kind|work-order") == [f"wo-{new_order.pk}",
                                                                             f"wo-{done_order.pk}"]
    assert ids(status="completed") == [f"wo-{done_order.pk}", f"msg-{closed_message.pk}"]
    assert ids(status="in-progress") == [f"msg-{open_message.pk}"]
    assert ids(status="requested,in-progress") == [f"wo-{new_order.pk}", f"msg-{open_message.pk}"]
    assert ids(status="rejected") == []
    assert ids(priority="urgent") == [f"wo-{done_order.pk}"]
    since = timezone.localtime(NOW - dt.timedelta(hours=10)).isoformat(timespec="seconds")
    assert ids(**{"authored-on": f"ge{since}"}) == [f"wo-{new_order.pk}", f"msg-{open_message.pk}"]
    assert ids(location=f"Location/{north.pk}") == [f"wo-{new_order.pk}", f"msg-{open_message.pk}",
                                                    f"wo-{done_order.pk}"]
    assert ids(_id=f"msg-{closed_message.pk}") == [f"msg-{closed_message.pk}"]
    assert ids(_id=f"wo-{closed_message.pk + 1000}") == []


def test_search_audits_the_patients_named_like_the_message_list(desk: Any, north: Any) -> None:
    patient = PatientFactory(home_location=north)
    named = _message(north, patient=patient)
    _message(north)
    bundle = body(FhirClient(desk).get("Task"))
    assert bundle["total"] == 2
    listed = AuditEvent.objects.filter(action="frontdesk.message_listed", actor=desk)
    assert [(event.object_id, event.patient_id) for event in listed] == [(str(named.pk), patient.pk)]
    assert not AuditEvent.objects.filter(action="frontdesk.message_viewed").exists()


def test_query_count_is_flat(manager: Any, north: Any) -> None:
    client = FhirClient(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("Task", {"_count": "100"}).status_code == 200
        return len(captured)

    asset = make_asset(location=north)
    for hours in range(3):
        _work_order(north, hours_ago=hours, asset=asset)
        _message(north, hours_ago=hours + 0.5, patient=PatientFactory(home_location=north))
    queries()
    few = queries()
    for hours in range(3, 30):
        _work_order(north, hours_ago=hours, asset=asset)
        _message(north, hours_ago=hours + 0.5, patient=PatientFactory(home_location=north))
    assert queries() == few


def test_bad_search_values_are_400(manager: Any) -> None:
    client = FhirClient(manager)
    for query in ({"status": "sleeping"}, {"code": "ticket"}, {"_id": "12"}, {"authored-on": "today"},
                  {"location": "Device/1"}, {"priority": "whenever"}, {"owner": "x"}):
        response = client.get("Task", query)
        assert response.status_code == 400, query
        validate(body(response))
