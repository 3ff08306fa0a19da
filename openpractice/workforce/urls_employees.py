"""Employees (HR record, documents, termination, My profile) and onboarding/offboarding checklists."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import employees, onboarding

urlpatterns: list[URLPattern] = [
    path("employees/", employees.employee_list, name="employee_list"),
    path("employees/new/", employees.employee_create, name="employee_create"),
    path("employees/<int:pk>/", employees.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", employees.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/terminate/", employees.employee_terminate, name="employee_terminate"),
    path("employees/<int:pk>/reveal/<str:field>/", employees.employee_sensitive, name="employee_sensitive"),
    path("employees/<int:pk>/documents/", employees.document_upload, name="employee_document_upload"),
    path("employees/<int:pk>/checklists/", onboarding.checklist_start, name="checklist_start"),
    path("documents/<int:pk>/", employees.document_download, name="employee_document_download"),
    path("documents/<int:pk>/delete/", employees.document_delete, name="employee_document_delete"),
    path("me/", employees.my_profile, name="my_profile"),
    path("onboarding/", onboarding.checklist_list, name="checklist_list"),
    path("onboarding/<int:pk>/", onboarding.checklist_detail, name="checklist_detail"),
    path("onboarding/tasks/<int:pk>/", onboarding.task_status, name="checklist_task_status"),
    path("onboarding/templates/", onboarding.template_list, name="template_list"),
    path("onboarding/templates/new/", onboarding.template_create, name="template_create"),
    path("onboarding/templates/<int:pk>/", onboarding.template_detail, name="template_detail"),
    path("onboarding/templates/<int:pk>/toggle/", onboarding.template_toggle, name="template_toggle"),
    path("onboarding/template-items/<int:pk>/remove/", onboarding.template_item_remove,
         name="template_item_remove"),
]
