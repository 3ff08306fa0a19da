"""Working a work order: triage restarts the SLA clock, assignment goes to a person with facilities access there or
to a firm, statuses follow the table, the first response is recorded, costs and checklist steps are the assignee's
or a manager's, verifying closes it and ends the firm's links. Every refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.models import Location
from openpractice.facilities.choices import CostKind, Priority, WorkOrderStatus
from openpractice.facilities.models import VendorLink, WorkOrder, WorkOrderChecklistItem
from openpractice.facilities.services import vendor_links
from openpractice.facilities.services import work_orders as services
from openpractice.facilities.services.work_orders import TRANSITIONS, CostIn
from openpractice.vendors.models import Vendor

from . import factories_work_orders as fx
from .factories_work_orders import denials, dispatched, make_firm, snapshot

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
desk, firm, manager, media, nurse, south_manager, work_order = fx.desk, fx.firm, fx.manager, fx.media, fx.nurse, fx.south_manager, fx.work_order
S = WorkOrderStatus


def test_triage_sets_the_priority_and_the_service_level_starts_again_from_now(
        manager: User, work_order: WorkOrder) -> None:
    now = timezone.now() + dt.timedelta(hours=5)

    services.work_order_triage(actor=manager, work_order=work_order, priority=Priority.URGENT, now=now)

    work_order.refresh_from_db()
    assert work_order.priority == Priority.URGENT
    assert work_order.respond_by == now + dt.timedelta(hours=4)
    assert work_order.resolve_by == now + dt.timedelta(hours=24)
    assert work_order.events.filter(kind="triaged", actor=manager).exists()


def test_a_viewer_cannot_triage_assign_cancel_or_verify(nurse: User, work_order: WorkOrder, firm: Vendor) -> None:
    before = snapshot()
    attempts = [
        lambda: services.work_order_triage(actor=nurse, work_order=work_order, priority=Priority.URGENT),
        lambda: services.work_order_assign(actor=nurse, work_order=work_order, vendor=firm),
        lambda: services.work_order_status_set(actor=nurse, work_order=work_order, status=S.CANCELLED),
        lambda: services.work_order_verify(actor=nurse, work_order=work_order),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    assert snapshot() == before
    assert denials(nurse) == len(attempts)


def test_a_manager_elsewhere_cannot_touch_the_work_order(south_manager: User, work_order: WorkOrder) -> None:
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.work_order_triage(actor=south_manager, work_order=work_order, priority=Priority.LOW)

    assert snapshot() == before
    assert denials(south_manager) == 1


def test_work_goes_to_someone_with_facilities_access_there_or_to_a_firm_not_both(
        manager: User, nurse: User, desk: User, work_order: WorkOrder, firm: Vendor) -> None:
    with pytest.raises(ValidationError) as no_access:
        services.work_order_assign(actor=manager, work_order=work_order, assignee=desk)
    assert "assignee" in no_access.value.message_dict
    with pytest.raises(ValidationError):
        services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse, vendor=firm)

    when = timezone.now() + dt.timedelta(days=1)
    services.work_order_assign(actor=manager, work_order=work_order, vendor=firm, scheduled_for=when)

    work_order.refresh_from_db()
    assert (work_order.vendor, work_order.assigned_to, work_order.scheduled_for) == (firm, None, when)
    assert work_order.status == S.SCHEDULED  # a time was set
    assert work_order.events.filter(kind="assigned", status_from=S.NEW, status_to=S.SCHEDULED).exists()


def test_statuses_follow_the_table_and_a_wrong_move_changes_nothing(
        manager: User, nurse: User, work_order: WorkOrder) -> None:
    assert S.DONE not in TRANSITIONS[S.NEW]
    assert TRANSITIONS[S.VERIFIED] == TRANSITIONS[S.CANCELLED] == frozenset()
    services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse)
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        services.work_order_status_set(actor=nurse, work_order=work_order, status=S.DONE)

    assert "cannot become done" in " ".join(refused.value.message_dict["status"])
    assert snapshot() == before


def test_the_assignee_works_it_and_their_first_move_is_the_response(
        manager: User, nurse: User, work_order: WorkOrder) -> None:
    services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse)
    assert work_order.responded_at is None

    services.work_order_status_set(actor=nurse, work_order=work_order, status=S.IN_PROGRESS, note="On it")
    first = work_order.responded_at
    services.work_order_status_set(actor=nurse, work_order=work_order, status=S.DONE)

    work_order.refresh_from_db()
    assert first is not None
    assert work_order.responded_at == first
    assert work_order.status == S.DONE
    assert work_order.completed_at is not None
    cost = services.work_order_cost_add(actor=nurse, work_order=work_order, cost=CostIn(
        kind=CostKind.LABOUR, amount=Decimal("45"), hours=Decimal("1.5"), description="Reset the controller"))
    assert (cost.amount, cost.recorded_by, cost.via_vendor_link) == (Decimal("45.00"), nurse, False)


def test_a_colleague_who_only_sees_it_may_add_a_note_but_not_work_it(
        make_user, north: Location, manager: User, nurse: User, work_order: WorkOrder) -> None:
    colleague = make_user(Role.CLINICAL_STAFF, locations=[north], username="colleague")
    services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse)

    services.work_order_note_add(actor=colleague, work_order=work_order, note="Still warm at noon")
    work_order.refresh_from_db()
    assert work_order.responded_at is None  # a colleague's note is not the assignee's response
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.work_order_status_set(actor=colleague, work_order=work_order, status=S.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        services.work_order_cost_add(actor=colleague, work_order=work_order,
                                     cost=CostIn(kind=CostKind.PARTS, amount=Decimal("10")))

    assert snapshot() == before
    assert denials(colleague) == 2


def test_a_vendor_invoice_needs_its_number_and_no_cost_is_negative(manager: User, work_order: WorkOrder) -> None:
    with pytest.raises(ValidationError) as refused:
        services.work_order_cost_add(actor=manager, work_order=work_order,
                                     cost=CostIn(kind=CostKind.VENDOR_INVOICE, amount=Decimal("-5")))

    assert set(refused.value.message_dict) == {"amount", "invoice_number"}
    assert not work_order.costs.exists()


def test_verifying_closes_the_work_order_and_ends_every_firm_link(
        manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    link, _token = dispatched(manager, work_order, firm)
    with pytest.raises(ValidationError):
        services.work_order_verify(actor=manager, work_order=work_order)  # not done yet
    services.work_order_status_set(actor=manager, work_order=work_order, status=S.IN_PROGRESS)
    services.work_order_status_set(actor=manager, work_order=work_order, status=S.DONE)

    services.work_order_verify(actor=manager, work_order=work_order, note="Holds 4 °C")

    work_order.refresh_from_db()
    assert (work_order.status, work_order.verified_by) == (S.VERIFIED, manager)
    assert work_order.verified_at is not None
    link.refresh_from_db()
    assert link.revoked_at is not None
    with pytest.raises(ValidationError):
        services.work_order_status_set(actor=manager, work_order=work_order, status=S.IN_PROGRESS)


def test_a_firm_taken_off_the_job_loses_its_link_and_the_clock_starts_again_for_the_next(
        manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    link, _token = dispatched(manager, work_order, firm)
    other = make_firm("Cold Chain Repair", email="jobs@coldchain.example")

    services.work_order_assign(actor=manager, work_order=work_order, vendor=other)

    link.refresh_from_db()
    work_order.refresh_from_db()
    assert link.revoked_at is not None
    assert (work_order.vendor, work_order.dispatched_at, work_order.responded_at) == (other, None, None)


def test_revoking_a_link_is_for_managers_and_stops_it(manager: User, nurse: User, work_order: WorkOrder,
                                                      firm: Vendor) -> None:
    link, _token = dispatched(manager, work_order, firm)
    with pytest.raises(PermissionDenied):
        vendor_links.vendor_link_revoke(actor=nurse, link=link)
    assert VendorLink.objects.get(pk=link.pk).revoked_at is None

    vendor_links.vendor_link_revoke(actor=manager, link=link)

    assert VendorLink.objects.get(pk=link.pk).revoked_at is not None
    assert work_order.events.filter(kind="link_revoked").exists()


def test_the_assignee_ticks_checklist_steps(manager: User, nurse: User, work_order: WorkOrder) -> None:
    step = WorkOrderChecklistItem.objects.create(work_order=work_order, position=1, text="Clean the coil")
    with pytest.raises(PermissionDenied):
        services.checklist_item_set(actor=nurse, item=step, done=True)  # not theirs yet
    services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse)

    ticked = services.checklist_item_set(actor=nurse, item=step, done=True)

    assert ticked.done
    assert ticked.done_at is not None
    assert work_order.events.filter(kind="checklist", actor=nurse).exists()


def test_dispatch_needs_a_firm_a_valid_address_and_a_validity_within_limits(
        manager: User, work_order: WorkOrder, firm: Vendor, media: Path) -> None:
    with pytest.raises(ValidationError):
        vendor_links.work_order_dispatch(actor=manager, work_order=work_order, sent_to="a@b.example")
    services.work_order_assign(actor=manager, work_order=work_order, vendor=firm)
    with pytest.raises(ValidationError) as refused:
        vendor_links.work_order_dispatch(actor=manager, work_order=work_order, sent_to="not an address",
                                         days_valid=vendor_links.MAX_LINK_DAYS + 1)

    assert set(refused.value.message_dict) == {"sent_to"}
    assert not VendorLink.objects.exists()
    with pytest.raises(ValidationError) as too_long:
        vendor_links.work_order_dispatch(actor=manager, work_order=work_order, sent_to="a@b.example",
                                         days_valid=vendor_links.MAX_LINK_DAYS + 1)
    assert set(too_long.value.message_dict) == {"days_valid"}
