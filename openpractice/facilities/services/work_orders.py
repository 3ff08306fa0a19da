"""Work orders after they open (services.work_orders_open creates them): reporting a problem, triage, assignment,
status changes, notes, costs, photos, checklist steps, verification, and the SLA escalation the background task
runs. The firm's side (the signed link) is in services.vendor_links.

Who may do what, at the work order's location:
- reporting a problem: any signed-in staff member, at a location one of their roles reaches;
- notes and photos: facilities.view there;
- status changes, costs and checklist steps: the person it is assigned to (who holds facilities.view there) or a
  facilities.manage holder;
- triage (priority, which restarts the SLA clock), assignment, cancelling and verifying: facilities.manage.
A refusal is audited before any transaction opens and changes nothing.

Statuses follow TRANSITIONS. `responded_at` is the first status change or note by whoever works the order (the
assignee, the firm through its link, or a manager on their behalf) once it is assigned (for a firm: once it was
dispatched); `completed_at` is when it was last set done; verifying it (or cancelling it) ends every link.

Reporting equipment as out of service (`asset_down`) marks the work order, which the downtime report measures
(opened -> completed); it does not change the asset's own status in the register: that stays a manager's decision
on the asset page (a front-desk report is not a confirmed fault). The report raises the priority to high.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import smtplib
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, prefetch_grants, reachable_location_ids, refuse
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.audit.services import record
from openpractice.core.files import CheckedFile, read_checked
from openpractice.core.models import Location
from openpractice.core.selectors import practice_settings, practice_timezone_name

from ..choices import AssetStatus, CostKind, Priority, WorkOrderStatus
from ..models import (
    Asset,
    VendorLink,
    WorkOrder,
    WorkOrderChecklistItem,
    WorkOrderCost,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from .work_orders_open import SERVICE_LEVELS, sla_times, work_order_open

logger = logging.getLogger(__name__)

S = WorkOrderStatus
# Where each status may go next. Verified and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.IN_PROGRESS, S.WAITING_FOR_PARTS, S.DONE, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.SCHEDULED, S.WAITING_FOR_PARTS, S.DONE, S.CANCELLED}),
    S.WAITING_FOR_PARTS: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.DONE, S.CANCELLED}),
    S.DONE: frozenset({S.VERIFIED, S.IN_PROGRESS}),
    S.VERIFIED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES: tuple[str, ...] = (S.NEW, S.SCHEDULED, S.IN_PROGRESS, S.WAITING_FOR_PARTS)
# Still changing: open, or done and waiting to be verified (a firm's link works until then).
ACTIVE_STATUSES: tuple[str, ...] = (*OPEN_STATUSES, S.DONE)
# Only a facilities.manage holder takes a work order to these (verified through work_order_verify).
MANAGER_TARGETS = frozenset({S.CANCELLED, S.VERIFIED})

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_TYPES: tuple[str, ...] = ("png", "jpg")
PHOTO_FORMATS = {"png": "PNG", "jpg": "JPEG"}
NOTE_MAX_CHARS = 2000
COST_MAX = Decimal("1000000")


def practice_local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as the practice's clock shows it: for mail and timeline text written outside a request."""
    return value.astimezone(practice_zone()) if value is not None else None


def practice_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(practice_timezone_name())


def render_mail(template: str, context: dict[str, Any]) -> str:
    """A mail template rendered on the practice's clock (a background task runs in UTC)."""
    with timezone.override(practice_zone()):
        return render_to_string(template, context)


# --- who may ---------------------------------------------------------------------------------------------------


def may_view(actor: Any, work_order: WorkOrder) -> bool:
    return can(actor, Perm.FACILITIES_VIEW, work_order.location_id)


def may_manage(actor: Any, work_order: WorkOrder) -> bool:
    return can(actor, Perm.FACILITIES_MANAGE, work_order.location_id)


def may_work(actor: Any, work_order: WorkOrder) -> bool:
    """The person it is assigned to (who still sees facilities there) or a manager at its location."""
    return may_manage(actor, work_order) or (
        work_order.assigned_to_id is not None and work_order.assigned_to_id == getattr(actor, "pk", None)
        and may_view(actor, work_order))


