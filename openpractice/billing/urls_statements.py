"""Billing routes for patient statements: runs, PDFs, email."""

from django.urls import URLPattern, path

from .views import statements

urlpatterns: list[URLPattern] = [
    path("statements/", statements.statement_list, name="statement_list"),
    path("statements/runs/new/", statements.statement_run_create, name="statement_run_create"),
    path("statements/runs/preview/", statements.statement_run_preview, name="statement_run_preview"),
    path("statements/runs/<int:pk>/", statements.statement_run_detail, name="statement_run_detail"),
    path("statements/runs/<int:pk>/print.pdf", statements.statement_run_pdf, name="statement_run_pdf"),
    path("statements/runs/<int:pk>/email/", statements.statement_run_email, name="statement_run_email"),
    path("statements/<int:pk>/statement.pdf", statements.statement_pdf, name="statement_pdf"),
]
