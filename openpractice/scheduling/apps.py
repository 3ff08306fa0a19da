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
        register(NavItem(21, section, _("Week"), "scheduling:schedule_week", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(25, section, _("Waitlist"), "scheduling:waitlist", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(30, section, _("Providers"), "scheduling:provider_list", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(31, section, _("Referring providers"), "scheduling:referring_list", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(35, section, _("Scheduling settings"), "scheduling:settings", Perm.SCHEDULE_VIEW))  # type: ignore[arg-type]
        register(NavItem(36, section, _("Reminders"), "scheduling:reminder_settings", Perm.SCHEDULE_MANAGE))  # type: ignore[arg-type]

        # The one cross-app hook: patients announces a merge (it may not import scheduling); this moves the
        # duplicate's appointments inside the same transaction. dispatch_uid keeps it connected once.
        from openpractice.patients.services import patient_merged

        patient_merged.connect(_move_appointments_on_merge, dispatch_uid="scheduling.move_appointments_on_merge")


def _move_appointments_on_merge(sender: Any, *, survivor: Any, duplicate: Any, actor: Any, **kwargs: Any) -> None:
    from .services import appointments_move_to_survivor

    appointments_move_to_survivor(actor=actor, survivor=survivor, duplicate=duplicate)
