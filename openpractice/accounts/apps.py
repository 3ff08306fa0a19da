from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openpractice.accounts"
    label = "accounts"
    verbose_name = "People and access"
