"""Writes the stock pages need beyond services.stock and services.samples.

`samples_receive_once`: the samples page's form, received once even when it is submitted twice. It is
samples.samples_receive with an Idempotency-Key: each sample line goes through stock.stock_receive under the key
"<key>:<line number>", so a second submission of the same form replays every line (nothing received twice) and a
different submission under the same key is refused (IdempotencyKeyReused). Without a key it is exactly
samples.samples_receive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.vendors.models import RepVisit

from ..choices import MovementKind
from ..models import StockMovement, StoragePlace
from . import samples, stock

KEY_ROOM = 10  # ":<line number>" appended to the key


def samples_receive_once(*, actor: Any, visit: RepVisit, place: StoragePlace, samples_in: Sequence[samples.SampleIn],
                         idempotency_key: str = "") -> tuple[list[StockMovement], bool]:
    """Put what the rep left into sample stock, all or nothing; returns the movements and whether they were
    recorded by an earlier submission of the same form (True: nothing was received now)."""
    if not idempotency_key:
        return samples.samples_receive(actor=actor, visit=visit, place=place, samples=samples_in), False
    if len(idempotency_key) > stock.MAX_KEY_LENGTH - KEY_ROOM:
        raise ValidationError({"idempotency_key": _("The key must be printable text of at most 70 characters.")})
    samples.check_receivable(actor=actor, visit=visit, place=place, samples=samples_in)
    movements: list[StockMovement] = []
    replayed: list[bool] = []
    with transaction.atomic():
        for number, sample in enumerate(samples_in, start=1):
            try:
                operation = stock.stock_receive(
                    actor=actor, item=sample.item, place=place, quantity=sample.quantity,
                    lot_number=sample.lot_number, expires_on=sample.expires_on, kind=MovementKind.SAMPLE,
                    reason=_("Left by %(vendor)s's representative") % {"vendor": visit.vendor.name},
                    rep_visit=visit, idempotency_key=f"{idempotency_key}:{number}")
            except stock.IdempotencyKeyReused:
                raise
            except ValidationError as exc:  # say which line
                raise ValidationError([_("Sample %(n)s (%(item)s): %(message)s") % {
                    "n": number, "item": sample.item.sku, "message": message} for message in exc.messages]) from exc
            movements.extend(operation.movements)
            replayed.append(operation.replayed)
        if any(replayed) and not all(replayed):
            # Part of this form was recorded before and part not: a different form under the same key.
            raise stock.IdempotencyKeyReused(
                _("This Idempotency-Key was already used for a different stock movement."))
    return movements, all(replayed)
