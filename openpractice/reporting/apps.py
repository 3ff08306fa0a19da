from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "openpractice.reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        from .views_dashboards import ANY_DASHBOARD

        # First in the menu, in no section; every signed-in user has a home page.
        label: Any = _("Home")
        register(NavItem(0, "", label, "reporting:home", None))
        # Reports come right after Home: the managers' practice-level picture, then the settings behind it. The
        # calendar and saved reports serve everyone (each item is filtered by the reader's own permissions).
        section: Any = _("Reports")
        entries: list[tuple[int, Any, str, str | frozenset[str] | None]] = [
            (1, _("Dashboards"), "reporting:dashboards", ANY_DASHBOARD),
            (2, _("Compliance calendar"), "reporting:calendar", None),
            (3, _("Practice finances"), "reporting:finances", Perm.REPORTS_FINANCIAL),
            (4, _("Budgets"), "reporting:budget_edit", Perm.REPORTS_BUDGETS),
            (5, _("Operations brief"), "reporting:brief_list", Perm.REPORTS_MANAGE),
            (6, _("KPI targets"), "reporting:kpi_targets", Perm.REPORTS_MANAGE),
            (7, _("My reports"), "reporting:saved_report_list", None),
        ]
        for order, entry_label, url_name, permission in entries:
            register(NavItem(order, section, entry_label, url_name, permission))
