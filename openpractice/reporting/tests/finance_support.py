"""Test data for practice finances, built directly with the apps' models and factories (reporting may not call
another app's services, even from its tests): ledger entries, vendor invoices, work order costs, pay periods with
time and pay rates, budget lines; and the hand-computed world the finance tests share.

THE WORLD (year 2025, North and South; every figure below is worked out by hand in the docstrings of the tests):
ledger  North: charges Jan 10 1,000.00 and Jan 20 250.00; payer payment Jan 31 −600.00; contractual Jan 31
        −150.00; patient payment Feb 3 −100.00; refund Feb 5 +20.00; PLB Feb 10 −5.00; write-off Feb 10 −30.00;
        other payer adjustment Feb 11 −12.50; a transfer pair Feb 12 (−40/+40); charges on Dec 31 2024 (999) and
        Jan 1 2026 (888) outside the year.  South: charge Jan 15 5,000.00; payer payment Jan 20 −3,000.00.
supplies North: Mar 5 ready 400.00, Mar 28 paid 99.99; a mismatch (700.00) and an entered one (50.00) that do not
        count.  South: Mar 15 ready 300.00.
upkeep  North: 120.00 at 23:30 on Mar 31 New York time (Apr 1 in UTC), 80.50 on Apr 1, 45.00 on a cancelled work
        order Apr 15.  South: 60.00 on Apr 10.
payroll Closed periods May 5–18 and May 19–Jun 1, 2025; an open one Jun 2–15; a closed one in Dec 2024.
        Ann (North, hourly 20.00 from May 1, 2025; 18.00 before; 25.00 from Jul 1): 45 h worked May 5–9 (5 overtime),
        32 h May 12–15 and 8 h PTO May 16; 8 h May 19. Ben (North, exempt, 52,000.00 a year): 8 h May 6.
        Cy (South, hourly 30.00): 10 h May 7. Dee (North, no pay rate): 8 h May 8. Ann also 8 h on Dec 10, 2024.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from openpractice.billing.choices import EntryKind, Party
from openpractice.billing.models import LedgerEntry
from openpractice.facilities.choices import CostKind, WorkOrderStatus
from openpractice.facilities.models import WorkOrder, WorkOrderCost
from openpractice.inventory.choices import InvoiceStatus
from openpractice.inventory.models import PurchaseOrder, VendorInvoice
from openpractice.inventory.tests.factories_purchasing import order, vendor
from openpractice.patients.tests.factories import PatientFactory, PayerFactory
from openpractice.reporting.models import BudgetLine
from openpractice.workforce.choices import FlsaStatus, PayBasis, PayPeriodStatus, TimeKind, TimeSource
from openpractice.workforce.models import Employee, PayPeriod, PayRate, TimeEntry
from openpractice.workforce.tests.factories import EmployeeFactory

YEAR = 2025
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
_numbers = count(1)


def day(month: int, number: int, year: int = YEAR) -> dt.date:
    return dt.date(year, month, number)


def at(month: int, number: int, hour: int = 12, minute: int = 0, year: int = YEAR) -> dt.datetime:
    """A moment in the practice's time zone (the test practice is in New York)."""
    return dt.datetime(year, month, number, hour, minute, tzinfo=NEW_YORK)


# --- billing -------------------------------------------------------------------------------------------------------


class Ledger:
    """Ledger entries at one location, for one patient (and one payer for payer-side entries)."""

    def __init__(self, location: Any, actor: Any) -> None:
        self.location, self.actor = location, actor
        self.patient = PatientFactory(home_location=location)
        self.payer = PayerFactory()

    def post(self, kind: str, amount: str, posted_on: dt.date, *, party: str = Party.PATIENT) -> LedgerEntry:
        return LedgerEntry.objects.create(
            kind=kind, amount=Decimal(amount), party=party, patient=self.patient, location=self.location,
            payer=self.payer if party == Party.PAYER else None, posted_on=posted_on, service_date=posted_on,
            created_by=self.actor)


# --- inventory -----------------------------------------------------------------------------------------------------


