"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind (the first word
of a route name, or the KIND_OF_ROUTE override) to a function (world, actor) -> (object in the actor's scope,
object outside it or None when the kind is practice-wide). PRACTICE_WIDE names the kinds that have no
out-of-scope object (left out of the scope test).

    "workorder":      workorder_detail/triage/assign/dispatch/revoke_link/status/note/cost/photo_add/checklist/
                      verify (<pk> = WorkOrder): a reported problem at North (assigned to a firm, with a link)
                      and one at South
    "workorderphoto": workorder_photo (<pk> = WorkOrderPhoto): a PNG of each of those work orders

The firm's pages (facilities:vendorlink_page, facilities:vendorlink_photo) take no sign-in: they belong in
PUBLIC_OR_AUTH_FLOW, and their own tests are test_vendor_link.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openpractice.facilities.models import VendorLink, WorkOrder, WorkOrderPhoto
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

from .factories_work_orders import image_bytes


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_facilities_work_order_samples", {})
    if not cache:
        firm = Vendor.objects.create(name="Route Sample Repairs", kind=VendorKind.MAINTENANCE,
                                     order_email="jobs@route-repairs.example")
        now = timezone.now()
        for key, location in (("north", world.north), ("south", world.south)):
            work_order = WorkOrder.objects.create(
                title=f"Route sample leak {key}", location=location, room="Lab", reported_by=world.stranger,
                vendor=firm if key == "north" else None, respond_by=now + dt.timedelta(hours=24),
                resolve_by=now + dt.timedelta(days=7))
            if key == "north":
                VendorLink.objects.create(work_order=work_order, vendor=firm, sent_to=firm.order_email,
                                          nonce=secrets.token_urlsafe(32), expires_at=now + dt.timedelta(days=14),
                                          created_by=world.stranger)
            photo = WorkOrderPhoto(work_order=work_order, content_type="image/png", uploaded_by=world.stranger)
            photo.file.save(f"{secrets.token_hex(16)}.png", ContentFile(image_bytes("PNG")), save=False)
            photo.save()
            cache[f"workorder:{key}"] = work_order
            cache[f"workorderphoto:{key}"] = photo
    return cache


def _pair(kind: str) -> Callable[[Any, Any], tuple[Any, Any]]:
    def samples(world: Any, actor: Any) -> tuple[Any, Any]:
        cache = _cache(world)
        return cache[f"{kind}:north"], cache[f"{kind}:south"]

    return samples


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "workorder": _pair("workorder"),
    "workorderphoto": _pair("workorderphoto"),
}
KIND_OF_ROUTE: dict[str, str] = {"facilities:workorder_photo": "workorderphoto"}
PRACTICE_WIDE: frozenset[str] = frozenset()
