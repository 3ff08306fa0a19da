"""Stock writes: receive, use (first expiry, first out), transfer, adjust, expire and dispose.

Every call is one transaction that writes its StockMovement rows and changes the StockLevel rows to match, so the
ledger and the levels never disagree. Taking stock locks the levels it reads (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE) and subtracts with a guarded UPDATE (`quantity >= n`), and the
database's CHECK refuses a negative quantity as the last line of defence: two people taking the last box at once
cannot both get it.

Using stock needs inventory.use at the place's location; adjusting, expiring and disposing need inventory.manage.
A refusal is audited and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.core.events import emit
from openpractice.core.selectors import practice_today

from ..choices import MovementKind
from ..models import Item, Lot, ParLevel, StockLevel, StockMovement, StoragePlace

MAX_KEY_LENGTH = 80


class IdempotencyKeyReused(ValidationError):
    """The key was used before by the same person for a different operation: nothing is recorded."""


@dataclass(frozen=True)
class Operation:
    """What one call did: its movements (one per lot touched), or the earlier ones when the key was replayed."""

    movements: tuple[StockMovement, ...]
    replayed: bool = False

    @property
    def quantity(self) -> int:
        return sum(movement.quantity for movement in self.movements)


def _authorize(actor: Any, permission: str, place: StoragePlace, action: str) -> None:
    if not can(actor, permission, place.location_id):
        raise refuse(actor=actor, permission=permission, action=action, target=place)


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise ValidationError({"quantity": _("Enter a whole number of at least 1.")})


def _check_place(place: StoragePlace, field: str = "place") -> None:
    if not place.is_active:
        raise ValidationError({field: _("This storage place is no longer in use.")})


def _replay(*, actor: Any, key: str, kind: str, item: Item, quantity: int, from_place: StoragePlace | None = None,
            to_place: StoragePlace | None = None, lot: Lot | None = None) -> Operation | None:
    """The earlier operation under this key, if any; a different operation under the same key (another kind, item,
    quantity, place, destination or named lot) is refused."""
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError({"idempotency_key": _("The key must be printable text of at most 80 characters.")})
    first = StockMovement.objects.filter(actor_id=getattr(actor, "pk", None), idempotency_key=key).first()
    if first is None:
        return None
    movements = tuple(StockMovement.objects.filter(operation=first.operation).order_by("pk"))
    same_places = (first.from_place_id == getattr(from_place, "pk", None)
                   and first.to_place_id == getattr(to_place, "pk", None))
    same_lot = lot is None or all(m.lot_id == lot.pk for m in movements)
    if (first.kind != kind or first.item_id != item.pk or sum(m.quantity for m in movements) != quantity
            or not same_places or not same_lot):
        raise IdempotencyKeyReused(_("This Idempotency-Key was already used for a different stock movement."))
    return Operation(movements, replayed=True)


def _level(item: Item, place: StoragePlace, lot: Lot | None) -> StockLevel:
    """The level row, created at zero on first use (a concurrent creator wins and we read theirs)."""
    lookup = {"item": item, "place": place, "lot": lot}
    try:
        with transaction.atomic():
            level, _created = StockLevel.objects.get_or_create(**lookup, defaults={"quantity": 0})
    except IntegrityError:
        level = StockLevel.objects.get(**lookup)
    return level


def _add(level: StockLevel, quantity: int) -> None:
    StockLevel.objects.filter(pk=level.pk).update(quantity=F("quantity") + quantity)


def _take(level_id: int, quantity: int) -> bool:
    return bool(StockLevel.objects.filter(pk=level_id, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity))


def _lot_for(item: Item, lot_number: str, expires_on: Any) -> Lot | None:
    """The item's lot by number (created the first time); items without lots take none."""
    lot_number = lot_number.strip()
    if not item.lot_tracked:
        if lot_number:
            raise ValidationError({"lot_number": _("This item does not track lots.")})
        return None
    if not lot_number:
        raise ValidationError({"lot_number": _("This item tracks lots: enter the lot number.")})
    lot, created = Lot.objects.get_or_create(item=item, number=lot_number, defaults={"expires_on": expires_on})
    if not created and expires_on is not None and lot.expires_on != expires_on:
        raise ValidationError({"expires_on": _("Lot %(lot)s is on record with another expiry date (%(date)s).")
                               % {"lot": lot_number, "date": lot.expires_on or "-"}})
    return lot


