"""Device: the practice's equipment and appliances (facilities assets), read and search.

Scope and fields are the REST API's /assets: facilities.view at the asset's location. In service → active; out of
service or retired → inactive, with our status in statusReason. The asset tag and the serial number are the
identifiers; the room and the warranty's end are extensions. Purchase cost is left out (not a device property).
No patient data: no audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.facilities import selectors_assets as selectors
from openpractice.facilities.choices import AssetKind, AssetStatus
from openpractice.facilities.models import Asset

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import SYSTEM_BASE, compact, concept, identifier, meta, our_system, reference
from ..search import choice_token, parse_int_id, string, token
from ..search import reference as reference_param

TAG_SYSTEM = our_system("asset-tag")
SERIAL_SYSTEM = our_system("serial-number")
KIND_SYSTEM = our_system("asset-kind")
STATUS_SYSTEM = our_system("asset-status")
ROOM_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/room"
WARRANTY_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/warranty-ends"
STATUS_OF_ASSET = {AssetStatus.IN_SERVICE: "active", AssetStatus.OUT_OF_SERVICE: "inactive",
                   AssetStatus.RETIRED: "inactive"}
ASSETS_OF_STATUS: dict[str, Sequence[Any]] = {"active": [AssetStatus.IN_SERVICE],
                                          "inactive": [AssetStatus.OUT_OF_SERVICE, AssetStatus.RETIRED],
                                          "entered-in-error": [], "unknown": []}


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _identifier_codes(system: str | None, code: str) -> Q:
    if system in (None, ""):
        return Q(tag__iexact=code) | Q(serial_number__iexact=code)
    if system == TAG_SYSTEM:
        return Q(tag__iexact=code)
    if system == SERIAL_SYSTEM:
        return Q(serial_number__iexact=code)
    return Q(pk__in=[])


def _type_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", KIND_SYSTEM):
        return Q(pk__in=[])
    if code not in AssetKind.values:
        raise FhirError(400, "invalid", f"Unknown type {code!r}; use one of: {', '.join(AssetKind.values)}.",
                        expression=["type"])
    return Q(kind=code)


@register
class DeviceResource(ModelResourceType):
    name = "Device"
    permissions = (Perm.FACILITIES_VIEW,)
    ordering = ("location__name", "name", "tag", "pk")
    documentation = ("Equipment and appliances at the locations where the caller holds facilities.view. "
                     f"Identifiers: the asset tag ({TAG_SYSTEM}) and the serial number ({SERIAL_SYSTEM}); type: "
                     f"our kind ({KIND_SYSTEM}); statusReason: our status ({STATUS_SYSTEM}: in_service, "
                     "out_of_service, retired).")
    search_params = {
        "_id": token("_id", "The asset's id.", _id_codes),
        "identifier": token("identifier", f"Asset tag or serial number ({TAG_SYSTEM}|A-0042; case ignored).",
                            _identifier_codes),
        "status": choice_token("status", "active (in service) | inactive (out of service or retired).", "status",
                               ASSETS_OF_STATUS),
        "location": reference_param("location", "location_id", "Location", "Where the asset is."),
        "type": token("type", f"Our kind ({KIND_SYSTEM}): " + ", ".join(AssetKind.values) + ".", _type_codes),
        "manufacturer": string("manufacturer", ["manufacturer"], "The manufacturer (starts with)."),
        "model": string("model", ["model_number"], "The model number (starts with)."),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.assets_visible(actor=request.user)

    def to_resource(self, asset: Asset, request: HttpRequest) -> dict[str, Any]:
        identifiers = [identifier(TAG_SYSTEM, asset.tag, use="official")]
        if asset.serial_number:
            identifiers.append(identifier(SERIAL_SYSTEM, asset.serial_number, type_code="SNO"))
        extensions: list[dict[str, Any]] = []
        if asset.room:
            extensions.append({"url": ROOM_EXTENSION, "valueString": asset.room})
        if asset.warranty_ends_on:
            extensions.append({"url": WARRANTY_EXTENSION, "valueDate": asset.warranty_ends_on.isoformat()})
        return compact({
            "resourceType": "Device",
            "id": str(asset.pk),
            "meta": meta(asset.updated_at),
            "extension": extensions,
            "identifier": identifiers,
            "status": STATUS_OF_ASSET.get(asset.status, "unknown"),  # type: ignore[call-overload]
            "statusReason": [concept(STATUS_SYSTEM, asset.status, asset.get_status_display())],
            "manufacturer": asset.manufacturer,
            "serialNumber": asset.serial_number,
            "deviceName": [{"name": asset.name, "type": "user-friendly-name"}],
            "modelNumber": asset.model_number,
            "type": concept(KIND_SYSTEM, asset.kind, asset.get_kind_display()),
            "location": reference("Location", asset.location_id, asset.location.name),
            "note": [{"text": asset.notes}] if asset.notes.strip() else [],
        })
