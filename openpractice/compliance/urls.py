"""Compliance URLs: one module per area, all under the `compliance` namespace."""

from __future__ import annotations

from . import urls_access_reviews, urls_associates, urls_disclosures, urls_incidents, urls_policies, urls_sra

app_name = "compliance"

urlpatterns = [
    *urls_policies.urlpatterns,
    *urls_incidents.urlpatterns,
    *urls_associates.urlpatterns,
    *urls_disclosures.urlpatterns,
    *urls_sra.urlpatterns,
    *urls_access_reviews.urlpatterns,
]
