from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "openpractice.inventory"
    label = "inventory"
    verbose_name = "Inventory and purchasing"
