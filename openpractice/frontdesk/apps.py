from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    name = "openpractice.frontdesk"
    label = "frontdesk"
    verbose_name = "Front desk communications"
