"""Catalogue and stock pages (included by inventory/urls.py, app_name "inventory"). The first word of each name is
its route kind (tests/test_routes.py): item (practice-wide), place, stock (a StockLevel row), stockcount (a
CycleCount); the other kinds take no object."""

from django.urls import path

from . import views_catalog, views_stock, views_stock_counts

urlpatterns = [
    # The catalogue (practice-wide).
    path("items/", views_catalog.item_list, name="item_list"),
    path("items/new/", views_catalog.item_create, name="item_create"),
    path("items/<int:pk>/", views_catalog.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views_catalog.item_edit, name="item_edit"),
    path("items/<int:pk>/packagings/new/", views_catalog.item_packaging_add, name="item_packaging_add"),
    path("items/<int:pk>/prices/new/", views_catalog.item_price_add, name="item_price_add"),
    path("items/import/", views_catalog.catalogue_import, name="catalogue_import"),
    path("items/import/template.csv", views_catalog.catalogue_template, name="catalogue_template"),
    # Storage places per location.
    path("places/", views_stock.place_list, name="place_list"),
    path("places/new/", views_stock.place_create, name="place_create"),
    path("places/<int:pk>/edit/", views_stock.place_edit, name="place_edit"),
    # Stock on hand and what is done with it.
    path("stock/", views_stock.stock_list, name="stock_list"),
    path("stock/add/", views_stock.stock_add, name="stock_add"),
    path("stock/<int:pk>/use/", views_stock.stock_consume, name="stock_consume"),
    path("stock/<int:pk>/move/", views_stock.stock_transfer, name="stock_transfer"),
    path("stock/<int:pk>/remove/", views_stock.stock_remove, name="stock_remove"),
    path("stock/movements/", views_stock.movement_list, name="movement_list"),
    path("stock/expiring/", views_stock.expiring_list, name="expiring_list"),
    path("stock/below-par/", views_stock.belowpar_list, name="belowpar_list"),
    path("stock/suggested-orders/", views_stock.suggested_list, name="suggested_list"),
    path("stock/suggested-orders/requisition/", views_stock.suggested_requisition, name="suggested_requisition"),
    path("stock/par-levels/", views_stock.par_list, name="par_list"),
    path("stock/par-levels/set/", views_stock.par_edit, name="par_edit"),
    # Cycle counts.
    path("stock/counts/", views_stock_counts.stockcount_list, name="stockcount_list"),
    path("stock/counts/start/", views_stock_counts.stockcount_start, name="stockcount_start"),
    path("stock/counts/<int:pk>/", views_stock_counts.stockcount_detail, name="stockcount_detail"),
    path("stock/counts/<int:pk>/record/", views_stock_counts.stockcount_record, name="stockcount_record"),
    path("stock/counts/<int:pk>/submit/", views_stock_counts.stockcount_submit, name="stockcount_submit"),
    path("stock/counts/<int:pk>/approve/", views_stock_counts.stockcount_approve, name="stockcount_approve"),
    # Samples left by sales representatives.
    path("stock/samples/receive/", views_stock_counts.sample_receive, name="sample_receive"),
]
