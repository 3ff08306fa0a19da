"""Cycle counts (blind while counting, submitted, approved by someone other than the counter, posted to the ledger)
and suggested orders (by preferred vendor at contract prices, turned into a submitted requisition)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from openpractice.inventory.choices import CountStatus, MovementKind, RequisitionStatus
from openpractice.inventory.models import (
    CycleCount,
    Packaging,
    ParLevel,
    Requisition,
    StockMovement,
    VendorItem,
)
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import place_at
from openpractice.vendors.choices import ContractKind
from openpractice.vendors.models import Contract

from .factories_stock_ui import books, client_for, clinical, denials, gloves, manager, on_hand, put, vendor

pytestmark = pytest.mark.django_db


def _entry(count: CycleCount, values: dict[Any, int | str], *, submit: bool = False) -> dict[str, Any]:
    lines = {line.item.name if line.lot is None else line.lot.number: line
             for line in count.lines.select_related("item", "lot")}
    data: dict[str, Any] = {f"line_{lines[key].pk}": value for key, value in values.items()}
    if submit:
        data["submit"] = "1"
    return data


def test_a_blind_count_is_entered_submitted_and_approved_by_a_manager(north: Any) -> None:
    counter, boss = clinical(north), manager(north)
    room = place_at(north)
    gauze, swabs = gloves(name="Gauze"), gloves(name="Swabs", lot_tracked=True)
    put(boss, gauze, room, 10)
    put(boss, swabs, room, 5, "S1", dt.date(2030, 1, 1))
    client = client_for(counter)
    listing = client.get(reverse("inventory:stockcount_list"))
    assert listing.status_code == 200
    assert room in listing.context["start_form"].fields["place"].queryset
    started = client.post(reverse("inventory:stockcount_start"), {"place": room.pk})
    count = CycleCount.objects.get()
    assert started["Location"] == reverse("inventory:stockcount_detail", args=[count.pk])
    again = client.post(reverse("inventory:stockcount_start"), {"place": room.pk})
    assert again.status_code == 400
    assert "being counted already" in again.content.decode()
    detail = client.get(reverse("inventory:stockcount_detail", args=[count.pk]))
    assert detail.context["entry_form"] is not None
    assert "On the books" not in detail.content.decode()  # blind while counting
    record = reverse("inventory:stockcount_record", args=[count.pk])
    negative = client.post(record, _entry(count, {"Gauze": -1}))
    assert negative.status_code == 400
    assert client.post(record, _entry(count, {"Gauze": 12})).status_code == 302
    early = client.post(record, _entry(count, {"Gauze": 12}, submit=True))
    assert early.status_code == 400
    assert "Count every line first" in early.content.decode()
    assert client.post(record, _entry(count, {"Gauze": 12, "S1": 3}, submit=True)).status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED
    late = client.post(record, _entry(count, {"Gauze": 99}), follow=True)
    assert "The count is no longer open." in late.content.decode()
    assert count.lines.get(item=gauze).counted == 12
    # The counter holds no inventory.manage: approving is not theirs.
    denied = denials(counter)
    assert client.post(reverse("inventory:stockcount_approve", args=[count.pk])).status_code == 404
    assert denials(counter) == denied + 1
    review = client_for(boss).get(reverse("inventory:stockcount_detail", args=[count.pk]))
    assert review.context["approvable"]
    assert "On the books" in review.content.decode()
    assert client_for(boss).post(reverse("inventory:stockcount_approve", args=[count.pk])).status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.APPROVED
    assert on_hand(gauze, room) == {None: 12}
    assert on_hand(swabs, room) == {"S1": 3}
    assert sorted(StockMovement.objects.filter(count_line__count=count).values_list("kind", "quantity")) == [
        (MovementKind.ADJUST_IN, 2), (MovementKind.ADJUST_OUT, 2)]
    assert stock.ledger_matches_levels()


def test_a_manager_does_not_approve_their_own_count(north: Any) -> None:
    boss = manager(north)
    room = place_at(north)
    item = gloves(name="Gauze")
    put(boss, item, room, 10)
    client = client_for(boss)
    client.post(reverse("inventory:stockcount_start"), {"place": room.pk})
    count = CycleCount.objects.get()
    client.post(reverse("inventory:stockcount_record", args=[count.pk]), _entry(count, {"Gauze": 7}, submit=True))
    assert client.get(reverse("inventory:stockcount_detail", args=[count.pk])).context["approvable"] is False
    response = client.post(reverse("inventory:stockcount_approve", args=[count.pk]), follow=True)
    assert response.status_code == 200
    assert "Someone other than the counter approves the count." in response.content.decode()
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED
    assert on_hand(item, room) == {None: 10}


def test_a_count_at_another_location_is_not_found_and_untouched(north: Any, south: Any) -> None:
    boss_south = manager(south)
    room = place_at(south)
    put(boss_south, gloves(name="Gauze"), room, 4)
    client_for(boss_south).post(reverse("inventory:stockcount_start"), {"place": room.pk})
    count = CycleCount.objects.get()
    boss = manager(north)
    client = client_for(boss)
    assert count not in client.get(reverse("inventory:stockcount_list")).context["table"].page.object_list
    before = books()
    for name in ("stockcount_detail", "stockcount_record", "stockcount_submit", "stockcount_approve"):
        denied = denials(boss)
        method = client.get if name == "stockcount_detail" else client.post
        assert method(reverse(f"inventory:{name}", args=[count.pk])).status_code == 404
        assert denials(boss) == denied + 1
    assert client.post(reverse("inventory:stockcount_start"), {"place": room.pk}).status_code == 400
    assert books() == before


# --- suggested orders --------------------------------------------------------------------------------------------


def _low_gloves(north: Any) -> tuple[Any, Any]:
    medline = vendor("Medline")
    item = gloves(name="Gloves", preferred_vendor=medline)
    box = Packaging.objects.create(item=item, name="box", base_quantity=100)
    contract = Contract.objects.create(vendor=medline, kind=ContractKind.SUPPLY, title="GPO supply",
                                       starts_on=dt.date(2020, 1, 1))
    VendorItem.objects.create(vendor=medline, item=item, packaging=box, price=Decimal("8.00"),
                              effective_from=dt.date(2020, 1, 1), contract=contract)
    ParLevel.objects.create(item=item, place=place_at(north), par=250, reorder_point=50)
    return medline, item


def test_suggested_orders_become_a_submitted_requisition(north: Any) -> None:
    medline, item = _low_gloves(north)
    boss = manager(north)
    client = client_for(boss)
    page = client.get(reverse("inventory:suggested_list"))
    assert page.status_code == 200
    [order] = page.context["orders"]
    assert (order.vendor, order.lines[0].packages, order.total) == (medline, 3, Decimal("24.00"))
    assert page.context["may_order"]
    assert "Create requisition" in page.content.decode()
    response = client.post(reverse("inventory:suggested_requisition"), {"location": north.pk, "vendor": medline.pk})
    requisition = Requisition.objects.get()
    assert requisition.status == RequisitionStatus.SUBMITTED
    assert requisition.total == Decimal("24.00")
    assert requisition.lines.get().item == item
    try:
        expected = reverse("inventory:supplyreq_detail", args=[requisition.pk])
    except NoReverseMatch:  # the purchasing pages are not wired in this checkout yet
        expected = reverse("inventory:suggested_list") + f"?location={north.pk}"
    assert response.status_code == 302
    assert response["Location"] == expected


def test_nothing_to_order_from_a_vendor_or_a_location_out_of_reach_creates_nothing(north: Any, south: Any) -> None:
    medline, _item = _low_gloves(north)
    other = vendor("Other Co")
    boss = manager(north)
    client = client_for(boss)
    for data in ({"location": north.pk, "vendor": other.pk}, {"location": south.pk, "vendor": medline.pk}, {}):
        response = client.post(reverse("inventory:suggested_requisition"), data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("inventory:suggested_list"))
    assert not Requisition.objects.exists()


def test_clinical_staff_see_suggested_orders_but_do_not_requisition(north: Any) -> None:
    medline, _item = _low_gloves(north)
    nurse = clinical(north)
    client = client_for(nurse)
    page = client.get(reverse("inventory:suggested_list"))
    assert page.status_code == 200
    assert not page.context["may_order"]
    assert "Create requisition" not in page.content.decode()
    denied = denials(nurse)
    assert client.post(reverse("inventory:suggested_requisition"), {
        "location": north.pk, "vendor": medline.pk}).status_code == 404
    assert denials(nurse) == denied + 1
    assert not Requisition.objects.exists()
