"""Routes of the reporting app: finance."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
