"""/vendors, /contracts and /rep-visits: vendors.view reads the practice-wide vendor list and contracts and the
rep visits at its locations; vendors.manage adds and changes them through the services (audited, PHI vendors into
the BAA register); a visit's samples go into sample stock. The tax ID never leaves the server. Refusals are 404,
audited, and change nothing; bad input is a 422 naming the field; lists cost the same queries whatever the rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.compliance.models import BusinessAssociate
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import MovementKind, PlaceKind
from openpractice.inventory.models import StockLevel, StockMovement
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.vendors.choices import ContractKind, ContractStatus, VendorKind
from openpractice.vendors.models import Contract, RepAccessPolicy, RepVisit, Vendor, VendorCategory, VendorContact
from openpractice.vendors.services import vendors as vendor_services

from .conftest import API
from .supply_support import Api, denials, errors_on, ids, list_queries, make_vendor, messages, place, snapshot

pytestmark = pytest.mark.django_db

VENDORS = f"{API}/vendors"
CONTRACTS = f"{API}/contracts"
VISITS = f"{API}/rep-visits"


@pytest.fixture
def viewer(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (entry) at North: sees vendors, changes nothing."""
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="om-entry")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: manages vendors and inventory there."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


def new_vendor(**changes: Any) -> dict[str, Any]:
    return {"name": "Triangle SecureShred", "kind": "service", "tax_id": "561234567", "payment_terms": "net45",
            "order_email": "service@secureshred.example", "phone": "919-555-0112", "city": "Raleigh",
            "state": "NC", "handles_phi": True,
            "contacts": [{"name": "Paula Grant", "title": "Account manager", "email": "paula@secureshred.example",
                          "is_primary": True}], **changes}


# --- vendors ---------------------------------------------------------------------------------------------------


def test_the_vendor_list_is_filtered_paginated_and_shows_only_the_last_four_of_the_tax_id(
        viewer: User, api_as: Api) -> None:
    medical = VendorCategory.objects.create(name="Medical supplies")
    piedmont = vendor_services.vendor_create(actor=_admin(), categories=[medical], data={
        "name": "Piedmont Medical Supply", "kind": VendorKind.SUPPLIER, "tax_id": "56-2837461",
        "account_number": "RFM-20931"})
    vendor_services.contact_save(actor=_admin(), vendor=piedmont, data={"name": "Renee Whitaker", "is_primary": True})
    cleaning = make_vendor("Sparkle Commercial Cleaning", kind=VendorKind.CLEANING)
    old = make_vendor("Old Office Depot", kind=VendorKind.SUPPLIER, is_active=False)
    phi = make_vendor("Triangle SecureShred", kind=VendorKind.SERVICE, handles_phi=True)
    client = api_as(viewer)

    everything = client.get(VENDORS)
    assert ids(everything) == [old.pk, piedmont.pk, cleaning.pk, phi.pk]
    row = everything.json()["items"][1]
    assert row["tax_id_last4"] == "7461"
    assert "tax_id" not in row
    assert "2837461" not in everything.content.decode()
    assert [category["name"] for category in row["categories"]] == ["Medical supplies"]
    assert [contact["name"] for contact in row["contacts"]] == ["Renee Whitaker"]
    assert ids(client.get(VENDORS, {"q": "sparkle"})) == [cleaning.pk]
    assert ids(client.get(VENDORS, {"q": "RFM-20931"})) == [piedmont.pk]
    assert ids(client.get(VENDORS, {"kind": "supplier", "active": True})) == [piedmont.pk]
    assert ids(client.get(VENDORS, {"handles_phi": True})) == [phi.pk]
    assert ids(client.get(VENDORS, {"category_id": medical.pk})) == [piedmont.pk]
    page = client.get(VENDORS, {"limit": 2, "offset": 2})
    assert ids(page) == [cleaning.pk, phi.pk]
    assert page.json()["count"] == 4
    for params in ({"kind": "florist"}, {"limit": 500}, {"category_id": 0}):
        assert client.get(VENDORS, params).status_code == 422, params

    detail = client.get(f"{VENDORS}/{piedmont.pk}")
    assert detail.status_code == 200
    assert detail.json()["account_number"] == "RFM-20931"
    assert "2837461" not in detail.content.decode()


def _admin() -> User:
    found = User.objects.filter(username="vendor-admin").first()
    return found or user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR, username="vendor-admin")


