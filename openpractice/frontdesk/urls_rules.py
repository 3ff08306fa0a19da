"""Front desk routes (rules); included by urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
