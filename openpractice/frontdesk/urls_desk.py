"""Front desk routes (desk); included by urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
