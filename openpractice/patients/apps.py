from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "openpractice.patients"
    label = "patients"
    verbose_name = "Patients and insurance"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Lazy strings, so the menu is translated per request.
        section: Any = _("Front office")
        patients: Any = _("Patients")
        payers: Any = _("Payers")
        register(NavItem(10, section, patients, "patients:patient_list", Perm.PATIENTS_DEMOGRAPHICS))
        register(NavItem(37, section, payers, "patients:payer_list", Perm.PAYERS_VIEW))
