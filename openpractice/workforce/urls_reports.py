from __future__ import annotations

from django.urls import path

from .views import reports

urlpatterns = [
    path("reports/", reports.workforce_reports, name="workforce_reports"),
]
