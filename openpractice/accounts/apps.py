from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "openpractice.accounts"
    label = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        from openpractice.core.navigation import NavItem, register

        from .roles import Perm

        # Lazy strings, so the menu is translated per request. "People" follows core's Practice entries
        # (100-120); the Outbox is shown in demo mode only, in its own section at the end.
        practice: Any = _("Practice")
        people: Any = _("People")
        demo: Any = _("Demo")
        outbox: Any = _("Outbox")
        register(NavItem(130, practice, people, "accounts:user_list", Perm.USERS_VIEW))
        register(NavItem(900, demo, outbox, "accounts:outbox", Perm.OUTBOX_VIEW, demo_only=True))
