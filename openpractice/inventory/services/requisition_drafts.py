"""Changing a requisition while it is still a draft: its lines (replaced as a whole, the total recomputed), the
date it is needed by and the justification. Only the person who wrote it, only before it is submitted (after that
the approver decides on what was submitted). Audited like the other requisition writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.audit.services import record

from ..choices import RequisitionStatus
from ..models import Requisition, RequisitionLine
from .purchasing import LineIn, check_lines, money

KEEP: Any = object()  # a keyword left at KEEP leaves that field as it is


def requisition_update(*, actor: Any, requisition: Requisition, lines: Sequence[LineIn] | None = None,
                       needed_by: dt.date | Any | None = KEEP, justification: str | None = None) -> Requisition:
    """Change a draft: `lines` (when given) replace all of its lines; `needed_by` (None clears it) and
    `justification` change when given. Nothing changes unless everything is valid."""
    if requisition.requested_by_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="requester", action="inventory.requisition_update", target=requisition)
    if lines is not None:
        check_lines(lines)
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.DRAFT:
            raise ValidationError(_("Only a draft can be changed; this requisition is %(status)s.")
                                  % {"status": locked.get_status_display()})
        changed: list[str] = []
        if needed_by is not KEEP and locked.needed_by != needed_by:
            locked.needed_by = needed_by
            changed.append("needed_by")
        if justification is not None and locked.justification != justification.strip():
            locked.justification = justification.strip()
            changed.append("justification")
        if lines is not None:
            locked.total = money(sum((line.unit_price * line.quantity for line in lines), Decimal("0")))
            changed += ["lines", "total"]
        locked.full_clean()
        if lines is not None:
            locked.lines.all().delete()
            RequisitionLine.objects.bulk_create([
                RequisitionLine(requisition=locked, item=line.item, description=line.description.strip(),
                                packaging=line.packaging, quantity=line.quantity, unit_price=line.unit_price,
                                vendor=line.vendor) for line in lines])
        if not changed:
            return locked
        locked.save(update_fields=[name for name in changed if name != "lines"] + ["updated_at"])
        record(actor=actor, action="inventory.requisition_updated", target=locked, location_id=locked.location_id,
               changed_fields=changed)
    return locked
