"""Incident routes (namespace "compliance"). Reporting is open to everyone signed in; the rest needs
compliance.incidents where the incident is."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import incidents

urlpatterns: list[URLPattern] = [
    path("incidents/report/", incidents.incident_report, name="incident_report"),
    path("incidents/mine/", incidents.incident_mine, name="incident_mine"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit/", incidents.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/counts/", incidents.incident_counts, name="incident_counts"),
    path("incidents/<int:pk>/assess/", incidents.incident_assess, name="incident_assess"),
    path("incidents/<int:pk>/determine/", incidents.incident_determine, name="incident_determine"),
    path("incidents/<int:pk>/close/", incidents.incident_close, name="incident_close"),
    path("incidents/<int:pk>/affected/", incidents.incident_affected, name="incident_affected"),
    path("incidents/<int:pk>/affected/from-audit/", incidents.incident_affected_from_audit,
         name="incident_affected_from_audit"),
    path("incidents/<int:pk>/affected/add/", incidents.incident_affected_add, name="incident_affected_add"),
    path("incidents/<int:pk>/letter.pdf", incidents.incident_letter, name="incident_letter"),
    path("incidents/<int:pk>/sanction/", incidents.incident_sanction, name="incident_sanction"),
    path("incidents/affected/<int:pk>/letter.pdf", incidents.affected_letter, name="affected_letter"),
    path("incidents/deadlines/<int:pk>/done/", incidents.deadline_done, name="deadline_done"),
]
