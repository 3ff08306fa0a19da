"""Asset writes: a facilities manager records equipment at their locations (tag unique ignoring case, a friendly
error otherwise), moves it only between locations they manage, puts it out of service or retires it (which stops
its plans), records its meter (never backwards) and keeps its documents (typed from their bytes, random names).
Every change is audited with the fields it touched; refusals are audited and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.facilities.choices import AssetKind, AssetStatus
from openpractice.facilities.models import Asset, AssetDocument
from openpractice.facilities.services import assets as services

from .factories_assets import PDF, PNG, make_asset, make_plan
from .support_assets import denials, event, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def manager(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north")


def asset_data(location: Any, **changes: Any) -> dict[str, Any]:
    return {"tag": " a-0042 ", "name": "Vaccine refrigerator", "kind": AssetKind.REFRIGERATOR, "location": location,
            "room": "Lab", "manufacturer": "Helmer", "model_number": "iPR120", "serial_number": "HS-1",
            "purchased_on": dt.date(2024, 4, 1), "purchase_cost": Decimal("6850.00"),
            "warranty_ends_on": dt.date(2027, 3, 31), **changes}


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_a_manager_records_an_asset_and_the_audit_names_the_fields_not_the_values(manager: Any, north: Any) -> None:
    asset = services.asset_create(actor=manager, data=asset_data(north))

    assert (asset.tag, asset.status, asset.location) == ("A-0042", AssetStatus.IN_SERVICE, north)
    created = event("facilities.asset_created", object_id=str(asset.pk))
    assert created.location_id == north.pk
    assert created.actor == manager
    assert "serial_number" in created.changed_fields
    assert "HS-1" not in created.changed_fields + created.reason

    services.asset_update(actor=manager, asset=asset, data={"room": "Lab 2", "name": "Vaccine refrigerator"})
    assert event("facilities.asset_updated", object_id=str(asset.pk)).changed_fields == "room"


def test_a_tag_already_on_file_is_a_friendly_error_whatever_its_case(manager: Any, north: Any) -> None:
    make_asset(location=north, tag="A-0042")
    other = make_asset(location=north, tag="A-0043")

    with pytest.raises(ValidationError) as raised:
        services.asset_create(actor=manager, data=asset_data(north, tag="a-0042"))
    assert raised.value.message_dict == {"tag": ["Another asset already has the tag A-0042."]}
    with pytest.raises(ValidationError) as raised:
        services.asset_update(actor=manager, asset=other, data={"tag": "A-0042"})
    assert "tag" in raised.value.message_dict
    assert sorted(Asset.objects.values_list("tag", flat=True)) == ["A-0042", "A-0043"]


def test_a_manager_elsewhere_or_a_viewer_cannot_record_change_or_move_an_asset(manager: Any, north: Any,
                                                                               south: Any) -> None:
    asset = make_asset(location=north, tag="A-0001")
    at_south = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south])
    viewer = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    before, events = rows(), AuditEvent.objects.count()

    attempts = [
        (at_south, lambda actor: services.asset_create(actor=actor, data=asset_data(north))),
        (at_south, lambda actor: services.asset_update(actor=actor, asset=asset, data={"room": "X"})),
        (viewer, lambda actor: services.asset_status_set(actor=actor, asset=asset, status=AssetStatus.RETIRED)),
        (viewer, lambda actor: services.asset_meter_record(actor=actor, asset=asset, reading=5)),
        (manager, lambda actor: services.asset_update(actor=actor, asset=asset, data={"location": south})),
    ]
    for actor, attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt(actor)

    assert rows() == before
    assert AuditEvent.objects.count() == events + len(attempts)
    assert (denials(at_south), denials(viewer), denials(manager)) == (2, 2, 1)


def test_retiring_an_asset_stops_its_plans_and_it_stays_retired(manager: Any, north: Any) -> None:
    asset = make_asset(location=north, tag="A-0001")
    plan = make_plan(asset=asset)

    services.asset_status_set(actor=manager, asset=asset, status=AssetStatus.OUT_OF_SERVICE, reason="Not cooling")
    services.asset_status_set(actor=manager, asset=asset, status=AssetStatus.RETIRED, reason="Replaced")

    plan.refresh_from_db()
    assert plan.is_active is False
    assert event("facilities.asset_status_changed", object_id=str(asset.pk)).reason == "out_of_service -> retired: Replaced"
    with pytest.raises(ValidationError):
        services.asset_status_set(actor=manager, asset=asset, status=AssetStatus.IN_SERVICE)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.RETIRED


def test_the_meter_never_goes_back(manager: Any, north: Any) -> None:
    asset = make_asset(location=north, tag="A-0003", meter_unit="cycles", meter_reading=100)

    services.asset_meter_record(actor=manager, asset=asset, reading=150)
    with pytest.raises(ValidationError) as raised:
        services.asset_meter_record(actor=manager, asset=asset, reading=120)

    assert raised.value.message_dict == {"reading": ["The reading cannot be below the last one (150)."]}
    asset.refresh_from_db()
    assert asset.meter_reading == 150


def test_documents_are_typed_from_their_bytes_and_stored_under_a_random_name(manager: Any, north: Any,
                                                                             media: Path) -> None:
    asset = make_asset(location=north, tag="A-0001")

    document = services.asset_document_add(actor=manager, asset=asset, title="",
                                           upload=SimpleUploadedFile("C:\\manuals\\Helmer manual.pdf", PDF))
    photo = services.asset_document_add(actor=manager, asset=asset, title="Nameplate",
                                        upload=SimpleUploadedFile("plate.jpg", PNG))
    for upload in (SimpleUploadedFile("manual.pdf", b"MZ\x90\x00 not a pdf"),
                   SimpleUploadedFile("big.pdf", PDF + b"0" * services.DOCUMENT_MAX_BYTES)):
        with pytest.raises(ValidationError) as raised:
            services.asset_document_add(actor=manager, asset=asset, upload=upload)
        assert "file" in raised.value.message_dict

    assert (document.title, document.content_type) == ("Helmer manual.pdf", "application/pdf")
    assert (photo.title, photo.content_type) == ("Nameplate", "image/png")  # typed from bytes, not the name
    stored_name = str(document.file.name)
    assert "Helmer" not in stored_name
    assert stored_name.endswith(".pdf")
    assert len(stored_files(media)) == AssetDocument.objects.count() == 2
