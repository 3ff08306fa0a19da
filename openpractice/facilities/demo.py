"""Demo data for facilities. One seeder per part, each after the vendors (86) and the inventory (87-89):

- 90 assets and preventive maintenance (below);
- 91 work orders (demo_work_orders.py) and 92 cleaning and safety logs (demo_safety.py), registered at the end of
  this module.

Assets (90): thirteen pieces of equipment over the three locations (vaccine refrigerators and a freezer, autoclaves,
exam tables, rooftop HVAC, copiers, AEDs, an ECG), serviced by the demo's biomedical and copier firms; one freezer
is out of service and one old exam table retired. Maintenance plans with checklists repeat by months, days or meter
(autoclave cycles, copier pages). The daily task is run as it would have run fifteen days ago and again today, so a
few preventive work orders are open, some already overdue. Everything goes through the services as the senior
office manager (the audit trail is real); dates count from the practice's today. Seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today

from .choices import AssetKind, AssetStatus, IntervalUnit, Priority
from .demo_safety import seed_safety
from .demo_work_orders import seed_work_orders
from .models import Asset, MaintenancePlan
from .services import assets as asset_services
from .services import plans as plan_services

# Keys of the vendor demo (context["vendors"]).
BIOMED, COPIER = "biomed", "copier"
# How long ago the daily task is first run.
PAST_RUN_DAYS = 15


@dataclass(frozen=True)
class DemoPlan:
    title: str
    interval: int
    unit: str
    due_in_days: int | None = None  # from today, for plans by days or months
    due_meter: int | None = None  # for plans by meter
    lead_days: int = 14
    priority: str = Priority.NORMAL
    by: str = ""  # a demo username, or a vendor key prefixed "vendor:"
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoAsset:
    tag: str
    name: str
    kind: str
    location: str
    room: str
    manufacturer: str
    model_number: str
    serial_number: str
    purchased_days_ago: int
    cost: str
    warranty_years: int = 1
    vendor: str = ""
    meter_unit: str = ""
    meter_reading: int = 0
    status: str = AssetStatus.IN_SERVICE
    status_reason: str = ""
    notes: str = ""
    plans: tuple[DemoPlan, ...] = field(default=())


FRIDGE_STEPS = ("Clean the condenser coil and check the door gasket",
                "Check the data logger against a calibrated reference thermometer",
                "Test the high and low temperature alarms", "Record the results on the service report")
EXAM_TABLE_STEPS = ("Inspect the upholstery for tears (cleanability)", "Check the hydraulic lift and the brakes",
                    "Inspect the power cord and outlet strip", "Tighten the stirrups and the paper roll holder")
AUTOCLAVE_STEPS = ("Replace the door gasket and the bellows", "Clean the chamber and the water reservoir filter",
                   "Check the temperature and pressure calibration", "Run a test cycle with a biological indicator")
HVAC_STEPS = ("Replace the return-air filters (MERV 13)", "Check the condensate drain and pan",
              "Note any unusual noise or smell in the service log")
AED_STEPS = ("Replace the electrode pads (check the expiry date)", "Replace the battery if it is due",
             "Run the self-test and confirm the ready light")
COPIER_STEPS = ("Replace the drum and the fuser as the counter requires", "Clean the feed rollers",
                "Update the firmware", "Print a test page from each tray")

ASSETS: tuple[DemoAsset, ...] = (
    DemoAsset("A-0001", "Vaccine refrigerator", AssetKind.REFRIGERATOR, "downtown", "Lab", "Helmer Scientific",
              "iPR120", "HS-2291844", 820, "6850.00", warranty_years=3, vendor=BIOMED,
              notes="VFC program storage; digital data logger with a buffered probe.",
              plans=(DemoPlan("Yearly calibration and coil cleaning", 12, IntervalUnit.MONTHS, due_in_days=-10,
                              priority=Priority.HIGH, by=f"vendor:{BIOMED}", steps=FRIDGE_STEPS),)),
    DemoAsset("A-0002", "Vaccine freezer", AssetKind.FREEZER, "downtown", "Lab", "Helmer Scientific", "iUF105",
              "HS-2291902", 820, "5420.00", warranty_years=3, vendor=BIOMED,
              plans=(DemoPlan("Defrost and clean", 6, IntervalUnit.MONTHS, due_in_days=40, lead_days=10,
                              by="om_experienced",
                              steps=("Move the vaccines to the back-up freezer", "Defrost and dry the chamber",
                                     "Check the door seal", "Return the vaccines once at temperature")),)),
    DemoAsset("A-0003", "Autoclave", AssetKind.AUTOCLAVE, "downtown", "Sterilization", "Midmark", "M11",
              "V1102211", 1400, "7995.00", vendor=BIOMED, meter_unit="cycles", meter_reading=2480,
              plans=(DemoPlan("Cycle-count service", 500, IntervalUnit.METER, due_meter=2500, by=f"vendor:{BIOMED}",
                              steps=AUTOCLAVE_STEPS),
                     DemoPlan("Yearly preventive maintenance", 12, IntervalUnit.MONTHS, due_in_days=75,
                              by=f"vendor:{BIOMED}", steps=AUTOCLAVE_STEPS))),
    DemoAsset("A-0004", "Exam table, room 1", AssetKind.EXAM_TABLE, "downtown", "Exam 1", "Midmark", "626",
              "626-V77142", 2100, "8900.00", warranty_years=2,
              plans=(DemoPlan("Yearly safety inspection", 12, IntervalUnit.MONTHS, due_in_days=-3, lead_days=21,
                              by="om_experienced", steps=EXAM_TABLE_STEPS),)),
    DemoAsset("A-0005", "Rooftop HVAC unit", AssetKind.HVAC, "downtown", "Roof", "Carrier", "48FC-07",
              "2219G40311", 3300, "14200.00", warranty_years=5,
              plans=(DemoPlan("Replace air filters", 90, IntervalUnit.DAYS, due_in_days=5, lead_days=7,
                              by="om_experienced", steps=HVAC_STEPS),)),
    DemoAsset("A-0006", "Multifunction copier", AssetKind.COPIER, "downtown", "Front office", "Ricoh", "IM C3000",
              "3101R220455", 900, "0.00", warranty_years=3, vendor=COPIER, meter_unit="pages",
              meter_reading=151_240, notes="Leased (see the copier lease contract); service and toner included.",
              plans=(DemoPlan("Service visit by page count", 50_000, IntervalUnit.METER, due_meter=150_000,
                              priority=Priority.LOW, by=f"vendor:{COPIER}", steps=COPIER_STEPS),)),
    DemoAsset("A-0007", "AED, main hallway", AssetKind.SAFETY, "downtown", "Hallway", "Philips",
              "HeartStart OnSite", "A17L-04421", 1200, "1599.00", warranty_years=8,
              plans=(DemoPlan("Pads and battery replacement", 24, IntervalUnit.MONTHS, due_in_days=160,
                              lead_days=30, by="om_experienced", steps=AED_STEPS),)),
    DemoAsset("A-0008", "12-lead ECG", AssetKind.MEDICAL_DEVICE, "downtown", "Procedure", "GE Healthcare",
              "MAC 2000", "SGM19331234WA", 1500, "5600.00", vendor=BIOMED,
              plans=(DemoPlan("Yearly calibration and electrical safety test", 12, IntervalUnit.MONTHS,
                              due_in_days=-20, by=f"vendor:{BIOMED}",
                              steps=("Electrical safety (leakage current) test", "Calibrate against a simulator",
                                     "Replace the patient cable if worn")),)),
    DemoAsset("A-0101", "Vaccine refrigerator", AssetKind.REFRIGERATOR, "north-hills", "Lab", "Helmer Scientific",
              "iPR256", "HS-3310077", 400, "7420.00", warranty_years=3, vendor=BIOMED,
              plans=(DemoPlan("Yearly calibration and coil cleaning", 12, IntervalUnit.MONTHS, due_in_days=12,
                              priority=Priority.HIGH, by=f"vendor:{BIOMED}", steps=FRIDGE_STEPS),)),
    DemoAsset("A-0102", "Autoclave", AssetKind.AUTOCLAVE, "north-hills", "Sterilization", "Tuttnauer", "2540EA",
              "1907221", 1800, "5150.00", vendor=BIOMED, meter_unit="cycles", meter_reading=910,
              plans=(DemoPlan("Monthly chamber cleaning", 1, IntervalUnit.MONTHS, due_in_days=-1, lead_days=3,
                              by="clinical",
                              steps=("Drain and refill the reservoir with distilled water",
                                     "Clean the chamber and the trays with the approved cleaner",
                                     "Check the door gasket")),)),
    DemoAsset("A-0103", "Exam table, room 2", AssetKind.EXAM_TABLE, "north-hills", "Exam 2", "Midmark", "604",
              "604-K11873", 4400, "4100.00", status=AssetStatus.RETIRED,
              status_reason="Hydraulics failed; replaced by a new table."),
    DemoAsset("A-0201", "Vaccine refrigerator", AssetKind.REFRIGERATOR, "cary", "Nurse station", "Follett",
              "REF5", "F-5521190", 600, "4300.00", warranty_years=2, vendor=BIOMED,
              plans=(DemoPlan("Yearly calibration and coil cleaning", 12, IntervalUnit.MONTHS, due_in_days=-40,
                              priority=Priority.HIGH, by=f"vendor:{BIOMED}", steps=FRIDGE_STEPS),)),
    DemoAsset("A-0202", "Specimen freezer", AssetKind.FREEZER, "cary", "Lab", "Summit Appliance", "FS30L",
              "SA-88120", 2600, "780.00", status=AssetStatus.OUT_OF_SERVICE,
              status_reason="Compressor cycling; specimens moved to Downtown until repaired."),
    DemoAsset("A-0203", "AED, waiting room", AssetKind.SAFETY, "cary", "Waiting room", "Zoll", "AED Plus",
              "X11F402218", 700, "1695.00", warranty_years=7,
              plans=(DemoPlan("Pads and battery replacement", 60, IntervalUnit.MONTHS, due_in_days=-5, lead_days=30,
                              by="om_experienced", steps=AED_STEPS),)),
)


def _manual_pdf(asset: Asset) -> SimpleUploadedFile:
    html = (f"<h1>{asset.manufacturer} {asset.model_number}</h1><p>Warranty certificate</p>"
            f"<p>Serial number {asset.serial_number}</p><p>Covered parts and labour until "
            f"{asset.warranty_ends_on}.</p>")
    return SimpleUploadedFile("warranty.pdf", render_pdf(html), content_type="application/pdf")


def _assignee(spec: DemoPlan, users: dict[str, User], vendors: dict[str, Any]) -> dict[str, Any]:
    if spec.by.startswith("vendor:"):
        vendor = vendors.get(spec.by.removeprefix("vendor:"))
        return {"vendor": vendor} if vendor is not None else {}
    return {"assignee": users[spec.by]} if spec.by in users else {}


@seeder(90)
def seed_assets(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    locations: dict[str, Location] = context.get("locations") or {}
    if "om_experienced" not in users or not locations:
        return
    report = context.setdefault("report", [])
    if Asset.objects.exists():
        report.append("facilities assets: already seeded, nothing added")
        return
    keeper = users["om_experienced"]
    vendors: dict[str, Any] = context.get("vendors") or {}
    today = practice_today()
    assets: dict[str, Asset] = {}
    plans: list[MaintenancePlan] = []
    for spec in ASSETS:
        if spec.location not in locations:
            continue
        purchased = today - dt.timedelta(days=spec.purchased_days_ago)
        asset = asset_services.asset_create(actor=keeper, data={
            "tag": spec.tag, "name": spec.name, "kind": spec.kind, "location": locations[spec.location],
            "room": spec.room, "manufacturer": spec.manufacturer, "model_number": spec.model_number,
            "serial_number": spec.serial_number, "purchased_on": purchased, "purchase_cost": Decimal(spec.cost),
            "warranty_ends_on": plan_services.add_months(purchased, 12 * spec.warranty_years),
            "service_vendor": vendors.get(spec.vendor), "meter_unit": spec.meter_unit, "notes": spec.notes})
        if spec.meter_reading:
            asset = asset_services.asset_meter_record(actor=keeper, asset=asset, reading=spec.meter_reading)
        for plan in spec.plans:
            plans.append(plan_services.plan_create(actor=keeper, asset=asset, checklist=plan.steps, data={
                "title": plan.title, "interval": plan.interval, "interval_unit": plan.unit,
                "next_due_on": None if plan.due_in_days is None else today + dt.timedelta(days=plan.due_in_days),
                "next_due_meter": plan.due_meter, "lead_days": plan.lead_days, "priority": plan.priority,
                **_assignee(plan, users, vendors)}))
        if spec.status != AssetStatus.IN_SERVICE:
            asset = asset_services.asset_status_set(actor=keeper, asset=asset, status=spec.status,
                                                    reason=spec.status_reason)
        assets[spec.tag] = asset
    if "A-0001" in assets:
        asset_services.asset_document_add(actor=keeper, asset=assets["A-0001"], title="Warranty certificate",
                                          upload=_manual_pdf(assets["A-0001"]))
    # The daily task as it ran fifteen days ago, then this morning.
    opened = plan_services.plans_open_due_work_orders(today=today - dt.timedelta(days=PAST_RUN_DAYS))
    opened += plan_services.plans_open_due_work_orders(today=today)
    context["assets"] = assets
    context["maintenance_plans"] = plans
    report.append(f"{len(assets)} assets, {len(plans)} maintenance plans, {len(opened)} preventive work orders "
                  f"opened")


# The other two parts live in their own modules; `openpractice demo` discovers seeders through this one.
seeder(91)(seed_work_orders)
seeder(92)(seed_safety)
