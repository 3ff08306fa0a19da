"""Billing routes for 835 remittances: upload, imports, remittances, exceptions queue."""

from django.urls import URLPattern, path

from .views import remittances

urlpatterns: list[URLPattern] = [
    path("remittances/", remittances.remittance_list, name="remittance_list"),
    path("remittances/<int:pk>/", remittances.remittance_detail, name="remittance_detail"),
    path("remittances/import/", remittances.remittance_upload, name="remittance_upload"),
    path("remittances/imports/", remittances.remittance_import_list, name="remittance_import_list"),
    path("remittances/imports/<int:pk>/", remittances.remittance_import_detail, name="remittance_import_detail"),
    path("remittances/exceptions/", remittances.remittance_exceptions, name="remittance_exceptions"),
    path("remittances/exceptions/<int:pk>/match/", remittances.remittance_claim_resolve,
         name="remittance_claim_resolve"),
    path("remittances/exceptions/<int:pk>/dismiss/", remittances.remittance_claim_dismiss,
         name="remittance_claim_dismiss"),
]
