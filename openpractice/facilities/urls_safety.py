"""Safety logs and cleaning pages (included by facilities/urls.py, app_name "facilities"). The first word of each name
is its route kind (tests/test_routes.py): checkpoint (a SafetyCheckpoint), safetylog (a SafetyLogEntry; except
safetylog_record, whose <pk> is the checkpoint), cleaningschedule, cleaninginspection; the others take no object."""

from django.urls import URLPattern, path

from . import views_cleaning, views_safety

urlpatterns: list[URLPattern] = [
    # Checkpoints: what is checked and logged at each location.
    path("safety/checkpoints/", views_safety.checkpoint_list, name="checkpoint_list"),
    path("safety/checkpoints/new/", views_safety.checkpoint_create, name="checkpoint_create"),
    path("safety/checkpoints/<int:pk>/", views_safety.checkpoint_detail, name="checkpoint_detail"),
    path("safety/checkpoints/<int:pk>/edit/", views_safety.checkpoint_edit, name="checkpoint_edit"),
    path("safety/checkpoints/<int:pk>/record/", views_safety.safetylog_record, name="safetylog_record"),
    # The daily round, the entries, what is missing, the report.
    path("safety/today/", views_safety.safetylog_today, name="safetylog_today"),
    path("safety/entries/<int:pk>/", views_safety.safetylog_detail, name="safetylog_detail"),
    path("safety/entries/<int:pk>/correct/", views_safety.safetylog_correct, name="safetylog_correct"),
    path("safety/entries/<int:pk>/action/", views_safety.safetylog_action, name="safetylog_action"),
    path("safety/entries/<int:pk>/work-order/", views_safety.safetylog_workorder, name="safetylog_workorder"),
    path("safety/missing/", views_safety.safetylog_missing, name="safetylog_missing"),
    path("safety/report/", views_safety.safetylog_report, name="safetylog_report"),
    path("safety/report.pdf", views_safety.safetylog_report_pdf, name="safetylog_report_pdf"),
    # Cleaning: schedules and inspections.
    path("cleaning/", views_cleaning.cleaningschedule_list, name="cleaningschedule_list"),
    path("cleaning/new/", views_cleaning.cleaningschedule_create, name="cleaningschedule_create"),
    path("cleaning/<int:pk>/", views_cleaning.cleaningschedule_detail, name="cleaningschedule_detail"),
    path("cleaning/<int:pk>/edit/", views_cleaning.cleaningschedule_edit, name="cleaningschedule_edit"),
    path("cleaning/inspections/", views_cleaning.cleaninginspection_list, name="cleaninginspection_list"),
    path("cleaning/inspections/new/", views_cleaning.cleaninginspection_create, name="cleaninginspection_create"),
    path("cleaning/inspections/<int:pk>/", views_cleaning.cleaninginspection_detail,
         name="cleaninginspection_detail"),
    path("cleaning/inspections/<int:pk>/work-order/", views_cleaning.cleaninginspection_workorder,
         name="cleaninginspection_workorder"),
]
