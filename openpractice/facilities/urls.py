"""Facilities pages: assets and preventive maintenance, work orders (and the firms' links), cleaning and safety logs."""

from .urls_assets import urlpatterns as assets
from .urls_safety import urlpatterns as safety
from .urls_work_orders import urlpatterns as work_orders

app_name = "facilities"

urlpatterns = [*assets, *work_orders, *safety]
