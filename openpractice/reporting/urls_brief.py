"""Routes of the reporting app: brief."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
