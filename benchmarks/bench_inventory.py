"""Supply chain: suggested orders over 10,000 items x 10 storage places (target: under 2 s) and stock movements
through the service layer (target: 1,000 a second on PostgreSQL); SQLite: figures reported.

Usage: python benchmarks/bench_inventory.py --database sqlite|postgresql [--items 10000] [--runs 5]
       [--movements 2000] [--json]

A database of its own (a temporary SQLite file, or the PostgreSQL database op_bench_inventory), migrated, then
loaded in bulk (bulk_create; not part of the figures): a practice with 2 locations and 5 storage places each (a
supply room, exam rooms, a sample cabinet), 20 supplier vendors (5 of them under a GPO contract), `--items` items
(about 20% lot-tracked with two lots each, 97% with a preferred vendor, one or two packagings), and for about 95%
of the items with a preferred vendor a past, a current and a future price of that vendor (about 15% of them also a
contract price in force), a quarter of the items also priced by a second vendor. Every item has a par level at
every place (10 x `--items` rows) and stock there (one level per lot for lot-tracked items), about 30% of them at
or below the reorder point, some at zero; each non-zero level has the receive movement that put it there, so the
ledger matches the levels.

Measured (median of the runs, each alternating with its reference):
- suggested orders: `selectors.stock.suggested_orders` for an office manager with every location (and for one
  with one location); its query count (the grants already loaded, as after the first check of a request);
- reference: hand-written SQL counting the same par levels at or below their reorder point and the units needed
  (stock summed per item and place, joined to the par levels), through a cursor; the results are compared;
- movements: `--movements` `stock_consume` calls of 1 unit (first expiry first out over the lots), a quarter as
  many `stock_receive` (10 units into an existing lot, or none) and as many `stock_transfer` (1 unit to another
  place, lots kept), in random order across random item/place pairs, by the same manager, one process, each
  call its own transaction; every call writes one ledger row. Movements per second: calls over the time spent
  inside them;
- movements, several workers (`--workers`, default 4 processes, each with its own connection): the same mix of
  calls over random item/place pairs, all workers started together; movements a second = all calls over the
  wall-clock time from the first start to the last finish. The target is a rate for the practice, which is
  served by several application processes at once (DESIGN.md: gunicorn workers); PostgreSQL commits concurrent
  transactions with one WAL flush (group commit), which one process cannot use;
- multi-item uses (`--lines`, default 10): `stock_consume_many` of 1 unit of each of `--lines` random well
  stocked items at one random place (a visit's supplies: one transaction, one commit, the ledger rows in one
  INSERT); movements a second = ledger rows over the time spent in the calls; one process, then `--workers`
  processes started together (wall-clock, as above);
- reference: after each call, a bare `UPDATE inventory_stocklevel SET quantity = quantity - 1 WHERE id = %s` of
  a random level in its own transaction (`transaction.atomic()` and a cursor); its decrements are added back,
  untimed, before the ledger is checked against the levels after the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_common import bench_database, count_queries, median_ms, npi, p95_ms, server_version, timed

DB_NAME = "op_bench_inventory"
TARGET_SUGGEST_MS = 2000.0
TARGET_MOVEMENTS_PER_SECOND = 1000
LOCATIONS = 2
PLACES = (("Supply room", "supply_room"), ("Exam 1", "exam_room"), ("Exam 2", "exam_room"),
          ("Exam 3", "exam_room"), ("Sample cabinet", "samples"))
VENDORS = 20
BATCH = 5000
WORDS = ("gloves", "gauze", "syringe", "needle", "swab", "bandage", "tape", "mask", "gown", "drape", "catheter",
         "tongue depressor", "specimen cup", "paper", "toner", "wipes", "sanitizer", "speculum", "lancet", "strip")
SIZES = ("small", "medium", "large", "x-large", "3 ml", "5 ml", "10 ml", "25G", "22G", "2x2", "4x4", "1 in")


def load(items: int, seed: int = 8) -> dict[str, Any]:
    """Bulk-load the practice, the catalogue, the prices, the par levels and the stock."""
    from django.db import connection, transaction

    from openpractice.accounts.models import RoleAssignment, User
    from openpractice.accounts.roles import Role, Tier
    from openpractice.core.models import Location, Practice
    from openpractice.core.selectors import practice_today
    from openpractice.inventory.choices import ItemCategory, MovementKind
    from openpractice.inventory.models import (
        Item,
        Lot,
        Packaging,
        ParLevel,
        StockLevel,
        StockMovement,
        StoragePlace,
        VendorItem,
    )
    from openpractice.vendors.choices import ContractKind, VendorKind
    from openpractice.vendors.models import Contract, Vendor

    rng = random.Random(seed)
    started = time.perf_counter()
    today = practice_today()
    with transaction.atomic():
        practice = Practice.objects.create(
            name="Bench Family Medicine", legal_name="Bench Family Medicine, PLLC", ein="56-1234567",
            group_npi=npi(0), kind="medical_group", address_line1="100 Main Street", city="Raleigh", state="NC",
            postal_code="27601-1234", phone="919-555-0100")
        locations = [Location.objects.create(practice=practice, name=f"Clinic {n}", code=f"clinic{n}",
                                             phone="919-555-0101", address_line1=f"{n} Main Street", city="Raleigh",
                                             state="NC", postal_code="27601-1234") for n in range(LOCATIONS)]
        places = StoragePlace.objects.bulk_create(
            StoragePlace(location=location, name=name, kind=kind) for location in locations for name, kind in PLACES)
        actor = User.objects.create(username="bench-manager", email="manager@bench.test")
        RoleAssignment.objects.create(user=actor, role=Role.OFFICE_MANAGER, tier=Tier.MID, all_locations=True)
        one_location = User.objects.create(username="bench-manager-one", email="one@bench.test")
        RoleAssignment.objects.create(user=one_location, role=Role.OFFICE_MANAGER, tier=Tier.MID).locations.add(
            locations[0])
        vendors = [Vendor.objects.create(name=f"Supplier {n:02d}", kind=VendorKind.SUPPLIER) for n in range(VENDORS)]
        contracts = {vendor.pk: Contract.objects.create(vendor=vendor, kind=ContractKind.GPO,
                                                        title=f"GPO pricing {vendor.name}",
                                                        starts_on=today - dt.timedelta(days=200))
                     for vendor in vendors[:5]}
        # Vendors of unequal size: the first ones supply more items.
        weights = [VENDORS - n for n in range(VENDORS)]
        catalogue = Item.objects.bulk_create(
            (Item(sku=f"SKU-{n:06d}", name=f"{rng.choice(WORDS).capitalize()}, {rng.choice(SIZES)} ({n})",
                  category=rng.choice((ItemCategory.MEDICAL, ItemCategory.MEDICAL, ItemCategory.SUPPLY,
                                       ItemCategory.OFFICE)),
                  lot_tracked=rng.random() < 0.2,
                  preferred_vendor=rng.choices(vendors, weights)[0] if rng.random() < 0.97 else None)
             for n in range(items)), batch_size=BATCH)
        boxes: list[Packaging] = []
        cases: list[Packaging] = []
        for item in catalogue:
            size = rng.choice((10, 12, 24, 50, 100))
            boxes.append(Packaging(item=item, name="box", base_quantity=size))
            if rng.random() < 0.5:
                cases.append(Packaging(item=item, name="case", base_quantity=size * 10))
        Packaging.objects.bulk_create(boxes + cases, batch_size=BATCH)
        box_of = {box.item_id: box for box in boxes}
        prices: list[VendorItem] = []
        for item in catalogue:
            vendor = item.preferred_vendor
            box = box_of[item.pk]
            if vendor is not None and rng.random() < 0.95:
                packaging = box if rng.random() < 0.9 else None  # else priced per base unit
                base = Decimal(rng.randrange(200, 20_000)) / 100
                prices += [
                    VendorItem(vendor=vendor, item=item, packaging=packaging, price=base * Decimal("0.95"),
                               effective_from=today - dt.timedelta(days=500),
                               effective_to=today - dt.timedelta(days=151)),
                    VendorItem(vendor=vendor, item=item, packaging=packaging, price=base,
                               effective_from=today - dt.timedelta(days=150)),
                    VendorItem(vendor=vendor, item=item, packaging=packaging, price=base * Decimal("1.04"),
                               effective_from=today + dt.timedelta(days=45)),
                ]
                if vendor.pk in contracts and rng.random() < 0.6:
                    prices.append(VendorItem(vendor=vendor, item=item, packaging=packaging,
                                             price=base * Decimal("0.85"), effective_from=today - dt.timedelta(days=60),
                                             contract=contracts[vendor.pk]))
            if rng.random() < 0.25:
                other = rng.choice([v for v in vendors[-5:] if v != vendor])
                prices.append(VendorItem(vendor=other, item=item, packaging=box,
                                         price=Decimal(rng.randrange(200, 20_000)) / 100,
                                         effective_from=today - dt.timedelta(days=90)))
        VendorItem.objects.bulk_create(prices, batch_size=BATCH)
        lots: list[Lot] = []
        for item in catalogue:
            if item.lot_tracked:
                soon = today + dt.timedelta(days=rng.randrange(20, 200))
                lots += [Lot(item=item, number=f"L{item.pk}-A", expires_on=soon),
                         Lot(item=item, number=f"L{item.pk}-B", expires_on=soon + dt.timedelta(days=365))]
        Lot.objects.bulk_create(lots, batch_size=BATCH)
        lots_of: dict[int, list[Lot]] = {}
        for lot in lots:
            lots_of.setdefault(lot.item_id, []).append(lot)
        pars: list[ParLevel] = []
        levels: list[StockLevel] = []
        below = 0
        for item in catalogue:
            for place in places:
                par = rng.choice((10, 20, 30, 50, 100, 200))
                reorder = max(1, round(par * rng.uniform(0.2, 0.4)))
                if rng.random() < 0.3:
                    on_hand = 0 if rng.random() < 0.2 else rng.randint(0, reorder)
                    below += 1
                else:
                    on_hand = rng.randint(reorder + 1, par + par // 5)
                pars.append(ParLevel(item=item, place=place, par=par, reorder_point=reorder))
                if item.lot_tracked:
                    first = rng.randint(0, on_hand)
                    levels += [StockLevel(item=item, place=place, lot=lots_of[item.pk][0], quantity=first),
                               StockLevel(item=item, place=place, lot=lots_of[item.pk][1], quantity=on_hand - first)]
                else:
                    levels.append(StockLevel(item=item, place=place, quantity=on_hand))
        ParLevel.objects.bulk_create(pars, batch_size=BATCH)
        StockLevel.objects.bulk_create(levels, batch_size=BATCH)
        moment = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC)
        StockMovement.objects.bulk_create(
            (StockMovement(item_id=level.item_id, lot_id=level.lot_id, kind=MovementKind.RECEIVE,
                           quantity=level.quantity, to_place_id=level.place_id, actor=actor, occurred_at=moment,
                           operation=uuid.uuid4()) for level in levels if level.quantity > 0), batch_size=BATCH)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("item", "packaging", "vendoritem", "lot", "parlevel", "stocklevel", "stockmovement"):
                cursor.execute(f"VACUUM ANALYZE inventory_{table}")
        else:
            cursor.execute("ANALYZE")
    return {"actor": actor, "one_location": one_location, "today": today, "items": len(catalogue),
            "lot_tracked": sum(1 for item in catalogue if item.lot_tracked), "places": len(places),
            "vendors": len(vendors), "prices": len(prices), "par_levels": len(pars), "stock_levels": len(levels),
            "par_levels_below": below, "load_seconds": round(time.perf_counter() - started, 1)}


REFERENCE_SQL = """
SELECT COUNT(*), COALESCE(SUM(p.par - COALESCE(s.on_hand, 0)), 0)
FROM inventory_parlevel p
JOIN inventory_item i ON i.id = p.item_id
JOIN inventory_storageplace sp ON sp.id = p.place_id
LEFT JOIN (SELECT item_id, place_id, SUM(quantity) AS on_hand FROM inventory_stocklevel GROUP BY item_id, place_id) s
  ON s.item_id = p.item_id AND s.place_id = p.place_id
