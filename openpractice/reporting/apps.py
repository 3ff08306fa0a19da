from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "openpractice.reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from openpractice.core.navigation import NavItem, register

        # First in the menu, in no section; every signed-in user has a home page.
        label: Any = _("Home")
        register(NavItem(0, "", label, "reporting:home", None))
