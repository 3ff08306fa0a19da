"""Routes of the reporting app: calendar."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
