"""Inventory pages: the catalogue and stock (urls_stock) and purchasing, quotes and spend (urls_purchasing)."""

from .urls_purchasing import urlpatterns as purchasing
from .urls_stock import urlpatterns as stock

app_name = "inventory"

urlpatterns = [*stock, *purchasing]
