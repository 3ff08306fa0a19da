from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "openpractice.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Lazy strings, so the menu is translated per request, not once at start-up.
        section: Any = _("Compliance")
        label: Any = _("Audit trail")
        register(NavItem(order=90, section=section, label=label, url_name="audit:event_list",
                         permission=Perm.AUDIT_VIEW))
