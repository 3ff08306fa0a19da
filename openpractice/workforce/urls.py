"""Workforce URLs: one module per area, all under the `workforce` namespace."""

from __future__ import annotations

from . import (
    urls_credentials,
    urls_development,
    urls_employees,
    urls_hiring,
    urls_interviews,
    urls_offers,
    urls_positions,
    urls_reports,
    urls_time,
    urls_training,
)

app_name = "workforce"

urlpatterns = [
    *urls_positions.urlpatterns,
    *urls_employees.urlpatterns,
    *urls_credentials.urlpatterns,
    *urls_training.urlpatterns,
    *urls_time.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_hiring.urlpatterns,
    *urls_interviews.urlpatterns,
    *urls_offers.urlpatterns,
    *urls_development.urlpatterns,
]
