"""Billing routes for patient payments, refunds, write-offs, payment plans and the patient's account."""

from django.urls import URLPattern, path

from .views import payments

urlpatterns: list[URLPattern] = [
    path("payments/", payments.payment_list, name="payment_list"),
    path("payments/<int:pk>/", payments.payment_detail, name="payment_detail"),
    path("patients/<int:patient_id>/account/", payments.patient_account, name="patient_account"),
    path("patients/<int:patient_id>/payments/new/", payments.patient_payment_create, name="patient_payment_create"),
    path("patients/<int:patient_id>/refunds/new/", payments.patient_refund_create, name="patient_refund_create"),
    path("patients/<int:patient_id>/write-offs/new/", payments.patient_writeoff_create,
         name="patient_writeoff_create"),
    path("patients/<int:patient_id>/payment-plan/", payments.patient_plan_create, name="patient_plan_create"),
    path("patients/<int:patient_id>/payment-plan/end/", payments.patient_plan_end, name="patient_plan_end"),
    path("write-offs/", payments.writeoff_pending, name="writeoff_pending"),
    path("write-offs/<int:pk>/decide/", payments.writeoff_decide, name="writeoff_decide"),
]
