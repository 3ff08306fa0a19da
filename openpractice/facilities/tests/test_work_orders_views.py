"""The work order pages: the queue (scoped to the viewer's locations, filtered, constant queries), one work order
(404 and audited elsewhere), the manager's assign-and-dispatch through the pages (mail with the firm's link, or the
link withdrawn when the mail server refuses), and the two reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.tests.factories import sign_in
from openpractice.core.models import Location
from openpractice.facilities.choices import CostKind, Priority, WorkOrderStatus
from openpractice.facilities.models import VendorLink, WorkOrder
from openpractice.facilities.selectors_work_orders import downtime_by_asset, vendor_response_times
from openpractice.facilities.services import work_orders as services
from openpractice.facilities.services.work_orders import CostIn
from openpractice.vendors.models import Vendor

from . import factories_work_orders as fx
from .factories_work_orders import (
    denials,
    dispatched,
    make_asset,
    reported,
    snapshot,
    token_from_mail,
)

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
firm, manager, media, nurse, south_manager, work_order = fx.firm, fx.manager, fx.media, fx.nurse, fx.south_manager, fx.work_order
S = WorkOrderStatus
LIST = reverse("facilities:workorder_list")


def test_the_queue_shows_the_viewers_locations_only_and_filters(
        client: Client, nurse: User, manager: User, south_manager: User, north: Location, south: Location,
        media: Path) -> None:
    warm = reported(nurse, north, title="Fridge warm")
    door = reported(nurse, north, title="Door sticks")
    services.work_order_triage(actor=manager, work_order=door, priority=Priority.LOW)
    elsewhere = reported(south_manager, south, title="South roof leak")
    WorkOrder.objects.filter(pk=warm.pk).update(resolve_by=timezone.now() - dt.timedelta(hours=1))
    sign_in(client, nurse)

    everything = client.get(LIST).text
    assert warm.title in everything
    assert door.title in everything
    assert elsewhere.title not in everything
    low = client.get(LIST, {"priority": Priority.LOW}).text
    assert door.title in low
    assert warm.title not in low
    overdue = client.get(LIST, {"overdue": "1"}).text
    assert warm.title in overdue
    assert door.title not in overdue
    assert "overdue" in overdue
    assert client.get(LIST, {"status": "nonsense", "location": "x", "sort": "evil"}).status_code == 200


def test_the_queue_costs_the_same_queries_however_many_work_orders(
        client: Client, nurse: User, manager: User, firm: Vendor, north: Location, media: Path,
        django_assert_max_num_queries) -> None:
    sign_in(client, nurse)
    first = reported(nurse, north, asset=make_asset(north))
    services.work_order_assign(actor=manager, work_order=first, vendor=firm)
    client.get(LIST)  # warm the session and the practice settings
    with django_assert_max_num_queries(14) as few:
        client.get(LIST)
    for number in range(12):
        extra = reported(nurse, north, title=f"Problem {number}", asset=make_asset(north))
        services.work_order_assign(actor=manager, work_order=extra,
                                   **({"vendor": firm} if number % 2 else {"assignee": nurse}))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.text.count("/facilities/work-orders/") >= 13


def test_a_work_order_elsewhere_is_not_found_and_the_attempt_is_audited(
        client: Client, south_manager: User, work_order: WorkOrder) -> None:
    sign_in(client, south_manager)
    before = snapshot()

    assert client.get(reverse("facilities:workorder_detail", args=[work_order.pk])).status_code == 404
    assert client.post(reverse("facilities:workorder_triage", args=[work_order.pk]),
                       {"priority": Priority.URGENT}).status_code == 404

    assert denials(south_manager) == 2
    assert snapshot() == before


def test_the_manager_assigns_a_firm_and_emails_it_the_work_order(
        client: Client, manager: User, work_order: WorkOrder, firm: Vendor,
        django_capture_on_commit_callbacks) -> None:
    sign_in(client, manager)
    detail = reverse("facilities:workorder_detail", args=[work_order.pk])
    assert "Email the work order" not in client.get(detail).text  # no firm yet

    response = client.post(reverse("facilities:workorder_assign", args=[work_order.pk]), {
        "vendor": firm.pk, "scheduled_for": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    page = client.get(detail).text
    assert "Email the work order" in page
    assert firm.order_email in page  # the address offered
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("facilities:workorder_dispatch", args=[work_order.pk]), {
            "sent_to": firm.order_email, "days_valid": 7, "message": "Side door, ring twice."})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives  # an HTML part too
    link = VendorLink.objects.get(work_order=work_order)
    assert (link.vendor, link.sent_to, link.created_by) == (firm, firm.order_email, manager)
    assert link.expires_at.date() == (link.created_at + dt.timedelta(days=7)).date()
    work_order.refresh_from_db()
    assert work_order.status == S.SCHEDULED
    assert work_order.dispatched_at is not None
    assert client.get(reverse("facilities:vendorlink_page", kwargs={"token": token_from_mail()})).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_when_the_mail_server_refuses_the_link_is_withdrawn_and_the_manager_told(
        client: Client, settings, manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    services.work_order_assign(actor=manager, work_order=work_order, vendor=firm)
    sign_in(client, manager)

    response = client.post(reverse("facilities:workorder_dispatch", args=[work_order.pk]),
                           {"sent_to": firm.order_email, "days_valid": 14})

    assert response.status_code == 400
    assert "did not take the message" in response.text
    link = VendorLink.objects.get(work_order=work_order)
    assert link.revoked_at is not None
    assert work_order.events.filter(kind="dispatch_failed").exists()


def test_the_downtime_and_vendor_response_reports(
        client: Client, nurse: User, manager: User, north: Location, firm: Vendor, media: Path) -> None:
    fridge = make_asset(north, name="Vaccine fridge")
    down = reported(nurse, north, asset=fridge, asset_down=True)
    dispatched(manager, down, firm)
    start = timezone.now()
    WorkOrder.objects.filter(pk=down.pk).update(created_at=start - dt.timedelta(hours=30),
                                                dispatched_at=start - dt.timedelta(hours=28))
    down.refresh_from_db()
    services.work_order_status_set(actor=manager, work_order=down, status=S.IN_PROGRESS,
                                   now=start - dt.timedelta(hours=26))
    services.work_order_status_set(actor=manager, work_order=down, status=S.DONE, now=start - dt.timedelta(hours=6))
    services.work_order_cost_add(actor=manager, work_order=down, cost=CostIn(kind=CostKind.PARTS,
                                                                             amount=Decimal("80")))
    window = (start - dt.timedelta(days=3), start + dt.timedelta(days=1))

    rows = downtime_by_asset(actor=nurse, start=window[0], end=window[1])
    assert [(row.asset, row.work_orders, row.still_down, row.hours) for row in rows] == [(fridge, 1, 0, 24.0)]
    firms = vendor_response_times(actor=nurse, start=window[0], end=window[1])
    assert [(row.vendor, row.dispatched, row.median_response, row.median_completion, row.response_on_time_rate)
            for row in firms] == [(firm.name, 1, 2.0, 22.0, 100)]

    sign_in(client, nurse)
    assert "Vaccine fridge" in client.get(reverse("facilities:downtime_report")).text
    page = client.get(reverse("facilities:vendorresponse_report"))
    assert page.status_code == 200
    assert firm.name in page.text
    assert client.get(reverse("facilities:downtime_report"), {"start": "2025-02-01", "end": "2024-01-01"}
                      ).status_code == 400
