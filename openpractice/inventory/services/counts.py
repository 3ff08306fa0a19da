"""Cycle counts: count one storage place, submit, and have a manager approve the variances, which posts the
adjustments to the ledger. The expected quantities are read when the count starts; stock that moves during the
count is taken into account at approval (the adjustment is counted - expected, applied to what is there then)."""

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

from ..choices import CountStatus, MovementKind
from ..models import CycleCount, CycleCountLine, StockLevel, StoragePlace
from . import stock


def count_start(*, actor: Any, place: StoragePlace) -> CycleCount:
    """Open a count of a place with a line per item and lot on the books there (one open count per place)."""
    if not can(actor, Perm.INVENTORY_USE, place.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_USE, action="inventory.count_start", target=place)
    with transaction.atomic():
        if CycleCount.objects.filter(place=place, status__in=[CountStatus.OPEN, CountStatus.SUBMITTED]).exists():
            raise ValidationError(_("This place is being counted already."))
        count = CycleCount(place=place, started_by=actor)
        count.save(force_insert=True)
        CycleCountLine.objects.bulk_create([
            CycleCountLine(count=count, item_id=item_id, lot_id=lot_id, expected=quantity)
            for item_id, lot_id, quantity in StockLevel.objects.filter(place=place).exclude(
                quantity=0, lot__isnull=False).values_list("item_id", "lot_id", "quantity").order_by("item_id")])
        record(actor=actor, action="inventory.count_started", target=count, location_id=place.location_id)
    return count


def count_record(*, actor: Any, count: CycleCount, counted: Mapping[int, int]) -> CycleCount:
    """Enter counted quantities by line id (any subset, as many times as needed while the count is open)."""
    if not can(actor, Perm.INVENTORY_USE, count.place.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_USE, action="inventory.count_record", target=count)
    with transaction.atomic():
        locked = CycleCount.objects.select_for_update().get(pk=count.pk)
        if locked.status != CountStatus.OPEN:
            raise ValidationError(_("The count is no longer open."))
        lines = {line.pk: line for line in locked.lines.filter(pk__in=list(counted))}
        for line_id, quantity in counted.items():
            if line_id not in lines:
                raise ValidationError(_("Line %(id)s is not part of this count.") % {"id": line_id})
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise ValidationError(_("Counted quantities are whole numbers, zero or more."))
            lines[line_id].counted = quantity
        CycleCountLine.objects.bulk_update(list(lines.values()), ["counted"])
    return locked


def count_submit(*, actor: Any, count: CycleCount) -> CycleCount:
    if not can(actor, Perm.INVENTORY_USE, count.place.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_USE, action="inventory.count_submit", target=count)
    with transaction.atomic():
        locked = CycleCount.objects.select_for_update().get(pk=count.pk)
        if locked.status != CountStatus.OPEN:
            raise ValidationError(_("The count is no longer open."))
        if locked.lines.filter(counted__isnull=True).exists():
            raise ValidationError(_("Count every line first (enter 0 for none)."))
        locked.status, locked.submitted_by = CountStatus.SUBMITTED, actor
        locked.save(update_fields=["status", "submitted_by", "updated_at"])
        record(actor=actor, action="inventory.count_submitted", target=locked,
               location_id=locked.place.location_id)
    return locked


def count_approve(*, actor: Any, count: CycleCount) -> CycleCount:
    """A manager (not the counter) accepts the variances: each becomes an adjustment in the ledger."""
    if not can(actor, Perm.INVENTORY_MANAGE, count.place.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.count_approve", target=count)
    if actor.pk in (count.started_by_id, count.submitted_by_id):
        raise refuse(actor=actor, permission="another person", action="inventory.count_approve", target=count,
                     message=_("Someone other than the counter approves the count."))
    with transaction.atomic():
        locked = CycleCount.objects.select_for_update().select_related("place").get(pk=count.pk)
        if locked.status != CountStatus.SUBMITTED:
            raise ValidationError(_("Only a submitted count can be approved."))
        for line in locked.lines.select_related("item", "lot"):
            variance = line.variance or 0
            reason = _("Cycle count %(id)s") % {"id": locked.pk}
            if variance > 0:
                stock.stock_receive(actor=actor, item=line.item, place=locked.place, quantity=variance,
                                    lot_number=line.lot.number if line.lot else "",
                                    kind=MovementKind.ADJUST_IN, reason=reason, count_line=line)
            elif variance < 0:
                stock.stock_remove(actor=actor, kind=MovementKind.ADJUST_OUT, item=line.item, place=locked.place,
                                   quantity=-variance, lot=line.lot, reason=reason, count_line=line)
        locked.status, locked.approved_by, locked.approved_at = CountStatus.APPROVED, actor, timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        record(actor=actor, action="inventory.count_approved", target=locked,
               location_id=locked.place.location_id)
    return locked
