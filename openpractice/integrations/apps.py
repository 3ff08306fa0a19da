from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What connects the practice to other systems: webhook subscriptions and their deliveries, FHIR bulk
    exports, and the API's idempotency records. The interfaces (the REST API, the FHIR facade) live in `api`."""

    name = "openpractice.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # The domain apps announce events through core.events; webhooks listen here (the apps never import us).
        from . import receivers  # noqa: F401
