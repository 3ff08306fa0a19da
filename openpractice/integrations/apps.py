from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """What connects the practice to other systems: webhook subscriptions and their deliveries, FHIR bulk
    exports, and the API's idempotency records. The interfaces (the REST API, the FHIR facade) live in `api`."""

    name = "openpractice.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # The domain apps announce events through core.events; webhooks listen here (the apps never import us).
        from . import receivers  # noqa: F401

        # In the practice's settings section, after core's entries (100-120) and People (130).
        section: Any = _("Practice")
        label: Any = _("Integrations")
        register(NavItem(140, section, label, "integrations:webhook_list", Perm.INTEGRATIONS_MANAGE))
