"""Requisition services: drafts inside the position's pay range, submission per the approval rule (an approver's
own requisition opens at once; anyone else's waits for a different approver), approve/reject, cancel; each
refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory
from openpractice.audit.models import AuditEvent
from openpractice.workforce.choices import RequisitionStatus
from openpractice.workforce.models import Requisition
from openpractice.workforce.services import hiring_requisitions as services

from .factories import EmployeeFactory, PositionFactory
from .factories_hiring import RequisitionFactory

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Requisition.objects.order_by("pk").values_list(
        "pk", "status", "decided_by_id", "decision_note", "openings", "pay_min", "closed_at"))


def _data(location: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "position": PositionFactory(location=location), "location": location, "openings": 2, "reason": "new",
        "replaces": None, "target_start": None, "pay_min": Decimal("45000.00"), "pay_max": Decimal("50000.00"),
        "justification": "  Two new evening clinics.  ", "hiring_manager": None,
    }
    data.update(changes)
    return data


def _denied(action: str) -> int:
    return AuditEvent.objects.filter(outcome="denied", action=action).count()


@pytest.fixture
def om_mid(make_user: Any, north: Any) -> Any:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def pm(make_user: Any, north: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])


def _draft(actor: Any, location: Any, **changes: Any) -> Requisition:
    return services.requisition_create(actor=actor, data=_data(location, **changes))


def test_a_draft_is_created_by_hiring_staff_and_audited(om_mid: Any, north: Any) -> None:
    requisition = _draft(om_mid, north)
    assert requisition.status == RequisitionStatus.DRAFT
    assert requisition.requested_by == om_mid
    assert requisition.justification == "Two new evening clinics."
    assert AuditEvent.objects.filter(action="workforce.requisition_created", object_id=str(requisition.pk)).exists()


def test_office_manager_entry_cannot_create_and_nothing_changes(make_user: Any, north: Any) -> None:
    entry = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    data = _data(north)
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_create(actor=entry, data=data)
    assert _snapshot() == before
    assert _denied("workforce.requisition_create") == 1


def test_north_only_hiring_cannot_create_at_south(om_mid: Any, south: Any) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_create(actor=om_mid, data=_data(south))
    assert _snapshot() == before
    assert _denied("workforce.requisition_create") == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"pay_min": Decimal("39000.00")}, "pay_min"),      # position pays 40,000-60,000
    ({"pay_max": Decimal("61000.00")}, "pay_max"),
    ({"pay_min": Decimal("55000.00"), "pay_max": Decimal("50000.00")}, "pay_max"),
    ({"reason": "replacement"}, "replaces"),
    ({"target_start": dt.date(2000, 1, 3)}, "target_start"),
])
def test_invalid_drafts_are_refused(om_mid: Any, north: Any, changes: dict[str, Any], field: str) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as caught:
        _draft(om_mid, north, **changes)
    assert field in caught.value.error_dict
    assert _snapshot() == before


def test_pay_is_free_when_the_position_has_no_range(om_mid: Any, north: Any) -> None:
    position = PositionFactory(location=north, pay_min=None, pay_max=None)
    requisition = _draft(om_mid, north, position=position, pay_min=Decimal("10.00"), pay_max=Decimal("99999.00"))
    assert requisition.pay_max == Decimal("99999.00")


def test_position_of_another_location_and_inactive_manager_are_refused(om_mid: Any, north: Any, south: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        _draft(om_mid, north, position=PositionFactory(location=south))
    assert "position" in caught.value.error_dict
    gone = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as caught:
        _draft(om_mid, north, hiring_manager=gone)
    assert "hiring_manager" in caught.value.error_dict


def test_replacement_names_the_employee(om_mid: Any, north: Any) -> None:
    leaver = EmployeeFactory(location=north)
    requisition = _draft(om_mid, north, reason="replacement", replaces=leaver)
    assert requisition.replaces == leaver


def test_only_a_draft_is_edited(om_mid: Any, north: Any) -> None:
    requisition = _draft(om_mid, north)
    services.requisition_update(actor=om_mid, requisition=requisition, data={"openings": 3})
    requisition.refresh_from_db()
    assert requisition.openings == 3
    services.requisition_submit(actor=om_mid, requisition=requisition)
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.requisition_update(actor=om_mid, requisition=requisition, data={"openings": 4})
    assert _snapshot() == before


def test_submission_by_non_approver_waits_then_another_approver_approves(om_mid: Any, pm: Any, north: Any) -> None:
    requisition = services.requisition_submit(actor=om_mid, requisition=_draft(om_mid, north))
    assert requisition.status == RequisitionStatus.PENDING
    assert requisition.decided_by is None
    approved = services.requisition_decide(actor=pm, requisition=requisition, approve=True)
    assert approved.status == RequisitionStatus.OPEN
    assert approved.decided_by == pm
    assert approved.opened_at is not None
    assert AuditEvent.objects.filter(action="workforce.requisition_approved", actor_id=pm.pk).count() == 1


def test_an_approvers_own_requisition_is_approved_at_submission(pm: Any, north: Any) -> None:
    requisition = services.requisition_submit(actor=pm, requisition=_draft(pm, north))
    assert requisition.status == RequisitionStatus.OPEN
    assert requisition.decided_by == pm
    assert requisition.opened_at is not None
    assert AuditEvent.objects.filter(action="workforce.requisition_approved", actor_id=pm.pk).exists()


def test_requester_cannot_approve_own_pending_requisition(make_user: Any, om_mid: Any, north: Any) -> None:
    # The requester gained approval rights after submitting: still not their own approver.
    requisition = services.requisition_submit(actor=om_mid, requisition=_draft(om_mid, north))
    from openpractice.accounts.tests.factories import give_role

    give_role(om_mid, Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_decide(actor=om_mid, requisition=requisition, approve=True)
    assert _snapshot() == before
    assert _denied("workforce.requisition_decide") == 1


def test_office_manager_mid_cannot_approve(make_user: Any, om_mid: Any, north: Any) -> None:
    other = make_user(Role.HR, locations=[north])
    requisition = services.requisition_submit(actor=other, requisition=_draft(other, north))
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_decide(actor=om_mid, requisition=requisition, approve=True)
    assert _snapshot() == before
    assert _denied("workforce.requisition_decide") == 1


def test_approver_elsewhere_cannot_approve(make_user: Any, om_mid: Any, north: Any, south: Any) -> None:
    south_pm = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[south])
    requisition = services.requisition_submit(actor=om_mid, requisition=_draft(om_mid, north))
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_decide(actor=south_pm, requisition=requisition, approve=True)
    assert _snapshot() == before


def test_rejection_needs_a_note(om_mid: Any, pm: Any, north: Any) -> None:
    requisition = services.requisition_submit(actor=om_mid, requisition=_draft(om_mid, north))
    before = _snapshot()
    with pytest.raises(ValidationError) as caught:
        services.requisition_decide(actor=pm, requisition=requisition, approve=False, note="  ")
    assert "note" in caught.value.error_dict
    assert _snapshot() == before
    rejected = services.requisition_decide(actor=pm, requisition=requisition, approve=False, note="No budget")
    assert rejected.status == RequisitionStatus.REJECTED
    assert rejected.decision_note == "No budget"
    assert AuditEvent.objects.filter(action="workforce.requisition_rejected").count() == 1
    with pytest.raises(ValidationError):  # decided once
        services.requisition_decide(actor=pm, requisition=requisition, approve=True)


def test_cancel_by_requester_or_approver_not_others_not_when_filled(make_user: Any, om_mid: Any, pm: Any,
                                                                    north: Any) -> None:
    other_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    requisition = services.requisition_submit(actor=om_mid, requisition=_draft(om_mid, north))
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.requisition_cancel(actor=other_mid, requisition=requisition)
    assert _snapshot() == before
    cancelled = services.requisition_cancel(actor=om_mid, requisition=requisition, note="Budget cut")
    assert cancelled.status == RequisitionStatus.CANCELLED
    assert cancelled.closed_at is not None
    by_approver = services.requisition_cancel(actor=pm, requisition=_draft(om_mid, north))
    assert by_approver.status == RequisitionStatus.CANCELLED
    filled = RequisitionFactory(location=north, status=RequisitionStatus.FILLED, requested_by=om_mid)
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.requisition_cancel(actor=pm, requisition=filled)
    assert _snapshot() == before
