"""Routes of the reporting app: the compliance calendar, the person's feed and digest settings, and the feed."""

from django.urls import URLPattern, path

from . import views_calendar as views

urlpatterns: list[URLPattern] = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/new/", views.calendar_feed_create, name="calendar_feed_create"),
    path("calendar/feed/stop/", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("calendar/digest/", views.calendar_digest, name="calendar_digest"),
    # The secret feed address (no session): see views_calendar.calendar_feed.
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
