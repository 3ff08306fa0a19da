"""Every vendor list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters and nothing the
page keeps back (the tax ID), a person who cannot open a list cannot export it (404, nothing recorded), and the
exports run in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests.export_cases import (
    Case,
    World,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
    table_rows,
)
from openpractice.vendors.choices import ContractStatus, NegotiationOutcome, VendorKind

from .factories_ui import (
    make_category,
    make_contact,
    make_contract,
    make_negotiation,
    make_rep_visit,
    make_vendor,
)

pytestmark = pytest.mark.django_db


def _vendors(w: World) -> Case:
    gloves = make_category("Gloves")
    medline = make_vendor(name="Medline", tax_id="12-3456789", categories=[gloves, make_category("Gauze")])
    make_contact(vendor=medline, name="Pat Rep", phone="919-555-0101", is_primary=True)
    make_vendor(name="McKesson", categories=[gloves])
    make_vendor(name="Old Supplier", categories=[gloves], is_active=False)
    make_vendor(name="Cleaners Inc", kind=VendorKind.CLEANING)
    return Case(reverse("vendors:vendor_list"), {"category": str(gloves.pk)}, table_rows,
                ("Name", "Categories", "Primary contact"),
                lambda v: (v.name, ", ".join(c.name for c in v.categories.all()),
                           ", ".join(f"{c.name} · {c.phone}" for c in v.primary_contacts)),
                hidden=[("Old Supplier",), ("Cleaners Inc",)])


def _categories(w: World) -> Case:
    gloves = make_category("Gloves")
    make_vendor(name="Medline", categories=[gloves])
    make_category("Paper")
    return Case(reverse("vendors:vendor_categories"), {}, lambda context: context["categories"],
                ("Category", "Vendors"), lambda category: (category.name, str(category.vendor_count)))


def _contracts(w: World) -> Case:
    medline = make_vendor(name="Medline")
    make_contract(vendor=medline, title="Gloves 2026", reference="C-1", annual_value="12000.50")
    make_contract(vendor=medline, title="Gauze", status=ContractStatus.ACTIVE, ends_on=None)
    make_contract(vendor=medline, title="Old gloves", status=ContractStatus.ENDED)
    return Case(reverse("vendors:contract_list"), {"status": ContractStatus.ACTIVE, "sort": "title"}, table_rows,
                ("Title", "Vendor", "Status", "Ends"),
                lambda c: (c.title, c.vendor.name, c.get_status_display(), c.ends_on.isoformat() if c.ends_on else ""),
                hidden=[("Old gloves",)])


def _decisions(w: World) -> Case:
    medline, today = make_vendor(name="Medline"), practice_today()
    make_contract(vendor=medline, title="Renews soon", ends_on=today + dt.timedelta(days=70), notice_days=30)
    make_contract(vendor=medline, title="Notice passed", ends_on=today + dt.timedelta(days=10), notice_days=30)
    make_contract(vendor=medline, title="Far away", ends_on=today + dt.timedelta(days=400))
    return Case(reverse("vendors:contract_decisions"), {}, table_rows, ("Title", "Notice deadline"),
                lambda c: (c.title, c.notice_deadline.isoformat()), hidden=[("Far away",)])


def _negotiations(w: World) -> Case:
    medline = make_vendor(name="Medline")
    first = make_negotiation(vendor=medline, logged_by=w.user, savings="1200.50")
    first.our_people.set([w.user])
    make_negotiation(vendor=medline, logged_by=w.user, held_on=dt.date(2026, 1, 5), savings="300.25")
    make_negotiation(vendor=medline, logged_by=w.user, outcome=NegotiationOutcome.DECLINED, savings="0")
    return Case(reverse("vendors:negotiation_list"), {"outcome": NegotiationOutcome.AGREED}, table_rows,
                ("Date", "Vendor", "Savings a year", "Our people"),
                lambda n: (n.held_on.isoformat(), n.vendor.name, f"{n.annual_savings:.2f}",
                           ", ".join(p.display_name for p in n.our_people.all())))


def _rep_visits(w: World) -> Case:
    pharma = make_vendor(name="Pharma Co", kind=VendorKind.SALES)
    visit = make_rep_visit(vendor=pharma, location=w.north, logged_by=w.user, policy_exceptions=["No appointment"])
    visit.met_with.set([w.user])
    make_rep_visit(vendor=pharma, location=w.north, logged_by=w.user, rep=make_contact(vendor=pharma, name="Ann"),
                   visited_at=visit.visited_at - dt.timedelta(days=3))
    make_rep_visit(vendor=make_vendor(name="Elsewhere Pharma"), location=w.south, logged_by=w.user)
    return Case(reverse("vendors:repvisit_list"), {}, table_rows, ("Company", "Representative", "Policy exceptions"),
                lambda v: (v.vendor.name, v.rep.name if v.rep else v.rep_name, "; ".join(v.policy_exceptions)),
                hidden=[("Elsewhere Pharma",)])


CASES: dict[str, Callable[[World], Case]] = {
    "vendors": _vendors, "categories": _categories, "contracts": _contracts, "contract decisions": _decisions,
    "negotiations": _negotiations, "rep visits": _rep_visits,
}


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    buyer = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="buyer")
    return World(user=buyer, north=north, south=south, make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    for rows in assert_exports_match_page(CASES[name](world), world, signed_in).values():
        assert len(rows) == 1 + 2
        assert "3456789" not in str(rows)  # the tax ID stays on its own audited page


@pytest.mark.parametrize("name", list(CASES))
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(Role.CLINICAL_STAFF)
    assert_export_refused(case, outsider, signed_in)


def _grow(w: World, count: int) -> None:
    for _ in range(count):
        vendor = make_vendor(categories=[make_category()])
        make_contact(vendor=vendor, is_primary=True)
        make_contract(vendor=vendor)
        negotiation = make_negotiation(vendor=vendor, logged_by=w.user)
        negotiation.our_people.set([w.make_user(Role.BILLER)])
        visit = make_rep_visit(vendor=vendor, location=w.north, logged_by=w.user,
                               rep=make_contact(vendor=vendor))
        visit.met_with.set([w.user])


@pytest.mark.parametrize("url_name", ["vendors:vendor_list", "vendors:contract_list", "vendors:negotiation_list",
                                      "vendors:repvisit_list"])
def test_the_export_query_count_does_not_grow_with_rows(
        url_name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(world.user)
    assert export_sizes_at_fixed_queries(client, reverse(url_name), lambda count: _grow(world, count)) == (2, 7)
