"""Accounting of disclosures (namespace "compliance"): compliance.manage with the patient in scope. URL names start
with the kind of object their <pk> is: disclosure_* take a Disclosure, patient_* take a Patient."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import disclosures

urlpatterns: list[URLPattern] = [
    path("disclosures/", disclosures.disclosure_list, name="disclosure_list"),
    path("disclosures/new/", disclosures.disclosure_new, name="disclosure_new"),
    path("disclosures/<int:pk>/", disclosures.disclosure_detail, name="disclosure_detail"),
    path("disclosures/<int:pk>/edit/", disclosures.disclosure_edit, name="disclosure_edit"),
    path("disclosures/patients/<int:pk>/", disclosures.patient_disclosures, name="patient_disclosures"),
    path("disclosures/patients/<int:pk>/new/", disclosures.patient_disclosure_new, name="patient_disclosure_new"),
    path("disclosures/patients/<int:pk>/accounting.pdf", disclosures.patient_disclosure_accounting,
         name="patient_disclosure_accounting"),
]
