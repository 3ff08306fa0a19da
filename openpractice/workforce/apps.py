from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "openpractice.workforce"
    label = "workforce"
    verbose_name = "Workforce"

    def ready(self) -> None:
        # Menu entries are registered as each part of the module lands (see core.navigation).
        from openpractice.accounts.roles import Perm  # noqa: F401
