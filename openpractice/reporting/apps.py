from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "openpractice.reporting"
    label = "reporting"
    verbose_name = "Reporting"