def test_people_without_vendors_view_get_404_audited(nurse: User, api_as: Api) -> None:
    vendor = make_vendor()
    client = api_as(nurse)
    for path in (VENDORS, f"{VENDORS}/{vendor.pk}", CONTRACTS, VISITS):
        before = denials(nurse)
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
        assert denials(nurse) == before + 1


def test_a_manager_adds_a_vendor_with_contacts_and_a_phi_vendor_enters_the_baa_register(
        manager: User, api_as: Api) -> None:
    category = VendorCategory.objects.create(name="Shredding")
    response = api_as(manager).post(VENDORS, new_vendor(category_ids=[category.pk]))
    assert response.status_code == 201, response.content
    body = response.json()
    vendor = Vendor.objects.get()
    assert body["id"] == vendor.pk
    assert (body["tax_id_last4"], body["payment_terms"], body["handles_phi"]) == ("4567", "net45", True)
    assert "561234567" not in response.content.decode()
    assert vendor.tax_id == "56-1234567"  # kept (encrypted) in the normal form
    assert [contact["name"] for contact in body["contacts"]] == ["Paula Grant"]
    assert body["contacts"][0]["is_primary"] is True
    assert [category["id"] for category in body["categories"]] == [category.pk]
    assert BusinessAssociate.objects.get(vendor=vendor).handles_phi
    created = AuditEvent.objects.get(actor=manager, action="vendors.vendor_created")
    assert "561234567" not in created.changed_fields
    assert "1234567" not in created.reason


def test_adding_a_vendor_refuses_bad_input_and_saves_nothing(manager: User, api_as: Api) -> None:
    make_vendor("Piedmont Medical Supply")
    client = api_as(manager)
    before = snapshot()
    for changes, field in (({"name": "PIEDMONT medical supply"}, "name"),
                           ({"tax_id": "12-34"}, "tax_id"),
                           ({"order_email": "not an address"}, "order_email"),
                           ({"kind": "florist"}, "kind"),
                           ({"payment_terms": "net90"}, "payment_terms"),
                           ({"category_ids": [999999]}, "category_ids"),
                           ({"name": "x" * 201}, "name"),
                           ({"contacts": [{"name": "Ann", "email": "nope"}]}, "email")):
        response = client.post(VENDORS, new_vendor(**changes))
        assert field in errors_on(response), (changes, response.content)
    assert "EIN" in messages(client.post(VENDORS, new_vendor(tax_id="12-34")))
    assert snapshot() == before


def test_someone_who_only_views_vendors_cannot_add_or_change_one(viewer: User, api_as: Api) -> None:
    vendor = make_vendor()
    client = api_as(viewer)
    before = snapshot()
    for method, path, body in (("post", VENDORS, new_vendor()), ("patch", f"{VENDORS}/{vendor.pk}", {"phone": "1"}),
                               ("post", f"{VENDORS}/{vendor.pk}/contacts", {"name": "Ann"})):
        denied = denials(viewer)
        response = getattr(client, method)(path, body)
        assert response.status_code == 404, (method, path)
        assert denials(viewer) == denied + 1
    assert snapshot() == before


def test_a_manager_changes_a_vendor_and_adds_a_contact(manager: User, api_as: Api) -> None:
    vendor = make_vendor(tax_id="56-2837461", tax_id_last4="7461")
    client = api_as(manager)

    response = client.patch(f"{VENDORS}/{vendor.pk}", {"payment_terms": "net60", "tax_id": "", "is_active": False})
    assert response.status_code == 200, response.content
    vendor.refresh_from_db()
    assert (vendor.payment_terms, vendor.tax_id, vendor.tax_id_last4, vendor.is_active) == ("net60", "", "", False)
    event = AuditEvent.objects.get(actor=manager, action="vendors.vendor_updated")
    assert sorted(event.changed_field_list) == ["is_active", "payment_terms", "tax_id"]
    assert client.patch(f"{VENDORS}/{vendor.pk}", {"name": None}).status_code == 422
    assert client.patch(f"{VENDORS}/999999", {"phone": "1"}).status_code == 404

    contact = client.post(f"{VENDORS}/{vendor.pk}/contacts", {"name": "Jordan Pike", "is_sales_rep": True})
    assert contact.status_code == 201, contact.content
    assert VendorContact.objects.get(pk=contact.json()["id"]).vendor == vendor
    assert "name" in errors_on(client.post(f"{VENDORS}/{vendor.pk}/contacts", {"name": ""}))


# --- contracts -------------------------------------------------------------------------------------------------


