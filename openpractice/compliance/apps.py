from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "openpractice.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Lazy strings, so the menu is translated per request. Each person's part in "My work" (80-89), the
        # program after it (90-99), before the practice (100+).
        mine: Any = _("My work")
        section: Any = _("Compliance")
        entries: list[tuple[int, Any, Any, str, str | None]] = [
            (87, mine, _("My policies"), "compliance:policy_mine", None),
            (88, mine, _("Report an incident"), "compliance:incident_report", None),
            (89, mine, _("My incident reports"), "compliance:incident_mine", None),
            (90, section, _("Policies"), "compliance:policy_list", Perm.COMPLIANCE_VIEW),
            (91, section, _("Policy reviews due"), "compliance:policy_review_due", Perm.COMPLIANCE_VIEW),
            (92, section, _("Incidents"), "compliance:incident_list", Perm.COMPLIANCE_INCIDENTS),
            (93, section, _("Business associates"), "compliance:associate_list", Perm.COMPLIANCE_VIEW),
            (94, section, _("Disclosures"), "compliance:disclosure_list", Perm.COMPLIANCE_MANAGE),
            (95, section, _("Security risk assessment"), "compliance:sra_list", Perm.COMPLIANCE_VIEW),
            (96, section, _("Risk register"), "compliance:risk_list", Perm.COMPLIANCE_VIEW),
            (97, section, _("Access reviews"), "compliance:accessreview_list", Perm.COMPLIANCE_VIEW),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))
