"""Vendor routes (namespace "vendors"). The first word of a name is the kind of object its <pk> is
(tests/test_routes.py): vendor (Vendor), vendorcontact (VendorContact), contract (Contract), negotiation
(Negotiation), repvisit (RepVisit). Vendors, contacts, contracts and negotiations are practice-wide; rep visits
belong to a location."""

from django.urls import URLPattern, path

from . import views, views_contracts, views_visits

app_name = "vendors"

urlpatterns: list[URLPattern] = [
    path("", views.vendor_list, name="vendor_list"),
    path("new/", views.vendor_create, name="vendor_create"),
    path("categories/", views.vendor_categories, name="vendor_categories"),
    path("categories/new/", views.vendor_category_create, name="vendor_category_create"),
    path("<int:pk>/", views.vendor_detail, name="vendor_detail"),
    path("<int:pk>/edit/", views.vendor_edit, name="vendor_edit"),
    path("<int:pk>/tax-id/", views.vendor_taxid, name="vendor_taxid"),
    path("<int:pk>/contacts/new/", views.vendor_contact_add, name="vendor_contact_add"),
    path("contacts/<int:pk>/edit/", views.vendorcontact_edit, name="vendorcontact_edit"),
    path("contracts/", views_contracts.contract_list, name="contract_list"),
    path("contracts/decisions/", views_contracts.contract_decisions, name="contract_decisions"),
    path("contracts/new/", views_contracts.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views_contracts.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views_contracts.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/document/", views_contracts.contract_document, name="contract_document"),
    path("negotiations/", views_contracts.negotiation_list, name="negotiation_list"),
    path("negotiations/new/", views_contracts.negotiation_create, name="negotiation_create"),
    path("negotiations/<int:pk>/", views_contracts.negotiation_detail, name="negotiation_detail"),
    path("rep-visits/", views_visits.repvisit_list, name="repvisit_list"),
    path("rep-visits/new/", views_visits.repvisit_create, name="repvisit_create"),
    path("rep-visits/<int:pk>/", views_visits.repvisit_detail, name="repvisit_detail"),
    path("rep-policy/", views_visits.reppolicy, name="reppolicy"),
    path("rep-policy/edit/", views_visits.reppolicy_edit, name="reppolicy_edit"),
]