WHERE i.is_active AND sp.is_active AND COALESCE(s.on_hand, 0) <= p.reorder_point
"""


def _reference() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL)
        count, needed = cursor.fetchone()
    return int(count), int(needed)


def _statements(call: Callable[[], Any]) -> list[tuple[str, Any]]:
    from django.db import connection

    sent: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        call()
    return sent


def _plan(sql: str, params: Sequence[Any], *, analyze: bool = False) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {'(ANALYZE, BUFFERS) ' if analyze else ''}{sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in cursor.fetchall()]


def measure_suggested(made: dict[str, Any], runs: int) -> dict[str, Any]:
    from openpractice.inventory.selectors.stock import suggested_orders

    actor, one_location, today = made["actor"], made["one_location"], made["today"]

    def suggest() -> Any:
        return suggested_orders(actor=actor, today=today)

    def suggest_one() -> Any:
        return suggested_orders(actor=one_location, today=today)

    from openpractice.accounts.permissions import grants

    for user in (actor, one_location):
        grants(user)  # loaded once, cached on the user, as after the first permission check of a request
    samples: dict[str, list[float]] = {"suggest": [], "reference": [], "one": []}
    results: dict[str, Any] = {}
    for _run in range(runs):
        for name, call in (("suggest", suggest), ("reference", _reference), ("one", suggest_one)):
            seconds, value = timed(call)
            samples[name].append(seconds)
            results[name] = value
    orders, (reference_count, reference_needed) = results["suggest"], results["reference"]
    lines = [line for order in orders for line in order.lines]
    places_below = sum(len(line.places) for line in lines)
    needed = sum(line.needed for line in lines)
    # The selector drops par levels with nothing needed (on hand = par cannot be at or below the reorder point,
    # so none here): its places and units must equal the hand-written count.
    same = (places_below, needed) == (reference_count, reference_needed)
    queries, _ = count_queries(suggest)
    queries_one, _ = count_queries(suggest_one)
    statements = _statements(suggest)
    figures = {name: round(median_ms(values), 1) for name, values in samples.items()}
    return {
        "suggest_ms": figures["suggest"], "suggest_runs": [round(s * 1000) for s in samples["suggest"]],
        "suggest_reference_ms": figures["reference"], "suggest_one_location_ms": figures["one"],
        "suggest_ratio": round(figures["suggest"] / max(figures["reference"], 0.1), 2),
        "suggest_queries": queries, "suggest_queries_one_location": queries_one,
        "orders": len(orders), "order_lines": len(lines), "places_below": places_below, "units_needed": needed,
        "priced_lines": sum(1 for line in lines if line.price is not None),
        "order_total": str(sum((order.total for order in orders), Decimal("0.00"))),
        "one_location_lines": sum(len(order.lines) for order in results["one"]),
        "same_result": same, "meets_suggest_target": figures["suggest"] < TARGET_SUGGEST_MS,
        "plans": {f"suggested orders, query {n + 1}": _plan(sql, params) for n, (sql, params) in enumerate(statements)}
        | {"reference": _plan(REFERENCE_SQL, [])},
    }


def measure_movements(made: dict[str, Any], runs: int, consumes: int, seed: int = 9) -> dict[str, Any]:
    from django.db import connection, transaction

    from openpractice.inventory.models import Item, Lot, StockLevel, StoragePlace
    from openpractice.inventory.services.stock import (
        ledger_matches_levels,
        stock_consume,
        stock_receive,
        stock_transfer,
    )

    rng = random.Random(seed)
    actor = made["actor"]
    items = {item.pk: item for item in Item.objects.all()}
    places = {place.pk: place for place in StoragePlace.objects.all()}
    place_ids = sorted(places)
    later_lot = {lot.item_id: lot for lot in Lot.objects.order_by("item_id", "expires_on")}  # the last one wins
    on_hand: dict[tuple[int, int], int] = {}
    for item_id, place_id, quantity in StockLevel.objects.values_list("item_id", "place_id", "quantity"):
        on_hand[(item_id, place_id)] = on_hand.get((item_id, place_id), 0) + quantity
    # Well stocked pairs: 1-unit takes cannot empty them within the runs.
    stocked = sorted(pair for pair, quantity in on_hand.items() if quantity >= 20)
    full_levels = list(StockLevel.objects.filter(quantity__gte=20).values_list("pk", flat=True).order_by("pk"))
    receives = transfers = consumes // 4

    def consume() -> Any:
        item_id, place_id = rng.choice(stocked)
        return lambda: stock_consume(actor=actor, item=items[item_id], place=places[place_id], quantity=1)

    def receive() -> Any:
        item_id, place_id = rng.choice(stocked)
        item = items[item_id]
        lot = later_lot.get(item_id) if item.lot_tracked else None
        return lambda: stock_receive(actor=actor, item=item, place=places[place_id], quantity=10,
                                     lot_number=lot.number if lot else "", expires_on=lot.expires_on if lot else None)

    def transfer() -> Any:
        item_id, place_id = rng.choice(stocked)
        destination = rng.choice([pk for pk in place_ids if pk != place_id])
        return lambda: stock_transfer(actor=actor, item=items[item_id], source=places[place_id],
                                      destination=places[destination], quantity=1)

    taken: list[int] = []

    def reference() -> None:
        level_id = rng.choice(full_levels)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE inventory_stocklevel SET quantity = quantity - 1 WHERE id = %s", [level_id])
        taken.append(level_id)

    makers = {"consume": consume, "receive": receive, "transfer": transfer}
    samples: dict[str, list[float]] = {"consume": [], "receive": [], "transfer": [], "reference": []}
    rounds: list[dict[str, float]] = []
    ledger_rows = 0
    for _run in range(runs):
        kinds = ["consume"] * consumes + ["receive"] * receives + ["transfer"] * transfers
        rng.shuffle(kinds)
        spent = {"all": 0.0, "consume": 0.0, "reference": 0.0}
        for kind in kinds:
            call = makers[kind]()
            seconds, operation = timed(call)
            ledger_rows += len(operation.movements)
            samples[kind].append(seconds)
            spent["all"] += seconds
            if kind == "consume":
                spent["consume"] += seconds
            seconds, _ = timed(reference)
            samples["reference"].append(seconds)
            spent["reference"] += seconds
        rounds.append({"movements_per_second": len(kinds) / spent["all"],
                       "consumes_per_second": consumes / spent["consume"],
                       "reference_per_second": len(kinds) / spent["reference"]})
    per_call_queries = {kind: count_queries(makers[kind]())[0] for kind in makers}
    per_call_queries["reference"] = count_queries(reference)[0]
    with transaction.atomic(), connection.cursor() as cursor:  # untimed: give back what the reference took
        cursor.executemany("UPDATE inventory_stocklevel SET quantity = quantity + 1 WHERE id = %s",
                           [[level_id] for level_id in taken])
    ledger_sound = ledger_matches_levels()
    movements_per_second = statistics.median(r["movements_per_second"] for r in rounds)
    reference_per_second = statistics.median(r["reference_per_second"] for r in rounds)
    return {
        "calls_per_run": consumes + receives + transfers, "consumes_per_run": consumes,
        "receives_per_run": receives, "transfers_per_run": transfers, "ledger_rows_written": ledger_rows,
        "movements_per_second": round(movements_per_second),
        "movements_per_second_runs": [round(r["movements_per_second"]) for r in rounds],
        "consumes_per_second": round(statistics.median(r["consumes_per_second"] for r in rounds)),
        "reference_per_second": round(reference_per_second),
        "movement_ratio": round(reference_per_second / movements_per_second, 2),
        "ms": {kind: {"median": round(median_ms(values), 3), "p95": round(p95_ms(values), 3)}
               for kind, values in samples.items()},
        "queries_per_call": per_call_queries, "ledger_sound": ledger_sound,
        "meets_movement_target": movements_per_second >= TARGET_MOVEMENTS_PER_SECOND,
    }


def _use_groups(lines: int) -> dict[int, list[int]]:
    """Per place, the items with at least 20 on hand there (a 1-unit use cannot empty them within the runs)."""
    from openpractice.inventory.models import StockLevel

    totals: dict[tuple[int, int], int] = {}
    for item_id, place_id, quantity in StockLevel.objects.values_list("item_id", "place_id", "quantity"):
        totals[(item_id, place_id)] = totals.get((item_id, place_id), 0) + quantity
    groups: dict[int, list[int]] = {}
    for (item_id, place_id), quantity in sorted(totals.items()):
        if quantity >= 20:
            groups.setdefault(place_id, []).append(item_id)
    return {place_id: item_ids for place_id, item_ids in groups.items() if len(item_ids) >= lines}


def measure_uses(made: dict[str, Any], runs: int, uses: int, lines: int, seed: int = 13) -> dict[str, Any]:
    from openpractice.inventory.models import Item, StoragePlace
    from openpractice.inventory.services.stock import UseLine, ledger_matches_levels, stock_consume_many

    rng = random.Random(seed)
    actor = made["actor"]
    groups = _use_groups(lines)
    items = {item.pk: item for item in Item.objects.all()}
    places = {place.pk: place for place in StoragePlace.objects.filter(pk__in=groups)}

    def use() -> Any:
        place_id = rng.choice(sorted(groups))
        chosen = rng.sample(groups[place_id], lines)
        return lambda: stock_consume_many(actor=actor, place=places[place_id],
                                          lines=[UseLine(items[item_id], 1) for item_id in chosen])

    rates: list[float] = []
    samples: list[float] = []
    for _run in range(runs):
        spent, rows = 0.0, 0
        for _call in range(uses):
            seconds, operation = timed(use())
            spent += seconds
            rows += len(operation.movements)
            samples.append(seconds)
        rates.append(rows / spent)
    queries = count_queries(use())[0]
    rate = statistics.median(rates)
    return {"uses_per_run": uses, "use_lines": lines, "uses_movements_per_second": round(rate),
            "uses_runs": [round(value) for value in rates],
            "uses_ms": {"median": round(median_ms(samples), 3), "p95": round(p95_ms(samples), 3)},
            "uses_queries": queries, "uses_ledger_sound": ledger_matches_levels(),
            "meets_uses_target": rate >= TARGET_MOVEMENTS_PER_SECOND}


def _use_worker(actor_id: int, groups: dict[int, list[int]], uses: int, lines: int, seed: int, start: Any,
                out: Any) -> None:
    """One application process recording `uses` multi-item uses; rows written and timing to `out`."""
    from django.db import DatabaseError

    from openpractice.accounts.models import User
    from openpractice.inventory.models import Item, StoragePlace
    from openpractice.inventory.services.stock import UseLine, stock_consume_many

    rng = random.Random(seed)
    actor = User.objects.get(pk=actor_id)
    items = {item.pk: item for item in Item.objects.filter(pk__in={i for ids in groups.values() for i in ids})}
    places = {place.pk: place for place in StoragePlace.objects.filter(pk__in=groups)}
    rows = failed = 0
    start.wait()
    began = time.monotonic()
    for _call in range(uses):
        place_id = rng.choice(sorted(groups))
        chosen = rng.sample(groups[place_id], lines)
        try:
            rows += len(stock_consume_many(actor=actor, place=places[place_id],
                                           lines=[UseLine(items[item_id], 1) for item_id in chosen]).movements)
        except DatabaseError:  # counted, not hidden
            failed += 1
    out.put((rows, failed, began, time.monotonic()))


def measure_parallel_uses(made: dict[str, Any], workers: int, uses: int, lines: int, seed: int = 17) -> dict[str, Any]:
    from django.db import connections

    from openpractice.inventory.services.stock import ledger_matches_levels

    groups = _use_groups(lines)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=_use_worker,
                                 args=(made["actor"].pk, groups, uses, lines, seed + n, start, out))
                 for n in range(workers)]
    for process in processes:
        process.start()
    finished = [out.get() for _ in processes]
    for process in processes:
        process.join()
    rows = sum(row[0] for row in finished)
    failed = sum(row[1] for row in finished)
    wall = max(row[3] for row in finished) - min(row[2] for row in finished)
    return {"parallel_uses": workers * uses, "parallel_uses_failed": failed, "parallel_uses_rows": rows,
            "parallel_uses_seconds": round(wall, 2), "parallel_uses_per_second": round(rows / wall),
            "parallel_uses_ledger_sound": ledger_matches_levels(),
            "meets_parallel_uses_target": rows / wall >= TARGET_MOVEMENTS_PER_SECOND}


def _worker(actor_id: int, pairs: list[tuple[int, int]], calls: int, seed: int, start: Any, out: Any) -> None:
    """One application process: its own connection, `calls` calls of the mix, timed from the common start."""
    from django.db import DatabaseError

    from openpractice.accounts.models import User
    from openpractice.inventory.models import Item, Lot, StoragePlace
    from openpractice.inventory.services.stock import stock_consume, stock_receive, stock_transfer

    rng = random.Random(seed)
    actor = User.objects.get(pk=actor_id)
    items = {item.pk: item for item in Item.objects.filter(pk__in={item_id for item_id, _ in pairs})}
    places = {place.pk: place for place in StoragePlace.objects.all()}
    later_lot = {lot.item_id: lot for lot in Lot.objects.order_by("item_id", "expires_on")}
    kinds = ["consume"] * calls + ["receive"] * (calls // 4) + ["transfer"] * (calls // 4)
    rng.shuffle(kinds)
    kinds = kinds[:calls]
    failed = 0
    start.wait()
    began = time.monotonic()
    for kind in kinds:
        item_id, place_id = rng.choice(pairs)
        item, place = items[item_id], places[place_id]
        try:
            if kind == "consume":
                stock_consume(actor=actor, item=item, place=place, quantity=1)
            elif kind == "receive":
                lot = later_lot.get(item_id) if item.lot_tracked else None
                stock_receive(actor=actor, item=item, place=place, quantity=10, lot_number=lot.number if lot else "",
                              expires_on=lot.expires_on if lot else None)
            else:
                destination = rng.choice([pk for pk in places if pk != place_id])
                stock_transfer(actor=actor, item=item, source=place, destination=places[destination], quantity=1)
        except DatabaseError:  # a deadlock between two transfers, or SQLite's busy timeout: counted, not hidden
            failed += 1
    out.put((len(kinds), failed, began, time.monotonic()))


def measure_parallel(made: dict[str, Any], workers: int, calls: int, seed: int = 11) -> dict[str, Any]:
    from django.db import connections

    from openpractice.inventory.models import StockLevel
    from openpractice.inventory.services.stock import ledger_matches_levels

    pairs = sorted({(item_id, place_id) for item_id, place_id in StockLevel.objects.filter(
        quantity__gte=20).values_list("item_id", "place_id")})
    connections.close_all()  # each forked worker opens its own connection; none inherits this one's socket
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=_worker, args=(made["actor"].pk, pairs, calls, seed + n, start, out))
                 for n in range(workers)]
    for process in processes:
        process.start()
    finished = [out.get() for _ in processes]
    for process in processes:
        process.join()
    done = sum(row[0] for row in finished)
    failed = sum(row[1] for row in finished)
    wall = max(row[3] for row in finished) - min(row[2] for row in finished)
    rate = (done - failed) / wall
    return {"parallel_workers": workers, "parallel_calls": done, "parallel_failed": failed,
            "parallel_seconds": round(wall, 2), "parallel_per_second": round(rate),
            "parallel_ledger_sound": ledger_matches_levels(),
            "meets_parallel_target": rate >= TARGET_MOVEMENTS_PER_SECOND}


def run(database: str, items: int, runs: int, movements: int, workers: int = 4, lines: int = 10) -> dict[str, Any]:
    os.environ.setdefault("OPENPRACTICE_DEMO", "0")
    with bench_database(database, DB_NAME):
        from django.db import connection

        made = load(items)
        suggested = measure_suggested(made, runs)
        moved = measure_movements(made, max(1, runs // 2 + 1), movements)
        parallel = measure_parallel(made, workers, movements) if workers > 1 else {}
        uses = measure_uses(made, max(1, runs // 2 + 1), max(1, movements // lines), lines)
        parallel_uses = (measure_parallel_uses(made, workers, max(1, movements // lines), lines)
                         if workers > 1 else {})
        loaded = {key: value for key, value in made.items() if key not in ("actor", "one_location", "today")}
        return {"database": connection.vendor, "server_version": server_version(), "runs": runs,
                "cpus": os.cpu_count(), "load_after": [round(value, 2) for value in os.getloadavg()], **loaded,
                **suggested, **moved, **parallel, **uses, **parallel_uses}


def _met(value: bool, database: str) -> str:
    if database != "postgresql":
        return "reported only"
    return "yes" if value else "**NO**"


def render(results: list[dict[str, Any]]) -> list[str]:
    """The docs/benchmarks.md section (run_all.py calls it)."""
    lines = [
        "## Supply chain: suggested orders and stock movements",
        "",
        "Targets (PostgreSQL; SQLite: figures reported): suggested orders for 10,000 items x 10 storage places under",
        "2 s; 1,000 stock movements a second through the service layer; the stock pages' query counts constant.",
        "*Suggested orders*: `suggested_orders` for an office manager with every location (par levels at or below",
        "the reorder point with stock on hand summed per place, grouped by preferred vendor, priced at the current",
        "or contract price, in whole packages); *one location*: the same for a manager of one of the two.",
        "Reference (same run, alternating): hand-written SQL counting the same par levels and units needed through a",
        "cursor; the results are compared. *Movements*: `stock_consume` of 1 unit (FEFO over the lots), and a",
        "quarter as many `stock_receive` and `stock_transfer`, shuffled, over random item/place pairs, one process,",
        "each call its own transaction with its row locks, F() updates and ledger row; movements a second = calls",
        "over the time spent in them. Reference (after each call): a bare single-row `UPDATE ... SET quantity =",
        "quantity - 1` in its own transaction.",
        "",
        "| database | items x places (below) | suggested (median) | runs | reference: hand SQL | ratio | one location "
        "| queries (all / one location) | lines (priced) | same result | target (< 2 s) met |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['server_version']} | {r['items']:,} x {r['places']} ({r['places_below']:,}) | "
            f"{r['suggest_ms']:.0f} ms | {', '.join(map(str, r['suggest_runs']))} | "
            f"{r['suggest_reference_ms']:.0f} ms | ×{r['suggest_ratio']:.1f} | {r['suggest_one_location_ms']:.0f} ms | "
            f"{r['suggest_queries']} / {r['suggest_queries_one_location']} | {r['order_lines']:,} "
            f"({r['priced_lines']:,}) | {'yes' if r['same_result'] else '**NO**'} | "
            f"{_met(r['meets_suggest_target'], r['database'])} |")
    lines += [
        "",
        "| database | calls a run (consume / receive / transfer) | movements/s (median) | runs | consumes/s "
        "| ms a call: consume / receive / transfer (median; p95) | reference: bare UPDATE | ratio "
        "| queries a call (consume / receive / transfer / reference) | ledger sound | target (≥ 1,000/s) met |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        ms, queries = r["ms"], r["queries_per_call"]
        kinds = ("consume", "receive", "transfer")
        medians = " / ".join(f"{ms[kind]['median']:.2f}" for kind in kinds)
        p95s = " / ".join(f"{ms[kind]['p95']:.2f}" for kind in kinds)
        counts = " / ".join(str(queries[kind]) for kind in (*kinds, "reference"))
        lines.append(
            f"| {r['server_version']} | {r['calls_per_run']:,} ({r['consumes_per_run']:,} / {r['receives_per_run']:,}"
            f" / {r['transfers_per_run']:,}) | {r['movements_per_second']:,} | "
            f"{', '.join(f'{v:,}' for v in r['movements_per_second_runs'])} | {r['consumes_per_second']:,} | "
            f"{medians}; {p95s} | {r['reference_per_second']:,}/s ({ms['reference']['median']:.2f} ms) | "
            f"×{r['movement_ratio']:.1f} | {counts} | {'yes' if r['ledger_sound'] else '**NO**'} | "
            f"{_met(r['meets_movement_target'], r['database'])} |")
    lines += [
        "",
        "Several workers (the same mix, all started together; rate = calls over the wall-clock time):",
        "",
        "| database | workers (CPUs) | calls | failed | seconds | movements/s | ledger sound | target (≥ 1,000/s) met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        if "parallel_workers" in r:
            lines.append(
                f"| {r['server_version']} | {r['parallel_workers']} ({r['cpus']}) | {r['parallel_calls']:,} | "
                f"{r['parallel_failed']} | {r['parallel_seconds']} | {r['parallel_per_second']:,} | "
                f"{'yes' if r['parallel_ledger_sound'] else '**NO**'} | "
                f"{_met(r['meets_parallel_target'], r['database'])} |")
    lines += [
        "",
        "Multi-item uses (`stock_consume_many`: 1 unit of each of several items at one place, one transaction; "
        "movements/s = ledger rows over the time in the calls; workers: over the wall-clock time):",
        "",
        "| database | uses a run x lines | movements/s (median) | runs | ms a use (median; p95) | queries a use "
        "| workers: uses (failed) | workers: movements/s | ledger sound | target (≥ 1,000/s) met: one process / workers |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        if "uses_per_run" in r:
            lines.append(
                f"| {r['server_version']} | {r['uses_per_run']:,} x {r['use_lines']} | "
                f"{r['uses_movements_per_second']:,} | {', '.join(f'{v:,}' for v in r['uses_runs'])} | "
                f"{r['uses_ms']['median']:.2f}; {r['uses_ms']['p95']:.2f} | {r['uses_queries']} | "
                f"{r.get('parallel_uses', 0):,} ({r.get('parallel_uses_failed', 0)}) | "
                f"{r.get('parallel_uses_per_second', 0):,} | "
                f"{'yes' if r['uses_ledger_sound'] and r.get('parallel_uses_ledger_sound', True) else '**NO**'} | "
                f"{_met(r['meets_uses_target'], r['database'])} / "
                f"{_met(r.get('meets_parallel_uses_target', False), r['database'])} |")
    lines += ["", "Loading (bulk_create, then ANALYZE; not timed in the figures):", ""]
    for r in results:
        lines.append(
            f"- {r['database']}: {r['items']:,} items ({r['lot_tracked']:,} lot-tracked), {r['places']} places, "
            f"{r['vendors']} vendors, {r['prices']:,} prices, {r['par_levels']:,} par levels ({r['par_levels_below']:,}"
            f" at or below the reorder point), {r['stock_levels']:,} stock levels in {r['load_seconds']} s; "
            f"{r['orders']} suggested orders totalling ${Decimal(r['order_total']):,.2f}; one location: "
            f"{r['one_location_lines']:,} lines; load average after the runs {r['load_after']}.")
    for r in results:
        lines += ["", f"<details><summary>Plans on {r['database']} (EXPLAIN)</summary>", "", "```"]
        for label, plan in r["plans"].items():
            lines += [f"{label}:", *(f"  {_short(step)}" for step in plan)]
        lines += ["```", "", "</details>"]
    return lines


def _short(step: str, width: int = 200) -> str:
    """A plan line cut short (the prices' plan spells out its 10,000 item ids)."""
    return step if len(step) <= width else f"{step[:width]} ..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, choices=["sqlite", "postgresql"])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="suggested-orders runs (movements: runs // 2 + 1)")
    parser.add_argument("--movements", type=int, default=2000, help="stock_consume calls a movements run")
    parser.add_argument("--workers", type=int, default=4, help="processes for the parallel movements run (1: none)")
    parser.add_argument("--lines", type=int, default=10, help="items in each multi-item use")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # run_all passes it to every benchmark
    args = parser.parse_args(argv)
    result = run(args.database, args.items, args.runs, args.movements, args.workers, args.lines)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print("\n".join(render([result])))
    return 0  # a missed target is a figure to report, not a crash of the run


if __name__ == "__main__":
    sys.exit(main())
