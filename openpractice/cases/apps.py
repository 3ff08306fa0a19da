from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "openpractice.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Anyone files a complaint or their own grievance and follows it ("My work", 80-89); case workers of
        # either kind (patient: cases.view, staff: cases.staff) get the Cases section after Compliance (90-97).
        mine: Any = _("My work")
        section: Any = _("Cases")
        workers = frozenset({Perm.CASES_VIEW, Perm.CASES_STAFF})
        entries: list[tuple[int, Any, Any, str, str | frozenset[str] | None]] = [
            (89, mine, _("File a complaint or grievance"), "cases:case_file", None),
            (89, mine, _("My cases"), "cases:case_mine", None),
            (98, section, _("Cases"), "cases:case_list", workers),
            (98, section, _("Case reports"), "cases:report", workers),
            (98, section, _("Case categories"), "cases:category_list", workers),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))
