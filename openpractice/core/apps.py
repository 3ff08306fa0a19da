from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "openpractice.core"
    label = "core"
    verbose_name = "Practice"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm

        from . import lookups
        from .navigation import NavItem, register

        lookups.register()

        # Lazy strings, so the menu is translated per request, not once at start-up.
        section: Any = _("Practice")
        entries: list[tuple[int, Any, str]] = [
            (100, _("Practice settings"), "core:practice"),
            (110, _("Locations"), "core:location_list"),
            (120, _("Departments"), "core:department_list"),
        ]
        for order, label, url_name in entries:
            register(NavItem(order, section, label, url_name, Perm.PRACTICE_VIEW))
