"""SupplyRequest: one per purchase order line (id = the line's id), read and search.

A purchase order is one vendor's order for several items; FHIR's SupplyRequest asks for one item, so each line
is a SupplyRequest and the order's number is their shared identifier. The status is the order's (draft → draft,
sent or partly received → active, received or closed → completed, cancelled → cancelled). Scope is the REST API's
/purchase-orders: inventory.view at the order's ship-to location. The vendor is not served as an Organization,
so `supplier` names it (display and our vendor id), never as a literal reference. No patient data: no audit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.inventory.choices import ItemCategory, OrderStatus
from openpractice.inventory.models import PurchaseOrderLine
from openpractice.inventory.selectors import purchasing as selectors

from ..base import ModelResourceType, register
from ..mapping import compact, concept, identifier, instant, meta, our_system, reference
from ..search import choice_token, date, parse_int_id, token
from ..search import reference as reference_param

ORDER_NUMBER_SYSTEM = our_system("purchase-order")
ITEM_SYSTEM = our_system("item")
VENDOR_SYSTEM = our_system("vendor")
CATEGORY_SYSTEM = our_system("item-category")
STATUS_OF_ORDER = {
    OrderStatus.DRAFT: "draft",
    OrderStatus.SENT: "active",
    OrderStatus.PARTIAL: "active",
    OrderStatus.RECEIVED: "completed",
    OrderStatus.CLOSED: "completed",
    OrderStatus.CANCELLED: "cancelled",
}
# Every FHIR supplyrequest-status code is searchable; those we never produce match nothing.
ORDERS_OF_STATUS: dict[str, list[Any]] = {code: [] for code in (
    "draft", "active", "suspended", "cancelled", "completed", "entered-in-error", "unknown")}
for _order_status, _code in STATUS_OF_ORDER.items():
    ORDERS_OF_STATUS[_code].append(_order_status)


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _number_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", ORDER_NUMBER_SYSTEM):
        return Q(pk__in=[])
    return Q(order__number__iexact=code)


@register
class SupplyRequestResource(ModelResourceType):
    name = "SupplyRequest"
    permissions = (Perm.INVENTORY_VIEW,)
    ordering = ("-order__created_at", "-order_id", "pk")
    documentation = ("One SupplyRequest per purchase order line, for orders shipped to a location where the caller "
                     "holds inventory.view; newest orders first. The order's number is the identifier "
                     f"({ORDER_NUMBER_SYSTEM}) and its status gives the status. The vendor is named in supplier "
                     "(display only).")
    search_params = {
        "_id": token("_id", "The order line's id.", _id_codes),
        "identifier": token("identifier", f"The purchase order number ({ORDER_NUMBER_SYSTEM}|PO-2025-00001).",
                            _number_codes),
        "status": choice_token("status", "draft | active | completed | cancelled (the order's status).",
                               "order__status", dict(ORDERS_OF_STATUS)),
        "date": date("date", "order__created_at", "When the order was written (authoredOn)."),
        "category": choice_token("category", "The item's category: " + ", ".join(ItemCategory.values) + ".",
                                 "item__category", {value: [value] for value in ItemCategory.values}),
        "location": reference_param("location", "order__location_id", "Location",
                                    "The ship-to location (deliverTo)."),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        orders = selectors.order_scoped(actor=request.user).values("pk")
        return PurchaseOrderLine.objects.filter(order__in=orders).select_related(
            "order", "order__vendor", "order__location", "item", "packaging")

    def to_resource(self, line: PurchaseOrderLine, request: HttpRequest) -> dict[str, Any]:
        order = line.order
        item = line.item
        if item is not None:
            what = concept(ITEM_SYSTEM, item.sku, item.name, text=item.name)
            unit = line.packaging.name if line.packaging else item.base_unit
        else:
            what = {"text": line.description}
            unit = line.packaging.name if line.packaging else ""
        return compact({
            "resourceType": "SupplyRequest",
            "id": str(line.pk),
            "meta": meta(order.updated_at),
            "identifier": [identifier(ORDER_NUMBER_SYSTEM, order.number)],
            "status": STATUS_OF_ORDER.get(order.status, "unknown"),  # type: ignore[call-overload]
            "category": concept(CATEGORY_SYSTEM, item.category, item.get_category_display()) if item else None,
            "itemCodeableConcept": what,
            "quantity": compact({"value": line.quantity, "unit": unit}),
            "occurrenceDateTime": order.expected_on.isoformat() if order.expected_on else None,
            "authoredOn": instant(order.created_at),
            "supplier": [{"identifier": identifier(VENDOR_SYSTEM, str(order.vendor_id)),
                          "display": order.vendor.name}],
            "deliverTo": reference("Location", order.location_id, order.location.name),
        })
