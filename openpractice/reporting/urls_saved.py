"""Routes of the reporting app: saved reports ("My reports")."""

from django.urls import URLPattern, path

from . import views_saved

urlpatterns: list[URLPattern] = [
    path("reports/saved/", views_saved.saved_report_list, name="saved_report_list"),
    path("reports/saved/new/", views_saved.saved_report_create, name="saved_report_create"),
    path("reports/saved/<int:pk>/delete/", views_saved.saved_report_delete, name="saved_report_delete"),
]
