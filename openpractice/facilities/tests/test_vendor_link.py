"""The firm's link: it opens its own work order only, and only while it is signed, unrevoked, unexpired and the work
is not verified; through it the firm (no account) sets the status, adds notes, costs and photos, each recorded as
the firm's and audited without an actor. A link that does not work is the same 404 page whatever the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.facilities.choices import CostKind, WorkOrderStatus
from openpractice.facilities.models import VendorLink, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from openpractice.facilities.services import vendor_links
from openpractice.facilities.services import work_orders as services
from openpractice.vendors.models import Vendor

from . import factories_work_orders as fx
from .factories_work_orders import (
    dispatched,
    html_as_jpg,
    make_asset,
    make_firm,
    png,
    reported,
    snapshot,
    token_from_mail,
)

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
firm, manager, media, nurse, work_order = fx.firm, fx.manager, fx.media, fx.nurse, fx.work_order
S = WorkOrderStatus


def page_url(token: str) -> str:
    return reverse("facilities:vendorlink_page", kwargs={"token": token})


def test_the_dispatch_mail_carries_a_link_that_opens_only_that_work_order(
        client: Client, manager: User, nurse: User, north: Location, firm: Vendor, media: Path,
        django_capture_on_commit_callbacks) -> None:
    fridge = make_asset(north)
    work_order = reported(nurse, north, asset=fridge, asset_down=True, photo=png())
    other = reported(nurse, north, title="Waiting room door squeaks", photo=png())
    with django_capture_on_commit_callbacks(execute=True):
        dispatched(manager, work_order, firm, message="Ask for Tom at the lab.")

    message = mail.outbox[-1]
    assert message.to == [firm.order_email]
    assert work_order.number in message.subject
    assert "Ask for Tom at the lab." in message.body
    response = client.get(page_url(token_from_mail()))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    text = response.text
    for shown in (work_order.title, north.address_line1, "Lab", "Helmer", "iLR120", "SN-88231"):
        assert shown in text
    assert nurse.last_name not in text  # no staff names
    assert other.title not in text
    own_photo = work_order.photos.get()
    other_photo = WorkOrderPhoto.objects.get(work_order=other)
    token = token_from_mail()
    photo_url = reverse("facilities:vendorlink_photo", kwargs={"token": token, "pk": own_photo.pk})
    assert photo_url in text
    assert client.get(photo_url).status_code == 200
    assert client.get(reverse("facilities:vendorlink_photo",
                              kwargs={"token": token, "pk": other_photo.pk})).status_code == 404


def test_the_firm_records_its_visit_through_the_link(client: Client, manager: User, work_order: WorkOrder,
                                                     firm: Vendor, media: Path) -> None:
    services.work_order_assign(actor=manager, work_order=work_order, vendor=firm,
                               scheduled_for=timezone.now() + dt.timedelta(hours=3))
    link = vendor_links.work_order_dispatch(actor=manager, work_order=work_order, sent_to=firm.order_email)
    url = page_url(vendor_links.link_token(link))

    assert client.post(url, {"action": "note", "note": "Compressor relay failed; part on the van."}).status_code == 302
    assert client.post(url, {"action": "status", "status": S.DONE, "note": "Replaced relay"}).status_code == 302
    assert client.post(url, {"action": "cost", "kind": CostKind.VENDOR_INVOICE, "amount": "245.50",
                             "invoice_number": "INV-5521", "description": "Relay and call-out"}).status_code == 302
    assert client.post(url, {"action": "photo", "photo": png("after.png")}).status_code == 302

    work_order.refresh_from_db()
    assert work_order.status == S.DONE
    assert work_order.responded_at is not None
    assert work_order.completed_at is not None
    cost = work_order.costs.get()
    assert (cost.amount, cost.invoice_number, cost.via_vendor_link, cost.recorded_by) == (
        Decimal("245.50"), "INV-5521", True, None)
    assert work_order.photos.get().via_vendor_link
    by_firm = WorkOrderEvent.objects.filter(work_order=work_order, by_vendor=firm)
    assert sorted(by_firm.values_list("kind", flat=True)) == ["cost", "note", "photo", "status"]
    assert not by_firm.exclude(actor=None).exists()
    audited = AuditEvent.objects.filter(object_id=str(work_order.pk), actor=None, reason__startswith="vendor link")
    assert audited.count() == 4
    link.refresh_from_db()
    assert link.last_used_at is not None


def test_the_firm_can_neither_verify_nor_cancel_and_a_bad_photo_is_refused(
        client: Client, manager: User, work_order: WorkOrder, firm: Vendor, media: Path) -> None:
    _link, token = dispatched(manager, work_order, firm)
    before = snapshot()

    for status in (S.VERIFIED, S.CANCELLED):
        response = client.post(page_url(token), {"action": "status", "status": status})
        assert response.status_code == 400
    response = client.post(page_url(token), {"action": "photo", "photo": html_as_jpg()})

    assert response.status_code == 400
    assert "PNG or JPEG" in response.text
    assert snapshot() == before


def _tampered(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def _forged(token: str) -> str:
    """A well-formed token for another link id, signed with another salt."""
    pk, nonce = signing.loads(token, salt=vendor_links.SIGNING_SALT)
    return signing.dumps([pk + 1, nonce], salt="something-else")


@pytest.mark.parametrize("spoil", ["tampered", "forged", "garbage", "other-nonce", "expired", "revoked",
                                   "verified", "cancelled", "reassigned"])
def test_a_link_that_no_longer_works_answers_404_and_changes_nothing(
        spoil: str, client: Client, manager: User, work_order: WorkOrder, firm: Vendor, media: Path) -> None:
    link, token = dispatched(manager, work_order, firm)
    if spoil == "tampered":
        token = _tampered(token)
    elif spoil == "forged":
        token = _forged(token)
    elif spoil == "garbage":
        token = "x" * 2000
    elif spoil == "other-nonce":
        token = signing.dumps([link.pk, "guessed-nonce"], salt=vendor_links.SIGNING_SALT)
    elif spoil == "expired":
        VendorLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif spoil == "revoked":
        vendor_links.vendor_link_revoke(actor=manager, link=link)
    elif spoil in ("verified", "cancelled"):
        if spoil == "verified":
            services.work_order_status_set(actor=manager, work_order=work_order, status=S.IN_PROGRESS)
            services.work_order_status_set(actor=manager, work_order=work_order, status=S.DONE)
            services.work_order_verify(actor=manager, work_order=work_order)
        else:
            services.work_order_status_set(actor=manager, work_order=work_order, status=S.CANCELLED)
        VendorLink.objects.filter(pk=link.pk).update(revoked_at=None)  # the work order's state alone stops it
    else:
        services.work_order_assign(actor=manager, work_order=work_order, vendor=make_firm("Other firm"))
        VendorLink.objects.filter(pk=link.pk).update(revoked_at=None)
    before = snapshot()

    page = client.get(page_url(token))
    posted = client.post(page_url(token), {"action": "status", "status": S.IN_PROGRESS})

    assert page.status_code == posted.status_code == 404
    assert "This link no longer works" in page.text
    assert work_order.title not in page.text
    assert snapshot() == before


def test_an_expired_link_is_judged_by_the_given_clock(manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    link, token = dispatched(manager, work_order, firm, days_valid=2)

    assert vendor_links.link_from_token(token, now=link.created_at + dt.timedelta(days=1)).pk == link.pk
    with pytest.raises(vendor_links.VendorLinkInvalid):
        vendor_links.link_from_token(token, now=link.created_at + dt.timedelta(days=2, minutes=1))
    assert AuditEvent.objects.filter(action="facilities.vendor_link_refused", reason__contains="expired").exists()


def test_a_revoked_link_stops_at_once_even_for_a_page_already_open(
        client: Client, manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    link, token = dispatched(manager, work_order, firm)
    assert client.get(page_url(token)).status_code == 200

    vendor_links.vendor_link_revoke(actor=manager, link=link)
    response = client.post(page_url(token), {"action": "note", "note": "Arrived"})

    assert response.status_code == 404
    assert not WorkOrderEvent.objects.filter(kind="note").exists()


def test_the_firms_forms_need_the_csrf_token(manager: User, work_order: WorkOrder, firm: Vendor) -> None:
    _link, token = dispatched(manager, work_order, firm)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(page_url(token), {"action": "note", "note": "Arrived"})

    assert response.status_code == 403
    assert not WorkOrderEvent.objects.filter(kind="note").exists()


def test_a_link_takes_only_so_many_changes_an_hour(manager: User, work_order: WorkOrder, firm: Vendor,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vendor_links, "ACTIONS_PER_HOUR", 2)
    _link, token = dispatched(manager, work_order, firm)
    vendor_links.vendor_note_add(token=token, note="one")
    vendor_links.vendor_note_add(token=token, note="two")

    with pytest.raises(Exception, match="Too many changes"):
        vendor_links.vendor_note_add(token=token, note="three")

    assert WorkOrderEvent.objects.filter(kind="note").count() == 2
