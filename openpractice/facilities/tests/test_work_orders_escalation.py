"""SLA escalation, on an explicit clock: an open work order with no response by `respond_by`, or not resolved by
`resolve_by`, is escalated once: `escalated_at`, a timeline entry, and mail to the office managers at its location
(facilities.manage there), nobody else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.facilities.choices import Priority, WorkOrderStatus
from openpractice.facilities.models import WorkOrder
from openpractice.facilities.services import work_orders as services
from openpractice.facilities.tasks_work_orders import escalate_overdue_work_orders

from . import factories_work_orders as fx
from .factories_work_orders import reported

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
manager, media, nurse, south_manager = fx.manager, fx.media, fx.nurse, fx.south_manager


def test_a_work_order_without_a_response_by_its_deadline_is_escalated_once_to_the_managers_there(
        make_user, manager: User, south_manager: User, nurse: User, north: Location, media: Path,
        django_capture_on_commit_callbacks) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm", email="pm@example.test")  # everywhere
    work_order = reported(nurse, north, asset_down=True)  # high: respond within 8 hours
    assert work_order.priority == Priority.HIGH
    assert work_order.respond_by is not None

    with django_capture_on_commit_callbacks(execute=True):
        assert services.work_orders_escalate(now=work_order.respond_by - dt.timedelta(minutes=1)) == 0
        assert services.work_orders_escalate(now=work_order.respond_by + dt.timedelta(minutes=1)) == 1
        assert services.work_orders_escalate(now=work_order.respond_by + dt.timedelta(hours=9)) == 0  # once

    work_order.refresh_from_db()
    assert work_order.escalated_at == work_order.respond_by + dt.timedelta(minutes=1)
    event = work_order.events.get(kind="escalated")
    assert "no response" in event.note
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([manager.email, senior.email])  # not the South manager, not the nurse
    assert work_order.number in mail.outbox[0].subject
    assert f"/facilities/work-orders/{work_order.pk}/" in mail.outbox[0].body


def test_a_response_in_time_still_escalates_when_the_work_is_not_resolved_in_time(
        manager: User, nurse: User, north: Location, media: Path) -> None:
    work_order = reported(nurse, north)
    services.work_order_assign(actor=manager, work_order=work_order, assignee=nurse)
    services.work_order_status_set(actor=nurse, work_order=work_order, status=WorkOrderStatus.IN_PROGRESS)
    work_order.refresh_from_db()
    assert work_order.respond_by is not None
    assert work_order.resolve_by is not None

    assert services.work_orders_escalate(now=work_order.respond_by + dt.timedelta(hours=1)) == 0
    assert services.work_orders_escalate(now=work_order.resolve_by + dt.timedelta(seconds=1)) == 1

    assert "not resolved" in work_order.events.get(kind="escalated").note


def test_finished_work_is_never_escalated(manager: User, nurse: User, north: Location, media: Path) -> None:
    work_order = reported(nurse, north)
    services.work_order_status_set(actor=manager, work_order=work_order, status=WorkOrderStatus.CANCELLED)
    assert work_order.resolve_by is not None

    assert services.work_orders_escalate(now=work_order.resolve_by + dt.timedelta(days=30)) == 0
    assert WorkOrder.objects.get(pk=work_order.pk).escalated_at is None


def test_the_periodic_task_runs_the_escalation(nurse: User, north: Location, media: Path) -> None:
    work_order = reported(nurse, north)
    WorkOrder.objects.filter(pk=work_order.pk).update(respond_by=work_order.created_at - dt.timedelta(hours=1))

    escalate_overdue_work_orders.call_local()

    assert WorkOrder.objects.get(pk=work_order.pk).escalated_at is not None
