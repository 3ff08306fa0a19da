"""Test URLconf: the project's, with the access review routes in the compliance namespace (until the lead adds
urls_access_reviews to compliance/urls.py; harmless after). The first "compliance" namespace listed wins."""

from __future__ import annotations

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from openpractice.compliance import urls as compliance_urls
from openpractice.compliance import urls_access_reviews

urlpatterns = [
    path("compliance/", include(([*urls_access_reviews.urlpatterns, *compliance_urls.urlpatterns], "compliance"))),
    *project_urlpatterns,
]
