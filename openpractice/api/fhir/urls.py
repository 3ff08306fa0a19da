"""/fhir/r4/: the FHIR facade's routes, the bulk data `$export` ones (export.py) first."""

from django.urls import path, re_path

from . import export, views

app_name = "fhir"

TYPE = r"(?P<type_name>[A-Z][A-Za-z]{1,40})"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    # Bulk data (export.py), before the generic type routes.
    path("$export", export.export_kickoff, name="export"),
    path("Patient/$export", export.export_kickoff, name="patient_export"),
    path("$export-status/<int:export_id>", export.export_status, name="export_status"),
    path("$export-file/<int:file_id>", export.export_file, name="export_file"),
    re_path(rf"^{TYPE}/_search$", views.search_post, name="search"),
    re_path(rf"^{TYPE}/(?P<ident>[A-Za-z0-9\-.]{{1,64}})$", views.instance_endpoint, name="instance"),
    re_path(rf"^{TYPE}$", views.type_endpoint, name="type"),
]
