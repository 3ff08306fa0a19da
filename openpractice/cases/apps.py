
from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "openpractice.cases"
    label = "cases"
    verbose_name = "Cases"
