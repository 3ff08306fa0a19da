from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "openpractice.scheduling"
    label = "scheduling"
    verbose_name = "Providers and scheduling"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        section: Any = _("Front office")
        register(NavItem(20, section, _("Schedule"), "scheduling:schedule_day", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(30, section, _("Providers"), "scheduling:provider_list", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(35, section, _("Scheduling settings"), "scheduling:settings", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