def may_report_at(actor: Any, location_id: int) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    reachable = reachable_location_ids(actor)
    return reachable is None or location_id in reachable


def _require(allowed: bool, *, actor: Any, permission: str, action: str, target: Any) -> None:
    if not allowed:
        raise refuse(actor=actor, permission=permission, action=action, target=target)


def _require_manage(actor: Any, work_order: WorkOrder, action: str) -> None:
    _require(may_manage(actor, work_order), actor=actor, permission=Perm.FACILITIES_MANAGE, action=action,
             target=work_order)


def _require_work(actor: Any, work_order: WorkOrder, action: str) -> None:
    _require(may_work(actor, work_order), actor=actor, action=action, target=work_order,
             permission=f"{Perm.FACILITIES_MANAGE} or the assignee")


def holders_at(permission: str, location_id: int) -> list[User]:
    """Active users holding `permission` at the location (one query for the candidates, two for their grants)."""
    pairs = [pair for pair, granted in PERMISSION_TABLE.items() if permission in granted]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    covering = Q(role_assignments__all_locations=True) | Q(role_assignments__locations=location_id)
    candidates = prefetch_grants(User.objects.filter(held & covering, is_active=True).distinct()
                                 .order_by("last_name", "first_name", "username", "pk"))
    return [user for user in candidates if can(user, permission, location_id)]


# --- shared pieces ---------------------------------------------------------------------------------------------


def _lock(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=work_order.pk)


def _refresh(work_order: WorkOrder, locked: WorkOrder) -> WorkOrder:
    """Copy the saved state onto the caller's instance (views keep using it)."""
    for field in WorkOrder._meta.concrete_fields:
        setattr(work_order, field.attname, getattr(locked, field.attname))
    return work_order


def event_add(work_order: WorkOrder, kind: str, *, actor: Any = None, vendor: Any = None, note: str = "",
              status_from: str = "", status_to: str = "") -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(work_order=work_order, actor=actor if actor is not None else None,
                                         by_vendor=vendor, kind=kind, note=note, status_from=status_from,
                                         status_to=status_to)


def audit(actor: Any, action: str, work_order: WorkOrder, changed: list[str], reason: str = "") -> None:
    record(actor=actor, action=action, target=work_order, location_id=work_order.location_id,
           changed_fields=changed, reason=reason[:200])


def clean_note(note: str, *, required: bool = False, field: str = "note") -> str:
    text = (note or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: _("Write the note.")})
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError({field: _("Keep it under %(count)s characters.") % {"count": NOTE_MAX_CHARS}})
    return text


def mark_responded(locked: WorkOrder, now: dt.datetime) -> list[str]:
    """The first response of whoever works the order: once it is assigned to a person, or dispatched to a firm."""
    if locked.responded_at is not None:
        return []
    if locked.assigned_to_id is None and (locked.vendor_id is None or locked.dispatched_at is None):
        return []
    locked.responded_at = now
    return ["responded_at"]


def status_apply(locked: WorkOrder, target: str, *, now: dt.datetime, by_vendor: bool = False) -> list[str]:
    """Move `locked` to `target` if the table allows it; the fields that changed."""
    if target not in S.values:
        raise ValidationError({"status": _("Choose a status.")})
    if target == locked.status:
        raise ValidationError({"status": _("The work order is already %(status)s.")
                               % {"status": locked.get_status_display().lower()}})
    if target not in TRANSITIONS[locked.status]:
        raise ValidationError({"status": _("A work order that is %(current)s cannot become %(target)s.") % {
            "current": locked.get_status_display().lower(), "target": S(target).label.lower()}})
    if by_vendor and target in MANAGER_TARGETS:
        raise ValidationError({"status": _("Only the practice cancels or verifies a work order.")})
    changed = ["status"]
    if target == S.DONE:
        locked.completed_at = now
        changed.append("completed_at")
    elif locked.status == S.DONE and target == S.IN_PROGRESS:
        locked.completed_at = None
        changed.append("completed_at")
    locked.status = target
    return changed


