"""Routes of the reporting app: practice finances (budget against actual) and the budget editor."""

from django.urls import URLPattern, path

from . import views_finance

urlpatterns: list[URLPattern] = [
    path("finances/", views_finance.finances, name="finances"),
    path("finances/budget/", views_finance.budget_edit, name="budget_edit"),
]
