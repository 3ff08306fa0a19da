"""Billing routes for A/R aging, KPIs, payer performance, denials and underpayments."""

from django.urls import URLPattern, path

from .views import denials, receivables

urlpatterns: list[URLPattern] = [
    # A/R aging, its drill-downs, KPIs, payer performance, underpayments
    path("receivables/", receivables.receivables, name="receivables"),
    path("receivables/patients/", receivables.receivables_patients, name="receivables_patients"),
    path("receivables/claims/", receivables.receivables_claims, name="receivables_claims"),
    path("receivables/kpis/", receivables.receivables_kpis, name="receivables_kpis"),
    path("receivables/payer-performance/", receivables.receivables_payers, name="receivables_payers"),
    path("receivables/underpayments/", receivables.receivables_underpayments, name="receivables_underpayments"),
    # Denials worklist and actions
    path("denials/", denials.denial_list, name="denial_list"),
    path("denials/<int:pk>/", denials.denial_detail, name="denial_detail"),
    path("denials/<int:pk>/assign/", denials.denial_assign, name="denial_assign"),
    path("denials/<int:pk>/note/", denials.denial_note, name="denial_note"),
    path("denials/<int:pk>/appeal/", denials.denial_appeal, name="denial_appeal"),
    path("denials/<int:pk>/corrected/", denials.denial_corrected, name="denial_corrected"),
    path("denials/<int:pk>/close/", denials.denial_close, name="denial_close"),
]