def links_end(work_order_id: int, now: dt.datetime) -> int:
    """Every link of the work order stops working (verified or cancelled)."""
    return VendorLink.objects.filter(work_order_id=work_order_id, revoked_at__isnull=True).update(revoked_at=now)


# --- photos ----------------------------------------------------------------------------------------------------


def photo_check(upload: UploadedFile) -> CheckedFile:
    """A PNG or JPEG of at most 8 MB, decided from its bytes (and readable as that image); else a ValidationError
    on "photo". A web page or a program renamed .jpg is refused."""
    from PIL import Image, UnidentifiedImageError

    checked = read_checked(upload, field="photo", max_bytes=PHOTO_MAX_BYTES, allowed=PHOTO_TYPES,
                           what=_("The photo"), type_message=_("Upload the photo as a PNG or JPEG image."))
    try:
        with Image.open(io.BytesIO(checked.content)) as image:
            image_format = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError({"photo": _("This file is not a picture we can read: upload a PNG or JPEG image.")},
                              code="file_type") from error
    if image_format != PHOTO_FORMATS[checked.extension]:
        raise ValidationError({"photo": _("Upload the photo as a PNG or JPEG image.")}, code="file_type")
    return checked


def photo_store(checked: CheckedFile) -> str:
    field: Any = WorkOrderPhoto._meta.get_field("file")
    name = field.generate_filename(None, checked.random_name())
    return str(field.storage.save(name, ContentFile(checked.content)))


def photo_delete(name: str) -> None:
    if name:
        field: Any = WorkOrderPhoto._meta.get_field("file")
        field.storage.delete(name)


def photo_save(locked: WorkOrder, stored: str, content_type: str, *, actor: Any = None,
               vendor: Any = None) -> WorkOrderPhoto:
    """The row (and timeline entry) of a photo already stored under `stored`, inside the caller's transaction.
    The caller deletes the file if the transaction fails."""
    photo = WorkOrderPhoto(work_order=locked, content_type=content_type,
                           uploaded_by=actor if vendor is None else None, via_vendor_link=vendor is not None)
    photo.file.name = stored
    photo.save(force_insert=True)
    event_add(locked, "photo", actor=actor if vendor is None else None, vendor=vendor)
    return photo


# --- reporting a problem ---------------------------------------------------------------------------------------


def problem_report(*, actor: Any, location: Location, title: str, description: str = "", room: str = "",
                   asset: Asset | None = None, asset_down: bool = False,
                   photo: UploadedFile | None = None) -> WorkOrder:
    """Any staff member reports a problem at a location they work at (optionally about one piece of equipment
    there, with a photo). Equipment out of service makes it high priority; triage may change that."""
    if not may_report_at(actor, location.pk):
        raise refuse(actor=actor, permission="a role at the location", action="facilities.problem_report",
                     target=location)
    if asset is not None and asset.location_id != location.pk:
        raise ValidationError({"asset": _("This equipment is at another location.")})
    if asset is not None and asset.status == AssetStatus.RETIRED:
        raise ValidationError({"asset": _("This equipment was retired.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Say what the problem is.")})
    description = clean_note(description, field="description")
    checked = photo_check(photo) if photo is not None else None
    stored = photo_store(checked) if checked is not None else ""
    try:
        with transaction.atomic():
            work_order = work_order_open(actor=actor, location=location, title=title, description=description,
                                         room=room, asset=asset, asset_down=asset_down,
                                         priority=Priority.HIGH if asset_down else Priority.NORMAL)
            if checked is not None:
                photo_save(work_order, stored, checked.content_type, actor=actor)
    except BaseException:
        photo_delete(stored)
        raise
    return work_order


# --- triage and assignment -------------------------------------------------------------------------------------


