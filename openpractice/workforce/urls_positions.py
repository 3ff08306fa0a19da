"""Positions, the org chart, career paths and pay (under /workforce/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import pay, positions

urlpatterns: list[URLPattern] = [
    path("positions/", positions.position_list, name="position_list"),
    path("positions/new/", positions.position_create, name="position_create"),
    path("positions/org-chart/", positions.org_chart, name="org_chart"),
    path("positions/<int:pk>/", positions.position_detail, name="position_detail"),
    path("positions/<int:pk>/edit/", positions.position_edit, name="position_edit"),
    path("positions/<int:pk>/deactivate/", positions.position_deactivate, name="position_deactivate"),
    path("positions/<int:pk>/reactivate/", positions.position_reactivate, name="position_reactivate"),
    path("positions/<int:pk>/delete/", positions.position_delete, name="position_delete"),
    path("employees/<int:pk>/career/", positions.career_path, name="career_path"),
    path("employees/<int:pk>/pay/", pay.pay_history, name="pay_history"),
    path("pay/benchmarks/", pay.benchmark_list, name="benchmark_list"),
    path("pay/benchmarks/new/", pay.benchmark_create, name="benchmark_create"),
    path("pay/benchmarks/<int:pk>/edit/", pay.benchmark_edit, name="benchmark_edit"),
    path("pay/compa-ratio/", pay.compa_ratio_report, name="compa_ratio_report"),
]