def _movement(**fields: Any) -> StockMovement:
    movement = StockMovement(occurred_at=fields.pop("occurred_at", None) or timezone.now(), **fields)
    movement.save(force_insert=True)
    return movement


def stock_receive(*, actor: Any, item: Item, place: StoragePlace, quantity: int, lot_number: str = "",
                  expires_on: Any = None, unit_cost: Decimal | None = None, reason: str = "",
                  kind: str = MovementKind.RECEIVE, idempotency_key: str = "", **source: Any) -> Operation:
    """Put stock into a place (a delivery, a sample left by a rep, an adjustment up by a manager)."""
    if kind not in (MovementKind.RECEIVE, MovementKind.SAMPLE, MovementKind.ADJUST_IN):
        raise ValidationError({"kind": _("Not a way of adding stock.")})
    permission = Perm.INVENTORY_MANAGE if kind == MovementKind.ADJUST_IN else Perm.INVENTORY_USE
    _authorize(actor, permission, place, f"inventory.stock_{kind}")
    _check_quantity(quantity)
    _check_place(place)
    if kind == MovementKind.ADJUST_IN and not reason.strip():
        raise ValidationError({"reason": _("Say why the stock is adjusted.")})
    with transaction.atomic():
        replay = _replay(actor=actor, key=idempotency_key, kind=kind, item=item, quantity=quantity, to_place=place)
        if replay:
            return replay
        lot = _lot_for(item, lot_number, expires_on)
        _add(_level(item, place, lot), quantity)
        movement = _movement(item=item, lot=lot, kind=kind, quantity=quantity, to_place=place, unit_cost=unit_cost,
                             reason=reason.strip(), actor=actor, operation=uuid.uuid4(),
                             idempotency_key=idempotency_key, **source)
    return Operation((movement,))


def _fefo_levels(item: Item, place: StoragePlace, lot: Lot | None, usable_on: dt.date | None) -> list[StockLevel]:
    """The levels to take from, first expiry first (lots without expiry last, then oldest lot), locked; with
    `usable_on`, lots expired before that day are left alone."""
    queryset = StockLevel.objects.select_for_update(of=("self",)).filter(item=item, place=place, quantity__gt=0)
    if lot is not None:
        queryset = queryset.filter(lot=lot)
    if usable_on is not None:
        queryset = queryset.filter(Q(lot__isnull=True) | Q(lot__expires_on__isnull=True)
                                   | Q(lot__expires_on__gte=usable_on))
    return list(queryset.order_by(F("lot__expires_on").asc(nulls_last=True),
                                  F("lot_id").asc(nulls_last=True), "pk"))


# The common case in one statement: lock the first-expiring level that holds anything and take from it, when it
# holds enough (the same order as _fefo_levels). One round trip instead of a locking SELECT and a guarded UPDATE. The subquery's FOR UPDATE (left
# out on SQLite, whose BEGIN IMMEDIATE already serialises writers) re-reads a row another transaction changed, and
# the outer `quantity >= n` is checked on the locked row; no row back means "not that simple" and the caller
# takes the general path.
_TAKE_FIRST_SQL = """
UPDATE inventory_stocklevel SET quantity = quantity - %(n)s
WHERE quantity >= %(n)s AND id = (
    SELECT sl.id FROM inventory_stocklevel sl LEFT JOIN inventory_lot lt ON lt.id = sl.lot_id
    WHERE sl.item_id = %(item)s AND sl.place_id = %(place)s AND sl.quantity > 0 {lot} {usable}
    ORDER BY lt.expires_on ASC NULLS LAST, sl.lot_id ASC NULLS LAST, sl.id ASC
    LIMIT 1 {lock})
RETURNING id, lot_id"""


