from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "openpractice.inventory"
    label = "inventory"
    verbose_name = "Inventory and purchasing"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Anyone asks to buy something and follows their requests ("My work", 80-89). The Supplies section shares
        # order 99 with vendors' Supply chain and follows it (ties keep registration order, vendors is installed
        # first), so each section stays in one piece.
        mine: Any = _("My work")
        section: Any = _("Supplies")
        entries: list[tuple[int, Any, Any, str, str | None]] = [
            (89, mine, _("Ask to buy something"), "inventory:supplyreq_create", None),
            (89, mine, _("My supply requests"), "inventory:supplyreq_list", None),
            (99, section, _("Stock on hand"), "inventory:stock_list", Perm.INVENTORY_VIEW),
            (99, section, _("Items"), "inventory:item_list", Perm.INVENTORY_VIEW),
            (99, section, _("Expiring soon"), "inventory:expiring_list", Perm.INVENTORY_VIEW),
            (99, section, _("Below reorder point"), "inventory:belowpar_list", Perm.INVENTORY_VIEW),
            (99, section, _("Suggested orders"), "inventory:suggested_list", Perm.INVENTORY_VIEW),
            (99, section, _("Approvals"), "inventory:supplyreq_queue", Perm.INVENTORY_USE),
            (99, section, _("Requisitions"), "inventory:supplyreq_all", Perm.INVENTORY_VIEW),
            (99, section, _("Purchase orders"), "inventory:po_list", Perm.INVENTORY_VIEW),
            (99, section, _("Vendor invoices"), "inventory:vinvoice_list", Perm.INVENTORY_MANAGE),
            (99, section, _("Requests for quotes"), "inventory:rfq_list", Perm.VENDORS_VIEW),
            (99, section, _("Spend"), "inventory:spend_report", Perm.INVENTORY_MANAGE),
            (99, section, _("Vendor performance"), "inventory:vendorperf_report", Perm.VENDORS_VIEW),
            (99, section, _("Cycle counts"), "inventory:stockcount_list", Perm.INVENTORY_VIEW),
            (99, section, _("Stock movements"), "inventory:movement_list", Perm.INVENTORY_VIEW),
            (99, section, _("Par levels"), "inventory:par_list", Perm.INVENTORY_VIEW),
            (99, section, _("Storage places"), "inventory:place_list", Perm.INVENTORY_VIEW),
            (99, section, _("Receive samples"), "inventory:sample_receive", Perm.INVENTORY_USE),
            (99, section, _("Approval limits"), "inventory:approvallimit_list", Perm.INVENTORY_VIEW),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))  # type: ignore[arg-type]
