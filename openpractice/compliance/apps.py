from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "openpractice.compliance"
    label = "compliance"
    verbose_name = "Compliance"
