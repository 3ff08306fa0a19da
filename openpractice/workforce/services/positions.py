"""Writes to positions: the practice's jobs, with the system role and seniority tier they carry, where they sit
in the org chart (reports-to) and on a career path (next position), what they require and what they pay.

A position at a location takes WORKFORCE_MANAGE there; a practice-wide position takes it at every location.
Refusals are audited before the write transaction opens (an audit row inside a transaction that then raises
would be rolled back with it). A position that is in use (employees, reports, career paths, requisitions …) is
deactivated, never deleted: deleting is only for a position created by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import TIERS_BY_ROLE, Perm, Tier, tier_is_valid
from openpractice.audit.services import record
from openpractice.core.models import Location

from ..models import Position

POSITION_FIELDS: tuple[str, ...] = (
    "title", "role", "tier", "department", "location", "reports_to", "next_position", "required_education",
    "min_months_in_previous_role", "pay_basis", "pay_min", "pay_max", "headcount", "description",
)  # fmt: skip
POSITION_M2M_FIELDS: tuple[str, ...] = ("required_certifications", "preferred_certifications")
_LOCK_KEY = 6_000_001  # pg_advisory_xact_lock: writers of the reports-to / career-path graph take turns


def _authorize(*, actor: Any, action: str, target: Position | None = None,
               locations: Iterable[Location | None] = ()) -> None:
    """WORKFORCE_MANAGE at every location the change touches; practice-wide (None) needs it at all."""
    for location in list(locations) or [None]:
        allowed = (has_all_locations(actor, Perm.WORKFORCE_MANAGE) if location is None
                   else can(actor, Perm.WORKFORCE_MANAGE, location))
        if not allowed:
            raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target)


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(POSITION_FIELDS) - set(POSITION_M2M_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _lock_graph() -> None:
    """Two concurrent edits (A reports to B, B reports to A) must not both pass the cycle check. SQLite
    transactions take the write lock up front; PostgreSQL needs a lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _reaches(start_id: int | None, target_id: int | None, attname: str) -> bool:
    """Whether following `attname` (reports_to_id / next_position_id) from `start_id` arrives at `target_id`.
    One query for the whole graph: positions are hundreds at most."""
    if start_id is None or target_id is None:
        return False
    links = dict(Position.objects.values_list("pk", attname))
    seen: set[int] = set()
    current: int | None = start_id
    while current is not None and current not in seen:
        if current == target_id:
            return True
        seen.add(current)
        current = links.get(current)
    return False


def _validate(position: Position) -> None:
    errors: dict[str, list[str]] = {}
    if position.role and not tier_is_valid(position.role, position.tier):
        errors.setdefault("tier", []).append(
            _("%(role)s comes at these tiers only: %(tiers)s.") % {
                "role": position.get_role_display(), "tiers": ", ".join(_tier_labels(position.role))})
    if not position.role and position.tier:
        errors.setdefault("tier", []).append(_("Choose the system role first: a tier belongs to a role."))
    if position.pay_min is not None and position.pay_max is not None and position.pay_min > position.pay_max:
        errors.setdefault("pay_max", []).append(_("The top of the range must be at least its bottom."))
    if position.pk is not None:
        if position.reports_to_id == position.pk:
            errors.setdefault("reports_to", []).append(_("A position cannot report to itself."))
        elif _reaches(position.reports_to_id, position.pk, "reports_to_id"):
            errors.setdefault("reports_to", []).append(
                _("“%(manager)s” already reports (directly or through others) to this position: that would make "
                  "a circle.") % {"manager": position.reports_to})
        if position.next_position_id == position.pk:
            errors.setdefault("next_position", []).append(_("A position cannot be its own next step."))
        elif _reaches(position.next_position_id, position.pk, "next_position_id"):
            errors.setdefault("next_position", []).append(
                _("“%(next)s” already leads back to this position on the career path: that would make a "
                  "circle.") % {"next": position.next_position})
    if errors:
        raise ValidationError(errors)
    position.full_clean(exclude=["created_by"])


def _tier_labels(role: str) -> list[str]:
    return [str(Tier(tier).label) for tier in TIERS_BY_ROLE.get(role, ())]


