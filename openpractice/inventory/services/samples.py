"""Samples a sales representative left: received into a sample cabinet as sample stock, by lot and expiry, linked
to the visit (inventory.use at the place's location)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.vendors.models import RepVisit

from ..choices import MovementKind, PlaceKind
from ..models import Item, StockMovement, StoragePlace
from . import stock


@dataclass(frozen=True)
class SampleIn:
    item: Item
    quantity: int
    lot_number: str = ""
    expires_on: dt.date | None = None


def check_receivable(*, actor: Any, visit: RepVisit, place: StoragePlace, samples: Sequence[SampleIn]) -> None:
    """What must hold before any sample is received (also for stockui.samples_receive_once). The permission is
    checked here, first and before the caller's transaction opens, so the audited refusal is not rolled back."""
    if not can(actor, Perm.INVENTORY_USE, place.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_USE, action="inventory.samples_receive", target=place)
    if place.kind != PlaceKind.SAMPLES:
        raise ValidationError({"place": _("Samples go into a sample cabinet.")})
    if place.location_id != visit.location_id:
        raise ValidationError({"place": _("Choose a sample cabinet where the visit took place.")})
    if not samples:
        raise ValidationError(_("Add at least one sample."))


def samples_receive(*, actor: Any, visit: RepVisit, place: StoragePlace,
                    samples: Sequence[SampleIn]) -> list[StockMovement]:
    """Put what the rep left into sample stock; all of it or none."""
    check_receivable(actor=actor, visit=visit, place=place, samples=samples)
    movements: list[StockMovement] = []
    with transaction.atomic():
        for sample in samples:
            operation = stock.stock_receive(
                actor=actor, item=sample.item, place=place, quantity=sample.quantity,
                lot_number=sample.lot_number, expires_on=sample.expires_on, kind=MovementKind.SAMPLE,
                reason=_("Left by %(vendor)s's representative") % {"vendor": visit.vendor.name}, rep_visit=visit)
            movements.extend(operation.movements)
    return movements
