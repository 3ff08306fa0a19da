"""/supply-requisitions: anyone on the staff asks to buy for a location they work at, changes the draft (its lines
too) and submits it; someone else whose approval limit covers the total approves or rejects it (the seeded limits:
office manager entry $500, mid $2,500). The writer and inventory.view at the location see it; anyone else gets
404 (audited). Refusals (not the writer, above the limit, one's own) are 404, audited, and change nothing; bad
input is a 422 that writes nothing; the list costs the same queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import RequisitionStatus
from openpractice.inventory.models import Packaging, Requisition
from openpractice.inventory.services import purchasing
from openpractice.inventory.services.purchasing import LineIn
from openpractice.inventory.tests.factories import ItemFactory

from .conftest import API
from .supply_support import Api, denials, errors_on, ids, list_queries, make_vendor, messages, snapshot

pytestmark = pytest.mark.django_db

REQUISITIONS = f"{API}/supply-requisitions"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def om_entry(make_user: Callable[..., User], north: Location) -> User:
    """Approves up to $500 at North."""
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="om-entry")


@pytest.fixture
def om_mid(make_user: Callable[..., User], north: Location) -> User:
    """Approves up to $2,500 at North."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


@pytest.fixture
def gloves() -> Any:
    """A catalogue item sold by the box, with the vendor's price on file."""
    vendor = make_vendor()
    item = ItemFactory(name="Exam gloves", sku="GLV-M", preferred_vendor=vendor)
    box = Packaging.objects.create(item=item, name="box", base_quantity=100)
    item.vendor_items.create(vendor=vendor, packaging=box, price=Decimal("12.50"),
                             effective_from=practice_today() - dt.timedelta(days=10))
    return item, box, vendor


def draft_body(north: Location, gloves: Any, **changes: Any) -> dict[str, Any]:
    item, box, vendor = gloves
    return {"location_id": north.pk, "needed_by": "2026-12-01", "justification": "Flu clinic weeks",
            "lines": [{"item_id": item.pk, "packaging_id": box.pk, "quantity": 10, "vendor_id": vendor.pk},
                      {"description": "Waiting-room chair", "quantity": 2, "unit_price": "189.00"}], **changes}


def submitted(requester: User, location: Location, total: Decimal) -> Requisition:
    requisition = purchasing.requisition_create(actor=requester, location=location, lines=[
        LineIn(quantity=1, unit_price=total, description="Exam table")])
    return purchasing.requisition_submit(actor=requester, requisition=requisition)


def test_a_draft_is_written_changed_line_by_line_and_submitted(nurse: User, north: Location, gloves: Any,
                                                               api_as: Api) -> None:
    item, box, vendor = gloves
    client = api_as(nurse)
    created = client.post(REQUISITIONS, draft_body(north, gloves))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["total"], body["requested_by_id"]) == ("draft", "503.00", nurse.pk)
    assert body["number"] == f"REQ-{body['id']:05d}"
    first, chair = body["lines"]
    assert (first["unit_price"], first["amount"], first["packaging"]["id"], first["vendor"]["id"]) == (
        "12.5000", "125.00", box.pk, vendor.pk)  # the vendor's price on file
    assert (chair["item"], chair["description"], chair["amount"]) == (None, "Waiting-room chair", "378.00")
    requisition = Requisition.objects.get(pk=body["id"])

    changed = client.patch(f"{REQUISITIONS}/{requisition.pk}", {
        "needed_by": None, "lines": [{"item_id": item.pk, "packaging_id": box.pk, "quantity": 4,
                                      "unit_price": "11.00", "vendor_id": vendor.pk}]})
    assert changed.status_code == 200, changed.content
    requisition.refresh_from_db()
    assert (requisition.total, requisition.needed_by, requisition.lines.count()) == (Decimal("44.00"), None, 1)
    assert [line["quantity"] for line in changed.json()["lines"]] == [4]
    assert AuditEvent.objects.filter(actor=nurse, action="inventory.requisition_updated").count() == 1

    sent = client.post(f"{REQUISITIONS}/{requisition.pk}/submit")
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "submitted"
    before = snapshot()
    late = client.patch(f"{REQUISITIONS}/{requisition.pk}", {"justification": "More"})
    assert errors_on(late) == {"body"}
    assert "Only a draft" in messages(late)
    assert errors_on(client.post(f"{REQUISITIONS}/{requisition.pk}/submit")) == {"body"}
    assert snapshot() == before


