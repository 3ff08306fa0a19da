"""Vendor pages: the list (search, filters, a query count that does not grow with the rows), a vendor with its
contacts, contracts, negotiations, visits and BAA standing, the vendor and contact forms (tax ID checked, kept
encrypted and shown by its last four; the full number only on an audited request), the categories. Viewers open
the pages, managers change things; a refusal is a 404, audited, that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.compliance.models import BusinessAssociate
from openpractice.vendors.choices import ContractStatus, VendorKind
from openpractice.vendors.models import Vendor, VendorCategory, VendorContact

from .factories_ui import (
    make_category,
    make_contact,
    make_contract,
    make_negotiation,
    make_rep_visit,
    make_vendor,
)
from .support_ui import client_for, denials, events, queries_for, rows, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(north: Any) -> Any:
    """Office manager, entry: sees vendors, changes nothing."""
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def buyer(north: Any) -> Any:
    """Office manager, mid: manages vendors."""
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def desk(north: Any) -> Any:
    return user_with_role(Role.FRONT_DESK, locations=[north])


def vendor_data(**changes: Any) -> dict[str, Any]:
    data = {"name": "Medline", "kind": VendorKind.SUPPLIER, "payment_terms": "net30", "account_number": "A-1",
            "tax_id": "", "order_email": "orders@medline.example", "is_active": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the list --------------------------------------------------------------------------------------------------


def test_the_vendor_list_opens_for_a_viewer_with_its_vendors(viewer: Any) -> None:
    make_vendor(name="Medline")
    make_vendor(name="Old Paper Co", is_active=False)
    response = client_for(viewer).get(reverse("vendors:vendor_list"))
    assert response.status_code == 200
    assert "Medline" in text(response)
    assert "Old Paper Co" not in text(response)  # active vendors by default
    assert reverse("vendors:vendor_create") not in text(response)  # a viewer adds nothing


def test_the_vendor_list_searches_names_and_filters_category_kind_and_activity(viewer: Any) -> None:
    gloves = make_category("Medical supplies")
    make_vendor(name="Medline", categories=[gloves])
    make_vendor(name="Sparkle Cleaning", kind=VendorKind.CLEANING)
    make_vendor(name="Old Paper Co", is_active=False)
    client = client_for(viewer)
    url = reverse("vendors:vendor_list")
    assert "Sparkle" not in text(client.get(url, {"q": "medl"}))
    assert "Medline" in text(client.get(url, {"q": "medl"}))
    by_category = text(client.get(url, {"category": gloves.pk}))
    assert "Medline" in by_category
    assert "Sparkle" not in by_category
    by_kind = text(client.get(url, {"kind": VendorKind.CLEANING}))
    assert "Sparkle" in by_kind
    assert "Medline" not in by_kind
    inactive = text(client.get(url, {"active": "no"}))
    assert "Old Paper Co" in inactive
    assert "Medline" not in inactive
    assert client.get(url, {"kind": "nonsense", "category": "x", "active": "maybe"}).status_code == 200


def test_the_front_desk_cannot_open_vendors(desk: Any) -> None:
    vendor = make_vendor()
    client = client_for(desk)
    for url in (reverse("vendors:vendor_list"), reverse("vendors:vendor_detail", args=[vendor.pk])):
        before = denials(desk)
        assert client.get(url).status_code == 404
        assert denials(desk) == before + 1


def _add_vendors(count: int, start: int, actor: Any) -> None:
    category = make_category(f"Cat {start}")
    for n in range(start, start + count):
        vendor = make_vendor(name=f"Vendor {n:03d}", categories=[category])
        make_contact(vendor=vendor, name=f"Primary {n}", is_primary=True)
        make_contact(vendor=vendor, name=f"Other {n}")
        make_contract(vendor=vendor)


def test_the_vendor_list_costs_the_same_queries_with_more_vendors(buyer: Any) -> None:
    client = client_for(buyer)
    url = reverse("vendors:vendor_list")
    _add_vendors(3, 0, buyer)
    few = queries_for(client, url)
    _add_vendors(20, 100, buyer)
    assert queries_for(client, url) == few


# --- the vendor ------------------------------------------------------------------------------------------------


def test_the_vendor_page_shows_everything_about_the_vendor_but_only_the_last_four_of_the_tax_id(
        viewer: Any, north: Any, south: Any, buyer: Any) -> None:
    vendor = make_vendor(name="Medline", tax_id="12-3456789")
    make_contact(vendor=vendor, name="Ann Primary", is_primary=True)
    contract = make_contract(vendor=vendor, title="Glove supply")
    make_negotiation(vendor=vendor, contract=contract, logged_by=buyer)
    make_rep_visit(vendor=vendor, location=north, logged_by=buyer)
    make_rep_visit(vendor=vendor, location=south, logged_by=buyer, policy_exceptions=["came without an appointment"])
    page = text(client_for(viewer).get(reverse("vendors:vendor_detail", args=[vendor.pk])))
    assert "Ann Primary" in page
    assert "Glove supply" in page
    assert "5% off gloves" in page
    assert "6789" in page
    assert "3456789" not in page
    assert "12-345" not in page
    assert "Show the full number" not in page  # only vendor managers may reveal it
    assert page.count("Sam Sample") == 1  # the South visit is outside the viewer's locations


def test_the_vendor_page_shows_the_baa_standing_to_those_who_see_the_compliance_register(north: Any) -> None:
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    client = client_for(manager)
    response = client.post(reverse("vendors:vendor_create"), vendor_data(name="Cloud EHR", handles_phi="on"))
    assert response.status_code == 302
    vendor = Vendor.objects.get(name="Cloud EHR")
    assert BusinessAssociate.objects.filter(vendor=vendor).exists()  # the service put it in the register
    page = text(client.get(reverse("vendors:vendor_detail", args=[vendor.pk])))
    assert 'data-baa-standing="flagged"' in page
    associate = BusinessAssociate.objects.get(vendor=vendor)
    assert reverse("compliance:associate_detail", args=[associate.pk]) in page
    # An office manager does not see the register: only that compliance keeps the agreement.
    office = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    page = text(client_for(office).get(reverse("vendors:vendor_detail", args=[vendor.pk])))
    assert "data-baa-standing" not in page
    assert "the compliance officer keeps its business associate agreement" in page


def test_a_vendor_manager_reveals_the_full_tax_id_and_the_reveal_is_audited(buyer: Any) -> None:
    vendor = make_vendor(tax_id="12-3456789")
    client = client_for(buyer)
    assert "Show the full number" in text(client.get(reverse("vendors:vendor_detail", args=[vendor.pk])))
    url = reverse("vendors:vendor_taxid", args=[vendor.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    assert "12-3456789" in text(response)
    assert "no-store" in response["Cache-Control"]
    assert events("vendors.tax_id_viewed", actor_id=buyer.pk, object_id=str(vendor.pk)) == 1


def test_a_viewer_cannot_reveal_a_tax_id(viewer: Any) -> None:
    vendor = make_vendor(tax_id="12-3456789")
    before = denials(viewer)
    response = client_for(viewer).post(reverse("vendors:vendor_taxid", args=[vendor.pk]))
    assert response.status_code == 404
    assert "3456789" not in text(response)
    assert denials(viewer) == before + 1
    assert events("vendors.tax_id_viewed") == 0


# --- the vendor form -------------------------------------------------------------------------------------------


def test_a_vendor_manager_adds_a_vendor_with_an_encrypted_tax_id(buyer: Any) -> None:
    category = make_category("Medical supplies")
    client = client_for(buyer)
    assert client.get(reverse("vendors:vendor_create")).status_code == 200
    response = client.post(reverse("vendors:vendor_create"),
                           vendor_data(tax_id="123456789", categories=[category.pk]))
    vendor = Vendor.objects.get(name="Medline")
    assert response.status_code == 302
    assert response["Location"] == reverse("vendors:vendor_detail", args=[vendor.pk])
    assert vendor.tax_id == "12-3456789"
    assert vendor.tax_id_last4 == "6789"
    assert list(vendor.categories.all()) == [category]
    assert events("vendors.vendor_created", object_id=str(vendor.pk)) == 1


@pytest.mark.parametrize("bad", ["12345678", "12-34567890", "AB-1234567"])
def test_a_malformed_tax_id_is_refused_with_a_clear_error(buyer: Any, bad: str) -> None:
    response = client_for(buyer).post(reverse("vendors:vendor_create"), vendor_data(tax_id=bad))
    assert response.status_code == 400
    assert "Enter the EIN as nine digits" in text(response)
    assert not Vendor.objects.exists()


def test_a_duplicate_vendor_name_is_refused_with_a_clear_error(buyer: Any) -> None:
    make_vendor(name="Medline")
    response = client_for(buyer).post(reverse("vendors:vendor_create"), vendor_data(name="MEDLINE"))
    assert response.status_code == 400
    assert "already on file" in text(response)
    assert Vendor.objects.count() == 1


def test_editing_a_vendor_keeps_the_tax_id_unless_a_new_one_is_typed_or_removal_asked(buyer: Any) -> None:
    vendor = make_vendor(name="Medline", tax_id="12-3456789")
    client = client_for(buyer)
    url = reverse("vendors:vendor_edit", args=[vendor.pk])
    form_page = text(client.get(url))
    assert "ending 6789" in form_page
    assert "3456789" not in form_page
    assert client.post(url, vendor_data(phone="555-0100")).status_code == 302
    vendor.refresh_from_db()
    assert vendor.tax_id == "12-3456789"
    assert vendor.phone == "555-0100"
    assert client.post(url, vendor_data(tax_id="98-7654321")).status_code == 302
    vendor.refresh_from_db()
    assert vendor.tax_id == "98-7654321"
    assert vendor.tax_id_last4 == "4321"
    assert client.post(url, vendor_data(remove_tax_id="on")).status_code == 302
    vendor.refresh_from_db()
    assert vendor.tax_id == ""
    assert vendor.tax_id_last4 == ""


def test_a_viewer_cannot_add_or_change_a_vendor_and_nothing_changes(viewer: Any) -> None:
    vendor = make_vendor(name="Medline")
    client = client_for(viewer)
    before, refused = rows(), denials(viewer)
    posts = [
        (reverse("vendors:vendor_create"), vendor_data(name="Other")),
        (reverse("vendors:vendor_edit", args=[vendor.pk]), vendor_data(name="Renamed")),
        (reverse("vendors:vendor_contact_add", args=[vendor.pk]), {"name": "Ann", "is_active": "on"}),
        (reverse("vendors:vendor_category_create"), {"name": "IT"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404
    assert rows() == before
    assert denials(viewer) == refused + len(posts)


# --- contacts --------------------------------------------------------------------------------------------------


def test_contacts_are_added_and_edited_with_one_primary(buyer: Any) -> None:
    vendor = make_vendor()
    client = client_for(buyer)
    add = reverse("vendors:vendor_contact_add", args=[vendor.pk])
    assert client.get(add).status_code == 200
    assert client.post(add, {"name": "Ann", "email": "ann@example.test", "is_primary": "on",
                             "is_active": "on"}).status_code == 302
    assert client.post(add, {"name": "Bo", "is_primary": "on", "is_sales_rep": "on",
                             "is_active": "on"}).status_code == 302
    ann, bo = VendorContact.objects.get(name="Ann"), VendorContact.objects.get(name="Bo")
    assert not ann.is_primary
    assert bo.is_primary
    assert bo.is_sales_rep
    edit = reverse("vendors:vendorcontact_edit", args=[ann.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"name": "Ann Lee", "title": "Account manager", "is_primary": "on",
                              "is_active": "on"}).status_code == 302
    ann.refresh_from_db()
    bo.refresh_from_db()
    assert ann.name == "Ann Lee"
    assert ann.is_primary
    assert not bo.is_primary


def test_a_contact_needs_a_name_and_a_valid_email(buyer: Any) -> None:
    vendor = make_vendor()
    response = client_for(buyer).post(reverse("vendors:vendor_contact_add", args=[vendor.pk]),
                                      {"name": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    assert "Enter a valid email address." in text(response)
    assert not VendorContact.objects.exists()


# --- categories ------------------------------------------------------------------------------------------------


def test_categories_are_listed_for_viewers_and_added_by_managers(viewer: Any, buyer: Any) -> None:
    make_vendor(categories=[make_category("Office supplies")])
    page = client_for(viewer).get(reverse("vendors:vendor_categories"))
    assert page.status_code == 200
    assert "Office supplies" in text(page)
    assert "Add a category" not in text(page)
    client = client_for(buyer)
    assert client.post(reverse("vendors:vendor_category_create"), {"name": "IT services"}).status_code == 302
    assert VendorCategory.objects.filter(name="IT services").exists()
    duplicate = client.post(reverse("vendors:vendor_category_create"), {"name": "it SERVICES"})
    assert duplicate.status_code == 400
    assert "already on file" in text(duplicate)
    assert VendorCategory.objects.count() == 2


def test_the_vendor_page_lists_contract_status_and_the_active_contract_count_shows_in_the_list(buyer: Any) -> None:
    vendor = make_vendor(name="Medline")
    make_contract(vendor=vendor, title="Running")
    make_contract(vendor=vendor, title="Finished", status=ContractStatus.ENDED)
    page = text(client_for(buyer).get(reverse("vendors:vendor_list")))
    assert "<td>1</td>" in page
