"""Demo data for inventory and purchasing, on the vendors the vendors demo (86) created:

- 87, the catalogue: 45 items (gloves to waiting-room chairs, lot-tracked tests and drugs, two drug samples)
  bought in boxes and cases, with the vendors' prices (the prime supplier's contract prices after last year's list
  prices, a second source's quotes on the same lines); a supply room, exam rooms, a sample cabinet and a front
  office at each location; par levels and reorder points in the supply rooms and for the exam-room basics;
- 88, stock: opening balances six weeks ago (some below their reorder point, lots expiring within 30 days, one
  expired lot still on the shelf), a month of use, restocking transfers, a damaged box written off, an expired
  lot taken out and a broken vial disposed of; an approved cycle count with its adjustments (North Hills) and
  one waiting for approval (Cary);
- 89, purchasing and visits: a request for quotes with two vendors' answers, requisitions in each state (a
  draft, one from the suggested order waiting for approval, one rejected, one approved, and ordered ones), purchase
  orders sent (emailed with the PDF, to the Outbox in demo mode) and then fully received with its invoice ready to
  pay, partly received (a back order, a damaged box, an invoice that does not match), sent and awaited, and a
  draft; three sales-rep visits, two of which left samples in the sample cabinet.

Everything goes through the services as the people who would do it, so the ledger equals the levels and the
audit trail is real. The services stamp "now", so the demo moves the stamps of the past back afterwards (movements,
orders, receipts, requisitions, counts), as the cases demo does; dates count from the practice's today. Seeding
again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import Max

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_timezone_name, practice_today
from openpractice.vendors.models import Contract, Vendor, VendorContact
from openpractice.vendors.services import vendors as vendor_services

from .choices import ItemCategory, MovementKind, PlaceKind
from .models import (
    CycleCount,
    Item,
    Packaging,
    PurchaseOrder,
    Receipt,
    Requisition,
    StockLevel,
    StockMovement,
    StoragePlace,
)
from .selectors import stock as stock_selectors
from .services import catalog, counts, invoices, orders, purchasing, quotes, samples, stock
from .services.purchasing import InvoicedIn, LineIn, ReceivedIn

M, S, OF = ItemCategory.MEDICAL, ItemCategory.SUPPLY, ItemCategory.OFFICE
F, E = ItemCategory.FURNITURE, ItemCategory.EQUIPMENT
DOWNTOWN, NORTH, CARY = "downtown", "north-hills", "cary"
EXAM_ROOMS = {DOWNTOWN: 4, NORTH: 3, CARY: 3}


@dataclass(frozen=True)
class DemoItem:
    sku: str
    name: str
    category: str
    unit: str
    package: tuple[str, int] | None  # how it is bought: (name, base units); None: by the unit
    preferred: str | None  # vendor key (vendors.demo)
    price: str = ""  # the preferred vendor's price per package
    others: tuple[tuple[str, str], ...] = ()  # other vendors' prices per package
    par: int = 0  # in each supply room, base units (0: not stocked)
    reorder: int = 0
    lots: bool = False
    exam: tuple[int, int] | None = None  # par and reorder point in each exam room


ITEMS: tuple[DemoItem, ...] = (
    DemoItem("MED-GLV-NIT-S", "Exam gloves, nitrile, small", M, "glove", ("box", 100), "piedmont", "8.95",
             (("summit", "8.42"),), 1000, 400),
    DemoItem("MED-GLV-NIT-M", "Exam gloves, nitrile, medium", M, "glove", ("box", 100), "piedmont", "8.95",
             (("summit", "8.42"),), 3000, 1000, exam=(200, 60)),
    DemoItem("MED-GLV-NIT-L", "Exam gloves, nitrile, large", M, "glove", ("box", 100), "piedmont", "8.95",
             (("summit", "8.42"),), 1500, 500),
    DemoItem("MED-TBL-PAPER", "Exam table paper, 21 in smooth", M, "roll", ("case", 12), "piedmont", "46.80",
             (("summit", "49.10"),), 48, 24, exam=(4, 1)),
    DemoItem("MED-ALC-PREP", "Alcohol prep pads, medium", M, "pad", ("box", 200), "piedmont", "3.40",
             (("summit", "3.25"),), 2000, 600, exam=(200, 50)),
    DemoItem("MED-GAUZE-2X2", "Gauze sponges 2 x 2 in, sterile", M, "pack", ("box", 50), "piedmont", "6.25",
             par=300, reorder=100),
    DemoItem("MED-GAUZE-4X4", "Gauze sponges 4 x 4 in, sterile", M, "pack", ("box", 50), "piedmont", "9.10",
             (("summit", "8.80"),), 400, 150),
    DemoItem("MED-BANDAGE", "Adhesive bandages 1 x 3 in", M, "bandage", ("box", 100), "piedmont", "4.15",
             par=500, reorder=200),
    DemoItem("MED-SYR-3ML", "Syringe 3 mL Luer-Lock", M, "syringe", ("box", 100), "piedmont", "14.20",
             (("summit", "13.60"),), 600, 200),
    DemoItem("MED-NDL-25G", "Safety needle 25G x 1 in", M, "needle", ("box", 100), "piedmont", "17.90",
             (("summit", "17.10"),), 600, 200),
    DemoItem("MED-TONGUE", "Tongue depressors, senior", M, "each", ("box", 500), "piedmont", "7.80",
             par=1000, reorder=300),
    DemoItem("MED-SWAB-COT", "Cotton-tipped applicators 6 in", M, "each", ("box", 1000), "piedmont", "6.95",
             par=2000, reorder=500),
    DemoItem("MED-SPEC-CUP", "Specimen cups 4 oz, sterile", M, "cup", ("case", 100), "piedmont", "21.50",
             par=400, reorder=150),
    DemoItem("MED-URINE-STRIP", "Urine reagent strips, 10 parameters", M, "strip", ("bottle", 100), "piedmont",
             "24.90", par=400, reorder=150, lots=True),
    DemoItem("MED-GLUC-STRIP", "Glucose test strips", M, "strip", ("box", 50), "piedmont", "18.40",
             par=300, reorder=100, lots=True),
    DemoItem("MED-LANCET", "Safety lancets 21G", M, "lancet", ("box", 200), "piedmont", "12.60",
             par=400, reorder=150),
    DemoItem("MED-STREP-A", "Rapid strep A test, CLIA-waived", M, "test", ("kit", 25), "atlantic", "94.00",
             (("piedmont", "99.50"),), 75, 25, lots=True),
    DemoItem("MED-FLU-AB", "Rapid influenza A/B test", M, "test", ("kit", 25), "atlantic", "142.00",
             par=75, reorder=25, lots=True),
    DemoItem("MED-HCG", "Urine pregnancy test (hCG)", M, "test", ("box", 50), "piedmont", "27.50",
             par=100, reorder=30, lots=True),
    DemoItem("MED-LIDO-1", "Lidocaine HCl 1%, 10 mL vial", M, "vial", ("tray", 25), "piedmont", "38.75",
             par=50, reorder=15, lots=True),
    DemoItem("MED-SALINE-10", "Sodium chloride 0.9% flush, 10 mL", M, "syringe", ("box", 30), "piedmont", "9.60",
             par=120, reorder=40, lots=True),
    DemoItem("MED-PPD", "Tuberculin PPD, 1 mL vial (10 tests)", M, "vial", None, "piedmont", "96.00",
             par=4, reorder=1, lots=True),
    DemoItem("MED-VAX-FLU", "Influenza vaccine, quadrivalent, 0.5 mL PFS", M, "syringe", ("box", 10), "piedmont",
             "186.50", par=60, reorder=20, lots=True),
    DemoItem("MED-ECG-ELEC", "ECG electrodes, adult", M, "electrode", ("bag", 100), "piedmont", "11.30",
             par=500, reorder=200, lots=True),
    DemoItem("MED-SHARPS-1G", "Sharps container, 1 gallon", M, "container", ("case", 20), "piedmont", "58.00",
             par=20, reorder=8),
    DemoItem("MED-MASK-PROC", "Procedure masks, ear loop", M, "mask", ("box", 50), "piedmont", "5.20",
             par=500, reorder=150),
    DemoItem("MED-GOWN-PAPER", "Patient gowns, paper", M, "gown", ("case", 50), "piedmont", "27.40",
             par=150, reorder=50),
    DemoItem("MED-PROBE-COVER", "Thermometer probe covers", M, "cover", ("box", 200), "piedmont", "13.80",
             par=600, reorder=200),
    DemoItem("MED-SPECULA", "Otoscope specula, 4 mm", M, "speculum", ("box", 250), "piedmont", "19.90",
             par=500, reorder=150),
    DemoItem("MED-WIPES", "Disinfectant wipes, canister of 160", S, "canister", ("case", 12), "piedmont", "78.00",
             par=24, reorder=8),
    DemoItem("SUP-SANITIZER", "Hand sanitizer, 12 oz pump", S, "bottle", ("case", 12), "piedmont", "41.40",
             par=24, reorder=8),
    DemoItem("SUP-TOWELS", "Paper towels, multifold", S, "sleeve", ("case", 16), "office", "31.20",
             par=32, reorder=12),
    DemoItem("SUP-LINERS", "Trash liners, 33 gallon", S, "liner", ("case", 250), "office", "29.80",
             par=250, reorder=80),
    DemoItem("OFF-PAPER", "Copy paper 8.5 x 11 in, 20 lb", OF, "ream", ("case", 10), "office", "44.90",
             par=30, reorder=10),
    DemoItem("OFF-TONER-58A", "Toner cartridge HP 58A", OF, "cartridge", None, "office", "89.00",
             par=3, reorder=1),
    DemoItem("OFF-PENS", "Ballpoint pens, black", OF, "pen", ("box", 12), "office", "3.60", par=60, reorder=24),
    DemoItem("OFF-FOLDERS", "File folders, letter", OF, "folder", ("box", 100), "office", "11.20",
             par=200, reorder=50),
    DemoItem("OFF-LABELS", "Address labels, 1 x 2-5/8 in", OF, "label", ("pack", 750), "office", "16.50",
             par=1500, reorder=500),
    DemoItem("OFF-RECEIPT", "Receipt paper rolls", OF, "roll", ("case", 50), "office", "39.00", par=50, reorder=15),
    DemoItem("FUR-CHAIR-WAIT", "Waiting room chair, vinyl", F, "each", None, "office", "189.00"),
    DemoItem("FUR-STOOL-EXAM", "Exam room stool, pneumatic", F, "each", None, "piedmont", "142.00"),
    DemoItem("EQP-PULSE-OX", "Pulse oximeter, fingertip", E, "each", None, "piedmont", "34.50"),
    DemoItem("EQP-BP-CUFF", "Blood pressure cuff, adult, reusable", E, "each", None, "piedmont", "22.80"),
    DemoItem("SMP-GLP1-PEN", "GLP-1 pen 0.25 mg (sample)", M, "pen", None, "novara", lots=True),
    DemoItem("SMP-INHALER", "Albuterol HFA inhaler (sample)", M, "inhaler", None, "novara", lots=True),
)  # fmt: skip

# Items whose prime-supplier price has a history (last year's list price before the contract price).
PRICE_HISTORY = frozenset({"MED-GLV-NIT-S", "MED-GLV-NIT-M", "MED-GLV-NIT-L", "MED-TBL-PAPER", "MED-ALC-PREP"})
# Supply-room opening balances below the reorder point (everything else starts at par).
LOW: dict[tuple[str, str], int] = {
    ("MED-GLV-NIT-M", NORTH): 600, ("MED-TBL-PAPER", NORTH): 12, ("MED-SYR-3ML", NORTH): 100,
    ("MED-SPEC-CUP", DOWNTOWN): 50, ("OFF-PAPER", DOWNTOWN): 3, ("MED-URINE-STRIP", DOWNTOWN): 140,
    ("MED-ALC-PREP", CARY): 200, ("MED-GAUZE-4X4", CARY): 40, ("MED-MASK-PROC", CARY): 50,
    ("MED-GLUC-STRIP", CARY): 50,
}
# The older lot's expiry in days from today (the newer lot keeps 14 months): some within 30 days, two expired.
EXPIRES: dict[tuple[str, str], int] = {
    ("MED-STREP-A", DOWNTOWN): 12, ("MED-URINE-STRIP", DOWNTOWN): 25, ("MED-FLU-AB", NORTH): 19,
    ("MED-SALINE-10", NORTH): 8, ("MED-HCG", CARY): -6, ("MED-LIDO-1", NORTH): -20, ("MED-VAX-FLU", CARY): 27,
}
# A month of use: (location, place, item, base units, days ago, who).
USE: tuple[tuple[str, str, str, int, int, str], ...] = (
    (NORTH, "Exam room 1", "MED-GLV-NIT-M", 120, 27, "clinical"),
    (NORTH, "Exam room 2", "MED-GLV-NIT-M", 150, 20, "clinical"),
    (NORTH, "Exam room 1", "MED-ALC-PREP", 130, 18, "clinical"),
    (NORTH, "Supply room", "MED-FLU-AB", 18, 16, "clinical"),
    (NORTH, "Supply room", "MED-SALINE-10", 22, 12, "clinical"),
    (NORTH, "Supply room", "MED-ECG-ELEC", 48, 9, "clinical"),
    (NORTH, "Exam room 3", "MED-TBL-PAPER", 3, 7, "clinical"),
    (NORTH, "Supply room", "MED-STREP-A", 14, 4, "clinical"),
    (NORTH, "Exam room 2", "MED-GLV-NIT-M", 90, 2, "clinical"),
    (NORTH, "Supply room", "MED-VAX-FLU", 24, 1, "clinical"),
    (CARY, "Exam room 1", "MED-GLV-NIT-M", 160, 25, "om_entry"),
    (CARY, "Supply room", "MED-STREP-A", 20, 21, "om_entry"),
    (CARY, "Exam room 2", "MED-ALC-PREP", 170, 14, "om_entry"),
    (CARY, "Supply room", "MED-VAX-FLU", 12, 10, "om_entry"),
    (CARY, "Supply room", "MED-GLUC-STRIP", 20, 6, "om_entry"),
    (CARY, "Exam room 3", "MED-TBL-PAPER", 3, 3, "om_entry"),
    (DOWNTOWN, "Exam room 1", "MED-GLV-NIT-M", 140, 26, "om_experienced"),
    (DOWNTOWN, "Supply room", "MED-STREP-A", 15, 19, "om_experienced"),
    (DOWNTOWN, "Exam room 3", "MED-ALC-PREP", 120, 11, "om_experienced"),
    (DOWNTOWN, "Supply room", "MED-URINE-STRIP", 30, 8, "om_experienced"),
    (DOWNTOWN, "Exam room 4", "MED-GLV-NIT-M", 170, 5, "om_experienced"),
    (DOWNTOWN, "Supply room", "OFF-TONER-58A", 1, 2, "om_experienced"),
)  # fmt: skip


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def _last_movement() -> int:
    return StockMovement.objects.aggregate(last=Max("pk"))["last"] or 0


def _stamped(when: dt.datetime, call: Callable[[], Any]) -> Any:
    """Run a service call, then move the stock movements it wrote to `when`."""
    since = _last_movement()
    result = call()
    StockMovement.objects.filter(pk__gt=since).update(occurred_at=when)
    return result


@dataclass
class World:
    users: dict[str, User]
    locations: dict[str, Location]
    vendors: dict[str, Vendor]
    items: dict[str, Item]
    packagings: dict[str, Packaging]
    places: dict[tuple[str, str], StoragePlace]
    today: dt.date

    def place(self, location: str, name: str) -> StoragePlace:
        return self.places[(location, name)]


def _world(context: dict[str, Any]) -> World | None:
    users: dict[str, User] = context.get("users") or {}
    needed = ("om_experienced", "om_mid", "om_entry", "pm_senior", "pm_advanced", "pm_entry", "clinical",
              "frontdesk", "provider")
    if any(name not in users for name in needed) or "vendors" not in context:
        return None
    return World(users=users, locations=context["locations"], vendors=context["vendors"],
                 items=context.get("items", {}), packagings=context.get("packagings", {}),
                 places=context.get("places", {}), today=practice_today())


# --- 87: catalogue, places, par levels -------------------------------------------------------------------------


@seeder(87)
def seed_catalogue(context: dict[str, Any]) -> None:
    world = _world(context)
    if world is None:
        return
    report = context.setdefault("report", [])
    if Item.objects.exists():
        report.append("inventory: already seeded, nothing added")
        context.pop("vendors", None)  # the later inventory seeders then add nothing either
        return
    keeper = world.users["om_experienced"]
    contract = Contract.objects.filter(vendor=world.vendors["piedmont"]).order_by("pk").first()
    list_from, contract_from = world.today - dt.timedelta(days=420), world.today - dt.timedelta(days=150)
    for spec in ITEMS:
        item = catalog.item_save(actor=keeper, data={
            "sku": spec.sku, "name": spec.name, "category": spec.category, "base_unit": spec.unit,
            "lot_tracked": spec.lots, "preferred_vendor": world.vendors[spec.preferred] if spec.preferred else None})
        world.items[spec.sku] = item
        packaging = None
        if spec.package:
            packaging = catalog.packaging_add(actor=keeper, item=item, name=spec.package[0],
                                              base_quantity=spec.package[1])
            world.packagings[spec.sku] = packaging
        if spec.price and spec.preferred == "piedmont":
            if spec.sku in PRICE_HISTORY:
                # Last year's list price, then the contract price agreed in the negotiation 150 days ago.
                catalog.price_add(actor=keeper, item=item, vendor=world.vendors["piedmont"], packaging=packaging,
                                  price=(Decimal(spec.price) * Decimal("1.04")).quantize(Decimal("0.01")),
                                  effective_from=list_from, vendor_sku=f"PMS-{item.pk:05d}")
            catalog.price_add(actor=keeper, item=item, vendor=world.vendors["piedmont"], packaging=packaging,
                              price=Decimal(spec.price), effective_from=contract_from,
                              vendor_sku=f"PMS-{item.pk:05d}", contract=contract)
        elif spec.price and spec.preferred:
            catalog.price_add(actor=keeper, item=item, vendor=world.vendors[spec.preferred], packaging=packaging,
                              price=Decimal(spec.price), effective_from=list_from)
        for vendor_key, price in spec.others:
            catalog.price_add(actor=keeper, item=item, vendor=world.vendors[vendor_key], packaging=packaging,
                              price=Decimal(price), effective_from=world.today - dt.timedelta(days=60))
    for code, location in world.locations.items():
        names = [("Supply room", PlaceKind.SUPPLY_ROOM), ("Sample cabinet", PlaceKind.SAMPLES),
                 ("Front office", PlaceKind.OFFICE)]
        names += [(f"Exam room {number}", PlaceKind.EXAM_ROOM) for number in range(1, EXAM_ROOMS[code] + 1)]
        for name, kind in names:
            world.places[(code, name)] = catalog.place_save(actor=keeper, location=location, name=name, kind=kind)
    pars = 0
    for code in world.locations:
        for spec in ITEMS:
            item = world.items[spec.sku]
            if spec.par:
                catalog.par_set(actor=keeper, item=item, place=world.place(code, "Supply room"), par=spec.par,
                                reorder_point=spec.reorder)
                pars += 1
            if spec.exam:
                for number in range(1, EXAM_ROOMS[code] + 1):
                    catalog.par_set(actor=keeper, item=item, place=world.place(code, f"Exam room {number}"),
                                    par=spec.exam[0], reorder_point=spec.exam[1])
                    pars += 1
    context.update(items=world.items, packagings=world.packagings, places=world.places)
    report.append(f"{len(world.items)} items, {len(world.places)} storage places, {pars} par levels")


# --- 88: stock, movements, counts ------------------------------------------------------------------------------


def _lot_number(spec: DemoItem, code: str, newer: bool) -> str:
    index = [item.sku for item in ITEMS].index(spec.sku)
    return f"{spec.sku.split('-')[1][:3]}{index:02d}{code[0].upper()}{'B' if newer else 'A'}"


def _opening(world: World) -> None:
    """Opening balances six weeks ago: supply rooms at par (a few low), the older lot of each lot-tracked item
    holding a third, exam rooms at par."""
    keeper = world.users["om_experienced"]
    when = _at(world.today - dt.timedelta(days=42), 8)
    for code in world.locations:
        room = world.place(code, "Supply room")
        for spec in ITEMS:
            item = world.items[spec.sku]
            quantity = LOW.get((spec.sku, code), spec.par)
            if not quantity:
                continue
            if spec.lots:
                older = max(quantity // 3, 1)
                batches = [(older, _lot_number(spec, code, False), EXPIRES.get((spec.sku, code), 150)),
                           (quantity - older, _lot_number(spec, code, True), 420)]
            else:
                batches = [(quantity, "", 0)]
            for amount, lot, days in batches:
                if amount < 1:
                    continue
                _stamped(when, partial(
                    stock.stock_receive, actor=keeper, item=item, place=room, quantity=amount, lot_number=lot,
                    expires_on=world.today + dt.timedelta(days=days) if lot else None, reason="Opening balance"))
            if spec.exam:
                for number in range(1, EXAM_ROOMS[code] + 1):
                    exam = world.place(code, f"Exam room {number}")
                    _stamped(when, partial(stock.stock_receive, actor=keeper, item=item, place=exam,
                                           quantity=spec.exam[0], reason="Opening balance"))


def _use_and_fix(world: World) -> None:
    users, today = world.users, world.today
    # Restocking the exam rooms from the supply room (run first: the uses below count on it).
    for code, sku, room, quantity, days_ago, who in (
            (NORTH, "MED-GLV-NIT-M", "Exam room 2", 100, 15, "clinical"),
            (NORTH, "MED-ALC-PREP", "Exam room 1", 100, 13, "clinical"),
            (CARY, "MED-TBL-PAPER", "Exam room 3", 2, 2, "om_entry")):
        _stamped(_at(today - dt.timedelta(days=days_ago), 8, 15), partial(
            stock.stock_transfer, actor=users[who], item=world.items[sku], source=world.place(code, "Supply room"),
            destination=world.place(code, room), quantity=quantity, reason="Restocking the exam room"))
    for code, place_name, sku, quantity, days_ago, who in USE:
        where = world.place(code, place_name)
        _stamped(_at(today - dt.timedelta(days=days_ago), 10 + days_ago % 6), partial(
            stock.stock_consume, actor=users[who], item=world.items[sku], place=where, quantity=quantity,
            reason="Clinic use" if where.kind == PlaceKind.EXAM_ROOM else "Point-of-care testing"))
    manager, north_room = users["om_mid"], world.place(NORTH, "Supply room")
    lidocaine = world.items["MED-LIDO-1"]
    expired = lidocaine.lots.get(number=_lot_number(_spec("MED-LIDO-1"), NORTH, False))
    left = StockLevel.objects.get(item=lidocaine, place=north_room, lot=expired).quantity
    _stamped(_at(today - dt.timedelta(days=19), 9), lambda: stock.stock_remove(
        actor=manager, kind=MovementKind.EXPIRE, item=lidocaine, place=north_room, quantity=left, lot=expired,
        reason="Lot expired; returned for destruction with the pharmacy returns"))
    _stamped(_at(today - dt.timedelta(days=11), 15), lambda: stock.stock_remove(
        actor=manager, kind=MovementKind.DISPOSE, item=lidocaine, place=north_room, quantity=1,
        reason="Vial dropped and broke during a procedure"))
    _stamped(_at(today - dt.timedelta(days=17), 16), lambda: stock.stock_remove(
        actor=users["pm_advanced"], kind=MovementKind.ADJUST_OUT, item=world.items["MED-GLV-NIT-S"],
        place=world.place(DOWNTOWN, "Supply room"), quantity=100,
        reason="Box water-damaged under the supply room sink"))


def _spec(sku: str) -> DemoItem:
    return next(spec for spec in ITEMS if spec.sku == sku)


def _counts(world: World) -> int:
    users, today = world.users, world.today
    # North Hills, exam room 1: counted by the medical assistant, two differences, approved by the office manager.
    exam = world.place(NORTH, "Exam room 1")
    count = counts.count_start(actor=users["clinical"], place=exam)
    lines = list(count.lines.select_related("item"))
    found = {line.pk: line.expected - 7 if line.item.sku == "MED-GLV-NIT-M" else
             line.expected + 20 if line.item.sku == "MED-ALC-PREP" else line.expected for line in lines}
    counts.count_record(actor=users["clinical"], count=count, counted=found)
    counts.count_submit(actor=users["clinical"], count=count)
    _stamped(_at(today - dt.timedelta(days=6), 17), lambda: counts.count_approve(actor=users["om_mid"], count=count))
    CycleCount.objects.filter(pk=count.pk).update(created_at=_at(today - dt.timedelta(days=7), 16),
                                                  approved_at=_at(today - dt.timedelta(days=6), 17))
    # Cary, supply room: counted yesterday, waiting for a manager's approval.
    room = world.place(CARY, "Supply room")
    waiting = counts.count_start(actor=users["om_entry"], place=room)
    lines = list(waiting.lines.select_related("item"))
    found = {line.pk: max(line.expected - 2, 0) if line.item.sku == "MED-LANCET" else
             line.expected - 1 if line.item.sku == "OFF-TONER-58A" else line.expected for line in lines}
    counts.count_record(actor=users["om_entry"], count=waiting, counted=found)
    counts.count_submit(actor=users["om_entry"], count=waiting)
    CycleCount.objects.filter(pk=waiting.pk).update(created_at=_at(today - dt.timedelta(days=1), 17))
    return 2


@seeder(88)
def seed_stock(context: dict[str, Any]) -> None:
    world = _world(context)
    if world is None or not world.items:
        return
    _opening(world)
    _use_and_fix(world)
    _counts(world)
    report = context.setdefault("report", [])
    below = stock_selectors.below_reorder_point(actor=world.users["om_experienced"]).count()
    soon = stock_selectors.expiring(actor=world.users["om_experienced"], today=world.today, within_days=30).count()
    report.append(f"{StockMovement.objects.count()} stock movements, {below} par levels at or below their reorder "
                  f"point, {soon} lots on hand expiring within 30 days or expired, 2 cycle counts")


# --- 89: purchasing, quotes, rep visits ------------------------------------------------------------------------


def _line(world: World, sku: str, packages: int, vendor: str | None = None, price: str = "") -> LineIn:
    spec = _spec(sku)
    return LineIn(quantity=packages, unit_price=Decimal(price or spec.price), item=world.items[sku],
                  packaging=world.packagings.get(sku), vendor=world.vendors[vendor or spec.preferred or "piedmont"])


def _requisition(world: World, who: str, code: str, lines: list[LineIn], days_ago: int, *, why: str,
                 submit: bool = True) -> Requisition:
    actor = world.users[who]
    requisition = purchasing.requisition_create(actor=actor, location=world.locations[code], lines=lines,
                                                justification=why,
                                                needed_by=world.today + dt.timedelta(days=14 - days_ago))
    when = _at(world.today - dt.timedelta(days=days_ago), 9)
    if submit:
        requisition = purchasing.requisition_submit(actor=actor, requisition=requisition)
        Requisition.objects.filter(pk=requisition.pk).update(submitted_at=when)
    Requisition.objects.filter(pk=requisition.pk).update(created_at=when)
    return requisition


def _decide(world: World, who: str, requisition: Requisition, days_ago: int, approve: bool = True,
            note: str = "") -> Requisition:
    decided = purchasing.requisition_decide(actor=world.users[who], requisition=requisition, approve=approve,
                                            note=note)
    Requisition.objects.filter(pk=decided.pk).update(decided_at=_at(world.today - dt.timedelta(days=days_ago), 11))
    return decided


def _order(world: World, requisition: Requisition, code: str, *, created: int, expected: int | None,
           sent: int | None) -> PurchaseOrder:
    buyer = world.users["om_experienced"]
    [order] = orders.orders_place(actor=buyer, requisition=requisition, receive_into=world.place(code, "Supply room"),
                                  today=world.today)
    PurchaseOrder.objects.filter(pk=order.pk).update(created_at=_at(world.today - dt.timedelta(days=created), 10))
    if expected is not None:
        orders.order_update(actor=buyer, order=order, expected_on=world.today + dt.timedelta(days=expected),
                            notes="Deliver to the back door; call the office on arrival.")
    if sent is not None:
        purchasing.order_send(actor=buyer, order=order)
        PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=_at(world.today - dt.timedelta(days=sent), 10, 30))
    order.refresh_from_db()
    return order


def _receive(world: World, order: PurchaseOrder, who: str, days_ago: int, amounts: dict[str, tuple[int, int]],
             slip: str) -> Receipt:
    """Receive `amounts` (sku -> good packages, damaged packages); lots get a number and a date 14 months out."""
    wanted = []
    for line in order.lines.select_related("item"):
        if line.item is None or line.item.sku not in amounts:
            continue
        good, damaged = amounts[line.item.sku]
        lot = f"{line.item.sku.split('-')[1][:3]}{order.pk:02d}R" if line.item.lot_tracked else ""
        wanted.append(ReceivedIn(line=line, quantity=good, damaged=damaged, lot_number=lot,
                                 expires_on=world.today + dt.timedelta(days=420) if lot else None))
    when = _at(world.today - dt.timedelta(days=days_ago), 14)
    receipt: Receipt = _stamped(when, lambda: purchasing.receipt_record(actor=world.users[who], order=order,
                                                                        lines=wanted, packing_slip=slip))
    Receipt.objects.filter(pk=receipt.pk).update(received_at=when)
    return receipt


def _invoice(world: World, order: PurchaseOrder, number: str, days_ago: int,
             quantities: dict[str, int], price_off: Decimal = Decimal("0")) -> Any:
    lines = [InvoicedIn(line=line, quantity=quantities[line.item.sku], unit_price=line.unit_price + price_off)
             for line in order.lines.select_related("item") if line.item is not None and line.item.sku in quantities]
    total = sum((entry.unit_price * entry.quantity for entry in lines), Decimal("0")).quantize(Decimal("0.01"))
    invoice_date = world.today - dt.timedelta(days=days_ago)
    return invoices.invoice_enter(actor=world.users["om_experienced"], vendor=order.vendor, order=order,
                                  number=number, invoice_date=invoice_date, total=total, lines=lines,
                                  due_on=invoice_date + dt.timedelta(days=30))


def _purchasing(world: World) -> int:
    # Draft: the medical assistant's furniture request, not yet submitted.
    _requisition(world, "clinical", NORTH, [
        _line(world, "FUR-STOOL-EXAM", 2),
        LineIn(quantity=3, unit_price=Decimal("24.00"), description="Wall-mounted glove box holder, triple")],
        days_ago=1, why="Two stools are broken in exams 1 and 3; glove boxes keep falling off the counter.",
        submit=False)
    # Rejected: a TV for the waiting room.
    rejected = _requisition(world, "frontdesk", DOWNTOWN, [
        LineIn(quantity=1, unit_price=Decimal("649.00"), description="55-inch TV with wall mount, waiting room")],
        days_ago=12, why="Patients ask for something to watch while they wait.")
    _decide(world, "pm_advanced", rejected, 10, approve=False,
            note="Not in this year's budget; bring it to the January planning meeting.")
    # Approved, not yet ordered: vital-signs equipment at North Hills.
    approved = _requisition(world, "clinical", NORTH, [_line(world, "EQP-BP-CUFF", 4),
                                                       _line(world, "EQP-PULSE-OX", 2)],
                            days_ago=3, why="Replacing cuffs that no longer hold pressure; one oximeter per room.")
    _decide(world, "om_mid", approved, 2)
    # Ordered, received in full, invoice matched (ready to pay).
    full = _requisition(world, "om_experienced", DOWNTOWN, [
        _line(world, "MED-GLV-NIT-M", 20), _line(world, "MED-TBL-PAPER", 2), _line(world, "MED-ALC-PREP", 5)],
        days_ago=18, why="Monthly restock.")
    _decide(world, "pm_advanced", full, 17)
    first = _order(world, full, DOWNTOWN, created=16, expected=-12, sent=16)
    _receive(world, first, "pm_advanced", 13, {"MED-GLV-NIT-M": (20, 0), "MED-TBL-PAPER": (2, 0),
                                               "MED-ALC-PREP": (5, 0)}, "PS-558120")
    _invoice(world, first, "PMS-INV-884210", 12, {"MED-GLV-NIT-M": 20, "MED-TBL-PAPER": 2, "MED-ALC-PREP": 5})
    # Ordered, partly received (back order and a damaged box), the invoice bills everything: a variance.
    partial = _requisition(world, "clinical", NORTH, [
        _line(world, "MED-GLV-NIT-L", 10), _line(world, "MED-GAUZE-4X4", 6), _line(world, "MED-VAX-FLU", 3)],
        days_ago=10, why="Flu clinic weeks: vaccine and gloves.")
    _decide(world, "om_mid", partial, 9)
    second = _order(world, partial, NORTH, created=9, expected=-3, sent=9)
    _receive(world, second, "clinical", 2, {"MED-GLV-NIT-L": (6, 1), "MED-GAUZE-4X4": (6, 0),
                                            "MED-VAX-FLU": (2, 0)}, "PS-561907")
    _invoice(world, second, "PMS-INV-886031", 1, {"MED-GLV-NIT-L": 10, "MED-GAUZE-4X4": 6, "MED-VAX-FLU": 3})
    # Ordered and sent, expected in three days.
    office = _requisition(world, "om_entry", CARY, [
        _line(world, "OFF-PAPER", 2), _line(world, "OFF-PENS", 3), _line(world, "OFF-RECEIPT", 1),
        _line(world, "FUR-CHAIR-WAIT", 2)], days_ago=4, why="Office supplies; two chairs for the new waiting area.")
    _decide(world, "pm_entry", office, 3)
    _order(world, office, CARY, created=2, expected=3, sent=2)
    # Ordered from the second source, still a draft order (not sent).
    second_source = _requisition(world, "pm_advanced", DOWNTOWN, [
        _line(world, "MED-SYR-3ML", 4, "summit", "13.60"), _line(world, "MED-NDL-25G", 4, "summit", "17.10")],
        days_ago=2, why="Trial order from Summit at their quoted prices.")
    _decide(world, "om_experienced", second_source, 1)
    _order(world, second_source, DOWNTOWN, created=1, expected=None, sent=None)
    # Waiting for approval: Cary's suggested order (back up to par), as the assistant practice manager sent it.
    cary_manager = world.users["pm_entry"]
    suggestions = stock_selectors.suggested_orders(actor=cary_manager, today=world.today,
                                                   location_id=world.locations[CARY].pk)
    suggestion = next((order for order in suggestions if order.vendor == world.vendors["piedmont"]), None)
    if suggestion is not None:
        waiting = purchasing.requisition_from_suggestion(actor=cary_manager, location=world.locations[CARY],
                                                         order=suggestion)
        Requisition.objects.filter(pk=waiting.pk).update(created_at=_at(world.today, 8),
                                                         submitted_at=_at(world.today, 8))
    return PurchaseOrder.objects.count()


def _quotes(world: World) -> None:
    boss = world.users["pm_senior"]
    gloves = [(world.items[sku], quantity) for sku, quantity in (
        ("MED-GLV-NIT-S", 12_000), ("MED-GLV-NIT-M", 36_000), ("MED-GLV-NIT-L", 18_000))]
    rfq = quotes.rfq_create(actor=boss, title="Exam gloves – next year's volume (per glove)",
                            due_on=world.today + dt.timedelta(days=7),
                            vendors=[world.vendors["piedmont"], world.vendors["summit"]], lines=gloves)
    lines = {line.item_id: line.pk for line in rfq.lines.all()}
    for vendor, price, lead in (("piedmont", "0.0879", 2), ("summit", "0.0838", 4)):
        quotes.quote_record(actor=boss, rfq=rfq, vendor=world.vendors[vendor], lead_days=lead,
                            prices={lines[item.pk]: Decimal(price) for item, _quantity in gloves})


def _tuesday_before(day: dt.date) -> dt.date:
    """The last Tuesday before `day` (a week back when `day` is a Tuesday)."""
    return day - dt.timedelta(days=(day.isoweekday() - 2) % 7 or 7)


def _visits(world: World) -> int:
    keeper, today = world.users["om_experienced"], world.today
    novara, atlantic = world.vendors["novara"], world.vendors["atlantic"]
    pike = VendorContact.objects.get(vendor=novara, name="Jordan Pike")
    donnelly = VendorContact.objects.get(vendor=atlantic, name="Chris Donnelly")
    tuesday = _tuesday_before(today)
    # Within the policy: Tuesday lunch, by appointment; left pen and inhaler samples (one lot expires soon).
    visit = vendor_services.rep_visit_log(actor=keeper, vendor=novara, met_with=[world.users["provider"]], data={
        "rep": pike, "location": world.locations[DOWNTOWN], "visited_at": _at(tuesday, 12, 15),
        "had_appointment": True,
        "products": "Once-weekly GLP-1 pen (new 0.25 mg starter dose) and the patient savings card; albuterol HFA "
                    "back in stock.", "notes": "Left savings cards at the front desk."})
    _stamped(_at(tuesday, 12, 40), lambda: samples.samples_receive(
        actor=keeper, visit=visit, place=world.place(DOWNTOWN, "Sample cabinet"), samples=[
            samples.SampleIn(item=world.items["SMP-GLP1-PEN"], quantity=6, lot_number="NV2291A",
                             expires_on=today + dt.timedelta(days=200)),
            samples.SampleIn(item=world.items["SMP-INHALER"], quantity=10, lot_number="NV1180C",
                             expires_on=today + dt.timedelta(days=24))]))
    # Against the policy: a Wednesday morning walk-in at North Hills (logged anyway, with the exceptions).
    wednesday = tuesday - dt.timedelta(days=6)
    walk_in = vendor_services.rep_visit_log(actor=keeper, vendor=atlantic, met_with=[world.users["clinical"]], data={
        "rep": donnelly, "location": world.locations[NORTH], "visited_at": _at(wednesday, 9, 40),
        "had_appointment": False,
        "products": "Combined flu A/B and COVID-19 rapid test; reader-free strep A.",
        "notes": "Reminded of the appointment-only policy."})
    _stamped(_at(wednesday, 9, 55), lambda: samples.samples_receive(
        actor=keeper, visit=walk_in, place=world.place(NORTH, "Sample cabinet"), samples=[
            samples.SampleIn(item=world.items["MED-STREP-A"], quantity=5, lot_number="ADS771",
                             expires_on=today + dt.timedelta(days=90))]))
    # Within the policy, nothing left: Thursday lunch at Cary.
    vendor_services.rep_visit_log(actor=keeper, vendor=novara, met_with=[world.users["pm_entry"]], data={
        "rep_name": "Michelle Tan", "location": world.locations[CARY],
        "visited_at": _at(tuesday - dt.timedelta(days=12), 12, 30), "had_appointment": True,
        "products": "Inhaled corticosteroid formulary change; asthma action plan handouts."})
    return 3


@seeder(89)
def seed_purchasing(context: dict[str, Any]) -> None:
    world = _world(context)
    if world is None or not world.items:
        return
    ordered = _purchasing(world)
    _quotes(world)
    visits = _visits(world)
    report = context.setdefault("report", [])
    report.append(f"{Requisition.objects.count()} requisitions, {ordered} purchase orders, 1 request for quotes, "
                  f"{visits} sales-rep visits; ledger matches stock: {stock.ledger_matches_levels()}")
