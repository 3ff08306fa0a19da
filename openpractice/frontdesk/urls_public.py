"""The practice's public contact form (no sign-in), mounted at /contact/ by config/urls.py."""

from django.urls import URLPattern

app_name = "contact"

urlpatterns: list[URLPattern] = []
