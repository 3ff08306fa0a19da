"""Workforce URLs: one module per area, all under the `workforce` namespace."""

from __future__ import annotations

from . import urls_credentials, urls_employees, urls_positions, urls_reports, urls_time, urls_training

app_name = "workforce"

urlpatterns = [
    *urls_positions.urlpatterns,
    *urls_employees.urlpatterns,
    *urls_credentials.urlpatterns,
    *urls_training.urlpatterns,
    *urls_time.urlpatterns,
    *urls_reports.urlpatterns,
]