def _contract(vendor: Vendor, *, ends_in: int | None, notice_days: int = 0, **fields: Any) -> Contract:
    today = practice_today()
    values: dict[str, Any] = {"kind": ContractKind.SUPPLY, "title": f"{vendor.name} agreement",
                              "starts_on": today - dt.timedelta(days=400), "notice_days": notice_days,
                              "ends_on": None if ends_in is None else today + dt.timedelta(days=ends_in), **fields}
    return Contract.objects.create(vendor=vendor, **values)


def test_contracts_list_with_their_notice_deadline_and_the_ones_due_soon(viewer: User, api_as: Api) -> None:
    piedmont, sparkle = make_vendor(), make_vendor("Sparkle Commercial Cleaning", kind=VendorKind.CLEANING)
    soon = _contract(piedmont, ends_in=100, notice_days=90, auto_renews=True, renewal_months=12)
    later = _contract(sparkle, ends_in=200, notice_days=60, kind=ContractKind.CLEANING)
    open_ended = _contract(sparkle, ends_in=None, kind=ContractKind.SERVICE, title="Window cleaning",
                           starts_on=practice_today() - dt.timedelta(days=30))
    draft = _contract(piedmont, ends_in=20, status=ContractStatus.DRAFT, title="Draft renewal",
                      starts_on=practice_today() - dt.timedelta(days=10))
    client = api_as(viewer)

    everything = client.get(CONTRACTS)
    assert ids(everything) == [draft.pk, soon.pk, open_ended.pk, later.pk]
    row = everything.json()["items"][1]
    assert row["notice_deadline"] == (practice_today() + dt.timedelta(days=10)).isoformat()
    assert row["days_to_notice_deadline"] == 10
    assert row["vendor"] == {"id": piedmont.pk, "name": piedmont.name}
    assert ids(client.get(CONTRACTS, {"notice_within": 30})) == [soon.pk]
    assert ids(client.get(CONTRACTS, {"notice_within": 150})) == [soon.pk, later.pk]
    assert ids(client.get(CONTRACTS, {"vendor_id": sparkle.pk, "kind": "cleaning"})) == [later.pk]
    assert ids(client.get(CONTRACTS, {"status": "draft"})) == [draft.pk]
    assert ids(client.get(CONTRACTS, {"q": "window"})) == [open_ended.pk]
    for params in ({"kind": "handshake"}, {"status": "lapsed"}, {"notice_within": -1}):
        assert client.get(CONTRACTS, params).status_code == 422, params
    assert client.get(f"{CONTRACTS}/{soon.pk}").json()["auto_renews"] is True


def new_contract(vendor: Vendor, **changes: Any) -> dict[str, Any]:
    today = practice_today()
    return {"vendor_id": vendor.pk, "kind": "service", "title": "On-site shredding", "reference": "TSS-118",
            "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=365)).isoformat(),
            "auto_renews": True, "renewal_months": 12, "notice_days": 60, "annual_value": "2400.00",
            "handles_phi": True, **changes}


def test_a_manager_records_a_contract_that_puts_its_vendor_in_the_baa_register(manager: User, api_as: Api) -> None:
    vendor = make_vendor("Triangle SecureShred", kind=VendorKind.SERVICE)
    response = api_as(manager).post(CONTRACTS, new_contract(vendor))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["owner_id"], body["annual_value"], body["status"]) == (manager.pk, "2400.00", "active")
    assert body["days_to_notice_deadline"] == 305
    assert BusinessAssociate.objects.get(vendor=vendor).handles_phi
    assert AuditEvent.objects.filter(actor=manager, action="vendors.contract_created").count() == 1


def test_recording_a_contract_refuses_bad_input_and_saves_nothing(manager: User, api_as: Api) -> None:
    vendor = make_vendor()
    client = api_as(manager)
    before = snapshot()
    today = practice_today()
    for changes, field in (({"ends_on": None}, "ends_on"),
                           ({"ends_on": (today - dt.timedelta(days=1)).isoformat(), "auto_renews": False}, "ends_on"),
                           ({"notice_days": 400}, "notice_days"),
                           ({"kind": "handshake"}, "kind"),
                           ({"annual_value": "-5"}, "annual_value"),
                           ({"vendor_id": 999999}, "vendor_id"),
                           ({"owner_id": 999999}, "owner_id"),
                           ({"title": ""}, "title")):
        response = client.post(CONTRACTS, new_contract(vendor, **changes))
        assert field in errors_on(response) or response.status_code == 422, (changes, response.content)
        assert response.status_code == 422
    assert snapshot() == before


