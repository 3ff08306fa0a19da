from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    name = "openpractice.vendors"
    label = "vendors"
    verbose_name = "Vendors"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # After Cases (98), before the practice settings (100); inventory's "Supplies" section shares the order
        # and follows (ties keep registration order, so each section stays in one piece).
        section: Any = _("Supply chain")
        entries: list[tuple[Any, str]] = [
            (_("Vendors"), "vendors:vendor_list"),
            (_("Contracts"), "vendors:contract_list"),
            (_("Contracts needing a decision"), "vendors:contract_decisions"),
            (_("Negotiations"), "vendors:negotiation_list"),
            (_("Sales-rep visits"), "vendors:repvisit_list"),
            (_("Rep-access policy"), "vendors:reppolicy"),
        ]
        for label, url_name in entries:
            register(NavItem(99, section, label, url_name, Perm.VENDORS_VIEW))  # type: ignore[arg-type]