def work_order_triage(*, actor: Any, work_order: WorkOrder, priority: str,
                      now: dt.datetime | None = None) -> WorkOrder:
    """Set the priority: the SLA times start again from now."""
    _require_manage(actor, work_order, "facilities.work_order_triage")
    if priority not in SERVICE_LEVELS:
        raise ValidationError({"priority": _("Choose a priority.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(work_order)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("This work order is finished; its priority no longer changes."))
        if locked.priority != priority:
            before = locked.get_priority_display()
            locked.priority = priority
            locked.respond_by, locked.resolve_by = sla_times(priority, now)
            locked.save(update_fields=["priority", "respond_by", "resolve_by", "updated_at"])
            event_add(locked, "triaged", actor=actor, note=_("Priority %(before)s → %(after)s") % {
                "before": before, "after": locked.get_priority_display()})
            audit(actor, "facilities.work_order_triaged", locked, ["priority", "respond_by", "resolve_by"],
                  reason=priority)
    return _refresh(work_order, locked)


def assignee_allowed(user: Any, work_order: WorkOrder) -> bool:
    return bool(user is not None and user.is_active and can(user, Perm.FACILITIES_VIEW, work_order.location_id))


def work_order_assign(*, actor: Any, work_order: WorkOrder, assignee: User | None = None, vendor: Any = None,
                      scheduled_for: dt.datetime | None = None) -> WorkOrder:
    """Give the work order to a staff member (who sees facilities at its location) or to a firm, not both (None
    for both: unassigned), and the time the work is planned for. A new work order with a time becomes scheduled.
    A firm that is taken off loses its links at once (and the dispatch and response times start again for the
    next one)."""
    _require_manage(actor, work_order, "facilities.work_order_assign")
    if assignee is not None and vendor is not None:
        raise ValidationError(_("Assign the work order to a person or a firm, not both."))
    if assignee is not None and not assignee_allowed(assignee, work_order):
        raise ValidationError({"assignee": _("This person does not work with facilities at this location.")})
    if vendor is not None and not vendor.is_active:
        raise ValidationError({"vendor": _("This firm is no longer active.")})
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(work_order)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("This work order is finished; it is no longer assigned."))
        wanted = {"assigned_to_id": assignee.pk if assignee else None, "vendor_id": vendor.pk if vendor else None,
                  "scheduled_for": scheduled_for}
        changed = [name for name, value in wanted.items() if getattr(locked, name) != value]
        if not changed:
            return _refresh(work_order, locked)
        firm_changed = "vendor_id" in changed and locked.vendor_id is not None
        for name, value in wanted.items():
            setattr(locked, name, value)
        if firm_changed:
            links_end(locked.pk, now)
            locked.dispatched_at = locked.responded_at = None
            changed += ["dispatched_at", "responded_at"]
        before = locked.status
        if scheduled_for is not None and locked.status == S.NEW:
            locked.status = S.SCHEDULED
            changed.append("status")
        fields = [name.removesuffix("_id") for name in changed]
        locked.full_clean(validate_unique=False)
        locked.save(update_fields=[*fields, "updated_at"])
        who = (assignee.get_full_name() or assignee.username) if assignee else (vendor.name if vendor else
                                                                                 _("nobody"))
        note = _("Assigned to %(who)s") % {"who": who}
        if scheduled_for is not None:
            note += " · " + _("scheduled for %(when)s") % {
                "when": f"{practice_local(scheduled_for):%Y-%m-%d %H:%M}"}
        event_add(locked, "assigned", actor=actor, note=note, status_from=before if before != locked.status else "",
                  status_to=locked.status if before != locked.status else "")
        audit(actor, "facilities.work_order_assigned", locked, fields)
    return _refresh(work_order, locked)


# --- working it ------------------------------------------------------------------------------------------------


def work_order_status_set(*, actor: Any, work_order: WorkOrder, status: str, note: str = "",
                          now: dt.datetime | None = None) -> WorkOrder:
    """The assignee or a manager moves the work order on (TRANSITIONS); cancelling takes a manager, and
    verifying has its own service."""
    _require_work(actor, work_order, "facilities.work_order_status")
    if status == S.VERIFIED:
        raise ValidationError({"status": _("Verify the work with the verify button.")})
    if status == S.CANCELLED:
        _require_manage(actor, work_order, "facilities.work_order_cancel")
    note = clean_note(note)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(work_order)
        before = locked.status
        changed = status_apply(locked, status, now=now)
        changed += mark_responded(locked, now)
        locked.save(update_fields=[*changed, "updated_at"])
        if status == S.CANCELLED:
            links_end(locked.pk, now)
        event_add(locked, "status", actor=actor, note=note, status_from=before, status_to=status)
        audit(actor, "facilities.work_order_status_changed", locked, changed, reason=f"{before} -> {status}")
    return _refresh(work_order, locked)


def work_order_verify(*, actor: Any, work_order: WorkOrder, note: str = "",
                      now: dt.datetime | None = None) -> WorkOrder:
    """A manager confirms the work is done: the work order is closed and every firm link to it ends."""
    _require_manage(actor, work_order, "facilities.work_order_verify")
    note = clean_note(note)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(work_order)
        if locked.status != S.DONE:
            raise ValidationError(_("Only work that is done can be verified."))
        locked.status, locked.verified_at, locked.verified_by = S.VERIFIED, now, actor
        locked.save(update_fields=["status", "verified_at", "verified_by", "updated_at"])
        ended = links_end(locked.pk, now)
        event_add(locked, "verified", actor=actor, note=note, status_from=S.DONE, status_to=S.VERIFIED)
        audit(actor, "facilities.work_order_verified", locked, ["status", "verified_at", "verified_by"],
              reason=f"{ended} link(s) ended" if ended else "")
    return _refresh(work_order, locked)


def work_order_note_add(*, actor: Any, work_order: WorkOrder, note: str) -> WorkOrderEvent:
    """Anyone who sees the work order may add a note; from whoever works it, it counts as the first response."""
    _require(may_view(actor, work_order), actor=actor, permission=Perm.FACILITIES_VIEW,
             action="facilities.work_order_note", target=work_order)
    note = clean_note(note, required=True)
    with transaction.atomic():
        locked = _lock(work_order)
        if locked.status in (S.VERIFIED, S.CANCELLED):
            raise ValidationError(_("This work order is closed."))
        if may_work(actor, locked):
            changed = mark_responded(locked, timezone.now())
            if changed:
                locked.save(update_fields=[*changed, "updated_at"])
        event = event_add(locked, "note", actor=actor, note=note)
        audit(actor, "facilities.work_order_note_added", locked, ["events"])
    _refresh(work_order, locked)
    return event


@dataclass(frozen=True)
class CostIn:
    kind: str
    amount: Decimal
    hours: Decimal | None = None
    description: str = ""
    invoice_number: str = ""


def cost_validate(cost: CostIn) -> CostIn:
    errors: dict[str, str] = {}
    if cost.kind not in CostKind.values:
        errors["kind"] = _("Choose labour, parts or a vendor invoice.")
    if cost.amount is None or cost.amount < 0 or cost.amount >= COST_MAX:
        errors["amount"] = _("Give an amount of at least 0.")
    if cost.hours is not None and (cost.hours < 0 or cost.hours > 9999):
        errors["hours"] = _("Give the hours as a number from 0 to 9999.")
    if cost.hours is not None and cost.kind != CostKind.LABOUR:
        errors["hours"] = _("Hours go with labour only.")
    invoice_number = (cost.invoice_number or "").replace("\x00", "").strip()
    if cost.kind == CostKind.VENDOR_INVOICE and not invoice_number:
        errors["invoice_number"] = _("Give the invoice number.")
    if errors:
        raise ValidationError(errors)
    return CostIn(kind=cost.kind, amount=cost.amount.quantize(Decimal("0.01")), hours=cost.hours,
                  description=(cost.description or "").replace("\x00", "").strip()[:200],
                  invoice_number=invoice_number[:40])


def cost_record(locked: WorkOrder, cost: CostIn, *, actor: Any = None, vendor: Any = None) -> WorkOrderCost:
    """Write the (validated) cost and its timeline entry inside the caller's transaction."""
    if locked.status in (S.VERIFIED, S.CANCELLED):
        raise ValidationError(_("This work order is closed; its costs no longer change."))
    row = WorkOrderCost(work_order=locked, kind=cost.kind, amount=cost.amount, hours=cost.hours,
                        description=cost.description, invoice_number=cost.invoice_number,
                        recorded_by=actor if vendor is None else None, via_vendor_link=vendor is not None)
    row.full_clean()
    row.save(force_insert=True)
    label = f"{row.get_kind_display()} {row.amount}"
    if row.invoice_number:
        label += f" ({row.invoice_number})"
    event_add(locked, "cost", actor=actor if vendor is None else None, vendor=vendor, note=label)
    return row


def work_order_cost_add(*, actor: Any, work_order: WorkOrder, cost: CostIn) -> WorkOrderCost:
    """Labour (hours and amount), parts or the firm's invoice (with its number), entered by staff."""
    _require_work(actor, work_order, "facilities.work_order_cost")
    cost = cost_validate(cost)
    with transaction.atomic():
        locked = _lock(work_order)
        row = cost_record(locked, cost, actor=actor)
        audit(actor, "facilities.work_order_cost_added", locked, ["costs"], reason=f"{cost.kind} {cost.amount}")
    return row


def work_order_photo_add(*, actor: Any, work_order: WorkOrder, upload: UploadedFile) -> WorkOrderPhoto:
    """Anyone who sees the work order may add a photo (of the problem, or of the repair)."""
    _require(may_view(actor, work_order), actor=actor, permission=Perm.FACILITIES_VIEW,
             action="facilities.work_order_photo", target=work_order)
    checked = photo_check(upload)
    stored = photo_store(checked)
    try:
        with transaction.atomic():
            locked = _lock(work_order)
            if locked.status in (S.VERIFIED, S.CANCELLED):
                raise ValidationError(_("This work order is closed."))
            photo = photo_save(locked, stored, checked.content_type, actor=actor)
            audit(actor, "facilities.work_order_photo_added", locked, ["photos"])
    except BaseException:
        photo_delete(stored)
        raise
    return photo


def photo_opened(*, actor: Any, photo: WorkOrderPhoto) -> None:
    """Audit that a staff member opened a photo (the caller checked they may)."""
    record(actor=actor, action="facilities.work_order_photo_viewed", target=photo,
           location_id=photo.work_order.location_id)


def checklist_item_set(*, actor: Any, item: WorkOrderChecklistItem, done: bool) -> WorkOrderChecklistItem:
    """Tick (or untick) a step of a preventive work order: the assignee or a manager, while it is open."""
    work_order = item.work_order
    _require_work(actor, work_order, "facilities.work_order_checklist")
    with transaction.atomic():
        locked = _lock(work_order)
        if locked.status not in ACTIVE_STATUSES:
            raise ValidationError(_("This work order is closed."))
        current = WorkOrderChecklistItem.objects.select_for_update().get(pk=item.pk, work_order=locked)
        if current.done == done:
            return current
        current.done, current.done_at = done, timezone.now() if done else None
        current.save(update_fields=["done", "done_at"])
        event_add(locked, "checklist", actor=actor, note=("✓ " if done else "✗ ") + current.text)
        audit(actor, "facilities.work_order_checklist_ticked", locked, ["checklist"])
    return current


# --- the API's one call ----------------------------------------------------------------------------------------


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def work_order_change(*, actor: Any, work_order: WorkOrder, priority: Any = UNSET, assignee: Any = UNSET,
                      vendor: Any = UNSET, scheduled_for: Any = UNSET, status: Any = UNSET,
                      note: str = "") -> WorkOrder:
    """Several changes at once (the API's PATCH), all or nothing: triage and assignment need facilities.manage,
    a status change the assignee or a manager. Permissions are checked (and a refusal audited) first."""
    if priority is not UNSET or assignee is not UNSET or vendor is not UNSET or scheduled_for is not UNSET:
        _require_manage(actor, work_order, "facilities.work_order_update")
    if status is not UNSET:
        _require_work(actor, work_order, "facilities.work_order_update")
        if status == S.CANCELLED:
            _require_manage(actor, work_order, "facilities.work_order_cancel")
    with transaction.atomic():
        if priority is not UNSET:
            work_order_triage(actor=actor, work_order=work_order, priority=priority)
        if assignee is not UNSET or vendor is not UNSET or scheduled_for is not UNSET:
            # Naming a person takes the firm off (and naming a firm, the person), unless both are given.
            if assignee is UNSET:
                assignee = work_order.assigned_to if vendor is UNSET or vendor is None else None
            if vendor is UNSET:
                vendor = (work_order.vendor if work_order.vendor_id else None) if assignee is None else None
            work_order_assign(
                actor=actor, work_order=work_order, assignee=assignee, vendor=vendor,
                scheduled_for=work_order.scheduled_for if scheduled_for is UNSET else scheduled_for)
        if status is not UNSET:
            if status == S.VERIFIED:
                work_order_verify(actor=actor, work_order=work_order, note=note)
            else:
                work_order_status_set(actor=actor, work_order=work_order, status=status, note=note)
        elif note:
            work_order_note_add(actor=actor, work_order=work_order, note=note)
    return work_order


# --- SLA escalation --------------------------------------------------------------------------------------------


def overdue_condition(now: dt.datetime) -> Q:
    """Open and past its SLA: not responded by `respond_by`, or not resolved by `resolve_by`."""
    return Q(status__in=OPEN_STATUSES) & (Q(responded_at__isnull=True, respond_by__lt=now) | Q(resolve_by__lt=now))


def _escalation_mail(work_order: WorkOrder, reason: str) -> list[EmailMessage]:
    """To the managers at the location; the work order's number, title, location and SLA times, and a link behind
    the sign-in."""
    context = {"work_order": work_order, "reason": reason, "practice_name": practice_settings().name,
               "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
               + reverse("facilities:workorder_detail", kwargs={"pk": work_order.pk})}
    subject = " ".join(render_mail("facilities/email/work_order_escalated_subject.txt", context).split())
    body = render_mail("facilities/email/work_order_escalated.txt", context)
    addresses = list(dict.fromkeys(user.email.lower() for user in holders_at(Perm.FACILITIES_MANAGE,
                                                                               work_order.location_id)
                                   if user.email))
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def _send_escalation(work_order_id: int, reason: str) -> None:
    work_order = WorkOrder.objects.select_related("location", "asset", "vendor", "assigned_to").get(
        pk=work_order_id)
    try:
        messages = _escalation_mail(work_order, reason)
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        # The escalation stands (on the timeline and the overdue filter); only the mail is missing.
        logger.warning("Escalation mail for work order %s not sent: mail server unavailable", work_order_id,
                       exc_info=True)


def work_orders_escalate(*, now: dt.datetime, limit: int = 500) -> int:
    """Open work orders past their SLA are escalated once each: `escalated_at` is set, the timeline says why, and
    the managers at the location are emailed (after the commit). Returns how many were escalated."""
    candidates = list(WorkOrder.objects.filter(overdue_condition(now), escalated_at__isnull=True)
                      .order_by("resolve_by", "pk").values_list("pk", flat=True)[:limit])
    escalated = 0
    for pk in candidates:
        with transaction.atomic():
            locked = (WorkOrder.objects.select_for_update()
                      .filter(overdue_condition(now), pk=pk, escalated_at__isnull=True).first())
            if locked is None:  # answered, finished or escalated meanwhile
                continue
            late_response = locked.responded_at is None and locked.respond_by is not None and locked.respond_by < now
            late_resolution = locked.resolve_by is not None and locked.resolve_by < now
            reason = (_("not resolved by %(when)s") if late_resolution else _("no response by %(when)s")) % {
                "when": f"{practice_local(locked.resolve_by if late_resolution else locked.respond_by):%Y-%m-%d %H:%M}"}
            locked.escalated_at = now
            locked.save(update_fields=["escalated_at", "updated_at"])
            event_add(locked, "escalated", note=_("Escalated to the office managers: %(reason)s")
                      % {"reason": reason})
            audit(None, "facilities.work_order_escalated", locked, ["escalated_at"],
                  reason="late resolution" if late_resolution else ("late response" if late_response else ""))
            transaction.on_commit(partial(_send_escalation, locked.pk, reason))
            escalated += 1
    return escalated
