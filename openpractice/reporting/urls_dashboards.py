"""Routes of the reporting app: the role dashboards and the KPI targets."""

from django.urls import URLPattern, path

from . import views_dashboards as views

urlpatterns: list[URLPattern] = [
    path("dashboards/", views.dashboards, name="dashboards"),
    path("dashboards/practice/", views.dashboard_practice, name="dashboard_practice"),
    path("dashboards/office/", views.dashboard_office, name="dashboard_office"),
    path("dashboards/billing/", views.dashboard_billing, name="dashboard_billing"),
    path("dashboards/hr/", views.dashboard_hr, name="dashboard_hr"),
    path("dashboards/privacy/", views.dashboard_privacy, name="dashboard_privacy"),
    path("dashboards/targets/", views.kpi_targets_page, name="kpi_targets"),
]
