from __future__ import annotations

from django.urls import URLPattern, path

from .views import credentials as views

urlpatterns: list[URLPattern] = [
    path("credentials/", views.credential_expiring, name="credential_expiring"),
    path("credentials/catalog/", views.credential_type_list, name="credential_type_list"),
    path("credentials/catalog/new/", views.credential_type_create, name="credential_type_create"),
    path("credentials/catalog/<int:pk>/edit/", views.credential_type_edit, name="credential_type_edit"),
    path("credentials/mine/", views.my_credentials, name="my_credentials"),
    path("employees/<int:employee_pk>/credentials/", views.employee_credentials, name="employee_credentials"),
    path("employees/<int:employee_pk>/credentials/new/", views.credential_add, name="credential_add"),
    path("credentials/<int:pk>/", views.credential_detail, name="credential_detail"),
    path("credentials/<int:pk>/edit/", views.credential_edit, name="credential_edit"),
    path("credentials/<int:pk>/verify/", views.credential_verify, name="credential_verify"),
    path("credentials/<int:pk>/renew/", views.credential_renew, name="credential_renew"),
    path("credentials/<int:pk>/evidence/", views.credential_evidence, name="credential_evidence"),
]
