"""Samples a sales representative left: received into a sample cabinet at the visit's location from the inventory
pages, all lines or none, once even when the form is sent twice (services.stockui.samples_receive_once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.inventory.choices import MovementKind
from openpractice.inventory.models import StockMovement
from openpractice.inventory.services import stock
from openpractice.inventory.services.samples import SampleIn
from openpractice.inventory.services.stockui import samples_receive_once
from openpractice.inventory.tests.factories import place_at

from .factories_stock_ui import books, cabinet, client_for, clinical, denials, form_key, front_desk, gloves, rep_visit

pytestmark = pytest.mark.django_db


def _lines(*rows: tuple[str, Any, str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"lines-TOTAL_FORMS": 4, "lines-INITIAL_FORMS": 0, "lines-MIN_NUM_FORMS": 0,
                            "lines-MAX_NUM_FORMS": 20}
    for index, (sku, quantity, lot, expires) in enumerate(rows):
        data.update({f"lines-{index}-item": sku, f"lines-{index}-quantity": quantity,
                     f"lines-{index}-lot_number": lot, f"lines-{index}-expires_on": expires})
    return data


def test_clinical_staff_receive_a_reps_samples_into_the_sample_cabinet_once(north: Any) -> None:
    nurse = clinical(north)
    shelf = cabinet(north)
    visit = rep_visit(north, nurse)
    inhaler, spacer = gloves(sku="INH-1", name="Inhaler", lot_tracked=True), gloves(sku="SPC-1", name="Spacer")
    client = client_for(nurse)
    page = client.get(reverse("inventory:sample_receive") + f"?visit={visit.pk}")
    assert page.status_code == 200
    assert list(page.context["form"].fields["visit"].queryset) == [visit]
    assert list(page.context["form"].fields["place"].queryset) == [shelf]
    data = {"visit": visit.pk, "place": shelf.pk, "idempotency_key": form_key(page),
            **_lines(("inh-1", 4, "L1", "2031-05-01"), ("SPC-1", 2, "", ""))}
    response = client.post(reverse("inventory:sample_receive"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:stock_list") + f"?place={shelf.pk}"
    again = client.post(reverse("inventory:sample_receive"), data, follow=True)
    assert "received once" in again.content.decode()
    movements = StockMovement.objects.order_by("pk")
    assert [(m.item, m.quantity, m.kind, m.rep_visit_id, m.to_place) for m in movements] == [
        (inhaler, 4, MovementKind.SAMPLE, visit.pk, shelf), (spacer, 2, MovementKind.SAMPLE, visit.pk, shelf)]
    assert movements[0].lot is not None
    assert movements[0].lot.expires_on == dt.date(2031, 5, 1)
    assert stock.ledger_matches_levels()
    listing = client.get(reverse("inventory:sample_receive"))
    assert len(listing.context["recent"]) == 2


def test_a_bad_sample_line_receives_nothing_and_says_which_line(north: Any) -> None:
    nurse = clinical(north)
    shelf = cabinet(north)
    visit = rep_visit(north, nurse)
    gloves(sku="SPC-1")
    gloves(sku="INH-1", lot_tracked=True)
    client = client_for(nurse)
    key = form_key(client.get(reverse("inventory:sample_receive")))
    before = books()
    no_lot = client.post(reverse("inventory:sample_receive"), {
        "visit": visit.pk, "place": shelf.pk, "idempotency_key": key,
        **_lines(("SPC-1", 2, "", ""), ("INH-1", 4, "", ""))})
    assert no_lot.status_code == 400
    assert "Sample 2 (INH-1): This item tracks lots: enter the lot number." in no_lot.content.decode()
    unknown = client.post(reverse("inventory:sample_receive"), {
        "visit": visit.pk, "place": shelf.pk, "idempotency_key": key, **_lines(("NOPE", 2, "", ""), ("", 3, "", ""))})
    assert unknown.status_code == 400
    assert "No item in the catalogue has the number NOPE." in unknown.content.decode()
    assert "Which item?" in unknown.content.decode()
    empty = client.post(reverse("inventory:sample_receive"), {
        "visit": visit.pk, "place": shelf.pk, "idempotency_key": key, **_lines()})
    assert empty.status_code == 400
    assert "Add at least one sample" in empty.content.decode()
    bare = client.post(reverse("inventory:sample_receive"))
    assert bare.status_code == 400
    assert books() == before


def test_only_visits_and_cabinets_at_the_users_locations_are_offered(north: Any, south: Any) -> None:
    nurse = clinical(north)
    visit_south = rep_visit(south, nurse)
    cabinet_south, supply_room = cabinet(south, "South cabinet"), place_at(north, "Supply room")
    gloves(sku="SPC-1")
    client = client_for(nurse)
    key = form_key(client.get(reverse("inventory:sample_receive")))
    response = client.post(reverse("inventory:sample_receive"), {
        "visit": visit_south.pk, "place": cabinet_south.pk, "idempotency_key": key, **_lines(("SPC-1", 2, "", ""))})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"visit", "place"}
    visit_north = rep_visit(north, nurse, company=visit_south.vendor)
    not_a_cabinet = client.post(reverse("inventory:sample_receive"), {
        "visit": visit_north.pk, "place": supply_room.pk, "idempotency_key": key, **_lines(("SPC-1", 2, "", ""))})
    assert not_a_cabinet.status_code == 400
    assert "place" in not_a_cabinet.context["form"].errors
    assert not StockMovement.objects.exists()


def test_old_visits_are_not_offered(north: Any) -> None:
    nurse = clinical(north)
    cabinet(north)
    old = rep_visit(north, nurse, visited_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    page = client_for(nurse).get(reverse("inventory:sample_receive"))
    assert old not in page.context["form"].fields["visit"].queryset


def test_the_front_desk_is_refused_the_samples_page(north: Any) -> None:
    desk = front_desk(north)
    denied = denials(desk)
    assert client_for(desk).get(reverse("inventory:sample_receive")).status_code == 404
    assert denials(desk) == denied + 1


# --- the service ---------------------------------------------------------------------------------------------------


def test_the_same_key_receives_once_and_a_different_form_under_it_is_refused(north: Any) -> None:
    nurse = clinical(north)
    shelf, visit = cabinet(north), rep_visit(north, nurse)
    a, b = gloves(sku="A-1"), gloves(sku="B-1")
    first, replayed = samples_receive_once(actor=nurse, visit=visit, place=shelf,
                                           samples_in=[SampleIn(a, 2), SampleIn(b, 3)], idempotency_key="k1")
    assert replayed is False
    assert len(first) == 2
    second, replayed = samples_receive_once(actor=nurse, visit=visit, place=shelf,
                                            samples_in=[SampleIn(a, 2), SampleIn(b, 3)], idempotency_key="k1")
    assert replayed is True
    assert [m.pk for m in second] == [m.pk for m in first]
    with pytest.raises(stock.IdempotencyKeyReused):
        samples_receive_once(actor=nurse, visit=visit, place=shelf,
                             samples_in=[SampleIn(a, 2), SampleIn(b, 3), SampleIn(a, 1)], idempotency_key="k1")
    with pytest.raises(stock.IdempotencyKeyReused):
        samples_receive_once(actor=nurse, visit=visit, place=shelf, samples_in=[SampleIn(a, 5)],
                             idempotency_key="k1")
    assert StockMovement.objects.count() == 2
    # Another person's key is their own.
    other = clinical(north)
    _movements, replayed = samples_receive_once(actor=other, visit=visit, place=shelf,
                                                samples_in=[SampleIn(a, 2)], idempotency_key="k1")
    assert replayed is False
    assert StockMovement.objects.count() == 3


def test_without_a_key_it_is_the_plain_samples_service(north: Any) -> None:
    nurse = clinical(north)
    shelf, visit = cabinet(north), rep_visit(north, nurse)
    a = gloves(sku="A-1")
    samples_receive_once(actor=nurse, visit=visit, place=shelf, samples_in=[SampleIn(a, 2)])
    samples_receive_once(actor=nurse, visit=visit, place=shelf, samples_in=[SampleIn(a, 2)])
    assert StockMovement.objects.count() == 2


def test_the_service_checks_the_cabinet_the_visit_the_key_and_the_person(north: Any, south: Any) -> None:
    nurse = clinical(north)
    shelf, visit = cabinet(north), rep_visit(north, nurse)
    a = gloves(sku="A-1")
    with pytest.raises(ValidationError, match="sample cabinet"):
        samples_receive_once(actor=nurse, visit=visit, place=place_at(north), samples_in=[SampleIn(a, 1)],
                             idempotency_key="k")
    with pytest.raises(ValidationError, match="where the visit took place"):
        samples_receive_once(actor=nurse, visit=rep_visit(south, nurse), place=shelf, samples_in=[SampleIn(a, 1)],
                             idempotency_key="k")
    with pytest.raises(ValidationError, match="at least one"):
        samples_receive_once(actor=nurse, visit=visit, place=shelf, samples_in=[], idempotency_key="k")
    with pytest.raises(ValidationError, match="70 characters"):
        samples_receive_once(actor=nurse, visit=visit, place=shelf, samples_in=[SampleIn(a, 1)],
                             idempotency_key="k" * 71)
    desk = front_desk(north)
    denied = denials(desk)
    with pytest.raises(PermissionDenied):
        samples_receive_once(actor=desk, visit=visit, place=shelf, samples_in=[SampleIn(a, 1)], idempotency_key="k")
    assert denials(desk) == denied + 1  # the refusal is audited (not rolled back)
    assert not StockMovement.objects.exists()
