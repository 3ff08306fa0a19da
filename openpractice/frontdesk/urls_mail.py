"""Front desk routes (mail); included by urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
