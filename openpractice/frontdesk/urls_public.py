"""The practice's public contact form (no sign-in), mounted at /contact/ by config/urls.py."""

from django.urls import URLPattern, path

from . import views_public

app_name = "contact"

urlpatterns: list[URLPattern] = [
    path("", views_public.contact_form, name="form"),
]
