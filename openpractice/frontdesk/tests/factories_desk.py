"""Test data for the desk pages (calls, contact form, internal messages, callbacks, links, directory, reports, the
messages API): the people of a two-clinic practice, messages built directly with chosen times (for the report's
hand-computed figures) or through the real intake, and snapshots that prove a refusal changed nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.frontdesk.choices import Category, Channel, MessageStatus, Priority
from openpractice.frontdesk.choices import Outcome as MessageOutcome
from openpractice.frontdesk.models import CallbackTask, Message, MessageEntry, Queue, StaffProfile
from openpractice.frontdesk.services.intake import Incoming, message_intake
from openpractice.frontdesk.services.queues import default_queue
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory
from openpractice.workforce.models import Employee, PtoRequest
from openpractice.workforce.tests.factories import EmployeeFactory

_numbers = itertools.count(1)


# --- people -----------------------------------------------------------------------------------------------------


@pytest.fixture
def desk_north(north: Location) -> User:
    """Front desk at North: logs calls, sees North's patients."""
    return user_with_role(Role.FRONT_DESK, locations=[north], username="desk-north", first_name="Dee",
                          last_name="Desk")


@pytest.fixture
def desk_south(south: Location) -> User:
    return user_with_role(Role.FRONT_DESK, locations=[south], username="desk-south", first_name="Sol",
                          last_name="South")


@pytest.fixture
def office_manager(north: Location) -> User:
    """Office manager (mid) at North: configures the front desk, reads the operations reports, sees no patients."""
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north",
                          first_name="Olive", last_name="Manager")


@pytest.fixture
def biller(north: Location) -> User:
    """A biller at North: no front-desk rights; sees patients and claims."""
    return user_with_role(Role.BILLER, locations=[north], username="biller-north", first_name="Bill",
                          last_name="Coder")


@pytest.fixture
def nurse(north: Location) -> User:
    """Clinical staff at North: sees patients, may report facility problems, no front-desk rights."""
    return user_with_role(Role.CLINICAL_STAFF, locations=[north], username="nurse-north", first_name="Nora",
                          last_name="Nurse")


@pytest.fixture
def patient_north(north: Location) -> Patient:
    return PatientFactory(home_location=north, first_name="Alma", last_name="Northcote",
                          phone_mobile="919-555-0142", date_of_birth=dt.date(1975, 6, 14))


@pytest.fixture
def patient_south(south: Location) -> Patient:
    return PatientFactory(home_location=south, first_name="Alma", last_name="Southby",
                          phone_mobile="919-555-0143", date_of_birth=dt.date(1975, 6, 14))


@pytest.fixture
def desk_queue(practice: Any) -> Queue:
    return default_queue()


# --- messages ---------------------------------------------------------------------------------------------------


def make_message(*, location: Location | None, received_at: dt.datetime | None = None, queue: Queue | None = None,
                 first_response_minutes: int = 240, resolve_minutes: int = 2880, **fields: Any) -> Message:
    """A message stored directly (no routing), with due times `first_response_minutes` / `resolve_minutes` after
    `received_at`. Pass closed_at to close it (outcome resolved unless given)."""
    received_at = received_at or timezone.now()
    values: dict[str, Any] = {
        "channel": Channel.PHONE, "subject": f"Question {next(_numbers)}", "body": "Please call me back.",
        "sender_name": "Sam Caller", "sender_phone": "919-555-0199", "category": Category.OTHER,
        "priority": Priority.NORMAL,
    }
    values.update(fields)
    if values.get("closed_at") is not None:
        values.setdefault("status", MessageStatus.CLOSED)
        values.setdefault("outcome", MessageOutcome.RESOLVED)
    return Message.objects.create(
        location=location, queue=queue or default_queue(), received_at=received_at,
        first_response_due=received_at + dt.timedelta(minutes=first_response_minutes),
        resolve_due=received_at + dt.timedelta(minutes=resolve_minutes), **values)


def receive(actor: Any = None, **fields: Any) -> Message:
    """A message through the real intake (a phone call by default)."""
    values: dict[str, Any] = {"channel": Channel.PHONE, "subject": "Question", "sender_name": "Sam Caller",
                              "sender_phone": "919-555-0199"}
    values.update(fields)
    message, _entry = message_intake(actor=actor, incoming=Incoming(**values))
    return message


def make_callback(message: Message, assignee: User, *, due_in: dt.timedelta = dt.timedelta(hours=1),
                  created_by: User | None = None) -> CallbackTask:
    now = timezone.now()
    return CallbackTask.objects.create(message=message, assignee=assignee, number="919-555-0100",
                                       due_at=now + due_in, created_by=created_by or assignee, created_at=now)


def time_off_today(user: User, *, status: str = "approved") -> PtoRequest:
    """Time off for `user` from yesterday to tomorrow (approved unless told otherwise)."""
    today = practice_today()
    employee = Employee.objects.filter(user=user).first() or EmployeeFactory(user=user)
    return PtoRequest.objects.create(employee=employee, starts_on=today - dt.timedelta(days=1),
                                     ends_on=today + dt.timedelta(days=1), hours=Decimal("24"), status=status,
                                     created_by=user)


def set_presence(user: User, presence: str, **fields: Any) -> StaffProfile:
    profile, _created = StaffProfile.objects.update_or_create(user=user, defaults={"presence": presence, **fields})
    return profile


# --- proving nothing changed ------------------------------------------------------------------------------------


def snapshot() -> tuple[Any, ...]:
    """Every front-desk message row with its links and timeline length, and the callbacks."""
    return (
        list(Message.objects.order_by("pk").values_list(
            "pk", "status", "queue_id", "assignee_id", "patient_id", "appointment_id", "claim_id", "case_id",
            "work_order_id", "first_response_at", "closed_at")),
        MessageEntry.objects.count(),
        list(CallbackTask.objects.order_by("pk").values_list("pk", "done_at", "result")),
    )


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


Maker = Callable[..., Message]
