"""Front desk routes (desk); included by urls.py: logging calls, messages to colleagues, callbacks, links from a
message, the staff directory and the report."""

from django.urls import URLPattern, path

from . import views_desk, views_directory, views_reports

urlpatterns: list[URLPattern] = [
    path("calls/new/", views_desk.call_log, name="call_log"),
    path("patients/pick/", views_desk.patient_pick, name="patient_pick"),
    path("internal/new/", views_desk.internal_new, name="internal_new"),
    path("callbacks/", views_desk.callback_mine, name="callback_mine"),
    path("callbacks/<int:pk>/done/", views_desk.callback_done, name="callback_done"),
    path("messages/<int:pk>/link/", views_desk.message_link, name="message_link"),
    path("messages/<int:pk>/callback/", views_desk.message_callback, name="message_callback"),
    path("messages/<int:pk>/open-case/", views_desk.message_case_open, name="message_case_open"),
    path("messages/<int:pk>/open-work-order/", views_desk.message_work_order_open, name="message_work_order_open"),
    path("directory/", views_directory.directory, name="directory"),
    path("directory/status/", views_directory.presence_set, name="presence_set"),
    path("directory/<int:pk>/edit/", views_directory.profile_edit, name="profile_edit"),
    path("reports/", views_reports.report, name="report"),
]
