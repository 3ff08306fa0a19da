"""Security risk assessment routes (namespace "compliance"). The first word of a name is the kind of object its
<pk> is (tests/test_routes.py): sra (SecurityRiskAssessment), risk (Risk), sraquestion (SraQuestion, list only)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import sra

urlpatterns: list[URLPattern] = [
    path("sra/", sra.sra_list, name="sra_list"),
    path("sra/new/", sra.sra_start, name="sra_start"),
    path("sra/questions/", sra.sraquestion_list, name="sraquestion_list"),
    path("sra/<int:pk>/", sra.sra_detail, name="sra_detail"),
    path("sra/<int:pk>/answer/", sra.sra_answer, name="sra_answer"),
    path("sra/<int:pk>/complete/", sra.sra_complete, name="sra_complete"),
    path("sra/<int:pk>/report.pdf", sra.sra_report, name="sra_report"),
    path("sra/<int:pk>/risks/new/", sra.sra_risk_new, name="sra_risk_new"),
    path("risks/", sra.risk_list, name="risk_list"),
    path("risks/new/", sra.risk_create, name="risk_create"),
    path("risks/<int:pk>/", sra.risk_detail, name="risk_detail"),
    path("risks/<int:pk>/edit/", sra.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/close/", sra.risk_close, name="risk_close"),
    path("risks/<int:pk>/reopen/", sra.risk_reopen, name="risk_reopen"),
]
