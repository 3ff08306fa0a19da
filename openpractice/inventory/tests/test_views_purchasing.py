"""Requisition pages and approval limits: anyone writes a requisition (catalogue items and furniture) and submits
it; the approval queue lists only what the approver may approve; approving above one's limit is refused with a
clear message and changes nothing; a manager orders an approved requisition (one order per vendor); the limits
are set by the senior practice manager; lists cost the same number of queries with more rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import OrderStatus, RequisitionStatus
from openpractice.inventory.models import ApprovalLimit, Packaging, PurchaseOrder, Requisition, VendorItem
from openpractice.inventory.selectors.purchasing import approval_queue
from openpractice.inventory.services.purchasing import may_approve
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.inventory.tests.factories_purchasing import requisition, vendor

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def state() -> list[Any]:
    return [list(Requisition.objects.order_by("pk").values_list()), list(PurchaseOrder.objects.values_list()),
            list(ApprovalLimit.objects.order_by("pk").values_list())]


def line_data(rows: list[dict[str, Any]], total_forms: int = 3) -> dict[str, Any]:
    data: dict[str, Any] = {"lines-TOTAL_FORMS": str(total_forms), "lines-INITIAL_FORMS": "0",
                            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "30"}
    for number, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{number}-{name}"] = value
    return data


# --- writing and submitting ------------------------------------------------------------------------------------


def test_any_staff_member_asks_for_a_catalogue_item_and_a_chair_and_submits(north: Any) -> None:
    desk = user_with_role(Role.FRONT_DESK, locations=[north])  # no inventory permission at all
    medline = vendor("Medline", "orders@medline.test")
    gloves = ItemFactory(name="Nitrile gloves", sku="GLV-M")
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    VendorItem.objects.create(vendor=medline, item=gloves, packaging=box, price=Decimal("8.50"),
                              effective_from=practice_today() - dt.timedelta(days=10))
    client = client_for(desk)
    assert client.get(reverse("inventory:supplyreq_create")).status_code == 200
    response = client.post(reverse("inventory:supplyreq_create"), {
        "location": north.pk, "needed_by": "", "justification": "Exam room 2 ran out", "then": "submit",
        **line_data([{"sku": "glv-m", "quantity": "4", "packaging": "Box", "vendor": str(medline.pk)},
                     {"description": "Waiting room chair", "quantity": "2", "unit_price": "180.00"}])})
    made = Requisition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:supplyreq_detail", kwargs={"pk": made.pk})
    assert made.status == RequisitionStatus.SUBMITTED
    assert made.total == Decimal("394.00")  # 4 boxes at the price on file + 2 chairs
    lines = list(made.lines.order_by("pk").values_list("item__sku", "packaging__name", "quantity", "unit_price",
                                                       "vendor__name", "description"))
    assert lines == [("GLV-M", "box", 4, Decimal("8.5000"), "Medline", ""),
                     (None, None, 2, Decimal("180.0000"), None, "Waiting room chair")]
    page = client.get(reverse("inventory:supplyreq_detail", kwargs={"pk": made.pk}))
    assert page.status_code == 200
    assert [entry.what for entry in page.context["history"]] == ["written", "submitted"]
    mine = client.get(reverse("inventory:supplyreq_list"))
    assert [row.pk for row in mine.context["table"].page.object_list] == [made.pk]


def test_a_draft_is_saved_then_submitted_by_its_requester_only(north: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    client = client_for(nurse)
    client.post(reverse("inventory:supplyreq_create"), {
        "location": north.pk, "then": "draft",
        **line_data([{"description": "Label printer", "quantity": "1", "unit_price": "90"}])})
    draft = Requisition.objects.get()
    assert draft.status == RequisitionStatus.DRAFT
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    before = state()
    assert client_for(manager).post(reverse("inventory:supplyreq_submit", kwargs={"pk": draft.pk})).status_code == 404
    assert state() == before
    assert client.post(reverse("inventory:supplyreq_submit", kwargs={"pk": draft.pk})).status_code == 302
    draft.refresh_from_db()
    assert draft.status == RequisitionStatus.SUBMITTED


@pytest.mark.parametrize(("rows", "message"), [
    ([{"sku": "NOPE-1", "quantity": "1", "unit_price": "3"}], "No catalogue item has this number."),
    ([{"description": "Chair", "quantity": "", "unit_price": "3"}], "Enter how many."),
    ([{"description": "Chair", "quantity": "1"}], "No price on file: enter an estimate."),
    ([{"description": "Chair", "quantity": "1", "unit_price": "-3"}], "Ensure this value is greater than or equal to 0"),
    ([{"description": "Chair", "quantity": "1", "unit_price": "3", "packaging": "box"}],
     "Only catalogue items come in packagings."),
    ([], "Add at least one line."),
])
def test_the_requisition_form_refuses_bad_lines_and_writes_nothing(north: Any, rows: list[dict[str, Any]],
                                                                   message: str) -> None:
    client = client_for(user_with_role(Role.CLINICAL_STAFF, locations=[north]))
    response = client.post(reverse("inventory:supplyreq_create"), {"location": north.pk, **line_data(rows)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Requisition.objects.exists()


def test_one_cannot_ask_for_a_location_one_does_not_work_at(north: Any, south: Any) -> None:
    client = client_for(user_with_role(Role.CLINICAL_STAFF, locations=[north]))
    response = client.post(reverse("inventory:supplyreq_create"), {
        "location": south.pk, **line_data([{"description": "Chair", "quantity": "1", "unit_price": "3"}])})
    assert response.status_code == 400
    assert not Requisition.objects.exists()


def test_someone_elses_requisition_elsewhere_is_not_found_and_the_attempt_is_audited(north: Any, south: Any) -> None:
    theirs = requisition(user_with_role(Role.CLINICAL_STAFF, locations=[south]), south, "40.00")
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    assert client_for(nurse).get(reverse("inventory:supplyreq_detail", kwargs={"pk": theirs.pk})).status_code == 404
    assert denials(nurse) == 1


# --- the approval queue and deciding ---------------------------------------------------------------------------


@pytest.fixture
def queue_world(north: Any, south: Any) -> dict[str, Any]:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    approver = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])  # up to $500 at North
    return {
        "approver": approver, "nurse": nurse,
        "small": requisition(nurse, north, "400.00"),
        "exactly": requisition(nurse, north, "500.00"),
        "large": requisition(nurse, north, "600.00"),
        "south": requisition(user_with_role(Role.CLINICAL_STAFF, locations=[south]), south, "10.00"),
        "own": requisition(approver, north, "20.00"),
        "draft": requisition(nurse, north, "30.00", status=RequisitionStatus.DRAFT),
    }


def test_the_queue_lists_only_what_the_approver_may_approve(queue_world: dict[str, Any]) -> None:
    approver = queue_world["approver"]
    response = client_for(approver).get(reverse("inventory:supplyreq_queue"))
    listed = {row.pk for row in response.context["table"].page.object_list}
    assert listed == {queue_world["small"].pk, queue_world["exactly"].pk}
    submitted = Requisition.objects.filter(status=RequisitionStatus.SUBMITTED)
    assert listed == {row.pk for row in submitted if may_approve(approver, row)}


def test_queue_agrees_with_may_approve_for_every_role(queue_world: dict[str, Any], north: Any) -> None:
    submitted = list(Requisition.objects.filter(status=RequisitionStatus.SUBMITTED))
    for role, tier in [(Role.OFFICE_MANAGER, Tier.MID), (Role.OFFICE_MANAGER, Tier.EXPERIENCED),
                       (Role.PRACTICE_MANAGER, Tier.ENTRY), (Role.CLINICAL_STAFF, Tier.STANDARD)]:
        for locations in ([north], None):
            user = user_with_role(role, tier, locations=locations)
            assert {row.pk for row in approval_queue(actor=user)} == {
                row.pk for row in submitted if may_approve(user, row)}, (role, tier, locations)


def test_approving_above_ones_limit_is_refused_with_a_clear_message_and_changes_nothing(
        queue_world: dict[str, Any]) -> None:
    approver, large = queue_world["approver"], queue_world["large"]
    client = client_for(approver)
    page = client.get(reverse("inventory:supplyreq_detail", kwargs={"pk": large.pk}))
    assert page.context["decide_form"] is None
    assert "above your approval limit" in page.content.decode()
    before = state()
    response = client.post(reverse("inventory:supplyreq_decide", kwargs={"pk": large.pk}),
                           {"decision": "approve", "note": ""})
    assert response.status_code == 400
    assert "above your approval limit" in response.content.decode()
    assert state() == before
    assert denials(approver) == 1


def test_nobody_approves_their_own_requisition(queue_world: dict[str, Any]) -> None:
    own = queue_world["own"]
    response = client_for(queue_world["approver"]).post(
        reverse("inventory:supplyreq_decide", kwargs={"pk": own.pk}), {"decision": "approve"})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.status == RequisitionStatus.SUBMITTED


def test_a_rejection_needs_a_reason_and_an_approval_is_recorded(queue_world: dict[str, Any]) -> None:
    client = client_for(queue_world["approver"])
    small, exactly = queue_world["small"], queue_world["exactly"]
    response = client.post(reverse("inventory:supplyreq_decide", kwargs={"pk": small.pk}), {"decision": "reject"})
    assert response.status_code == 400
    assert "Say why the requisition is rejected." in response.content.decode()
    small.refresh_from_db()
    assert small.status == RequisitionStatus.SUBMITTED
    client.post(reverse("inventory:supplyreq_decide", kwargs={"pk": small.pk}),
                {"decision": "reject", "note": "Use the spare chairs"})
    client.post(reverse("inventory:supplyreq_decide", kwargs={"pk": exactly.pk}), {"decision": "approve"})
    small.refresh_from_db()
    exactly.refresh_from_db()
    assert (small.status, small.decision_note) == (RequisitionStatus.REJECTED, "Use the spare chairs")
    assert (exactly.status, exactly.decided_by) == (RequisitionStatus.APPROVED, queue_world["approver"])
    page = client_for(queue_world["nurse"]).get(reverse("inventory:supplyreq_detail", kwargs={"pk": small.pk}))
    assert "Rejected: Use the spare chairs" in page.content.decode()


def test_those_without_inventory_use_cannot_open_the_queue_or_decide(queue_world: dict[str, Any],
                                                                      north: Any) -> None:
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    client = client_for(desk)
    before = state()
    assert client.get(reverse("inventory:supplyreq_queue")).status_code == 404
    assert client.post(reverse("inventory:supplyreq_decide", kwargs={"pk": queue_world["small"].pk}),
                       {"decision": "approve"}).status_code == 404
    assert state() == before
    assert denials(desk) == 2


# --- ordering --------------------------------------------------------------------------------------------------


def test_a_manager_orders_an_approved_requisition_one_order_per_vendor(north: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline, staples = vendor("Medline"), vendor("Staples")
    approved = requisition(nurse, north, "50.00", status=RequisitionStatus.APPROVED, vendor_=medline,
                           description="Gauze")
    chair = approved.lines.create(description="Chair", quantity=1, unit_price=Decimal("100"))  # no vendor yet
    room = place_at(north)
    client = client_for(manager)
    page = client.get(reverse("inventory:supplyreq_order", kwargs={"pk": approved.pk}))
    assert page.status_code == 200
    assert f"vendor_{chair.pk}" in page.context["form"].fields
    missing = client.post(reverse("inventory:supplyreq_order", kwargs={"pk": approved.pk}),
                          {"receive_into": room.pk})
    assert missing.status_code == 400
    assert not PurchaseOrder.objects.exists()
    response = client.post(reverse("inventory:supplyreq_order", kwargs={"pk": approved.pk}),
                           {"receive_into": room.pk, f"vendor_{chair.pk}": staples.pk})
    assert response.status_code == 302
    orders = list(PurchaseOrder.objects.order_by("vendor__name").values_list("vendor__name", "status",
                                                                             "location_id"))
    assert orders == [("Medline", OrderStatus.DRAFT, north.pk), ("Staples", OrderStatus.DRAFT, north.pk)]
    approved.refresh_from_db()
    assert approved.status == RequisitionStatus.ORDERED
    history = client.get(reverse("inventory:supplyreq_detail", kwargs={"pk": approved.pk})).context["history"]
    assert [entry.what for entry in history].count("ordered") == 2


def test_a_submitted_requisition_is_not_ordered(north: Any) -> None:
    waiting = requisition(user_with_role(Role.CLINICAL_STAFF, locations=[north]), north, "50.00",
                          vendor_=vendor("Medline"))
    client = client_for(user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north]))
    response = client.post(reverse("inventory:supplyreq_order", kwargs={"pk": waiting.pk}),
                           {"receive_into": place_at(north).pk})
    assert response.status_code == 400
    assert "Only an approved requisition is ordered." in response.content.decode()
    assert not PurchaseOrder.objects.exists()


# --- approval limits -------------------------------------------------------------------------------------------


def _limit_form(overrides: dict[str, str]) -> dict[str, str]:
    data = {"mode_practice_manager_entry": "unlimited", "mode_practice_manager_advanced": "unlimited",
            "mode_practice_manager_senior": "unlimited", "mode_office_manager_entry": "limit",
            "amount_office_manager_entry": "500.00", "mode_office_manager_mid": "limit",
            "amount_office_manager_mid": "2500.00", "mode_office_manager_experienced": "limit",
            "amount_office_manager_experienced": "10000.00", "mode_clinical_staff_standard": "none"}
    data.update(overrides)
    return data


def test_the_senior_practice_manager_raises_a_limit_and_the_queue_follows(queue_world: dict[str, Any]) -> None:
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    client = client_for(senior)
    assert client.get(reverse("inventory:approvallimit_edit")).status_code == 200
    response = client.post(reverse("inventory:approvallimit_edit"), _limit_form({"amount_office_manager_entry": "750"}))
    assert response.status_code == 302
    assert ApprovalLimit.objects.get(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY).max_amount == Decimal("750.00")
    assert queue_world["large"].pk in {row.pk for row in approval_queue(actor=queue_world["approver"])}
    listing = client_for(queue_world["approver"]).get(reverse("inventory:approvallimit_list"))
    assert listing.status_code == 200
    assert "750.00" in listing.content.decode()


def test_limits_refuse_an_amount_left_out_and_others_may_not_change_them(north: Any) -> None:
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    before = state()
    response = client_for(senior).post(reverse("inventory:approvallimit_edit"),
                                       _limit_form({"amount_office_manager_mid": ""}))
    assert response.status_code == 400
    assert "Enter the amount." in response.content.decode()
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    assert client_for(manager).post(reverse("inventory:approvallimit_edit"),
                                    _limit_form({"amount_office_manager_experienced": "999999"})).status_code == 404
    assert state() == before
    assert denials(manager) == 1


# --- query counts ----------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", ["supplyreq_list", "supplyreq_queue", "supplyreq_all"])
def test_requisition_lists_cost_the_same_queries_with_more_rows(name: str, north: Any) -> None:
    requester = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    others = [user_with_role(Role.CLINICAL_STAFF, locations=[north]) for _ in range(3)]
    client = client_for(requester)

    def add(count: int) -> None:
        for n in range(count):
            requisition(requester, north, "10.00")
            requisition(others[n % 3], north, "20.00")

    add(2)
    url = reverse(f"inventory:{name}")
    few = _queries(client, url)
    add(15)
    assert _queries(client, url) == few
