"""Front desk routes (rules and queues); included by urls.py. All need frontdesk.configure; a rule or queue is
changed only by those who configure the front desk where it applies (practice-wide: at every location)."""

from django.urls import URLPattern, path

from . import views_rules

urlpatterns: list[URLPattern] = [
    path("rules/", views_rules.rule_list, name="rule_list"),
    path("rules/new/", views_rules.rule_create, name="rule_create"),
    path("rules/preview/", views_rules.rule_preview, name="rule_preview"),
    path("rules/<int:pk>/edit/", views_rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/move/", views_rules.rule_move, name="rule_move"),
    path("queues/", views_rules.queue_list, name="queue_list"),
    path("queues/new/", views_rules.queue_create, name="queue_create"),
    path("queues/<int:pk>/edit/", views_rules.queue_edit, name="queue_edit"),
]
