"""Case reports and category routes (namespace "cases"). The report and the category list: cases.view or
cases.staff; creating and editing a category: cases.manage or cases.staff, for the kinds worked everywhere."""

from django.urls import URLPattern, path

from . import views_admin

urlpatterns: list[URLPattern] = [
    path("reports/", views_admin.report, name="report"),
    path("categories/", views_admin.category_list, name="category_list"),
    path("categories/new/", views_admin.category_create, name="category_create"),
    path("categories/<int:pk>/edit/", views_admin.category_edit, name="category_edit"),
]
