from django.urls import path

from . import views, views_public, views_reminders, views_waitlist

app_name = "scheduling"

# The front office's schedule, under /schedule/.
urlpatterns = [
    path("", views.schedule_day, name="schedule_day"),
    path("sheet/", views.schedule_sheet, name="schedule_sheet"),
    path("week/", views.schedule_week, name="schedule_week"),
    path("book/", views.schedule_book, name="schedule_book"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/types/new/", views.type_create, name="type_create"),
    path("settings/rooms/new/", views.room_create, name="room_create"),
    path("settings/types/<int:pk>/edit/", views.type_edit, name="type_edit"),
    path("settings/types/<int:pk>/retire/", views.type_retire, name="type_retire"),
    path("settings/rooms/<int:pk>/edit/", views.room_edit, name="room_edit"),
    path("settings/rooms/<int:pk>/retire/", views.room_retire, name="room_retire"),
    path("referring/", views.referring_list, name="referring_list"),
    path("referring/new/", views.referring_create, name="referring_create"),
    path("referring/<int:pk>/edit/", views.referring_edit, name="referring_edit"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/new/", views.provider_create, name="provider_create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("providers/<int:pk>/hours/", views.provider_hours, name="provider_hours"),
    path("providers/<int:pk>/time-off/", views.provider_time_off_add, name="provider_time_off_add"),
    path("providers/<int:pk>/time-off/remove/", views.provider_time_off_remove, name="provider_time_off_remove"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/check-in/", views.appointment_checkin, name="appointment_checkin"),
    path("appointments/<int:pk>/check-out/", views.appointment_checkout, name="appointment_checkout"),
    path("appointments/<int:pk>/no-show/", views.appointment_noshow, name="appointment_noshow"),
    # Reminders and the waitlist (views_reminders, views_public, views_waitlist).
    path("reminders/", views_reminders.reminder_settings, name="reminder_settings"),
    path("reminder/<str:token>/", views_public.reminder_respond, name="reminder_respond"),  # public: signed link
    path("waitlist/", views_waitlist.waitlist_page, name="waitlist"),
    path("waitlist/new/", views_waitlist.waitlist_add, name="waitlist_add"),
    path("waitlist/<int:pk>/remove/", views_waitlist.waitlist_remove, name="waitlist_remove"),
    path("waitlist/<int:pk>/book/", views_waitlist.waitlist_book, name="waitlist_book"),
    path("appointments/<int:pk>/waitlist/", views_waitlist.appointment_waitlist, name="appointment_waitlist"),
]