def test_a_manager_changes_a_contract_and_a_viewer_cannot(manager: User, viewer: User, api_as: Api) -> None:
    contract = _contract(make_vendor(), ends_in=100, notice_days=90, auto_renews=True, renewal_months=12,
                         notice_alerts_sent=[30])
    response = api_as(manager).patch(f"{CONTRACTS}/{contract.pk}", {"notice_days": 30, "owner_id": None})
    assert response.status_code == 200, response.content
    contract.refresh_from_db()
    assert (contract.notice_days, contract.notice_alerts_sent, contract.owner) == (30, [], None)
    assert api_as(manager).patch(f"{CONTRACTS}/{contract.pk}", {"title": None}).status_code == 422

    before, denied = snapshot(), denials(viewer)
    assert api_as(viewer).patch(f"{CONTRACTS}/{contract.pk}", {"notice_days": 10}).status_code == 404
    assert api_as(viewer).post(CONTRACTS, new_contract(contract.vendor)).status_code == 404
    assert denials(viewer) == denied + 2
    assert snapshot() == before


# --- rep visits ------------------------------------------------------------------------------------------------


def _visit(vendor: Vendor, location: Location, days_ago: int = 3, **fields: Any) -> RepVisit:
    values: dict[str, Any] = {"rep_name": "Jordan Pike", "visited_at": timezone.now() - dt.timedelta(days=days_ago),
                              **fields}
    return RepVisit.objects.create(vendor=vendor, location=location, logged_by=_admin(), **values)


