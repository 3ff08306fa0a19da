"""Asset and preventive-maintenance pages (included by facilities/urls.py, app_name "facilities"). The first word of
each name is its route kind (tests/test_routes.py): asset (Asset), assetdocument (AssetDocument), plan
(MaintenancePlan), all belonging to the asset's location; the reports (maintenance_*) take no object."""

from django.urls import URLPattern, path

from . import views_assets as views

urlpatterns: list[URLPattern] = [
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<int:pk>/status/", views.asset_status, name="asset_status"),
    path("assets/<int:pk>/meter/", views.asset_meter, name="asset_meter"),
    path("assets/<int:pk>/documents/new/", views.asset_document_add, name="asset_document_add"),
    path("assets/<int:pk>/label.pdf", views.asset_label, name="asset_label"),
    path("assets/documents/<int:pk>/", views.assetdocument_download, name="assetdocument_download"),
    path("maintenance/plans/", views.plan_list, name="plan_list"),
    path("maintenance/plans/new/", views.plan_create, name="plan_create"),
    path("maintenance/plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("maintenance/plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("maintenance/overdue/", views.maintenance_overdue, name="maintenance_overdue"),
    path("maintenance/costs/", views.maintenance_costs, name="maintenance_costs"),
]
