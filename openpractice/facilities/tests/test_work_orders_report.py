"""Reporting a problem: any staff member, at a location they work at, optionally about one piece of equipment there,
with a photo that is checked from its bytes and stored under a random name; the reporter follows their own reports
(status only); photos are served only to those who may see the work order."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.facilities.choices import Priority, WorkOrderSource, WorkOrderStatus
from openpractice.facilities.models import WorkOrder, WorkOrderPhoto
from openpractice.facilities.services import work_orders as services

from . import factories_work_orders as fx
from .factories_work_orders import (
    denials,
    html_as_jpg,
    image_bytes,
    jpeg,
    jpeg_magic_then_html,
    make_asset,
    png,
    reported,
    snapshot,
)

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
desk, manager, media, nurse, south_manager, work_order = fx.desk, fx.manager, fx.media, fx.nurse, fx.south_manager, fx.work_order


def test_a_front_desk_member_reports_a_broken_fridge_with_a_photo(desk: User, north: Location, media: Path) -> None:
    fridge = make_asset(north)

    work_order = reported(desk, north, asset=fridge, asset_down=True, photo=png())

    assert (work_order.location, work_order.asset, work_order.room) == (north, fridge, "Lab")
    assert work_order.source == WorkOrderSource.REPORTED
    assert work_order.status == WorkOrderStatus.NEW
    assert work_order.priority == Priority.HIGH  # out of service
    assert work_order.reported_by == desk
    photo = work_order.photos.get()
    assert photo.content_type == "image/png"
    assert photo.uploaded_by == desk
    stored = Path(photo.file.path)
    assert stored.is_relative_to(media)
    assert "fridge" not in stored.name  # a random name, not the client's
    assert stored.read_bytes().startswith(b"\x89PNG")
    assert list(work_order.events.values_list("kind", flat=True)) == ["created", "photo"]
    assert AuditEvent.objects.filter(action="facilities.work_order_opened", object_id=str(work_order.pk)).exists()


@pytest.mark.parametrize("upload", [html_as_jpg, jpeg_magic_then_html], ids=["html-renamed", "jpeg-magic-html"])
def test_a_web_page_renamed_jpg_is_refused_and_nothing_is_stored(upload, desk: User, north: Location,
                                                                 media: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        reported(desk, north, photo=upload())

    assert "PNG or JPEG" in " ".join(refused.value.message_dict["photo"])
    assert not WorkOrder.objects.exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_a_photo_over_eight_megabytes_is_refused(desk: User, north: Location, media: Path) -> None:
    big = SimpleUploadedFile("big.jpg", image_bytes("JPEG") + b"\x00" * (8 * 1024 * 1024), content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        reported(desk, north, photo=big)

    assert "8 MB" in " ".join(refused.value.message_dict["photo"])
    assert not WorkOrder.objects.exists()


def test_nobody_reports_at_a_location_they_do_not_work_at(desk: User, south: Location, media: Path) -> None:
    before = snapshot()

    with pytest.raises(PermissionDenied):
        reported(desk, south)

    assert snapshot() == before
    assert denials(desk) == 1


def test_equipment_of_another_location_cannot_be_named(desk: User, north: Location, south: Location,
                                                       media: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        reported(desk, north, asset=make_asset(south))

    assert "asset" in refused.value.message_dict
    assert not WorkOrder.objects.exists()


def test_the_report_form_files_the_problem_and_the_reporter_follows_only_their_own(
        client: Client, desk: User, nurse: User, north: Location, media: Path) -> None:
    someone_elses = reported(nurse, north, title="Door sticks")
    sign_in(client, desk)

    response = client.post(reverse("facilities:workorder_report"), {
        "location": north.pk, "title": "Printer smells of burning", "room": "Front office",
        "description": "Unplugged it.", "photo": jpeg()})

    assert response.status_code == 302
    assert response["Location"] == reverse("facilities:workorder_mine")
    mine = WorkOrder.objects.get(reported_by=desk)
    assert (mine.title, mine.room, mine.photos.count()) == ("Printer smells of burning", "Front office", 1)
    page = client.get(reverse("facilities:workorder_mine"))
    assert page.status_code == 200
    assert mine.number in page.text
    assert "New" in page.text
    assert someone_elses.number not in page.text
    # Front desk holds no facilities.view: the work order itself stays closed to them.
    assert client.get(reverse("facilities:workorder_detail", args=[mine.pk])).status_code == 404


def test_the_report_form_explains_a_refused_photo(client: Client, desk: User, north: Location,
                                                  media: Path) -> None:
    sign_in(client, desk)

    response = client.post(reverse("facilities:workorder_report"), {
        "location": north.pk, "title": "Leak", "photo": html_as_jpg()})

    assert response.status_code == 400
    assert "PNG or JPEG" in response.text
    assert not WorkOrder.objects.exists()


def test_a_photo_is_served_to_those_who_see_the_work_order_and_to_nobody_else(
        client: Client, nurse: User, south_manager: User, north: Location, media: Path) -> None:
    work_order = reported(nurse, north, photo=png())
    photo = WorkOrderPhoto.objects.get(work_order=work_order)
    url = reverse("facilities:workorder_photo", args=[photo.pk])

    sign_in(client, nurse)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(action="facilities.work_order_photo_viewed", actor=nurse).count() == 1

    sign_in(client, south_manager)
    assert client.get(url).status_code == 404
    assert denials(south_manager) == 1


def test_reporting_needs_a_signed_in_active_person(north: Location) -> None:
    assert not services.may_report_at(None, north.pk)
