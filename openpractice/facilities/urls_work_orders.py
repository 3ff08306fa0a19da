"""Work order routes (namespace "facilities"). The first word of a name is the kind of object its <pk> is
(tests/test_routes.py): workorder (WorkOrder, at a location), except facilities:workorder_photo, whose <pk> is a
WorkOrderPhoto (route_samples_work_orders.KIND_OF_ROUTE). The firm's pages (vendorlink_*) take no sign-in: the
signed token in the URL is the key (services.vendor_links)."""

from django.urls import URLPattern, path

from . import views_vendor_link, views_work_order_reports, views_work_orders

urlpatterns: list[URLPattern] = [
    path("work-orders/", views_work_orders.workorder_list, name="workorder_list"),
    path("work-orders/report/", views_work_orders.workorder_report, name="workorder_report"),
    path("work-orders/mine/", views_work_orders.workorder_mine, name="workorder_mine"),
    path("work-orders/reports/downtime/", views_work_order_reports.downtime_report, name="downtime_report"),
    path("work-orders/reports/vendor-response/", views_work_order_reports.vendorresponse_report,
         name="vendorresponse_report"),
    path("work-orders/<int:pk>/", views_work_orders.workorder_detail, name="workorder_detail"),
    path("work-orders/<int:pk>/triage/", views_work_orders.workorder_triage, name="workorder_triage"),
    path("work-orders/<int:pk>/assign/", views_work_orders.workorder_assign, name="workorder_assign"),
    path("work-orders/<int:pk>/dispatch/", views_work_orders.workorder_dispatch, name="workorder_dispatch"),
    path("work-orders/<int:pk>/revoke-link/", views_work_orders.workorder_revoke_link, name="workorder_revoke_link"),
    path("work-orders/<int:pk>/status/", views_work_orders.workorder_status, name="workorder_status"),
    path("work-orders/<int:pk>/note/", views_work_orders.workorder_note, name="workorder_note"),
    path("work-orders/<int:pk>/cost/", views_work_orders.workorder_cost, name="workorder_cost"),
    path("work-orders/<int:pk>/photos/new/", views_work_orders.workorder_photo_add, name="workorder_photo_add"),
    path("work-orders/<int:pk>/checklist/", views_work_orders.workorder_checklist, name="workorder_checklist"),
    path("work-orders/<int:pk>/verify/", views_work_orders.workorder_verify, name="workorder_verify"),
    path("work-orders/photos/<int:pk>/", views_work_orders.workorder_photo, name="workorder_photo"),
    # public: the signed link emailed to the firm
    path("firm/<str:token>/", views_vendor_link.vendorlink_page, name="vendorlink_page"),
    path("firm/<str:token>/photos/<int:pk>/", views_vendor_link.vendorlink_photo, name="vendorlink_photo"),
]
