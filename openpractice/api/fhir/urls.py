"""/fhir/r4/: the FHIR facade's routes. `$export` lives in export_urls (bulk data)."""

from django.urls import path, re_path

from . import views

app_name = "fhir"

TYPE = r"(?P<type_name>[A-Z][A-Za-z]{1,40})"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(rf"^{TYPE}/_search$", views.search_post, name="search"),
    re_path(rf"^{TYPE}/(?P<ident>[A-Za-z0-9\-.]{{1,64}})$", views.instance_endpoint, name="instance"),
    re_path(rf"^{TYPE}$", views.type_endpoint, name="type"),
]
