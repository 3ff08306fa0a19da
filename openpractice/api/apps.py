from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openpractice.api"
    label = "api"
    verbose_name = "REST API"
