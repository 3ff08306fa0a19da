"""Requests for quotes: the senior practice manager asks several vendors, records their answers, compares them side
by side and awards one (whose prices then apply); others see them but change nothing; bad input is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.models import RequestForQuote, RfqLine, RfqQuote, VendorItem
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.inventory.tests.factories_purchasing import vendor

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def state() -> list[Any]:
    return [list(model.objects.order_by("pk").values_list())
            for model in (RequestForQuote, RfqLine, RfqQuote, VendorItem)]


def rfq_data(vendors: list[Any], lines: list[tuple[str, str]], **fields: str) -> dict[str, Any]:
    data: dict[str, Any] = {"title": "Exam room supplies", "due_on": "2026-12-15",
                            "vendors": [str(v.pk) for v in vendors], "lines-TOTAL_FORMS": "3",
                            "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "30"}
    for number, (sku, quantity) in enumerate(lines):
        data[f"lines-{number}-sku"], data[f"lines-{number}-quantity"] = sku, quantity
    data.update(fields)
    return data


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    return {"senior": user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR),
            "alpha": vendor("Alpha"), "beta": vendor("Beta"), "gamma": vendor("Gamma"),
            "gloves": ItemFactory(name="Gloves", sku="GLV"), "gauze": ItemFactory(name="Gauze", sku="GZ")}


def test_ask_record_compare_and_award(world: dict[str, Any]) -> None:
    client = client_for(world["senior"])
    assert client.get(reverse("inventory:rfq_create")).status_code == 200
    response = client.post(reverse("inventory:rfq_create"), rfq_data([world["alpha"], world["beta"]],
                                                                      [("glv", "10"), ("GZ", "5")]))
    rfq = RequestForQuote.objects.get()
    assert response.status_code == 302
    line_gloves, line_gauze = rfq.lines.order_by("pk")
    quote = reverse("inventory:rfq_quote", kwargs={"pk": rfq.pk})
    client.post(quote, {"vendor": world["alpha"].pk, f"price_{line_gloves.pk}": "8.00",
                        f"price_{line_gauze.pk}": "3.00", "lead_days": "5"})
    client.post(quote, {"vendor": world["beta"].pk, f"price_{line_gloves.pk}": "7.50"})
    page = client.get(reverse("inventory:rfq_detail", kwargs={"pk": rfq.pk}))
    assert page.status_code == 200
    assert [(vendor_.name, total, complete) for vendor_, total, complete in page.context["columns"]] == [
        ("Alpha", Decimal("95.00"), True), ("Beta", Decimal("75.00"), False)]
    assert [lowest for _line, _prices, lowest in page.context["rows"]] == [Decimal("7.50"), Decimal("3.00")]
    assert [v.name for v in page.context["award_form"].vendors] == ["Alpha"]  # only who priced everything
    award = reverse("inventory:rfq_award", kwargs={"pk": rfq.pk})
    before = state()
    incomplete = client.post(award, {"vendor": world["beta"].pk, "effective_from": "2027-01-01"})
    assert incomplete.status_code == 400
    assert "priced every line" in incomplete.content.decode()
    assert state() == before
    assert client.post(award, {"vendor": world["alpha"].pk, "effective_from": "2027-01-01"}).status_code == 302
    rfq.refresh_from_db()
    assert rfq.awarded_vendor == world["alpha"]
    assert sorted(VendorItem.objects.filter(vendor=world["alpha"]).values_list("price", flat=True)) == [
        Decimal("3.0000"), Decimal("8.0000")]
    listing = client.get(reverse("inventory:rfq_list"))
    assert [row.awarded_vendor for row in listing.context["table"].page.object_list] == [world["alpha"]]


@pytest.mark.parametrize(("vendors", "lines", "message"), [
    (["alpha"], [("GLV", "1")], "Ask at least two vendors."),
    (["alpha", "beta"], [("NOPE", "1")], "No catalogue item has this number."),
    (["alpha", "beta"], [("GLV", "1"), ("glv", "2")], "List each item once."),
    (["alpha", "beta"], [], "Add at least one line."),
])
def test_a_request_with_bad_input_is_refused(world: dict[str, Any], vendors: list[str],
                                             lines: list[tuple[str, str]], message: str) -> None:
    response = client_for(world["senior"]).post(reverse("inventory:rfq_create"),
                                                rfq_data([world[name] for name in vendors], lines))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RequestForQuote.objects.exists()


def test_a_quote_from_a_vendor_not_asked_is_refused(world: dict[str, Any]) -> None:
    client = client_for(world["senior"])
    client.post(reverse("inventory:rfq_create"), rfq_data([world["alpha"], world["beta"]], [("GLV", "1")]))
    rfq = RequestForQuote.objects.get()
    line = rfq.lines.get()
    before = state()
    response = client.post(reverse("inventory:rfq_quote", kwargs={"pk": rfq.pk}),
                           {"vendor": world["gamma"].pk, f"price_{line.pk}": "1.00"})
    assert response.status_code == 400
    assert state() == before


def test_others_see_requests_but_change_nothing(world: dict[str, Any]) -> None:
    client_for(world["senior"]).post(reverse("inventory:rfq_create"),
                                     rfq_data([world["alpha"], world["beta"]], [("GLV", "1")]))
    rfq = RequestForQuote.objects.get()
    buyer = user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    client = client_for(buyer)
    page = client.get(reverse("inventory:rfq_detail", kwargs={"pk": rfq.pk}))
    assert page.status_code == 200
    assert page.context["quote_form"] is None
    before = state()
    assert client.get(reverse("inventory:rfq_create")).status_code == 404
    assert client.post(reverse("inventory:rfq_quote", kwargs={"pk": rfq.pk}),
                       {"vendor": world["alpha"].pk, f"price_{rfq.lines.get().pk}": "1"}).status_code == 404
    assert client.post(reverse("inventory:rfq_award", kwargs={"pk": rfq.pk}),
                       {"vendor": world["alpha"].pk, "effective_from": "2027-01-01"}).status_code == 404
    assert state() == before
    assert AuditEvent.objects.filter(actor=buyer, outcome=Outcome.DENIED).count() == 3
    nurse = user_with_role(Role.CLINICAL_STAFF)  # no vendors.view
    assert client_for(nurse).get(reverse("inventory:rfq_list")).status_code == 404


def test_the_request_list_costs_the_same_queries_with_more_rows(world: dict[str, Any]) -> None:
    client = client_for(world["senior"])

    def add(count: int) -> None:
        for n in range(count):
            rfq = RequestForQuote.objects.create(title=f"Request {n}", due_on=dt.date(2026, 12, 1),
                                                 created_by=world["senior"], awarded_vendor=world["alpha"])
            rfq.vendors.set([world["alpha"], world["beta"]])
            RfqLine.objects.create(rfq=rfq, item=world["gloves"], quantity=1)

    add(2)
    address = reverse("inventory:rfq_list")
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        client.get(address)
    add(12)
    with CaptureQueriesContext(connection) as many:
        client.get(address)
    assert len(few.captured_queries) == len(many.captured_queries)
