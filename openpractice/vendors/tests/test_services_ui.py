"""The services the pages added: a contract saved with its PDF all or nothing (a stored file whose record did not
commit is deleted; a refusal stores nothing), the audited document download, the rep-access policy and vendor
categories (vendors.manage; refusals audited and changing nothing), the audited tax ID reveal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.vendors import selectors
from openpractice.vendors.choices import ContractKind
from openpractice.vendors.models import Contract, RepAccessPolicy, VendorCategory
from openpractice.vendors.services import documents, setup

from .factories_ui import PDF, make_contract, make_vendor
from .support_ui import denials, events, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def buyer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def viewer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


def files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def upload(name: str = "c.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


DATA = {"kind": ContractKind.SUPPLY, "title": "Glove supply", "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31)}


def test_a_contract_and_its_document_are_saved_together(buyer: Any, media: Path) -> None:
    contract = documents.contract_save(actor=buyer, vendor=make_vendor(), data=DATA,
                                       upload=upload("../../etc/Signed\x00 copy.PDF"))
    assert contract.document_name == "Signed copy.PDF"
    assert contract.document.name.startswith("vendors/contracts/")
    assert contract.document.name.endswith(".pdf")
    assert len(files(media)) == 1


def test_a_contract_that_fails_validation_leaves_no_stored_file(buyer: Any, media: Path) -> None:
    with pytest.raises(ValidationError, match="notice period"):
        documents.contract_save(actor=buyer, vendor=make_vendor(), data={**DATA, "notice_days": 900},
                                upload=upload())
    assert not Contract.objects.exists()
    assert files(media) == []


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"GIF89a not a pdf", "PDF"),
])
def test_only_a_non_empty_pdf_is_accepted(buyer: Any, media: Path, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        documents.contract_save(actor=buyer, vendor=make_vendor(), data=DATA, upload=upload(content=content))
    assert not Contract.objects.exists()
    assert files(media) == []


def test_a_document_larger_than_10_mb_is_refused(buyer: Any, media: Path) -> None:
    big = upload(content=PDF + b"0" * documents.DOCUMENT_MAX_BYTES)
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        documents.contract_save(actor=buyer, vendor=make_vendor(), data=DATA, upload=big)
    assert files(media) == []


def test_a_viewer_cannot_save_a_contract_or_its_document_and_nothing_is_stored(viewer: Any, media: Path) -> None:
    vendor = make_vendor()
    contract = make_contract(vendor=vendor)
    before, refused = rows(), denials(viewer)
    with pytest.raises(PermissionDenied):
        documents.contract_save(actor=viewer, vendor=vendor, data=DATA, upload=upload())
    with pytest.raises(PermissionDenied):
        documents.contract_document_set(actor=viewer, contract=contract, upload=upload())
    assert rows() == before
    assert denials(viewer) == refused + 2
    assert files(media) == []


def test_adding_only_a_document_is_audited_as_such(buyer: Any, media: Path) -> None:
    contract = make_contract(vendor=make_vendor())
    documents.contract_document_set(actor=buyer, contract=contract, upload=upload())
    contract.refresh_from_db()
    assert contract.document
    assert events("vendors.contract_document_added", object_id=str(contract.pk)) == 1
    assert events("vendors.contract_updated") == 0


def test_the_rep_policy_is_created_on_first_change_and_audited(buyer: Any) -> None:
    policy = setup.rep_policy_update(actor=buyer, data={"allowed_weekdays": ["3", 1, 1], "appointment_only": False})
    assert policy.allowed_weekdays == [1, 3]
    assert not policy.appointment_only
    assert RepAccessPolicy.objects.count() == 1
    event = events("vendors.rep_policy_updated", object_id=str(policy.pk))
    assert event == 1
    setup.rep_policy_update(actor=buyer, data={"allowed_weekdays": [1, 3]})  # no change, no event
    assert events("vendors.rep_policy_updated") == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"allowed_weekdays": [0]}, "days of the week"),
    ({"allowed_weekdays": ["x"]}, "days of the week"),
    ({"earliest": dt.time(12), "latest": dt.time(9)}, "after the earliest"),
    ({"max_visits_per_month": 0}, "no limit"),
    ({"singleton": False}, "Unknown"),
])
def test_a_bad_rep_policy_is_refused(buyer: Any, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        setup.rep_policy_update(actor=buyer, data=data)
    assert not RepAccessPolicy.objects.exists()


def test_a_viewer_cannot_change_the_rep_policy_or_add_a_category(viewer: Any) -> None:
    before, refused = rows(), denials(viewer)
    with pytest.raises(PermissionDenied):
        setup.rep_policy_update(actor=viewer, data={"notes": "x"})
    with pytest.raises(PermissionDenied):
        setup.category_create(actor=viewer, name="IT")
    assert rows() == before
    assert denials(viewer) == refused + 2


def test_categories_are_unique_ignoring_case_and_audited(buyer: Any) -> None:
    category = setup.category_create(actor=buyer, name="  Office supplies ")
    assert category.name == "Office supplies"
    assert events("vendors.category_created", object_id=str(category.pk)) == 1
    with pytest.raises(ValidationError, match="already on file"):
        setup.category_create(actor=buyer, name="OFFICE SUPPLIES")
    with pytest.raises(ValidationError):
        setup.category_create(actor=buyer, name="   ")
    assert VendorCategory.objects.count() == 1


def test_the_tax_id_reveal_is_audited_and_only_for_vendor_managers(buyer: Any, viewer: Any) -> None:
    vendor = make_vendor(tax_id="12-3456789")
    assert selectors.tax_id_masked(vendor) == "••-•••6789"
    assert selectors.vendor_tax_id_reveal(actor=viewer, vendor=vendor) is None
    assert events("vendors.tax_id_viewed") == 0
    assert selectors.vendor_tax_id_reveal(actor=buyer, vendor=vendor) == "12-3456789"
    assert events("vendors.tax_id_viewed", actor_id=buyer.pk) == 1
