"""Demo work orders (the lead wires `seed_work_orders` as seeder 91, after the assets and plans of seeder 90):

- Downtown: the exam table in room 1 will not lower; sent to the biomedical firm, which answered through its link,
  came, and now waits for a pump seal (its link still works: the mail is in the Outbox);
- Downtown: the copier jammed, the leasing firm fixed it and sent its invoice, the office manager verified it;
- North Hills: the vaccine refrigerator alarmed (out of service, with a photo), urgent; fixed the same day by the
  biomedical firm (labour and a door gasket), verified;
- Downtown: the autoclave was down for thirty hours last month (for the downtime report);
- Cary: a water stain on a ceiling tile nobody has taken on, past its service level: the escalation runs at the
  end, so the managers at Cary have the mail in the Outbox;
- North Hills: a flickering light in the waiting room, given to the office manager there, who answered.

Everything goes through the services as the people who would do it (the firms through their links); the clock of
each step is set back afterwards so the timelines, the SLA flags and the reports read like the last weeks.
Seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.vendors.models import Vendor

from .choices import CostKind, Priority, WorkOrderSource, WorkOrderStatus
from .models import Asset, VendorLink, WorkOrder, WorkOrderCost, WorkOrderEvent
from .services import vendor_links
from .services import work_orders as services
from .services.work_orders import CostIn
from .services.work_orders_open import sla_times

S = WorkOrderStatus
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _png() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((90, 20, 230, 220), outline=(60, 60, 60), width=4)
    draw.rectangle((110, 40, 210, 80), fill=(200, 40, 40))
    draw.text((122, 52), "12.4 C", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("fridge-display.png", buffer.getvalue(), content_type="image/png")


class _Story:
    """One work order told step by step: each step runs now and is then set back to `at` (its timeline entries,
    costs, and the time fields it set)."""

    def __init__(self, work_order: WorkOrder, opened: dt.datetime) -> None:
        self.work_order = work_order
        respond_by, resolve_by = sla_times(work_order.priority, opened)
        WorkOrder.objects.filter(pk=work_order.pk).update(created_at=opened, respond_by=respond_by,
                                                          resolve_by=resolve_by)
        work_order.events.update(at=opened)
        work_order.refresh_from_db()
        self.last_event = self._last_event()
        self.last_cost = 0

    def _last_event(self) -> int:
        return self.work_order.events.aggregate(last=Max("pk"))["last"] or 0

    def step(self, at: dt.datetime, action: Callable[[dt.datetime], Any]) -> Any:
        result = action(at)
        WorkOrderEvent.objects.filter(work_order=self.work_order, pk__gt=self.last_event).update(at=at)
        self.last_event = self._last_event()
        costs = WorkOrderCost.objects.filter(work_order=self.work_order, pk__gt=self.last_cost)
        costs.update(recorded_at=at)
        self.last_cost = WorkOrderCost.objects.filter(work_order=self.work_order).aggregate(
            last=Max("pk"))["last"] or 0
        self.work_order.refresh_from_db()
        return result


def _report(story_opened: dt.datetime, *, by: User, location: Location, title: str, description: str = "",
            room: str = "", asset: Asset | None = None, asset_down: bool = False,
            photo: SimpleUploadedFile | None = None) -> _Story:
    work_order = services.problem_report(actor=by, location=location, title=title, description=description,
                                         room=room, asset=asset, asset_down=asset_down, photo=photo)
    return _Story(work_order, story_opened)


def _dispatch(story: _Story, at: dt.datetime, manager: User, firm: Vendor, *, message: str = "",
              scheduled_for: dt.datetime | None = None) -> str:
    story.step(at, lambda now: services.work_order_assign(actor=manager, work_order=story.work_order, vendor=firm,
                                                          scheduled_for=scheduled_for))
    link: VendorLink = story.step(at, lambda now: vendor_links.work_order_dispatch(
        actor=manager, work_order=story.work_order, sent_to=firm.order_email, message=message, now=now))
    VendorLink.objects.filter(pk=link.pk).update(created_at=at)
    return vendor_links.link_token(link)


def _firm_status(story: _Story, at: dt.datetime, token: str, status: str, note: str = "") -> None:
    story.step(at, lambda now: vendor_links.vendor_status_set(token=token, status=status, note=note, now=now))


def _firm_cost(story: _Story, at: dt.datetime, token: str, cost: CostIn) -> None:
    story.step(at, lambda now: vendor_links.vendor_cost_add(token=token, cost=cost, now=now))


def _verify(story: _Story, at: dt.datetime, manager: User, note: str = "") -> None:
    story.step(at, lambda now: services.work_order_verify(actor=manager, work_order=story.work_order, note=note,
                                                          now=now))


def _firm(vendors: dict[str, Any], key: str, name: str) -> Vendor | None:
    return vendors.get(key) or Vendor.objects.filter(name=name).first()


def seed_work_orders(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    locations: dict[str, Location] = context.get("locations") or {}
    if any(name not in users for name in ("om_experienced", "om_mid", "om_entry", "frontdesk", "clinical")) or any(
            code not in locations for code in ("downtown", "north-hills", "cary")):
        return
    report = context.setdefault("report", [])
    if WorkOrder.objects.filter(source=WorkOrderSource.REPORTED).exists():
        report.append("facilities work orders: already seeded, nothing added")
        return
    vendors: dict[str, Any] = context.get("vendors") or {}
    biomed = _firm(vendors, "biomed", "BioMed Equipment Services")
    copier = _firm(vendors, "copier", "Capital Copier Leasing")
    if biomed is None or copier is None:
        report.append("facilities work orders: the vendor demo is missing, nothing added")
        return
    assets: dict[str, Asset] = context.get("assets") or {asset.tag: asset for asset in Asset.objects.all()}
    keeper, kevin, sophie = users["om_experienced"], users["om_mid"], users["om_entry"]
    desk, tom = users["frontdesk"], users["clinical"]
    downtown, north, cary = locations["downtown"], locations["north-hills"], locations["cary"]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)

    # Downtown, three days ago: the exam table; the firm waits for a part.
    table = _report(now - 3 * D, by=desk, location=downtown, title="Exam table will not lower",
                    description="The foot pedal does nothing; the table is stuck at its highest position.",
                    room="Exam 1", asset=assets.get("A-0004"))
    table.step(now - 3 * D + H, lambda at: services.work_order_triage(actor=keeper, work_order=table.work_order,
                                                                      priority=Priority.HIGH, now=at))
    token = _dispatch(table, now - 3 * D + H, keeper, biomed, scheduled_for=now - 2 * D,
                      message="Exam 1 is closed until it is fixed. Ask for Linda at the front desk.")
    table.step(now - 3 * D + 4 * H, lambda at: vendor_links.vendor_note_add(
        token=token, note="Confirmed for tomorrow morning.", now=at))
    _firm_status(table, now - 2 * D, token, S.IN_PROGRESS)
    _firm_status(table, now - 2 * D + H, token, S.WAITING_FOR_PARTS,
                 "Hydraulic pump seal worn; the part is ordered (3–5 days).")
    _firm_cost(table, now - 2 * D + H, token, CostIn(kind=CostKind.LABOUR, amount=Decimal("142.50"),
                                                     hours=Decimal("1.5"), description="Diagnosis, first visit"))

    # Downtown, twelve days ago: the copier; fixed, invoiced and verified.
    jam = _report(now - 12 * D, by=desk, location=downtown, title="Copier jams on tray 2", room="Front office",
                  asset=assets.get("A-0006"))
    token = _dispatch(jam, now - 12 * D + 2 * H, keeper, copier)
    _firm_status(jam, now - 12 * D + 6 * H, token, S.IN_PROGRESS, "Technician on the way.")
    _firm_status(jam, now - 11 * D, token, S.DONE, "Pickup roller replaced.")
    _firm_cost(jam, now - 11 * D, token, CostIn(kind=CostKind.VENDOR_INVOICE, amount=Decimal("38.00"),
                                                description="Pickup roller", invoice_number="CCL-INV-2291"))
    _verify(jam, now - 11 * D + 3 * H, keeper, "Printed 50 pages from tray 2 without a jam.")

    # North Hills, five days ago: the vaccine refrigerator, out of service; fixed the same day.
    fridge = _report(now - 5 * D, by=tom, location=north, title="Vaccine refrigerator alarm: 12 °C",
                     description="Alarm at 8:10. Vaccines moved to the backup unit; logged in the safety log.",
                     asset=assets.get("A-0101"), asset_down=True, photo=_png())
    fridge.step(now - 5 * D + H / 3, lambda at: services.work_order_triage(
        actor=kevin, work_order=fridge.work_order, priority=Priority.URGENT, now=at))
    token = _dispatch(fridge, now - 5 * D + H / 2, kevin, biomed, message="Urgent: vaccine storage.")
    _firm_status(fridge, now - 5 * D + 2 * H, token, S.IN_PROGRESS, "On site.")
    _firm_status(fridge, now - 5 * D + 6 * H, token, S.DONE, "Door gasket replaced; holds 4 °C.")
    _firm_cost(fridge, now - 5 * D + 6 * H, token, CostIn(kind=CostKind.LABOUR, amount=Decimal("190.00"),
                                                          hours=Decimal("2")))
    _firm_cost(fridge, now - 5 * D + 6 * H, token, CostIn(kind=CostKind.PARTS, amount=Decimal("64.20"),
                                                          description="Door gasket"))
    _verify(fridge, now - 4 * D, kevin, "Temperature log in range overnight; vaccines back.")

    # Downtown, last month: the autoclave down for thirty hours.
    autoclave = _report(now - 40 * D, by=keeper, location=downtown, title="Autoclave stops mid-cycle",
                        room="Sterilization", asset=assets.get("A-0003"), asset_down=True)
    token = _dispatch(autoclave, now - 40 * D + H, keeper, biomed)
    _firm_status(autoclave, now - 40 * D + 3 * H, token, S.IN_PROGRESS, "Door switch fault.")
    _firm_status(autoclave, now - 39 * D + 6 * H, token, S.DONE, "Door switch replaced; test cycle passed.")
    _firm_cost(autoclave, now - 39 * D + 6 * H, token, CostIn(kind=CostKind.VENDOR_INVOICE,
                                                              amount=Decimal("312.75"), invoice_number="BES-10442"))
    _verify(autoclave, now - 38 * D, keeper)

    # Cary, nine days ago: nobody took it on; it is past its service level.
    stain = _report(now - 9 * D, by=sophie, location=cary, title="Water stain on a ceiling tile", room="Exam 3",
                    description="Brown stain about a foot wide; it grows after rain.")

    # North Hills, yesterday: the light in the waiting room, for the office manager there.
    light = _report(now - D, by=tom, location=north, title="Waiting room light flickers", room="Waiting room")
    light.step(now - D + H, lambda at: services.work_order_triage(actor=kevin, work_order=light.work_order,
                                                                  priority=Priority.LOW, now=at))
    light.step(now - D + H, lambda at: services.work_order_assign(actor=kevin, work_order=light.work_order,
                                                                  assignee=kevin))
    light.step(now - D + 2 * H, lambda at: services.work_order_note_add(actor=kevin, work_order=light.work_order,
                                                                        note="Tubes on order; replacing Friday."))
    WorkOrder.objects.filter(pk=light.work_order.pk).update(responded_at=now - D + 2 * H)

    escalated = services.work_orders_escalate(now=timezone.now())
    stories = (table, jam, fridge, autoclave, stain, light)
    report.append(f"{len(stories)} reported work orders ({escalated} escalated as overdue), one firm link open")
