"""Rows for every panel of the role dashboards, `n` of each kind, on the same days whatever `n` (so two sizes differ
only in how many rows there are, never in which months or kinds have rows): the dashboards' query-count tests
build it twice, the browser test's demo data is the real demo."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from openpractice.audit.services import record_denied
from openpractice.billing.choices import ClaimStatus, DenialCategory, EntryKind
from openpractice.billing.tests.test_receivables_selectors import claim_for, denial_of, post
from openpractice.cases.tests.factories import CaseFactory
from openpractice.compliance.models import NotificationDeadline
from openpractice.compliance.tests.factories_incidents import IncidentFactory
from openpractice.compliance.tests.factories_policies import campaign_for, published_version
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities.models import WorkOrder
from openpractice.frontdesk.tests.factories_queue import MessageFactory, QueueFactory
from openpractice.inventory.models import Lot, ParLevel, StockLevel
from openpractice.inventory.tests.factories import ItemFactory, PlaceFactory
from openpractice.patients.tests.factories import PatientFactory, PayerFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory
from openpractice.workforce.tests.factories import CourseFactory, EmployeeCredentialFactory, EmployeeFactory
from openpractice.workforce.tests.factories_hiring import ApplicantFactory, RequisitionFactory
from openpractice.workforce.tests.factories_training import TrainingAssignmentFactory

ZONE = zoneinfo.ZoneInfo("America/New_York")


def populate(n: int, *, actor: Any, locations: list[Location]) -> None:
    """`n` rows of each kind at each of `locations`."""
    today = practice_today()
    week_ago = today - dt.timedelta(days=7)
    payer = PayerFactory()
    queue = QueueFactory()
    for location in locations:
        provider = ProviderFactory(locations=[location])
        place = PlaceFactory(location=location)
        requisition = RequisitionFactory(location=location)
        for index in range(n):
            for status, day in (("completed", week_ago), ("no_show", week_ago), ("booked", today)):
                AppointmentFactory(location=location, provider=provider, status=status,
                                   patient=PatientFactory(home_location=location),
                                   starts_at=dt.datetime.combine(day, dt.time(8 + index % 9, 0), tzinfo=ZONE))
            received = dt.datetime.combine(week_ago, dt.time(9), tzinfo=ZONE)
            MessageFactory(queue=queue, location=location, received_at=received,
                           first_response_due=received + dt.timedelta(hours=4),
                           resolve_due=received + dt.timedelta(days=2),
                           first_response_at=received + dt.timedelta(hours=1 + index))
            MessageFactory(queue=queue, location=location, received_at=received, first_response_due=received,
                           resolve_due=received)
            employee = EmployeeFactory(location=location, hire_date=dt.date(2024, 1, 8))
            EmployeeFactory(location=location, hire_date=dt.date(2024, 1, 8), status="terminated",
                            termination_date=week_ago)
            TrainingAssignmentFactory(employee=employee, course=CourseFactory(), due_on=week_ago)
            EmployeeCredentialFactory(employee=employee, expires_on=today + dt.timedelta(days=10))
            ApplicantFactory(requisition=requisition)
            claim = claim_for(location, actor, payer=payer, days_old=10 + 40 * index, amount="200.00", as_of=today,
                              status=ClaimStatus.ACCEPTED)
            post(claim, actor, EntryKind.CHARGE, "200.00", posted_on=week_ago)
            post(claim, actor, EntryKind.PAYER_PAYMENT, "-120.00", posted_on=week_ago)
            denied = claim_for(location, actor, payer=payer, days_old=20, amount="90.00", as_of=today,
                               status=ClaimStatus.DENIED)
            denial_of(denied, actor, category=DenialCategory.CODING, amount="90.00", paid_on=week_ago)
            WorkOrder.objects.create(title=f"Leaking tap {index}", location=location, source="reported",
                                     priority="urgent" if index % 2 else "normal")
            WorkOrder.objects.create(title=f"Service {index}", location=location, source="preventive",
                                     due_on=week_ago)
            item = ItemFactory()
            ParLevel.objects.create(item=item, place=place, par=10, reorder_point=4)
            StockLevel.objects.create(item=item, place=place, quantity=2)
            lot = Lot.objects.create(item=item, number=f"L{location.pk}-{index}",
                                     expires_on=today + dt.timedelta(days=20))
            StockLevel.objects.create(item=item, place=place, lot=lot, quantity=5)
            incident = IncidentFactory(location=location)
            NotificationDeadline.objects.create(incident=incident, audience="individuals",
                                                due_on=today + dt.timedelta(days=5))
            CaseFactory(location=location, received_on=week_ago)
            version = published_version(effective_on=today.replace(year=today.year - 1) - dt.timedelta(days=9))
            campaign_for(version, [actor], due_on=today + dt.timedelta(days=10))
            record_denied(actor=actor, action="access.denied", reason="test")
