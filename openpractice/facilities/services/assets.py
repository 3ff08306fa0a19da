"""Asset writes: the equipment record (tag unique, ignoring case), its status (in service, out of service,
retired), its meter reading, and the documents kept with it (manuals, warranties, service reports: PDF, PNG or
JPEG typed from their bytes, at most 10 MB, stored under a random name outside the web root).

facilities.manage at the asset's location changes it (and at the new location too when it moves). A refusal is
audited before any transaction opens and changes nothing; every change is audited with the names of the fields it
touched, never their values, under the asset's location.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.files import IMAGES_AND_PDF, CheckedFile, read_checked
from openpractice.core.pdf import render_pdf

from ..choices import AssetStatus
from ..models import Asset, AssetDocument, MaintenancePlan

ASSET_FIELDS: tuple[str, ...] = (
    "tag", "name", "kind", "location", "room", "manufacturer", "model_number", "serial_number", "purchased_on",
    "purchase_cost", "warranty_ends_on", "service_vendor", "meter_unit", "notes",
)  # fmt: skip
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _require(actor: Any, action: str, location: Any, target: Any = None) -> None:
    if not can(actor, Perm.FACILITIES_MANAGE, location):
        raise refuse(actor=actor, permission=Perm.FACILITIES_MANAGE, action=action, target=target)


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(ASSET_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    values = {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}
    if "tag" in values:
        values["tag"] = (values["tag"] or "").upper()
    return values


def _tag_taken(tag: str, exclude_pk: int | None = None) -> ValidationError | None:
    taken = Asset.objects.filter(tag__iexact=tag)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        return ValidationError({"tag": _("Another asset already has the tag %(tag)s.") % {"tag": tag}},
                               code="duplicate_tag")
    return None


def _check_vendor(values: Mapping[str, Any], previous: Any = None) -> None:
    vendor = values.get("service_vendor")
    if vendor is not None and not vendor.is_active and vendor != previous:
        raise ValidationError({"service_vendor": _("This vendor is no longer active.")})


def _save_new(asset: Asset) -> None:
    """Insert under a savepoint: two people saving the same new tag at once get the friendly error, not a 500."""
    try:
        with transaction.atomic():
            asset.save(force_insert=True)
    except IntegrityError as exc:
        error = _tag_taken(asset.tag)
        if error is not None:
            raise error from exc
        raise


def asset_create(*, actor: Any, data: Mapping[str, Any]) -> Asset:
    """Record a piece of equipment at a location the actor manages facilities for."""
    values = _clean(data)
    location = values.get("location")
    if location is None:
        # Someone who manages facilities nowhere is refused (audited); anyone else is told what is missing.
        _require(actor, "facilities.asset_create", None)
        raise ValidationError({"location": _("Choose the location.")})
    _require(actor, "facilities.asset_create", location)
    _check_vendor(values)
    asset = Asset(**values)
    asset.full_clean(validate_unique=False)
    with transaction.atomic():
        error = _tag_taken(asset.tag)
        if error is not None:
            raise error
        _save_new(asset)
        record(actor=actor, action="facilities.asset_created", target=asset, location_id=asset.location_id,
               changed_fields=sorted(values))
    return asset


def asset_update(*, actor: Any, asset: Asset, data: Mapping[str, Any]) -> Asset:
    """Change the record; moving it to another location needs facilities.manage there as well."""
    _require(actor, "facilities.asset_update", asset.location_id, asset)
    values = _clean(data)
    new_location = values.get("location")
    if new_location is not None and new_location.pk != asset.location_id:
        _require(actor, "facilities.asset_update", new_location, asset)
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        _check_vendor(values, previous=locked.service_vendor)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean(validate_unique=False)
        if "tag" in changed:
            error = _tag_taken(locked.tag, exclude_pk=locked.pk)
            if error is not None:
                raise error
        if changed:
            try:
                with transaction.atomic():
                    locked.save(update_fields=[*changed, "updated_at"])
            except IntegrityError as exc:
                error = _tag_taken(locked.tag, exclude_pk=locked.pk)
                if error is not None:
                    raise error from exc
                raise
            record(actor=actor, action="facilities.asset_updated", target=locked, location_id=locked.location_id,
                   changed_fields=sorted(changed))
    return locked


def asset_status_set(*, actor: Any, asset: Asset, status: str, reason: str = "") -> Asset:
    """Put the asset in or out of service, or retire it. Retiring stops its maintenance plans (audited each)."""
    _require(actor, "facilities.asset_status_set", asset.location_id, asset)
    if status not in AssetStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if locked.status == status:
            return locked
        if locked.status == AssetStatus.RETIRED:
            raise ValidationError({"status": _("A retired asset stays retired; record a new one instead.")})
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        record(actor=actor, action="facilities.asset_status_changed", target=locked,
               location_id=locked.location_id, changed_fields=["status"],
               reason=f"{previous} -> {status}{': ' if reason else ''}{reason.strip()}"[:200])
        if status == AssetStatus.RETIRED:
            for plan in MaintenancePlan.objects.select_for_update().filter(asset=locked, is_active=True):
                plan.is_active = False
                plan.save(update_fields=["is_active", "updated_at"])
                record(actor=actor, action="facilities.plan_updated", target=plan, location_id=locked.location_id,
                       changed_fields=["is_active"], reason="asset retired")
    return locked


def asset_meter_record(*, actor: Any, asset: Asset, reading: int) -> Asset:
    """Record the meter (cycles, copies, hours); it never goes back. Plans by meter come due from it."""
    _require(actor, "facilities.asset_meter_record", asset.location_id, asset)
    if not isinstance(reading, int) or isinstance(reading, bool) or reading < 0 or reading > 2_147_483_647:
        raise ValidationError({"reading": _("Enter the reading as a whole number.")})
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if reading < locked.meter_reading:
            raise ValidationError({"reading": _("The reading cannot be below the last one (%(last)s).")
                                   % {"last": locked.meter_reading}}, code="meter_backwards")
        if reading != locked.meter_reading:
            locked.meter_reading = reading
            locked.save(update_fields=["meter_reading", "updated_at"])
            record(actor=actor, action="facilities.asset_meter_recorded", target=locked,
                   location_id=locked.location_id, changed_fields=["meter_reading"])
    return locked


# --- documents -------------------------------------------------------------------------------------------------


def document_check(upload: UploadedFile) -> CheckedFile:
    """The upload's bytes if it is a PDF, PNG or JPEG of at most 10 MB; else a ValidationError on "file"."""
    return read_checked(upload, field="file", max_bytes=DOCUMENT_MAX_BYTES, allowed=IMAGES_AND_PDF,
                        what=_("The document"), type_message=_("Upload the document as a PDF, PNG or JPEG file."))


