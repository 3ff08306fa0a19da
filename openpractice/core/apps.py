from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openpractice.core"
    label = "core"
    verbose_name = "Practice"
