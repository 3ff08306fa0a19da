from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "openpractice.vendors"
    label = "vendors"
    verbose_name = "Vendors"
