"""Development plans (under /workforce/development/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import development

urlpatterns: list[URLPattern] = [
    path("development/", development.devplan_list, name="devplan_list"),
    path("development/employees/<int:pk>/new/", development.devplan_create, name="devplan_create"),
    path("development/<int:pk>/", development.devplan_detail, name="devplan_detail"),
    path("development/<int:pk>/edit/", development.devplan_edit, name="devplan_edit"),
    path("development/<int:pk>/complete/", development.devplan_complete, name="devplan_complete"),
    path("development/<int:pk>/cancel/", development.devplan_cancel, name="devplan_cancel"),
    path("development/<int:pk>/steps/", development.devplan_item_add, name="devplan_item_add"),
    path("development/steps/<int:pk>/edit/", development.devplanitem_edit, name="devplanitem_edit"),
    path("development/steps/<int:pk>/remove/", development.devplanitem_remove, name="devplanitem_remove"),
    path("development/steps/<int:pk>/done/", development.devplanitem_done, name="devplanitem_done"),
]
