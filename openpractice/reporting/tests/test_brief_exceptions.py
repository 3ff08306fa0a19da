"""The brief's "exceptions that need a decision": one thing from each module appears, counted and named (never a
patient), within the compiler's reach only, and a module the compiler may not see is left out rather than shown as
zero. The snapshot lists the permissions its figures needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.compliance.choices import IncidentKind, NotificationAudience
from openpractice.compliance.models import Incident, NotificationDeadline
from openpractice.core.models import Location
from openpractice.facilities.models import WorkOrder
from openpractice.frontdesk.models import Message, Queue
from openpractice.inventory.models import ParLevel
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.patients.tests.factories import PatientFactory
from openpractice.reporting.brief import compose_snapshot, last_complete_period
from openpractice.reporting.choices import BriefFrequency
from openpractice.reporting.selectors_brief import brief_exceptions
from openpractice.workforce.tests.factories import CredentialTypeFactory, EmployeeCredentialFactory, EmployeeFactory

from .brief_support import MONDAY_8AM

pytestmark = pytest.mark.django_db
TODAY = MONDAY_8AM.date()
NOW = MONDAY_8AM


@pytest.fixture
def trouble(north: Location, south: Location, make_user: Callable[..., User]) -> dict[str, Any]:
    """One exception per module at North, and the same kinds at South (out of a North-only compiler's reach)."""
    reporter = make_user(Role.CLINICAL_STAFF, email="nurse@practice.example")
    made: dict[str, Any] = {}
    for location in (north, south):
        key = location.code
        incident = Incident.objects.create(
            title="Fax with Zebulon Quigley's results", kind=IncidentKind.MISDIRECTED, location=location,
            discovered_on=TODAY - dt.timedelta(days=56), description="Sent to a wrong number.", reported_by=reporter)
        made[f"notice_{key}"] = NotificationDeadline.objects.create(
            incident=incident, audience=NotificationAudience.INDIVIDUALS, due_on=TODAY + dt.timedelta(days=4))
        NotificationDeadline.objects.create(incident=incident, audience=NotificationAudience.HHS_ANNUAL,
                                            due_on=TODAY + dt.timedelta(days=200))  # beyond ten days
        employee = EmployeeFactory(first_name=f"Morgan-{key}", last_name="Lee", location=location)
        EmployeeCredentialFactory(employee=employee, credential_type=CredentialTypeFactory(code=f"BLS-{key}",
                                                                                           name=f"BLS {key}"),
                                  issued_on=dt.date(2024, 1, 1), expires_on=TODAY - dt.timedelta(days=3))
        EmployeeCredentialFactory(employee=employee, expires_on=TODAY + dt.timedelta(days=20))  # not expired yet
        made[f"work_order_{key}"] = WorkOrder.objects.create(
            title=f"Exam room sink leaking ({key})", location=location, respond_by=NOW - dt.timedelta(hours=5),
            resolve_by=NOW + dt.timedelta(days=2))
        WorkOrder.objects.create(title="Door closer", location=location, respond_by=NOW + dt.timedelta(hours=5),
                                 resolve_by=NOW + dt.timedelta(days=2))  # in time
        ParLevel.objects.create(item=ItemFactory(name=f"Nitrile gloves M ({key})"), place=place_at(location),
                                par=20, reorder_point=5)
        queue = Queue.objects.create(name=f"Front desk {key}", location=location)
        received = NOW - dt.timedelta(hours=30)
        Message.objects.create(channel="phone", subject="Zebulon Quigley asks about his bill", queue=queue,
                               location=location, received_at=received, sender_name="Zebulon Quigley",
                               first_response_due=received + dt.timedelta(hours=4),
                               resolve_due=received + dt.timedelta(hours=48),
                               patient=PatientFactory(home_location=location, first_name="Zebulon",
                                                      last_name="Quigley"))
    return made


def _by_key(sections: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {section["key"]: section for section in sections}


def test_one_exception_from_each_module_appears_counted_and_named(trouble: dict[str, Any],
                                                                  make_user: Callable[..., User]) -> None:
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    sections = _by_key(brief_exceptions(actor=chief, today=TODAY, now=NOW))
    notice = trouble["notice_north"]
    assert sections["breach_notices"]["count"] == 2
    assert (f"Incident {notice.incident_id}: notice to Affected individuals by {notice.due_on.isoformat()}, "
            "due in 4 days") in sections["breach_notices"]["items"]
    assert sections["expired_credentials"]["count"] == 2
    assert f"Morgan-north Lee: BLS north expired {(TODAY - dt.timedelta(days=3)).isoformat()}" in (
        sections["expired_credentials"]["items"])
    assert sections["overdue_work_orders"]["count"] == 2
    assert (f"Work order {trouble['work_order_north'].pk}: Exam room sink leaking (north) (North Clinic)"
            in sections["overdue_work_orders"]["items"])
    assert sections["below_par"]["count"] == 2
    assert "Nitrile gloves M (north) at Supply room, North Clinic: 0 on hand, par 20" in sections["below_par"]["items"]
    assert sections["sla_breaches"]["count"] == 2
    assert "Front desk north: 1" in sections["sla_breaches"]["items"]
    assert sections["overdue_cases"]["count"] == 0
    assert "Quigley" not in repr(sections)  # a patient is never named, even where the module's data names one


def test_a_compiler_at_one_location_sees_only_that_locations_exceptions(
        trouble: dict[str, Any], north: Location, make_user: Callable[..., User]) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    sections = _by_key(brief_exceptions(actor=office, today=TODAY, now=NOW))
    # Office managers hold no compliance.incidents or cases.view: those modules are left out, not zero.
    assert set(sections) == {"expired_credentials", "overdue_work_orders", "below_par", "sla_breaches"}
    for key in ("expired_credentials", "overdue_work_orders", "below_par"):
        assert sections[key]["count"] == 1, key
        assert all("south" not in item for item in sections[key]["items"]), key


def test_the_snapshot_states_the_compilers_scope_and_the_permissions_it_needed(
        trouble: dict[str, Any], north: Location, make_user: Callable[..., User]) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], first_name="Kevin", last_name="Osei")
    period = last_complete_period(BriefFrequency.WEEKLY, TODAY)
    snapshot = compose_snapshot(compiler=office, frequency=BriefFrequency.WEEKLY, period=period, now=NOW)
    assert snapshot["compiler"]["name"] == "Kevin Osei"
    assert snapshot["compiler"]["scope"] == ["Office manager (Mid level), North Clinic"]
    assert Perm.REPORTS_FINANCIAL not in snapshot["permissions"]
    assert {Perm.REPORTS_MANAGE, Perm.REPORTS_OPERATIONS, Perm.INVENTORY_VIEW} <= set(snapshot["permissions"])
    assert not any(row["key"] == "days_in_ar" for row in snapshot["kpis"])  # financial KPIs are not theirs
    assert "Quigley" not in repr(snapshot)
