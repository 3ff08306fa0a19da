from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "openpractice.facilities"
    label = "facilities"
    verbose_name = "Facilities"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Anyone reports a problem and follows it ("My work", after inventory's entries at 89). The Facilities
        # section shares order 99 with Supply chain and Supplies and follows them (ties keep registration order;
        # facilities is installed after inventory), so each section stays in one piece.
        mine: Any = _("My work")
        section: Any = _("Facilities")
        entries: list[tuple[int, Any, Any, str, str | None]] = [
            (89, mine, _("Report a problem"), "facilities:workorder_report", None),
            (89, mine, _("My reported problems"), "facilities:workorder_mine", None),
            (99, section, _("Work orders"), "facilities:workorder_list", Perm.FACILITIES_VIEW),
            (99, section, _("Safety logs today"), "facilities:safetylog_today", Perm.FACILITIES_VIEW),
            (99, section, _("Missing safety entries"), "facilities:safetylog_missing", Perm.FACILITIES_VIEW),
            (99, section, _("Assets"), "facilities:asset_list", Perm.FACILITIES_VIEW),
            (99, section, _("Maintenance plans"), "facilities:plan_list", Perm.FACILITIES_VIEW),
            (99, section, _("Overdue maintenance"), "facilities:maintenance_overdue", Perm.FACILITIES_VIEW),
            (99, section, _("Cleaning"), "facilities:cleaningschedule_list", Perm.FACILITIES_VIEW),
            (99, section, _("Cleaning inspections"), "facilities:cleaninginspection_list", Perm.FACILITIES_VIEW),
            (99, section, _("Safety checkpoints"), "facilities:checkpoint_list", Perm.FACILITIES_VIEW),
            (99, section, _("Safety inspection report"), "facilities:safetylog_report", Perm.FACILITIES_VIEW),
            (99, section, _("Maintenance costs"), "facilities:maintenance_costs", Perm.FACILITIES_VIEW),
            (99, section, _("Downtime"), "facilities:downtime_report", Perm.FACILITIES_VIEW),
            (99, section, _("Firm response times"), "facilities:vendorresponse_report", Perm.FACILITIES_VIEW),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))  # type: ignore[arg-type]