def test_visits_are_listed_and_read_at_the_callers_locations_only(
        viewer: User, north: Location, south: Location, api_as: Api) -> None:
    novara = make_vendor("Novara Pharmaceuticals", kind=VendorKind.SALES)
    recent = _visit(novara, north, 1, products="GLP-1 pen")
    against = _visit(novara, north, 5, had_appointment=False, policy_exceptions=["came without an appointment"])
    hidden = _visit(novara, south, 2)
    client = api_as(viewer)

    assert ids(client.get(VISITS)) == [recent.pk, against.pk]
    assert ids(client.get(VISITS, {"exceptions": True})) == [against.pk]
    assert ids(client.get(VISITS, {"exceptions": False})) == [recent.pk]
    assert ids(client.get(VISITS, {"location_id": south.pk})) == []
    since = (timezone.now() - dt.timedelta(days=2)).date().isoformat()
    assert ids(client.get(VISITS, {"since": since})) == [recent.pk]
    body = client.get(f"{VISITS}/{recent.pk}").json()
    assert (body["rep_name"], body["products"], body["samples"]) == ("Jordan Pike", "GLP-1 pen", [])

    before = denials(viewer)
    response = client.get(f"{VISITS}/{hidden.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denials(viewer) == before + 1
    assert client.get(f"{VISITS}/999999").status_code == 404


def _visit_body(vendor: Vendor, location: Location, **changes: Any) -> dict[str, Any]:
    return {"vendor_id": vendor.pk, "rep_name": "Jordan Pike", "location_id": location.pk,
            "products": "Once-weekly GLP-1 pen; savings cards.", **changes}


def test_a_manager_logs_a_visit_with_samples_into_the_sample_cabinet(
        manager: User, nurse: User, north: Location, api_as: Api) -> None:
    RepAccessPolicy.objects.create(appointment_only=True)
    vendor = make_vendor("Novara Pharmaceuticals", kind=VendorKind.SALES)
    rep = VendorContact.objects.create(vendor=vendor, name="Jordan Pike", is_sales_rep=True)
    pen = ItemFactory(name="GLP-1 pen sample", lot_tracked=True)
    cabinet = place(north, "Sample cabinet", PlaceKind.SAMPLES)
    expiry = practice_today() + dt.timedelta(days=200)

    response = api_as(manager).post(VISITS, _visit_body(
        vendor, north, rep_id=rep.pk, rep_name="", had_appointment=False, met_with_ids=[nurse.pk],
        sample_place_id=cabinet.pk,
        samples=[{"item_id": pen.pk, "quantity": 6, "lot_number": "NV2291A", "expires_on": expiry.isoformat()}]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rep_id"], body["rep_name"], body["met_with_ids"]) == (rep.pk, "Jordan Pike", [nurse.pk])
    assert body["policy_exceptions"] == ["came without an appointment"]
    [sample] = body["samples"]
    assert (sample["item"]["id"], sample["quantity"], sample["lot"]["number"], sample["place_id"]) == (
        pen.pk, 6, "NV2291A", cabinet.pk)
    assert StockLevel.objects.get(item=pen, place=cabinet).quantity == 6
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.rep_visit_id) == (MovementKind.SAMPLE, body["id"])
    assert AuditEvent.objects.filter(actor=manager, action="vendors.rep_visit_logged").count() == 1


def test_logging_a_visit_refuses_bad_input_and_saves_nothing(manager: User, north: Location, api_as: Api) -> None:
    vendor, other = make_vendor("Novara Pharmaceuticals", kind=VendorKind.SALES), make_vendor("Other")
    stranger = VendorContact.objects.create(vendor=other, name="Someone Else")
    pen = ItemFactory(name="GLP-1 pen sample", lot_tracked=True)
    shelf = place(north, "Supply room")
    cabinet = place(north, "Sample cabinet", PlaceKind.SAMPLES)
    sample = {"item_id": pen.pk, "quantity": 2, "lot_number": "NV1"}
    client = api_as(manager)
    before = snapshot()
    for changes, field in (({"rep_name": ""}, "rep"),
                           ({"rep_id": stranger.pk}, "rep_id"),
                           ({"vendor_id": 999999}, "vendor_id"),
                           ({"location_id": 999999}, "location_id"),
                           ({"met_with_ids": [999999]}, "met_with_ids"),
                           ({"samples": [sample]}, "sample_place_id"),
                           ({"samples": [sample], "sample_place_id": shelf.pk}, "place"),
                           ({"samples": [{**sample, "lot_number": ""}], "sample_place_id": cabinet.pk}, "lot_number"),
                           ({"samples": [{**sample, "quantity": 0}], "sample_place_id": cabinet.pk}, "quantity")):
        response = client.post(VISITS, _visit_body(vendor, north, **changes))
        assert response.status_code == 422, (changes, response.content)
        assert field in errors_on(response) or field in messages(response), (changes, response.json())
    assert snapshot() == before  # the visit is not kept when its samples are refused


def test_a_visit_at_another_location_is_refused_audited_and_nothing_is_saved(
        manager: User, viewer: User, north: Location, south: Location, api_as: Api) -> None:
    vendor = make_vendor("Novara Pharmaceuticals", kind=VendorKind.SALES)
    pen = ItemFactory(name="GLP-1 pen sample")
    south_cabinet = place(south, "Sample cabinet", PlaceKind.SAMPLES)
    before = snapshot()
    for user, body in ((manager, _visit_body(vendor, south)),
                       (viewer, _visit_body(vendor, north)),
                       (manager, _visit_body(vendor, south, sample_place_id=south_cabinet.pk,
                                             samples=[{"item_id": pen.pk, "quantity": 1}]))):
        denied = denials(user)
        response = api_as(user).post(VISITS, body)
        assert response.status_code == 404, response.content
        assert denials(user) == denied + 1
    assert snapshot() == before


# --- query counts ----------------------------------------------------------------------------------------------


def test_the_lists_cost_the_same_queries_whatever_the_rows(viewer: User, north: Location, api_as: Api) -> None:
    client = api_as(viewer)
    client.get(f"{API}/me")  # the token's last-used time is fresh: no UPDATE in the measured calls

    def add(start: int, count: int) -> None:
        category = VendorCategory.objects.create(name=f"Category {start}")
        pen = ItemFactory()
        cabinet = place(north, f"Cabinet {start}", PlaceKind.SAMPLES)
        for number in range(start, start + count):
            vendor = make_vendor(f"Vendor {number:03d}", kind=VendorKind.SALES)
            vendor.categories.add(category)
            rep = VendorContact.objects.create(vendor=vendor, name=f"Rep {number}", is_sales_rep=True)
            _contract(vendor, ends_in=100, notice_days=90, auto_renews=True, renewal_months=12)
            visit = _visit(vendor, north, rep=rep, rep_name="")
            visit.met_with.add(viewer)
            StockMovement.objects.create(item=pen, kind=MovementKind.SAMPLE, quantity=1, to_place=cabinet,
                                         occurred_at=timezone.now(), operation=uuid.uuid4(), rep_visit=visit)

    add(0, 2)
    few = [list_queries(client, path) for path in (VENDORS, CONTRACTS, VISITS)]
    add(100, 12)
    assert [list_queries(client, path) for path in (VENDORS, CONTRACTS, VISITS)] == few
    assert client.get(VISITS).json()["items"][0]["samples"]
