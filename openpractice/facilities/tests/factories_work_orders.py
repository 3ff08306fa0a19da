"""Builders and fixtures for the work order and firm-link tests (imported by test_work_orders_*.py,
test_vendor_link*.py and the API tests): real PNG/JPEG uploads and fakes, a firm, the people of a small practice
(a clinic assistant and an office manager at North, a manager at South), a reported work order, a dispatched one
with its link token, a snapshot of every facilities row (a refusal must leave it unchanged) and the denial count."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.facilities.choices import AssetKind
from openpractice.facilities.models import Asset, VendorLink, WorkOrder
from openpractice.facilities.services import vendor_links
from openpractice.facilities.services import work_orders as services
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

_numbers = itertools.count(1)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def png(name: str = "fridge.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def jpeg(name: str = "fridge.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def html_as_jpg() -> SimpleUploadedFile:
    """A web page renamed .jpg, claiming to be an image."""
    return SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")


def jpeg_magic_then_html() -> SimpleUploadedFile:
    """JPEG's first bytes followed by a web page: passes a look at the signature, not at the image."""
    return SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",
                              content_type="image/jpeg")


def make_firm(name: str = "", *, email: str = "dispatch@biomed.example", **fields: Any) -> Vendor:
    return Vendor.objects.create(name=name or f"BioMed Services {next(_numbers)}", kind=VendorKind.MAINTENANCE,
                                 order_email=email, **fields)


def make_asset(location: Location, *, name: str = "Vaccine refrigerator", room: str = "Lab", **fields: Any) -> Asset:
    return Asset.objects.create(tag=f"W-{next(_numbers):04d}", name=name, kind=AssetKind.REFRIGERATOR,
                                location=location, room=room, manufacturer="Helmer", model_number="iLR120",
                                serial_number="SN-88231", **fields)


def reported(actor: User, location: Location, **fields: Any) -> WorkOrder:
    data: dict[str, Any] = {"title": "Fridge is warm", "description": "Reads 12 °C since this morning."}
    data.update(fields)
    return services.problem_report(actor=actor, location=location, **data)


def dispatched(manager: User, work_order: WorkOrder, firm: Vendor, **fields: Any) -> tuple[VendorLink, str]:
    """Assign the work order to `firm` and email it the link (the mail goes out at once); (link, token)."""
    services.work_order_assign(actor=manager, work_order=work_order, vendor=firm)
    link = vendor_links.work_order_dispatch(actor=manager, work_order=work_order, sent_to=firm.order_email,
                                            **fields)
    return link, vendor_links.link_token(link)


def token_from_mail() -> str:
    """The token in the link of the last dispatch mail (Django's locmem outbox)."""
    body = str(mail.outbox[-1].body)
    url = next(word for word in body.split() if "/facilities/firm/" in word)
    return url.rstrip("/").rsplit("/", 1)[-1]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every facilities table."""
    state = {}
    for model in apps.get_app_config("facilities").get_models():
        columns = [field.attname for field in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User | None) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


# --- fixtures (import them into the test module) -----------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Photos go to a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    """Clinical staff at North: sees facilities there, manages nothing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse", email="nurse@example.test")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    """Front desk at North: no facilities permission at all, but may report a problem."""
    return make_user(Role.FRONT_DESK, locations=[north], username="desk", email="desk@example.test")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: facilities.manage there."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north",
                     email="om.north@example.test")


@pytest.fixture
def south_manager(make_user: Callable[..., User], south: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[south], username="om-south",
                     email="om.south@example.test")


@pytest.fixture
def firm(db: Any) -> Vendor:
    return make_firm("BioMed Equipment Services")


@pytest.fixture
def work_order(nurse: User, north: Location, media: Path) -> WorkOrder:
    return reported(nurse, north)
