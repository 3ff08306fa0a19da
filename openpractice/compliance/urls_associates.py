"""Business associate routes (namespace "compliance"). The first word of a name is the kind of object its <pk> is
(tests/test_routes.py): associate (BusinessAssociate), agreement (BusinessAssociateAgreement)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import associates

urlpatterns: list[URLPattern] = [
    path("associates/", associates.associate_list, name="associate_list"),
    path("associates/new/", associates.associate_create, name="associate_create"),
    path("associates/<int:pk>/", associates.associate_detail, name="associate_detail"),
    path("associates/<int:pk>/edit/", associates.associate_edit, name="associate_edit"),
    path("associates/<int:pk>/agreements/new/", associates.associate_agreement_new, name="associate_agreement_new"),
    path("associates/agreements/<int:pk>/", associates.agreement_detail, name="agreement_detail"),
    path("associates/agreements/<int:pk>/edit/", associates.agreement_edit, name="agreement_edit"),
    path("associates/agreements/<int:pk>/activate/", associates.agreement_activate, name="agreement_activate"),
    path("associates/agreements/<int:pk>/terminate/", associates.agreement_terminate, name="agreement_terminate"),
    path("associates/agreements/<int:pk>/upload/", associates.agreement_upload, name="agreement_upload"),
    path("associates/agreements/<int:pk>/document/", associates.agreement_document, name="agreement_document"),
]
