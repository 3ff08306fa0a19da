"""Purchase order changes the pages need beyond services.purchasing: placing the orders of an approved
requisition after choosing the vendors the requester left open, the date the vendor promised delivery (what
vendor performance measures on-time receipts against) and the notes printed on the order.

inventory.manage at the order's location. Notes go on the PDF the vendor receives, so they change only while
the order is a draft; the expected date changes until everything has arrived. Audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import OrderStatus, RequisitionStatus
from ..models import PurchaseOrder, Requisition, RequisitionLine, StoragePlace
from .purchasing import orders_from_requisition

CHANGEABLE = (OrderStatus.DRAFT, OrderStatus.SENT, OrderStatus.PARTIAL)


def order_update(*, actor: Any, order: PurchaseOrder, expected_on: dt.date | None, notes: str) -> PurchaseOrder:
    if not can(actor, Perm.INVENTORY_MANAGE, order.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.order_update", target=order)
    notes = notes.strip()
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("This order is finished; it no longer changes."))
        if notes != locked.notes and locked.status != OrderStatus.DRAFT:
            raise ValidationError({"notes": _("The order was sent with its notes; they no longer change.")})
        if expected_on is not None and expected_on < locked.created_at.date() - dt.timedelta(days=1):
            raise ValidationError({"expected_on": _("Delivery cannot be expected before the order was written.")})
        changed = [name for name, value in (("expected_on", expected_on), ("notes", notes))
                   if getattr(locked, name) != value]
        if not changed:
            return locked
        locked.expected_on, locked.notes = expected_on, notes
        locked.full_clean()
        locked.save(update_fields=[*changed, "updated_at"])
        record(actor=actor, action="inventory.order_updated", target=locked, location_id=locked.location_id,
               changed_fields=changed)
    return locked


def orders_place(*, actor: Any, requisition: Requisition, receive_into: StoragePlace, today: dt.date,
                 vendors: Mapping[int, Any] | None = None) -> list[PurchaseOrder]:
    """Order an approved requisition: the buyer first chooses a vendor for the lines the requester left without
    one (`vendors`: line id -> vendor; a vendor the requester chose stays), then one draft order per vendor
    (services.purchasing.orders_from_requisition), all or nothing."""
    if not can(actor, Perm.INVENTORY_MANAGE, requisition.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.order_create",
                     target=requisition)
    vendors = {line_id: vendor for line_id, vendor in (vendors or {}).items() if vendor is not None}
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.APPROVED:
            raise ValidationError(_("Only an approved requisition is ordered."))
        if vendors:
            lines = {line.pk: line for line in RequisitionLine.objects.filter(requisition=locked, pk__in=list(vendors))}
            if set(vendors) - set(lines):
                raise ValidationError(_("A line is not on this requisition."))
            if any(line.vendor_id is not None for line in lines.values()):
                raise ValidationError(_("A line already has the vendor the requester chose."))
            for line_id, vendor in vendors.items():
                RequisitionLine.objects.filter(pk=line_id).update(vendor=vendor)
            record(actor=actor, action="inventory.requisition_vendors_chosen", target=locked,
                   location_id=locked.location_id, changed_fields=["lines.vendor"],
                   reason=f"{len(vendors)} line(s)")
        return orders_from_requisition(actor=actor, requisition=locked, receive_into=receive_into, today=today)
