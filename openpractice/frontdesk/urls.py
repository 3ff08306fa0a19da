"""Front desk routes. Each part of the app keeps its own urls_<part>.py; the names share the "frontdesk" namespace."""

from django.urls import URLPattern, URLResolver

from . import urls_desk, urls_mail, urls_queue, urls_rules

app_name = "frontdesk"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_queue.urlpatterns,
    *urls_rules.urlpatterns,
    *urls_mail.urlpatterns,
    *urls_desk.urlpatterns,
]