class Purchasing:
    """Vendor invoices against orders for one location."""

    def __init__(self, location: Any, actor: Any) -> None:
        self.location, self.actor = location, actor
        self.vendor = vendor(f"Supplier {next(_numbers)}")
        self.order: PurchaseOrder = order(location, self.vendor, actor,
                                          [{"description": "Gloves", "quantity": 10, "unit_price": Decimal("1")}])

    def invoice(self, total: str, invoice_date: dt.date, status: str = InvoiceStatus.READY) -> VendorInvoice:
        return VendorInvoice.objects.create(vendor=self.vendor, order=self.order, number=f"INV-{next(_numbers)}",
                                            invoice_date=invoice_date, total=Decimal(total), status=status,
                                            entered_by=self.actor)


# --- facilities ----------------------------------------------------------------------------------------------------


def work_order(location: Any, *, status: str = WorkOrderStatus.DONE) -> WorkOrder:
    return WorkOrder.objects.create(title=f"Repair {next(_numbers)}", location=location, status=status)


def cost(job: WorkOrder, amount: str, recorded_at: dt.datetime, kind: str = CostKind.VENDOR_INVOICE) -> WorkOrderCost:
    made = WorkOrderCost.objects.create(work_order=job, kind=kind, amount=Decimal(amount))
    WorkOrderCost.objects.filter(pk=made.pk).update(recorded_at=recorded_at)  # auto_now_add: set it afterwards
    return made


# --- workforce -----------------------------------------------------------------------------------------------------


def pay_period(starts_on: dt.date, ends_on: dt.date, *, closed: bool = True) -> PayPeriod:
    return PayPeriod.objects.create(starts_on=starts_on, ends_on=ends_on,
                                    status=PayPeriodStatus.CLOSED if closed else PayPeriodStatus.OPEN,
                                    closed_at=timezone.now() if closed else None)


def employee(location: Any, *, exempt: bool = False, **fields: Any) -> Employee:
    return EmployeeFactory(location=location, flsa_status=FlsaStatus.EXEMPT if exempt else FlsaStatus.NON_EXEMPT,
                           **fields)


def pay_rate(person: Employee, amount: str, effective_from: dt.date, actor: Any, *,
             basis: str = PayBasis.HOURLY) -> PayRate:
    return PayRate.objects.create(employee=person, effective_from=effective_from, basis=basis, amount=amount,
                                  created_by=actor)


def hours(person: Employee, work_date: dt.date, amount: str, actor: Any, *, kind: str = TimeKind.WORKED) -> TimeEntry:
    return TimeEntry.objects.create(employee=person, work_date=work_date, kind=kind, source=TimeSource.WEEKLY,
                                    hours=Decimal(amount), created_by=actor)


# --- reporting -----------------------------------------------------------------------------------------------------


def budget(category: str, month: int, amount: str, location: Any = None, year: int = YEAR) -> BudgetLine:
    return BudgetLine.objects.create(year=year, month=month, category=category, location=location,
                                     amount=Decimal(amount))


@dataclass
class World:
    north: Any
    south: Any
    ann: Employee
    ben: Employee
    cy: Employee
    dee: Employee


