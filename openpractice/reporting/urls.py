"""Reporting routes: the home page, then one module per part (dashboards, calendar, finances, brief, saved
reports), all in the "reporting" namespace."""

from django.urls import path

from . import urls_brief, urls_calendar, urls_dashboards, urls_finance, urls_saved, views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    *urls_dashboards.urlpatterns,
    *urls_calendar.urlpatterns,
    *urls_finance.urlpatterns,
    *urls_brief.urlpatterns,
    *urls_saved.urlpatterns,
]