def test_a_requisition_may_be_submitted_as_it_is_written(nurse: User, north: Location, gloves: Any,
                                                         api_as: Api) -> None:
    response = api_as(nurse).post(REQUISITIONS, draft_body(north, gloves, submit=True))
    assert response.status_code == 201, response.content
    assert Requisition.objects.get().status == RequisitionStatus.SUBMITTED


def test_approval_follows_the_approvers_limit_and_never_ones_own(nurse: User, om_entry: User, om_mid: User,
                                                                 north: Location, api_as: Api) -> None:
    large = submitted(nurse, north, Decimal("2000.00"))
    # Within the entry limit ($500)? No: refused like the page refuses, audited, nothing changed.
    before, denied = snapshot(), denials(om_entry)
    refused = api_as(om_entry).post(f"{REQUISITIONS}/{large.pk}/decide", {"decision": "approve"})
    assert refused.status_code == 404
    assert denials(om_entry) == denied + 1
    assert snapshot() == before
    # The mid office manager's $2,500 covers it; they see it in their queue and approve it.
    approver = api_as(om_mid)
    assert ids(approver.get(REQUISITIONS, {"to_decide": True})) == [large.pk]
    assert ids(api_as(om_entry).get(REQUISITIONS, {"to_decide": True})) == []
    approved = approver.post(f"{REQUISITIONS}/{large.pk}/decide", {"decision": "approve", "note": "Budgeted"})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by_id"]) == ("approved", om_mid.pk)
    assert AuditEvent.objects.filter(actor=om_mid, action="inventory.requisition_approved").count() == 1
    # Deciding twice: 422, unchanged.
    assert errors_on(approver.post(f"{REQUISITIONS}/{large.pk}/decide", {"decision": "reject", "note": "No"}))
    assert Requisition.objects.get(pk=large.pk).status == RequisitionStatus.APPROVED

    own = submitted(om_mid, north, Decimal("10.00"))
    denied = denials(om_mid)
    assert approver.post(f"{REQUISITIONS}/{own.pk}/decide", {"decision": "approve"}).status_code == 404
    assert denials(om_mid) == denied + 1
    assert Requisition.objects.get(pk=own.pk).status == RequisitionStatus.SUBMITTED


def test_rejecting_needs_a_reason(nurse: User, om_mid: User, north: Location, api_as: Api) -> None:
    requisition = submitted(nurse, north, Decimal("100.00"))
    client = api_as(om_mid)
    assert "note" in errors_on(client.post(f"{REQUISITIONS}/{requisition.pk}/decide", {"decision": "reject"}))
    assert Requisition.objects.get(pk=requisition.pk).status == RequisitionStatus.SUBMITTED
    rejected = client.post(f"{REQUISITIONS}/{requisition.pk}/decide",
                           {"decision": "reject", "note": "Order from the contract vendor"})
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == ("rejected",
                                                                           "Order from the contract vendor")


def test_only_the_writer_changes_or_submits_a_draft(nurse: User, om_mid: User, north: Location, gloves: Any,
                                                    api_as: Api) -> None:
    draft = api_as(nurse).post(REQUISITIONS, draft_body(north, gloves)).json()
    client = api_as(om_mid)  # sees it (inventory.view at North) but did not write it
    assert client.get(f"{REQUISITIONS}/{draft['id']}").status_code == 200
    before, denied = snapshot(), denials(om_mid)
    assert client.patch(f"{REQUISITIONS}/{draft['id']}", {"justification": "Mine now"}).status_code == 404
    assert client.post(f"{REQUISITIONS}/{draft['id']}/submit").status_code == 404
    assert denials(om_mid) == denied + 2
    assert snapshot() == before