def _take_first(item: Item, place: StoragePlace, lot: Lot | None, quantity: int,
                usable_on: dt.date | None) -> int | bool | None:
    """Take `quantity` from the first level in FEFO order if it holds enough: its lot id (None for no lot), or
    False when the general path is needed."""
    sql = _TAKE_FIRST_SQL.format(
        lot="AND sl.lot_id = %(lot)s" if lot is not None else "",
        usable="AND (lt.expires_on IS NULL OR lt.expires_on >= %(usable_on)s)" if usable_on is not None else "",
        lock="FOR UPDATE OF sl" if connection.vendor == "postgresql" else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"n": quantity, "item": item.pk, "place": place.pk, "lot": getattr(lot, "pk", None),
                             "usable_on": usable_on})
        row = cursor.fetchone()
    return False if row is None else row[1]


def _take_out(*, actor: Any, kind: str, item: Item, place: StoragePlace, quantity: int, lot: Lot | None,
              reason: str, idempotency_key: str, to_place: StoragePlace | None = None,
              **source: Any) -> Operation:
    with transaction.atomic():
        replay = _replay(actor=actor, key=idempotency_key, kind=kind, item=item, quantity=quantity,
                         from_place=place, to_place=to_place, lot=lot)
        if replay:
            return replay
        # Using or moving stock never takes an expired lot (it is expired or disposed of, with a reason).
        usable_on = practice_today() if kind in (MovementKind.CONSUME, MovementKind.TRANSFER) else None
        if lot is not None and usable_on is not None and lot.expires_on is not None and lot.expires_on < usable_on:
            raise ValidationError({"lot": _("Lot %(lot)s expired on %(date)s: expire or dispose of it instead.")
                                   % {"lot": lot.number, "date": lot.expires_on}})
        operation = uuid.uuid4()
        taken_lot = _take_first(item, place, lot, quantity, usable_on)
        if taken_lot is not False:
            if to_place is not None:
                _add(_level(item, to_place, Lot(pk=taken_lot) if taken_lot else None), quantity)
            _announce_below_par(place, {item.pk: quantity})
            return Operation((_movement(
                item=item, lot_id=taken_lot, kind=kind, quantity=quantity, from_place=place, to_place=to_place,
                reason=reason, actor=actor, operation=operation, idempotency_key=idempotency_key, **source),))
        levels = _fefo_levels(item, place, lot, usable_on)
        available = sum(level.quantity for level in levels)
        if available < quantity:
            raise ValidationError({"quantity": _("Only %(available)s %(unit)s on hand here.") % {
                "available": available, "unit": item.base_unit}})
        remaining = quantity
        movements: list[StockMovement] = []
        for level in levels:
            if remaining == 0:
                break
            taken = min(remaining, level.quantity)
            if not _take(level.pk, taken):
                raise ValidationError({"quantity": _("The stock changed meanwhile; try again.")})
            if to_place is not None:
                _add(_level(item, to_place, level.lot), taken)
            movements.append(_movement(
                item=item, lot_id=level.lot_id, kind=kind, quantity=taken, from_place=place, to_place=to_place,
                reason=reason, actor=actor, operation=operation,
                idempotency_key=idempotency_key if not movements else "", **source))
            remaining -= taken
        _announce_below_par(place, {item.pk: quantity})
    return Operation(tuple(movements))


