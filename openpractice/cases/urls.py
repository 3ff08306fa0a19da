"""Case routes (namespace "cases"). Filing and "My cases" are open to everyone signed in; the list and the case
need cases.view (patient cases) or cases.staff (staff cases), the actions cases.manage or cases.staff, and the
selectors decide which cases."""

from django.urls import URLPattern, path

from . import urls_admin, views

app_name = "cases"

urlpatterns: list[URLPattern] = [
    path("", views.case_list, name="case_list"),
    path("file/", views.case_file, name="case_file"),
    path("grievance/", views.case_grievance, name="case_grievance"),
    path("mine/", views.case_mine, name="case_mine"),
    path("mine/<int:pk>/", views.case_mine_detail, name="case_mine_detail"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("<int:pk>/acknowledge/", views.case_acknowledge, name="case_acknowledge"),
    path("<int:pk>/note/", views.case_note, name="case_note"),
    path("<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("<int:pk>/links/", views.case_links, name="case_links"),
    path("<int:pk>/escalate/", views.case_escalate, name="case_escalate"),
    path("<int:pk>/resolve/", views.case_resolve, name="case_resolve"),
    path("<int:pk>/close/", views.case_close, name="case_close"),
    path("<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    path("<int:pk>/letters/new/", views.case_letter_create, name="case_letter_create"),
    path("letters/<int:pk>/pdf/", views.case_letter, name="case_letter"),
    *urls_admin.urlpatterns,
]