def test_a_requisition_out_of_scope_or_out_of_role_is_404_audited(
        make_user: Callable[..., User], nurse: User, north: Location, south: Location, api_as: Api) -> None:
    south_nurse = make_user(Role.CLINICAL_STAFF, locations=[south], username="nurse-south")
    far = submitted(south_nurse, south, Decimal("40.00"))
    mine = submitted(nurse, north, Decimal("30.00"))
    client = api_as(nurse)
    assert ids(client.get(REQUISITIONS)) == [mine.pk]
    denied = denials(nurse)
    assert client.get(f"{REQUISITIONS}/{far.pk}").status_code == 404
    assert denials(nurse) == denied + 1
    # Out of role: a biller (no inventory roles) may ask to buy and sees their own, nothing else.
    biller = make_user(Role.BILLER, locations=[north], username="biller")
    billing = api_as(biller)
    own = billing.post(REQUISITIONS, {"location_id": north.pk, "lines": [
        {"description": "Label printer", "quantity": 1, "unit_price": "129.00"}]})
    assert own.status_code == 201, own.content
    assert ids(billing.get(REQUISITIONS)) == [own.json()["id"]]
    before, denied = snapshot(), denials(biller)
    assert billing.get(f"{REQUISITIONS}/{mine.pk}").status_code == 404
    assert billing.post(f"{REQUISITIONS}/{mine.pk}/decide", {"decision": "approve"}).status_code == 404
    assert denials(biller) == denied + 2
    assert snapshot() == before


def test_bad_input_is_a_clear_422_and_writes_nothing(nurse: User, north: Location, south: Location, gloves: Any,
                                                      api_as: Api) -> None:
    item, box, vendor = gloves
    other_box = Packaging.objects.create(item=ItemFactory(), name="case", base_quantity=10)
    retired_item = ItemFactory(is_active=False)
    retired_vendor = make_vendor("Gone Medical", is_active=False)
    client = api_as(nurse)
    draft = client.post(REQUISITIONS, draft_body(north, gloves)).json()
    before = snapshot()
    line = {"item_id": item.pk, "packaging_id": box.pk, "quantity": 1, "vendor_id": vendor.pk}
    for changes, field in (({"location_id": south.pk}, "location_id"), ({"location_id": 999_999}, "location_id"),
                           ({"lines": []}, "lines"), ({"lines": [{**line, "item_id": 999_999}]}, "item_id"),
                           ({"lines": [{**line, "item_id": retired_item.pk}]}, "item_id"),
                           ({"lines": [{**line, "packaging_id": other_box.pk}]}, "packaging_id"),
                           ({"lines": [{**line, "vendor_id": retired_vendor.pk}]}, "vendor_id"),
                           ({"lines": [{**line, "vendor_id": None}]}, "unit_price"),
                           ({"lines": [{"description": "Chair", "quantity": 1}]}, "unit_price"),
                           ({"lines": [{"description": "Chair", "quantity": 1, "packaging_id": box.pk,
                                        "unit_price": "5"}]}, "packaging_id"),
                           ({"lines": [{"quantity": 1, "unit_price": "5"}]}, "body"),
                           ({"lines": [{**line, "quantity": 0}]}, "quantity"),
                           ({"lines": [{**line, "unit_price": "-1"}]}, "unit_price"),
                           ({"justification": "a\x00b"}, "justification"),
                           ({"lines": [line] * 31}, "lines")):
        fields = errors_on(client.post(REQUISITIONS, draft_body(north, gloves, **changes)))
        assert field in fields, (changes, fields)
    for patch, field in (({"lines": None}, "lines"), ({"justification": None}, "justification"),
                         ({"lines": [{**line, "item_id": 999_999}]}, "item_id")):
        assert field in errors_on(client.patch(f"{REQUISITIONS}/{draft['id']}", patch)), patch
    for bad in ({"status": "pending"}, {"location_id": 0}):
        assert client.get(REQUISITIONS, bad).status_code == 422
    assert errors_on(client.post(f"{REQUISITIONS}/{draft['id']}/decide", {"decision": "maybe"}))
    assert snapshot() == before


def test_the_list_costs_the_same_queries_whatever_the_rows(nurse: User, om_mid: User, north: Location,
                                                           gloves: Any, api_as: Api) -> None:
    item, box, vendor = gloves
    client = api_as(om_mid)
    client.get(f"{API}/me")

    def add(count: int) -> None:
        for number in range(count):
            requisition = purchasing.requisition_create(actor=nurse, location=north, needed_by=None, lines=[
                LineIn(quantity=number + 1, unit_price=Decimal("12.50"), item=item, packaging=box, vendor=vendor),
                LineIn(quantity=1, unit_price=Decimal("90.00"), description="Chair")])
            purchasing.requisition_submit(actor=nurse, requisition=requisition)

    add(2)
    few = [list_queries(client, REQUISITIONS, params) for params in ({"limit": 200}, {"to_decide": True})]
    add(12)
    assert [list_queries(client, REQUISITIONS, params) for params in ({"limit": 200}, {"to_decide": True})] == few
    assert client.get(REQUISITIONS, {"to_decide": True}).json()["count"] == 14