def _announce_below_par(place: StoragePlace, taken: dict[int, int]) -> None:
    """The domain event (webhooks) when taking stock brings an item with a par level here to its reorder point
    or below: once, as it crosses (not on every later use). Two queries, only when the items have par levels."""
    pars = {item_id: (par, point) for item_id, par, point in ParLevel.objects.filter(
        place=place, item_id__in=list(taken)).values_list("item_id", "par", "reorder_point")}
    if not pars:
        return
    on_hand = dict(StockLevel.objects.filter(place=place, item_id__in=list(pars)).values("item_id")
                   .annotate(total=Sum("quantity")).values_list("item_id", "total"))
    for item_id, (par, point) in sorted(pars.items()):
        after = int(on_hand.get(item_id) or 0)
        if after <= point < after + taken[item_id]:
            emit("stock.below_par", location_id=place.location_id, data={
                "item_id": item_id, "place_id": place.pk, "location_id": place.location_id, "on_hand": after,
                "par": par, "reorder_point": point})


def stock_consume(*, actor: Any, item: Item, place: StoragePlace, quantity: int, reason: str = "",
                  lot: Lot | None = None, idempotency_key: str = "") -> Operation:
    """Use stock: from the lots that expire first, unless a lot is named. Never below zero."""
    _authorize(actor, Perm.INVENTORY_USE, place, "inventory.stock_consume")
    _check_quantity(quantity)
    return _take_out(actor=actor, kind=MovementKind.CONSUME, item=item, place=place, quantity=quantity, lot=lot,
                     reason=reason.strip(), idempotency_key=idempotency_key)


def stock_transfer(*, actor: Any, item: Item, source: StoragePlace, destination: StoragePlace, quantity: int,
                   reason: str = "", lot: Lot | None = None, idempotency_key: str = "") -> Operation:
    """Move stock between places (supply room to an exam room, or to another location), lots kept."""
    _authorize(actor, Perm.INVENTORY_USE, source, "inventory.stock_transfer")
    _authorize(actor, Perm.INVENTORY_USE, destination, "inventory.stock_transfer")
    _check_quantity(quantity)
    _check_place(destination, "destination")
    if source.pk == destination.pk:
        raise ValidationError({"destination": _("Choose another place to move it to.")})
    return _take_out(actor=actor, kind=MovementKind.TRANSFER, item=item, place=source, quantity=quantity, lot=lot,
                     reason=reason.strip(), idempotency_key=idempotency_key, to_place=destination)


def stock_remove(*, actor: Any, kind: str, item: Item, place: StoragePlace, quantity: int, reason: str,
                 lot: Lot | None = None, idempotency_key: str = "", **source: Any) -> Operation:
    """Adjust down, expire or dispose (a manager's decision, with a reason)."""
    if kind not in (MovementKind.ADJUST_OUT, MovementKind.EXPIRE, MovementKind.DISPOSE):
        raise ValidationError({"kind": _("Not a way of removing stock.")})
    _authorize(actor, Perm.INVENTORY_MANAGE, place, f"inventory.stock_{kind}")
    _check_quantity(quantity)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the stock is removed.")})
    if kind == MovementKind.EXPIRE and lot is None:
        raise ValidationError({"lot": _("Name the expired lot.")})
    return _take_out(actor=actor, kind=kind, item=item, place=place, quantity=quantity, lot=lot,
                     reason=reason.strip(), idempotency_key=idempotency_key, **source)


@dataclass(frozen=True)
class UseLine:
    """One item of a multi-item use: the quantity in base units, from the named lot or first expiry first."""

    item: Item
    quantity: int
    lot: Lot | None = None


MAX_LINES = 200


def _same_use(movements: Sequence[StockMovement], place: StoragePlace, lines: Sequence[UseLine]) -> bool:
    """The earlier operation used the same quantities of the same items (and named lots) from this place."""
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.item.pk] = wanted.get(line.item.pk, 0) + line.quantity
    used: dict[int, int] = {}
    for movement in movements:
        used[movement.item_id] = used.get(movement.item_id, 0) + movement.quantity
    named = {line.item.pk: line.lot.pk for line in lines if line.lot is not None}
    return (all(m.kind == MovementKind.CONSUME and m.from_place_id == place.pk for m in movements)
            and wanted == used and all(m.lot_id == named[m.item_id] for m in movements if m.item_id in named))


