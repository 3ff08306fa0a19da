from django.urls import path

from . import views

app_name = "scheduling"

# The front office's schedule, under /schedule/.
urlpatterns = [
    path("", views.schedule_day, name="schedule_day"),
    path("sheet/", views.schedule_sheet, name="schedule_sheet"),
    path("book/", views.schedule_book, name="schedule_book"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/types/new/", views.type_create, name="type_create"),
    path("settings/rooms/new/", views.room_create, name="room_create"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/new/", views.provider_create, name="provider_create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/check-in/", views.appointment_checkin, name="appointment_checkin"),
    path("appointments/<int:pk>/check-out/", views.appointment_checkout, name="appointment_checkout"),
    path("appointments/<int:pk>/no-show/", views.appointment_noshow, name="appointment_noshow"),
]
