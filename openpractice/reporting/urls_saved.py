"""Routes of the reporting app: saved."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