@dataclass
class _Held:
    """A level as read under lock, with what the lines before have taken from it already subtracted."""

    level_id: int
    lot_id: int | None
    quantity: int


def _fefo_levels_of(place: StoragePlace, item_ids: set[int], usable_on: dt.date) -> list[tuple[int, int, int | None,
                                                                                                 int]]:
    """(level id, item id, lot id, quantity) of the items' usable levels holding stock at the place, item by item,
    first expiry first (the order of _fefo_levels), locked on PostgreSQL."""
    return list(StockLevel.objects.select_for_update(of=("self",))
                .filter(place=place, item_id__in=item_ids, quantity__gt=0)
                .filter(Q(lot__isnull=True) | Q(lot__expires_on__isnull=True) | Q(lot__expires_on__gte=usable_on))
                .order_by("item_id", F("lot__expires_on").asc(nulls_last=True), F("lot_id").asc(nulls_last=True), "pk")
                .values_list("pk", "item_id", "lot_id", "quantity"))


_TAKE_MANY_SQL = """
UPDATE inventory_stocklevel SET quantity = inventory_stocklevel.quantity - take.n FROM ({rows}) AS take
WHERE inventory_stocklevel.id = take.id AND inventory_stocklevel.quantity >= take.n"""


def _take_many(takes: dict[int, int]) -> int:
    """Subtract each level's take in one statement, each guarded by `quantity >= take`; the rows changed."""
    if not takes:
        return 0
    # A derived table rather than a WITH clause: Python's sqlite3 reports no rowcount for a statement that does
    # not start with UPDATE. The text holds placeholders only; the ids and quantities are parameters.
    rows = " UNION ALL ".join(["SELECT %s AS id, %s AS n"] * len(takes))
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_MANY_SQL.format(rows=rows), [value for pair in sorted(takes.items()) for value in pair])
        return int(cursor.rowcount)


