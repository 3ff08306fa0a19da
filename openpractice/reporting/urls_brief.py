"""Routes of the reporting app: the operations brief (settings, history, one brief, its PDF, send now)."""

from django.urls import URLPattern, path

from . import views_brief

urlpatterns: list[URLPattern] = [
    path("brief/", views_brief.brief_list, name="brief_list"),
    path("brief/settings/", views_brief.brief_settings, name="brief_settings"),
    path("brief/send-now/", views_brief.brief_send_now, name="brief_send_now"),
    path("brief/<int:pk>/", views_brief.brief_detail, name="brief_detail"),
    path("brief/<int:pk>/pdf/", views_brief.brief_pdf, name="brief_pdf"),
]
