"""Front desk routes (queue); included by urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