def stock_consume_many(*, actor: Any, place: StoragePlace, lines: Sequence[UseLine], reason: str = "",
                       idempotency_key: str = "") -> Operation:
    """Use several items from one place at once (the supplies of a visit, a room restocked from its cart): all
    lines or none, each first expiry first out unless its lot is named, in one transaction with one commit, the
    ledger rows written in one statement. Never below zero; a line short of stock refuses the whole call and says
    which line."""
    _authorize(actor, Perm.INVENTORY_USE, place, "inventory.stock_consume")
    if not lines:
        raise ValidationError({"lines": _("Add at least one item.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(n)s items at once.") % {"n": MAX_LINES}})
    for line in lines:
        _check_quantity(line.quantity)
        if line.lot is not None and line.lot.item_id != line.item.pk:
            raise ValidationError({"lot": _("Lot %(lot)s is not a lot of %(item)s.")
                                   % {"lot": line.lot.number, "item": line.item.name}})
    reason = reason.strip()
    with transaction.atomic():
        if idempotency_key:
            if len(idempotency_key) > MAX_KEY_LENGTH or not idempotency_key.isprintable():
                raise ValidationError({"idempotency_key": _("The key must be printable text of at most 80 "
                                                            "characters.")})
            first = StockMovement.objects.filter(actor_id=getattr(actor, "pk", None),
                                                 idempotency_key=idempotency_key).first()
            if first is not None:
                earlier = tuple(StockMovement.objects.filter(operation=first.operation).order_by("pk"))
                if not _same_use(earlier, place, lines):
                    raise IdempotencyKeyReused(_("This Idempotency-Key was already used for a different stock "
                                                 "movement."))
                return Operation(earlier, replayed=True)
        usable_on = practice_today()
        for number, line in enumerate(lines, start=1):
            if line.lot is not None and line.lot.expires_on is not None and line.lot.expires_on < usable_on:
                raise ValidationError({"lines": _("Line %(n)s: lot %(lot)s expired on %(date)s.") % {
                    "n": number, "lot": line.lot.number, "date": line.lot.expires_on}})
        # One locking read of every usable level of these items here, in one order (item, then first expiry), so
        # two uses at once wait for each other instead of deadlocking; then the takes are worked out here and
        # written by one guarded UPDATE and one INSERT, whatever the number of lines.
        levels: dict[int, list[_Held]] = {}
        for level_id, item_id, lot_id, quantity in _fefo_levels_of(place, {line.item.pk for line in lines},
                                                                   usable_on):
            levels.setdefault(item_id, []).append(_Held(level_id, lot_id, quantity))
        operation = uuid.uuid4()
        occurred_at = timezone.now()
        pending: list[StockMovement] = []
        takes: dict[int, int] = {}
        for number, line in enumerate(lines, start=1):
            candidates = [held for held in levels.get(line.item.pk, [])
                          if line.lot is None or held.lot_id == line.lot.pk]
            available = sum(held.quantity for held in candidates)
            if available < line.quantity:
                raise ValidationError({"lines": _("Line %(n)s (%(item)s): only %(available)s %(unit)s on hand here.")
                                       % {"n": number, "item": line.item.name, "available": available,
                                          "unit": line.item.base_unit}})
            remaining = line.quantity
            for held in candidates:
                if remaining == 0:
                    break
                taken = min(remaining, held.quantity)
                if taken == 0:
                    continue
                held.quantity -= taken
                takes[held.level_id] = takes.get(held.level_id, 0) + taken
                pending.append(StockMovement(
                    item=line.item, lot_id=held.lot_id, kind=MovementKind.CONSUME, quantity=taken, from_place=place,
                    reason=reason, actor=actor, operation=operation, occurred_at=occurred_at,
                    idempotency_key=idempotency_key if not pending else ""))
                remaining -= taken
        if _take_many(takes) != len(takes):
            raise ValidationError({"lines": _("The stock changed meanwhile; try again.")})
        StockMovement.objects.bulk_create(pending)
        used: dict[int, int] = {}
        for line in lines:
            used[line.item.pk] = used.get(line.item.pk, 0) + line.quantity
        _announce_below_par(place, used)
    return Operation(tuple(pending))


def ledger_matches_levels(*, items: Iterable[int] | None = None) -> bool:
    """Consistency check (tests, `openpractice inventory verify`): each level equals the sum of its movements."""
    movements = StockMovement.objects.all()
    levels = StockLevel.objects.all()
    if items is not None:
        ids = list(items)
        movements, levels = movements.filter(item_id__in=ids), levels.filter(item_id__in=ids)
    expected: dict[tuple[int, int, int | None], int] = {}
    for item_id, lot_id, place_id, total in movements.exclude(to_place=None).values_list(
            "item_id", "lot_id", "to_place_id").annotate(total=Sum("quantity")):
        expected[(item_id, place_id, lot_id)] = expected.get((item_id, place_id, lot_id), 0) + total
    for item_id, lot_id, place_id, total in movements.exclude(from_place=None).values_list(
            "item_id", "lot_id", "from_place_id").annotate(total=Sum("quantity")):
        expected[(item_id, place_id, lot_id)] = expected.get((item_id, place_id, lot_id), 0) - total
    actual: dict[tuple[int, int, int | None], int] = {(item_id, place_id, lot_id): quantity
              for item_id, place_id, lot_id, quantity in levels.values_list("item_id", "place_id", "lot_id",
                                                                            "quantity")}
    keys = set(expected) | set(actual)
    return all(expected.get(key, 0) == actual.get(key, 0) for key in keys)
