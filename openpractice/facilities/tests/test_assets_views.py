"""Asset pages: the list (filters, search, query count that does not grow), an asset with its plans, open work
orders, history, documents and maintenance cost; the forms (friendly tag error), status and meter; the documents
(checked uploads, audited attachment downloads); the QR label PDF that opens the asset's page. Everything is per
location: an asset elsewhere is a 404, audited, that changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.facilities.choices import AssetKind, AssetStatus, WorkOrderSource, WorkOrderStatus
from openpractice.facilities.models import Asset, AssetDocument
from openpractice.facilities.services import assets as asset_services
from openpractice.facilities.views_assets import asset_url

from .factories_assets import PDF, make_asset, make_cost, make_document, make_plan, make_work_order
from .support_assets import client_for, denials, event, queries_for, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def manager(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north")


@pytest.fixture
def nurse(north: Any) -> Any:
    return user_with_role(Role.CLINICAL_STAFF, locations=[north], username="nurse-north")


def text(response: Any) -> str:
    return response.content.decode()


def test_the_list_filters_by_location_kind_status_and_text_and_shows_only_the_users_locations(
        nurse: Any, north: Any, south: Any) -> None:
    make_asset(location=north, tag="A-0001", name="Vaccine refrigerator", serial_number="HS-77")
    make_asset(location=north, tag="A-0002", name="Autoclave", kind=AssetKind.AUTOCLAVE)
    make_asset(location=north, tag="A-0003", name="Old exam table", kind=AssetKind.EXAM_TABLE,
               status=AssetStatus.RETIRED)
    make_asset(location=south, tag="S-0001", name="South refrigerator")
    client = client_for(nurse)
    url = reverse("facilities:asset_list")

    shown = text(client.get(url))
    assert "A-0001" in shown
    assert "A-0002" in shown
    assert "A-0003" not in shown
    assert "S-0001" not in shown
    assert "A-0003" in text(client.get(url, {"status": "retired"}))
    only_autoclaves = text(client.get(url, {"kind": "autoclave", "location": north.pk}))
    assert "A-0002" in only_autoclaves
    assert "A-0001" not in only_autoclaves
    by_serial = text(client.get(url, {"q": "hs-77"}))
    assert "A-0001" in by_serial
    assert "A-0002" not in by_serial
    assert "S-0001" not in text(client.get(url, {"location": south.pk, "status": "all"}))


def test_the_list_costs_the_same_queries_for_three_assets_or_thirty(nurse: Any, north: Any) -> None:
    client = client_for(nurse)
    url = reverse("facilities:asset_list")

    def add(count: int) -> None:
        for _ in range(count):
            asset = make_asset(location=north)
            make_plan(asset=asset)
            make_work_order(asset=asset)

    add(3)
    few = queries_for(client, url)
    add(27)
    assert queries_for(client, url) == few


def test_an_asset_shows_its_plans_open_work_orders_history_documents_and_cost(nurse: Any, north: Any,
                                                                              media: Path) -> None:
    asset = make_asset(location=north, tag="A-0001", serial_number="HS-2291844")
    make_plan(asset=asset, title="Yearly calibration", steps=("Clean the coil",))
    open_order = make_work_order(asset=asset, title="Door seal torn")
    done = make_work_order(asset=asset, title="Compressor replaced", status=WorkOrderStatus.DONE)
    make_cost(work_order=done, amount="480.00")
    make_cost(work_order=open_order, amount="95.50")
    make_document(asset=asset, uploaded_by=nurse, title="User manual")

    page = text(client_for(nurse).get(reverse("facilities:asset_detail", args=[asset.pk])))

    assert "Yearly calibration" in page
    assert "User manual" in page
    assert "HS-2291844" in page
    assert page.count("Door seal torn") == 2  # open, and in the history
    assert page.count("Compressor replaced") == 1
    assert "$575.50" in page


def test_an_asset_of_another_location_is_not_found_the_attempt_audited_and_nothing_changes(
        manager: Any, south: Any) -> None:
    asset = make_asset(location=south, tag="S-0001")
    client = client_for(manager)
    before = rows()

    for name in ("asset_detail", "asset_edit", "asset_label"):
        assert client.get(reverse(f"facilities:{name}", args=[asset.pk])).status_code == 404
    response = client.post(reverse("facilities:asset_status", args=[asset.pk]), {"status": AssetStatus.RETIRED})

    assert response.status_code == 404
    assert denials(manager) == 4
    assert rows() == before


def test_a_manager_adds_an_asset_and_a_tag_already_used_is_told_on_the_form(manager: Any, north: Any) -> None:
    make_asset(location=north, tag="A-0001")
    client = client_for(manager)
    data = {"tag": "a-0002", "name": "Autoclave", "kind": AssetKind.AUTOCLAVE, "location": north.pk,
            "room": "Sterilization", "purchase_cost": "7995.00", "meter_unit": "cycles"}

    response = client.post(reverse("facilities:asset_create"), data)
    created = Asset.objects.get(tag="A-0002")
    assert response.status_code == 302
    assert response["Location"] == reverse("facilities:asset_detail",
                                                                           args=[created.pk])
    assert created.purchase_cost == Decimal("7995.00")

    again = client.post(reverse("facilities:asset_create"), {**data, "tag": "A-0001"})
    assert again.status_code == 400
    assert "Another asset already has the tag A-0001." in text(again)
    assert Asset.objects.count() == 2


def test_a_manager_puts_an_asset_out_of_service_and_records_its_meter(manager: Any, north: Any) -> None:
    asset = make_asset(location=north, tag="A-0003", meter_unit="cycles", meter_reading=10)
    client = client_for(manager)

    client.post(reverse("facilities:asset_status", args=[asset.pk]),
                {"status": AssetStatus.OUT_OF_SERVICE, "reason": "Door latch broken"})
    client.post(reverse("facilities:asset_meter", args=[asset.pk]), {"reading": "42"})
    backwards = client.post(reverse("facilities:asset_meter", args=[asset.pk]), {"reading": "7"})

    asset.refresh_from_db()
    assert (asset.status, asset.meter_reading) == (AssetStatus.OUT_OF_SERVICE, 42)
    assert backwards.status_code == 400
    assert "cannot be below the last one" in text(backwards)


def test_a_document_is_uploaded_checked_and_downloaded_as_an_audited_attachment(manager: Any, nurse: Any,
                                                                               north: Any, media: Path) -> None:
    asset = make_asset(location=north, tag="A-0001")
    client = client_for(manager)
    url = reverse("facilities:asset_document_add", args=[asset.pk])

    refused = client.post(url, {"title": "Manual", "file": SimpleUploadedFile("manual.pdf", b"<html>not a pdf")})
    assert refused.status_code == 400
    assert "PDF, PNG or JPEG" in text(refused)
    assert client.post(url, {"title": "Warranty", "file": SimpleUploadedFile("w.pdf", PDF)}).status_code == 302

    document = AssetDocument.objects.get()
    response = client_for(nurse).get(reverse("facilities:assetdocument_download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="warranty.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert event("facilities.asset_document_viewed", object_id=str(document.pk)).actor == nurse


def test_the_qr_label_is_a_pdf_that_encodes_the_assets_page_at_the_practices_address(
        nurse: Any, north: Any, settings: Any) -> None:
    asset = make_asset(location=north, tag="A-0001", room="Lab", serial_number="HS-1")
    settings.OPENPRACTICE_BASE_URL = "https://practice.example/"
    request = RequestFactory().get("/")

    assert asset_url(request, asset) == f"https://practice.example/facilities/assets/{asset.pk}/"
    settings.OPENPRACTICE_BASE_URL = ""
    assert asset_url(request, asset) == f"http://testserver/facilities/assets/{asset.pk}/"
    assert asset_services.asset_qr_svg("https://practice.example/x").startswith("<svg")

    response = client_for(nurse).get(reverse("facilities:asset_label", args=[asset.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="label-a-0001.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_overdue_report_lists_late_preventive_work_not_done_at_the_users_locations(
        nurse: Any, north: Any, south: Any) -> None:
    from openpractice.core.selectors import practice_today

    today = practice_today()
    fridge = make_asset(location=north, tag="A-0001")
    plan = make_plan(asset=fridge, title="Yearly calibration", next_due_on=today + dt.timedelta(days=300))
    make_work_order(asset=fridge, plan=plan, title="Calibration late", source=WorkOrderSource.PREVENTIVE,
                    due_on=today - dt.timedelta(days=9), status=WorkOrderStatus.SCHEDULED)
    make_work_order(asset=fridge, plan=plan, title="Calibration done", source=WorkOrderSource.PREVENTIVE,
                    due_on=today - dt.timedelta(days=400), status=WorkOrderStatus.DONE)
    make_plan(asset=fridge, title="Coil cleaning", next_due_on=today - dt.timedelta(days=2))
    south_fridge = make_asset(location=south, tag="S-0001")
    make_work_order(asset=south_fridge, title="South calibration late", source=WorkOrderSource.PREVENTIVE,
                    due_on=today - dt.timedelta(days=9))

    page = text(client_for(nurse).get(reverse("facilities:maintenance_overdue")))

    assert "Calibration late" in page
    assert "Coil cleaning" in page
    assert "Calibration done" not in page
    assert "South calibration late" not in page


def test_the_cost_report_sums_by_asset_and_location_in_the_period_at_the_users_locations(
        nurse: Any, north: Any, south: Any) -> None:
    from .factories_assets import at_noon

    fridge = make_asset(location=north, tag="A-0001", name="Fridge")
    autoclave = make_asset(location=north, tag="A-0002", name="Autoclave")
    first, second = make_work_order(asset=fridge), make_work_order(asset=fridge)
    make_cost(work_order=first, amount="100.00", recorded_at=at_noon(dt.date(2026, 2, 3)))
    make_cost(work_order=second, amount="50.25", recorded_at=at_noon(dt.date(2026, 2, 20)))
    make_cost(work_order=make_work_order(asset=autoclave), amount="20.00", recorded_at=at_noon(dt.date(2026, 2, 28)))
    make_cost(work_order=first, amount="999.00", recorded_at=at_noon(dt.date(2026, 3, 1)))  # after the period
    make_cost(work_order=make_work_order(asset=make_asset(location=south, tag="S-0001")), amount="777.00",
              recorded_at=at_noon(dt.date(2026, 2, 10)))

    response = client_for(nurse).get(reverse("facilities:maintenance_costs"), {"start": "2026-02-01",
                                                                               "end": "2026-02-28"})

    page = text(response)
    assert response.status_code == 200
    assert "$150.25" in page
    assert "$20.00" in page
    assert "$170.25" in page
    assert "999" not in page
    assert "777" not in page
    assert "S-0001" not in page
    bad = client_for(nurse).get(reverse("facilities:maintenance_costs"), {"start": "2026-03-01", "end": "2026-02-01"})
    assert bad.status_code == 400
    assert "The end is before the start." in text(bad)