def document_title(upload: UploadedFile, title: str = "") -> str:
    """The title typed, else the file's own name without any folder or control characters."""
    text = title.strip()
    if not text:
        raw = str(upload.name or "")
        text = PureWindowsPath(PurePosixPath(raw).name).name
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C").strip()
    return (text or _("Document"))[:120]


def _store(checked: CheckedFile) -> str:
    field: Any = AssetDocument._meta.get_field("file")
    name = field.generate_filename(None, checked.random_name())
    return str(field.storage.save(name, ContentFile(checked.content)))


def _delete(name: str) -> None:
    if name:
        field: Any = AssetDocument._meta.get_field("file")
        field.storage.delete(name)


def asset_document_add(*, actor: Any, asset: Asset, upload: UploadedFile, title: str = "") -> AssetDocument:
    """Keep a manual, warranty or report with the asset; a stored file whose record did not commit is removed."""
    _require(actor, "facilities.asset_document_add", asset.location_id, asset)
    checked = document_check(upload)
    document = AssetDocument(asset=asset, title=document_title(upload, title), content_type=checked.content_type,
                             uploaded_by=actor)
    stored = _store(checked)
    try:
        with transaction.atomic():
            document.file.name = stored
            document.save(force_insert=True)
            record(actor=actor, action="facilities.asset_document_added", target=asset,
                   location_id=asset.location_id, changed_fields=["documents"], reason=f"document {document.pk}")
    except BaseException:
        _delete(stored)
        raise
    return document


def asset_document_opened(*, actor: Any, document: AssetDocument) -> None:
    """Audit a download (the caller checked the actor may see the asset)."""
    record(actor=actor, action="facilities.asset_document_viewed", target=document,
           location_id=document.asset.location_id)


# --- the QR label ----------------------------------------------------------------------------------------------


def asset_qr_svg(url: str) -> str:
    """`url` as an SVG QR code (drawn here: nothing is fetched from elsewhere)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=1,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    assert isinstance(svg, str)
    return svg


def asset_label_pdf(*, asset: Asset, url: str) -> bytes:
    """A printable label (4 x 2 inches): the QR code that opens the asset's page, its tag, name, location and room,
    and its serial number."""
    svg = asset_qr_svg(url)
    html = render_to_string("facilities/assets/asset_label.html", {
        "asset": asset, "url": url, "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(
            svg.encode()).decode("ascii")})
    return render_pdf(html)
