"""Contract and negotiation pages: the list and its filters, "what needs a decision" (notice deadlines near or
passed), the contract form with its PDF (checked from its bytes: a renamed file is refused), the audited
download, the PHI flag; negotiations logged only by those holding vendors.negotiate. Refusals are 404s, audited,
that change nothing; list query counts do not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.compliance.models import BusinessAssociate
from openpractice.core.selectors import practice_today
from openpractice.vendors.choices import ContractKind, ContractStatus, NegotiationOutcome
from openpractice.vendors.models import Contract, Negotiation

from .factories_ui import PDF, make_contract, make_negotiation, make_vendor
from .support_ui import client_for, denials, events, queries_for, rows, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def viewer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def buyer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def negotiator() -> Any:
    return user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def contract_data(vendor: Any = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": ContractKind.SUPPLY, "title": "Glove supply", "status": ContractStatus.ACTIVE,
                            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "notice_days": "30",
                            "annual_value": "12000.00"}
    if vendor is not None:
        data["vendor"] = vendor.pk
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def pdf(name: str = "signed.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- the lists -------------------------------------------------------------------------------------------------


def test_the_contract_list_opens_for_a_viewer_and_filters_type_status_vendor_and_phi(viewer: Any) -> None:
    medline, sparkle = make_vendor(name="Medline"), make_vendor(name="Sparkle")
    make_contract(vendor=medline, title="Glove supply", kind=ContractKind.SUPPLY)
    make_contract(vendor=sparkle, title="Nightly cleaning", kind=ContractKind.CLEANING, handles_phi=True)
    make_contract(vendor=sparkle, title="Old cleaning", kind=ContractKind.CLEANING, status=ContractStatus.ENDED)
    client = client_for(viewer)
    url = reverse("vendors:contract_list")
    page = text(client.get(url))
    assert "Glove supply" in page
    assert "Nightly cleaning" in page
    assert "Old cleaning" in page
    assert reverse("vendors:contract_create") not in page
    cleaning = text(client.get(url, {"kind": ContractKind.CLEANING, "status": ContractStatus.ACTIVE}))
    assert "Nightly cleaning" in cleaning
    assert "Glove supply" not in cleaning
    assert "Old cleaning" not in cleaning
    by_vendor = text(client.get(url, {"vendor": medline.pk}))
    assert "Glove supply" in by_vendor
    assert "Nightly cleaning" not in by_vendor
    phi = text(client.get(url, {"phi": "yes"}))
    assert "Nightly cleaning" in phi
    assert "Glove supply" not in phi
    assert client.get(url, {"kind": "x", "status": "y", "vendor": "z", "phi": "w", "due": "soon"}).status_code == 200


def test_the_decision_view_lists_active_contracts_whose_notice_deadline_is_near_or_passed(viewer: Any) -> None:
    today = practice_today()
    vendor = make_vendor()
    # deadline in 20 days (end in 50, 30 days' notice): needs a decision
    make_contract(vendor=vendor, title="Soon", starts_on=today - dt.timedelta(days=300),
                  ends_on=today + dt.timedelta(days=50), notice_days=30)
    # deadline passed 5 days ago, contract still runs: needs a decision now
    make_contract(vendor=vendor, title="Missed", starts_on=today - dt.timedelta(days=300),
                  ends_on=today + dt.timedelta(days=25), notice_days=30)
    # deadline in 100 days
    make_contract(vendor=vendor, title="Later", starts_on=today - dt.timedelta(days=300),
                  ends_on=today + dt.timedelta(days=130), notice_days=30)
    # ended already, open-ended, cancelled
    make_contract(vendor=vendor, title="Over", starts_on=today - dt.timedelta(days=300),
                  ends_on=today - dt.timedelta(days=1), notice_days=0)
    make_contract(vendor=vendor, title="Forever", starts_on=today - dt.timedelta(days=300), ends_on=None)
    make_contract(vendor=vendor, title="Dropped", starts_on=today - dt.timedelta(days=300),
                  ends_on=today + dt.timedelta(days=40), status=ContractStatus.CANCELLED)
    client = client_for(viewer)
    page = text(client.get(reverse("vendors:contract_decisions")))
    assert "Soon" in page
    assert "Missed" in page
    for title in ("Later", "Over", "Forever", "Dropped"):
        assert f">{title}<" not in page
    assert "passed" in page
    wider = text(client.get(reverse("vendors:contract_decisions"), {"due": "120"}))
    assert ">Later<" in wider
    # the same filter on the full list
    listed = text(client.get(reverse("vendors:contract_list"), {"due": "30"}))
    assert ">Soon<" in listed
    assert ">Later<" not in listed


def _add_contracts(count: int, start: int, user: Any) -> None:
    for n in range(start, start + count):
        vendor = make_vendor(name=f"Vendor {n:03d}")
        contract = make_contract(vendor=vendor, owner=user, title=f"Contract {n}")
        make_negotiation(vendor=vendor, contract=contract, logged_by=user).our_people.set([user])


@pytest.mark.parametrize("url_name", ["vendors:contract_list", "vendors:contract_decisions",
                                      "vendors:negotiation_list"])
def test_the_contract_and_negotiation_lists_cost_the_same_queries_with_more_rows(buyer: Any, url_name: str) -> None:
    client = client_for(buyer)
    url = reverse(url_name)
    _add_contracts(3, 0, buyer)
    few = queries_for(client, url)
    _add_contracts(20, 100, buyer)
    assert queries_for(client, url) == few


# --- the contract ----------------------------------------------------------------------------------------------


def test_a_vendor_manager_records_a_contract_with_its_pdf_and_a_viewer_downloads_it_audited(
        buyer: Any, viewer: Any, media: Path) -> None:
    vendor = make_vendor(name="Medline")
    client = client_for(buyer)
    assert client.get(reverse("vendors:contract_create"), {"vendor": vendor.pk}).status_code == 200
    response = client.post(reverse("vendors:contract_create"),
                           {**contract_data(vendor, owner=buyer.pk), "document": pdf("Glove contract.pdf")})
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("vendors:contract_detail", args=[contract.pk])
    assert contract.document_name == "Glove contract.pdf"
    assert contract.annual_value == Decimal("12000.00")
    assert contract.owner == buyer
    assert "Glove contract" not in str(contract.document.name)  # stored under a random name
    assert len(stored_files(media)) == 1
    assert events("vendors.contract_created", object_id=str(contract.pk)) == 1
    assert events("vendors.contract_document_added", object_id=str(contract.pk)) == 1
    page = text(client_for(viewer).get(reverse("vendors:contract_detail", args=[contract.pk])))
    assert reverse("vendors:contract_document", args=[contract.pk]) in page
    assert reverse("vendors:contract_edit", args=[contract.pk]) not in page
    download = client_for(viewer).get(reverse("vendors:contract_document", args=[contract.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert events("vendors.contract_document_viewed", actor_id=viewer.pk, object_id=str(contract.pk)) == 1


def test_a_file_that_is_not_a_pdf_is_refused_even_when_named_pdf(buyer: Any, media: Path) -> None:
    vendor = make_vendor()
    fake = pdf("contract.pdf", b"PK\x03\x04 this is a zip, not a PDF")
    response = client_for(buyer).post(reverse("vendors:contract_create"),
                                      {**contract_data(vendor), "document": fake})
    assert response.status_code == 400
    assert "Upload the contract as a PDF file." in text(response)
    assert not Contract.objects.exists()
    assert stored_files(media) == []


def test_an_end_before_the_start_is_refused_with_a_clear_error(buyer: Any, media: Path) -> None:
    vendor = make_vendor()
    response = client_for(buyer).post(reverse("vendors:contract_create"), {
        **contract_data(vendor, starts_on="2026-06-01", ends_on="2026-05-31"), "document": pdf()})
    assert response.status_code == 400
    assert "The contract cannot end before it starts." in text(response)
    assert not Contract.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"auto_renews": "on", "renewal_months": ""}, "Give the length of each renewal term in months."),
    ({"auto_renews": "on", "renewal_months": "12", "ends_on": ""}, "needs an end date"),
    ({"notice_days": "400"}, "The notice period is longer than the contract."),
    ({"annual_value": "-5"}, "Ensure this value is greater than or equal to 0."),
])
def test_contract_rules_come_back_as_clear_errors(buyer: Any, changes: dict[str, str], message: str) -> None:
    vendor = make_vendor()
    response = client_for(buyer).post(reverse("vendors:contract_create"), contract_data(vendor, **changes))
    assert response.status_code == 400
    assert message in text(response)
    assert not Contract.objects.exists()


def test_editing_a_contract_replaces_its_document_and_deletes_the_old_file(
        buyer: Any, media: Path, django_capture_on_commit_callbacks: Any) -> None:
    vendor = make_vendor()
    contract = make_contract(vendor=vendor, title="Glove supply", document=PDF)
    old = contract.document.name
    url = reverse("vendors:contract_edit", args=[contract.pk])
    client = client_for(buyer)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**contract_data(title="Glove supply 2026"),
                                     "document": pdf("v2.pdf", PDF + b"% v2\n")})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Glove supply 2026"
    assert contract.document_name == "v2.pdf"
    assert contract.document.name != old
    assert [path.name for path in stored_files(media)] == [Path(contract.document.name).name]


def test_marking_a_contract_as_involving_phi_shows_it_and_feeds_the_baa_register(buyer: Any) -> None:
    vendor = make_vendor(name="Shred-It")
    contract = make_contract(vendor=vendor, title="Document shredding")
    client = client_for(buyer)
    response = client.post(reverse("vendors:contract_edit", args=[contract.pk]),
                           contract_data(title="Document shredding", handles_phi="on"))
    assert response.status_code == 302
    assert BusinessAssociate.objects.filter(vendor=vendor, handles_phi=True).exists()
    page = text(client.get(reverse("vendors:contract_detail", args=[contract.pk])))
    assert "data-phi" in page
    assert "BAA register" in page


def test_a_viewer_cannot_record_or_change_a_contract_and_nothing_changes(viewer: Any, media: Path) -> None:
    vendor = make_vendor()
    contract = make_contract(vendor=vendor, title="Glove supply")
    client = client_for(viewer)
    before, refused = rows(), denials(viewer)
    assert client.post(reverse("vendors:contract_create"),
                       {**contract_data(vendor), "document": pdf()}).status_code == 404
    assert client.post(reverse("vendors:contract_edit", args=[contract.pk]),
                       contract_data(title="Changed")).status_code == 404
    assert rows() == before
    assert denials(viewer) == refused + 2
    assert stored_files(media) == []


def test_a_contract_without_a_document_has_nothing_to_download(viewer: Any) -> None:
    contract = make_contract(vendor=make_vendor())
    assert client_for(viewer).get(reverse("vendors:contract_document", args=[contract.pk])).status_code == 404
    assert events("vendors.contract_document_viewed") == 0


# --- negotiations ----------------------------------------------------------------------------------------------


def negotiation_data(vendor: Any, **changes: Any) -> dict[str, Any]:
    data = {"vendor": vendor.pk, "held_on": "2026-03-02", "their_people": "Account manager",
            "asks": "5% off gloves", "offers": "3% off gloves", "outcome": NegotiationOutcome.AGREED,
            "annual_savings": "1800.00"}
    data.update(changes)
    return data


def test_the_practice_manager_logs_a_negotiation_about_a_contract(negotiator: Any, buyer: Any) -> None:
    vendor = make_vendor(name="Medline")
    contract = make_contract(vendor=vendor, title="Glove supply")
    client = client_for(negotiator)
    form = client.get(reverse("vendors:negotiation_create"), {"contract": contract.pk})
    assert form.status_code == 200
    assert "Glove supply" in text(form)
    response = client.post(reverse("vendors:negotiation_create"),
                           negotiation_data(vendor, contract=contract.pk, our_people=[negotiator.pk, buyer.pk]))
    negotiation = Negotiation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("vendors:negotiation_detail", args=[negotiation.pk])
    assert negotiation.contract == contract
    assert negotiation.logged_by == negotiator
    assert set(negotiation.our_people.all()) == {negotiator, buyer}
    assert events("vendors.negotiation_logged", object_id=str(negotiation.pk)) == 1
    listed = text(client_for(buyer).get(reverse("vendors:negotiation_list"), {"vendor": vendor.pk}))
    assert "5% off gloves" in listed
    assert "$1,800.00" in listed
    detail = text(client_for(buyer).get(reverse("vendors:negotiation_detail", args=[negotiation.pk])))
    assert "3% off gloves" in detail


def test_a_negotiation_about_another_vendors_contract_is_refused(negotiator: Any) -> None:
    medline, other = make_vendor(name="Medline"), make_vendor(name="Other")
    contract = make_contract(vendor=other)
    response = client_for(negotiator).post(reverse("vendors:negotiation_create"),
                                           negotiation_data(medline, contract=contract.pk))
    assert response.status_code == 400
    assert "Choose one of this vendor&#x27;s contracts." in text(response)
    assert not Negotiation.objects.exists()


def test_negative_savings_are_refused(negotiator: Any) -> None:
    vendor = make_vendor()
    response = client_for(negotiator).post(reverse("vendors:negotiation_create"),
                                           negotiation_data(vendor, annual_savings="-1"))
    assert response.status_code == 400
    assert not Negotiation.objects.exists()


def test_a_vendor_manager_without_the_negotiating_duty_cannot_log_a_negotiation(buyer: Any) -> None:
    vendor = make_vendor()
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    for user in (buyer, manager):
        client = client_for(user)
        before, refused = rows(), denials(user)
        assert client.get(reverse("vendors:negotiation_create")).status_code == 404
        assert client.post(reverse("vendors:negotiation_create"), negotiation_data(vendor)).status_code == 404
        assert rows() == before
        assert denials(user) == refused + 2
    # but they read the log
    make_negotiation(vendor=vendor, logged_by=manager)
    assert client_for(buyer).get(reverse("vendors:negotiation_list")).status_code == 200


def test_the_negotiation_list_totals_the_savings_of_what_it_shows(buyer: Any) -> None:
    medline, other = make_vendor(name="Medline"), make_vendor(name="Other")
    make_negotiation(vendor=medline, logged_by=buyer, savings="1000.00")
    make_negotiation(vendor=medline, logged_by=buyer, savings="250.50", outcome=NegotiationOutcome.PARTLY)
    make_negotiation(vendor=other, logged_by=buyer, savings="99.00")
    client = client_for(buyer)
    assert "$1,349.50" in text(client.get(reverse("vendors:negotiation_list")))
    assert "$1,250.50" in text(client.get(reverse("vendors:negotiation_list"), {"vendor": medline.pk}))
    assert "$250.50" in text(client.get(reverse("vendors:negotiation_list"),
                                        {"outcome": NegotiationOutcome.PARTLY}))