def build_world(north: Any, south: Any, actor: Any) -> World:
    """The hand-computed year described in this module's docstring."""
    ledger = Ledger(north, actor)
    ledger.post(EntryKind.CHARGE, "1000.00", day(1, 10))
    ledger.post(EntryKind.CHARGE, "250.00", day(1, 20))
    ledger.post(EntryKind.PAYER_PAYMENT, "-600.00", day(1, 31), party=Party.PAYER)
    ledger.post(EntryKind.CONTRACTUAL, "-150.00", day(1, 31), party=Party.PAYER)
    ledger.post(EntryKind.PATIENT_PAYMENT, "-100.00", day(2, 3))
    ledger.post(EntryKind.REFUND, "20.00", day(2, 5))
    ledger.post(EntryKind.PROVIDER_ADJUSTMENT, "-5.00", day(2, 10), party=Party.PAYER)
    ledger.post(EntryKind.WRITE_OFF, "-30.00", day(2, 10))
    ledger.post(EntryKind.PAYER_ADJUSTMENT, "-12.50", day(2, 11), party=Party.PAYER)
    ledger.post(EntryKind.TRANSFER, "-40.00", day(2, 12), party=Party.PAYER)
    ledger.post(EntryKind.TRANSFER, "40.00", day(2, 12))
    ledger.post(EntryKind.CHARGE, "999.00", day(12, 31, year=YEAR - 1))
    ledger.post(EntryKind.CHARGE, "888.00", day(1, 1, year=YEAR + 1))
    south_ledger = Ledger(south, actor)
    south_ledger.post(EntryKind.CHARGE, "5000.00", day(1, 15))
    south_ledger.post(EntryKind.PAYER_PAYMENT, "-3000.00", day(1, 20), party=Party.PAYER)

    buying = Purchasing(north, actor)
    buying.invoice("400.00", day(3, 5))
    buying.invoice("99.99", day(3, 28), InvoiceStatus.PAID)
    buying.invoice("700.00", day(3, 10), InvoiceStatus.VARIANCE)
    buying.invoice("50.00", day(4, 1), InvoiceStatus.ENTERED)
    Purchasing(south, actor).invoice("300.00", day(3, 15))

    job = work_order(north)
    cost(job, "120.00", at(3, 31, 23, 30))
    cost(job, "80.50", at(4, 1), CostKind.LABOUR)
    cost(work_order(north, status=WorkOrderStatus.CANCELLED), "45.00", at(4, 15), CostKind.PARTS)
    cost(work_order(south), "60.00", at(4, 10))

    pay_period(day(12, 1, year=YEAR - 1), day(12, 14, year=YEAR - 1))
    pay_period(day(5, 5), day(5, 18))
    pay_period(day(5, 19), day(6, 1))
    pay_period(day(6, 2), day(6, 15), closed=False)
    ann, ben, cy, dee = (employee(north, first_name="Ann"), employee(north, exempt=True, first_name="Ben"),
                         employee(south, first_name="Cy"), employee(north, first_name="Dee"))
    pay_rate(ann, "18.00", day(1, 1, year=YEAR - 1), actor)
    pay_rate(ann, "20.00", day(5, 1), actor)
    pay_rate(ann, "25.00", day(7, 1), actor)
    pay_rate(ben, "52000.00", day(1, 1, year=YEAR - 1), actor, basis=PayBasis.ANNUAL)
    pay_rate(cy, "30.00", day(1, 1), actor)
    for number in range(5, 10):
        hours(ann, day(5, number), "9.00", actor)
    for number in range(12, 16):
        hours(ann, day(5, number), "8.00", actor)
    hours(ann, day(5, 16), "8.00", actor, kind=TimeKind.PTO)
    hours(ann, day(5, 19), "8.00", actor)
    hours(ann, day(12, 10, year=YEAR - 1), "8.00", actor)
    hours(ben, day(5, 6), "8.00", actor)
    hours(cy, day(5, 7), "10.00", actor)
    hours(dee, day(5, 8), "8.00", actor)
    return World(north=north, south=south, ann=ann, ben=ben, cy=cy, dee=dee)


def grow(world: World, actor: Any, times: int) -> None:
    """More rows of every kind in every month (for query counts): they change the sums, never the queries."""
    ledger, buying = Ledger(world.north, actor), Purchasing(world.north, actor)
    job = work_order(world.north)
    for number in range(times):
        month = number % 12 + 1
        ledger.post(EntryKind.CHARGE, "10.00", day(month, 2))
        ledger.post(EntryKind.PATIENT_PAYMENT, "-5.00", day(month, 3))
        ledger.post(EntryKind.WRITE_OFF, "-1.00", day(month, 4))
        buying.invoice("3.00", day(month, 5))
        cost(job, "2.00", at(month, 6))
    extra = employee(world.north)
    pay_rate(extra, "15.00", day(1, 1), actor)
    start = day(7, 7)
    for number in range(times):
        first = start + dt.timedelta(days=14 * number)
        if first.year != YEAR:
            break
        pay_period(first, first + dt.timedelta(days=13))
        hours(extra, first, "7.00", actor)
