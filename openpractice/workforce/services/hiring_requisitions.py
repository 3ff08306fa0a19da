"""Writes to requisitions: a draft raised by hiring staff (workforce.hiring at its location), submitted for
approval, approved or rejected by someone else holding workforce.approve_hiring there, cancelled by its requester
or an approver. A requisition raised by an approver is approved at submission: their authority is the approval
(recorded as decided by them). Filling is the hire service's business, not this module's.

Refusals are audited before any transaction opens (a denial recorded inside a transaction that then raises would
be rolled back with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today

from ..choices import RequisitionReason, RequisitionStatus
from ..models import Requisition

REQUISITION_FIELDS: tuple[str, ...] = (
    "position", "location", "openings", "reason", "replaces", "target_start", "pay_min", "pay_max",
    "justification", "hiring_manager",
)  # fmt: skip
# A requisition can be cancelled until it is filled (or already closed).
CANCELLABLE: frozenset[str] = frozenset({RequisitionStatus.DRAFT, RequisitionStatus.PENDING, RequisitionStatus.OPEN})


def _location_id(location: Location | int | None) -> int | None:
    return location.pk if isinstance(location, Location) else location


def _authorize(*, actor: Any, action: str, location: Location | int | None, target: Requisition | None = None,
               permission: str = Perm.WORKFORCE_HIRING) -> None:
    location_id = _location_id(location)
    if location_id is None or not can(actor, permission, location_id):
        raise refuse(actor=actor, permission=permission, action=action, target=target)


def lock_open_requisition(requisition_id: int) -> Requisition:
    """Lock the requisition row (inside the caller's transaction) and refuse unless it is OPEN: interviews,
    offers and hires happen only on an approved, not yet filled or cancelled requisition. Callers lock it before
    the applicant row (the order applicant_move uses), so concurrent writers queue instead of deadlocking."""
    locked = Requisition.objects.select_for_update().select_related("position").get(pk=requisition_id)
    require_open(locked)
    return locked


def require_open(requisition: Requisition) -> None:
    if requisition.status != RequisitionStatus.OPEN:
        raise ValidationError(_("The requisition is not open (%(status)s).")
                              % {"status": RequisitionStatus(requisition.status).label.lower()},
                              code="requisition_not_open")


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(REQUISITION_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _validate(requisition: Requisition) -> None:
    """Rules the model cannot hold by itself: the position fits the location and its pay range bounds the offer
    range; replacement names who is replaced; the hiring manager is an active user."""
    errors: dict[str, str] = {}
    position = requisition.position
    if not position.is_active:
        errors["position"] = _("This position is no longer active.")
    elif position.location_id is not None and position.location_id != requisition.location_id:
        errors["position"] = _("This position belongs to another location.")
    low, high = requisition.pay_min, requisition.pay_max
    if low is not None and high is not None and low > high:
        errors["pay_max"] = _("The top of the range cannot be below its bottom.")
    for name, value in (("pay_min", low), ("pay_max", high)):
        if value is None or name in errors:
            continue
        if value <= 0:
            errors[name] = _("Pay must be more than zero.")
        elif (position.pay_min is not None and value < position.pay_min) or (
                position.pay_max is not None and value > position.pay_max):
            errors[name] = _("Stay inside the position's pay range (%(low)s – %(high)s).") % {
                "low": position.pay_min if position.pay_min is not None else "…",
                "high": position.pay_max if position.pay_max is not None else "…"}
    if requisition.reason == RequisitionReason.REPLACEMENT and requisition.replaces_id is None:
        errors["replaces"] = _("Say who this hire replaces.")
    elif requisition.reason != RequisitionReason.REPLACEMENT and requisition.replaces_id is not None:
        errors["replaces"] = _("Only a replacement replaces someone.")
    manager = requisition.hiring_manager if requisition.hiring_manager_id is not None else None
    if manager is not None and not manager.is_active:
        errors["hiring_manager"] = _("The hiring manager must be an active user.")
    if requisition.target_start is not None and requisition.target_start < practice_today():
        errors["target_start"] = _("The wanted start date cannot be in the past.")
    if errors:
        raise ValidationError(errors, code="invalid")


def _full_validate(requisition: Requisition) -> None:
    # Our rules first: they name the field, where the database constraint would only say "violated".
    requisition.full_clean(validate_constraints=False)
    _validate(requisition)
    requisition.validate_constraints()


def requisition_create(*, actor: Any, data: Mapping[str, Any]) -> Requisition:
    """A draft requisition at a location where the actor holds workforce.hiring."""
    action = "workforce.requisition_create"
    _check_keys(data)
    _authorize(actor=actor, action=action, location=data.get("location"))
    requisition = Requisition(status=RequisitionStatus.DRAFT, requested_by=actor)
    for name, value in data.items():
        setattr(requisition, name, value)
    requisition.justification = (requisition.justification or "").strip()
    _full_validate(requisition)
    with transaction.atomic():
        requisition.save(force_insert=True)
        record(actor=actor, action="workforce.requisition_created", target=requisition,
               location_id=requisition.location_id, changed_fields=sorted(data))
    return requisition


def requisition_update(*, actor: Any, requisition: Requisition, data: Mapping[str, Any]) -> Requisition:
    """Edit a draft (moving it to another location needs workforce.hiring at both)."""
    action = "workforce.requisition_update"
    _check_keys(data)
    _authorize(actor=actor, action=action, location=requisition.location_id, target=requisition)
    if "location" in data:
        _authorize(actor=actor, action=action, location=data["location"], target=requisition)
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.DRAFT:
            raise ValidationError(_("Only a draft can be edited."), code="not_draft")
        changed = [name for name in data if getattr(locked, name) != data[name]]
        for name in changed:
            setattr(locked, name, data[name])
        locked.justification = (locked.justification or "").strip()
        _full_validate(locked)
        if changed:
            locked.save(update_fields=[*changed, "justification", "updated_at"])
            record(actor=actor, action="workforce.requisition_updated", target=locked,
                   location_id=locked.location_id, changed_fields=sorted(changed))
    return locked


def requisition_submit(*, actor: Any, requisition: Requisition) -> Requisition:
    """Send a draft for approval. When the actor holds workforce.approve_hiring at its location, their authority
    is the approval: it opens at once, recorded as decided by them; otherwise it waits for another approver."""
    action = "workforce.requisition_submit"
    _authorize(actor=actor, action=action, location=requisition.location_id, target=requisition)
    # Only the requester's own approval authority opens it at once; anyone else submitting it (another hiring
    # holder, even an approver) sends it to "pending", so raising and approving stay one accountable person.
    self_approving = (getattr(actor, "pk", None) == requisition.requested_by_id
                      and can(actor, Perm.WORKFORCE_APPROVE_HIRING, requisition.location_id))
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().select_related("position").get(pk=requisition.pk)
        if locked.status != RequisitionStatus.DRAFT:
            raise ValidationError(_("Only a draft can be submitted."), code="not_draft")
        _validate(locked)
        now = timezone.now()
        locked.submitted_at = now
        fields = ["status", "submitted_at", "updated_at"]
        if self_approving:
            locked.status = RequisitionStatus.OPEN
            locked.decided_by, locked.decided_at, locked.opened_at = actor, now, now
            fields += ["decided_by", "decided_at", "opened_at"]
        else:
            locked.status = RequisitionStatus.PENDING
        locked.save(update_fields=fields)
        record(actor=actor, action="workforce.requisition_submitted", target=locked,
               location_id=locked.location_id, changed_fields=["status"])
        if self_approving:
            record(actor=actor, action="workforce.requisition_approved", target=locked,
                   location_id=locked.location_id, changed_fields=["status", "decided_by"],
                   reason="raised by an approver")
    return locked


def requisition_decide(*, actor: Any, requisition: Requisition, approve: bool, note: str = "") -> Requisition:
    """Approve (it opens for applicants) or reject (with a note) a pending requisition: workforce.approve_hiring
    at its location, and never the person who raised it."""
    action = "workforce.requisition_decide"
    _authorize(actor=actor, action=action, location=requisition.location_id, target=requisition,
               permission=Perm.WORKFORCE_APPROVE_HIRING)
    if requisition.requested_by_id == getattr(actor, "pk", None):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_APPROVE_HIRING, action=action, target=requisition,
                     reason="a requisition is approved by someone other than its requester",
                     message=_("Someone other than the requester must decide this requisition."))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the requisition is not approved.")}, code="reason_required")
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.PENDING:
            raise ValidationError(_("This requisition is not waiting for approval."), code="not_pending")
        now = timezone.now()
        locked.status = RequisitionStatus.OPEN if approve else RequisitionStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note[:500]
        fields = ["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        if approve:
            locked.opened_at = now
            fields.append("opened_at")
        else:
            locked.closed_at = now
            fields.append("closed_at")
        locked.save(update_fields=fields)
        record(actor=actor, action="workforce.requisition_approved" if approve else "workforce.requisition_rejected",
               target=locked, location_id=locked.location_id, changed_fields=["status", "decision_note"])
    return locked


def requisition_cancel(*, actor: Any, requisition: Requisition, note: str = "") -> Requisition:
    """Withdraw a draft, pending or open requisition: its requester (still hiring there) or an approver at its
    location. A filled one stays filled."""
    action = "workforce.requisition_cancel"
    _authorize(actor=actor, action=action, location=requisition.location_id, target=requisition)
    is_requester = requisition.requested_by_id == getattr(actor, "pk", None)
    if not is_requester and not can(actor, Perm.WORKFORCE_APPROVE_HIRING, requisition.location_id):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_APPROVE_HIRING, action=action, target=requisition,
                     reason="only the requester or an approver cancels a requisition")
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status not in CANCELLABLE:
            raise ValidationError(_("A %(status)s requisition cannot be cancelled.")
                                  % {"status": RequisitionStatus(locked.status).label.lower()}, code="not_cancellable")
        locked.status, locked.closed_at = RequisitionStatus.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        record(actor=actor, action="workforce.requisition_cancelled", target=locked,
               location_id=locked.location_id, changed_fields=["status"], reason=(note or "").strip()[:200])
    return locked