def _apply(position: Position, data: Mapping[str, Any]) -> list[str]:
    changed: list[str] = []
    for name in POSITION_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if name in ("role", "tier", "description") and value is None:
            value = ""
        if getattr(position, name) != value:
            setattr(position, name, value)
            changed.append(name)
    return changed


def _set_m2m(position: Position, data: Mapping[str, Any]) -> list[str]:
    changed: list[str] = []
    for name in POSITION_M2M_FIELDS:
        if name not in data:
            continue
        wanted = {item.pk for item in data[name] or ()}
        manager = getattr(position, name)
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(sorted(wanted))
            changed.append(name)
    return changed


def position_create(*, actor: Any, data: Mapping[str, Any]) -> Position:
    """A new position, at one location (WORKFORCE_MANAGE there) or practice-wide (at all locations)."""
    _check_keys(data)
    _authorize(actor=actor, action="workforce.position_create", locations=[data.get("location")])
    position = Position(created_by=actor)
    _apply(position, data)
    with transaction.atomic():
        _lock_graph()
        _validate(position)
        position.save(force_insert=True)
        m2m = _set_m2m(position, data)
        record(actor=actor, action="workforce.position_created", target=position,
               location_id=position.location_id,
               changed_fields=[name for name in POSITION_FIELDS if data.get(name) not in (None, "")] + m2m)
    return position


def position_update(*, actor: Any, position: Position, data: Mapping[str, Any]) -> Position:
    """Change a position (send only what changes). Moving it needs WORKFORCE_MANAGE where it is and where it
    goes. Reports-to and next position may not lead back to the position itself."""
    _check_keys(data)
    touched: list[Location | None] = [position.location]
    if "location" in data and data["location"] != position.location:
        touched.append(data["location"])
    _authorize(actor=actor, action="workforce.position_update", target=position, locations=touched)
    with transaction.atomic():
        _lock_graph()
        current = Position.objects.select_for_update().get(pk=position.pk)
        changed = _apply(current, data)
        _validate(current)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
        changed += _set_m2m(current, data)
        if changed:
            record(actor=actor, action="workforce.position_updated", target=current,
                   location_id=current.location_id, changed_fields=changed)
    return current


def _set_active(*, actor: Any, position: Position, active: bool) -> Position:
    verb = "reactivate" if active else "deactivate"
    _authorize(actor=actor, action=f"workforce.position_{verb}", target=position, locations=[position.location])
    with transaction.atomic():
        current = Position.objects.select_for_update().get(pk=position.pk)
        if current.is_active != active:
            current.is_active = active
            current.save(update_fields=["is_active", "updated_at"])
            record(actor=actor, action=f"workforce.position_{verb}d", target=current,
                   location_id=current.location_id, changed_fields=["is_active"])
    position.is_active = active
    return current


def position_deactivate(*, actor: Any, position: Position) -> Position:
    """Take a position out of use: it stays on the records of those who held it, but no one new is placed in
    it and it leaves the org chart."""
    return _set_active(actor=actor, position=position, active=False)


def position_reactivate(*, actor: Any, position: Position) -> Position:
    return _set_active(actor=actor, position=position, active=True)


def position_delete(*, actor: Any, position: Position) -> None:
    """Delete a position created by mistake. One in use (held by anyone, ever; a manager or career step of
    another position; named by a requisition or checklist) is refused: deactivate it instead."""
    _authorize(actor=actor, action="workforce.position_delete", target=position, locations=[position.location])
    in_use = _("“%(title)s” is in use (employees, reporting lines, career paths or hiring refer to it). "
               "Deactivate it instead.") % {"title": position.title}
    if position.direct_reports.exists() or position.previous_positions.exists():
        raise ValidationError(in_use, code="in_use")
    pk, location_id = position.pk, position.location_id
    try:
        with transaction.atomic():
            record(actor=actor, action="workforce.position_deleted", object_type="workforce.position",
                   object_id=pk, location_id=location_id, reason=position.title[:200])
            position.required_certifications.clear()
            position.preferred_certifications.clear()
            Position.objects.filter(pk=pk).delete()
    except (ProtectedError, RestrictedError) as error:
        raise ValidationError(in_use, code="in_use") from error
