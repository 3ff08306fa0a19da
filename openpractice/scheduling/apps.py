from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "openpractice.scheduling"
    label = "scheduling"
    verbose_name = "Providers and scheduling"
