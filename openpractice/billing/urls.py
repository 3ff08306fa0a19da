"""Billing routes. Each view module belongs to one part of the billing workflow."""

from django.urls import include, path

from .views import acks, batches, charges, claims, codes, eligibility, fees, rules, settings, worklists

app_name = "billing"

urlpatterns = [
    # Worklists: held, rejected, near the timely-filing limit.
    path("", worklists.worklists, name="worklists"),
    # Charges
    path("charges/", charges.charge_list, name="charge_list"),
    path("charges/new/", charges.charge_create, name="charge_create"),
    path("charges/from-appointment/<int:appointment_id>/", charges.charge_create_for_appointment,
         name="charge_create_for_appointment"),
    path("charges/<int:pk>/", charges.charge_detail, name="charge_detail"),
    path("charges/<int:pk>/edit/", charges.charge_edit, name="charge_edit"),
    path("charges/<int:pk>/void/", charges.charge_void, name="charge_void"),
    path("charges/<int:pk>/claim/", charges.charge_build_claim, name="charge_build_claim"),
    # Claims
    path("claims/", claims.claim_list, name="claim_list"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/scrub/", claims.claim_scrub, name="claim_scrub"),
    path("claims/<int:pk>/status/", claims.claim_change_status, name="claim_change_status"),
    path("claims/<int:pk>/rebuild/", claims.claim_rebuild, name="claim_rebuild"),
    path("claims/<int:pk>/correct/", claims.claim_correct, name="claim_correct"),
    path("claims/<int:pk>/void/", claims.claim_void, name="claim_void"),
    path("claims/<int:pk>/secondary/", claims.claim_build_secondary, name="claim_build_secondary"),
    path("claims/<int:pk>/prior-payment/", claims.claim_prior_payment, name="claim_prior_payment"),
    # Batches (837P out)
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/new/", batches.batch_create, name="batch_create"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/download/", batches.batch_download, name="batch_download"),
    path("batches/<int:pk>/submit/", batches.batch_submit, name="batch_submit"),
    path("batches/<int:pk>/discard/", batches.batch_discard, name="batch_discard"),
    # Acknowledgements in (999, 277CA) and eligibility (270 out, 271 in)
    path("acknowledgements/", acks.ack_list, name="ack_list"),
    path("acknowledgements/import/", acks.ack_import, name="ack_import"),
    path("eligibility/coverage/<int:coverage_id>/270/", eligibility.eligibility_request, name="eligibility_request"),
    path("eligibility/import/", eligibility.eligibility_import, name="eligibility_import"),
    # Fee schedules
    path("fee-schedules/", fees.fee_schedule_list, name="fee_schedule_list"),
    path("fee-schedules/new/", fees.fee_schedule_create, name="fee_schedule_create"),
    path("fee-schedules/<int:pk>/", fees.fee_schedule_detail, name="fee_schedule_detail"),
    path("fee-schedules/<int:pk>/edit/", fees.fee_schedule_edit, name="fee_schedule_edit"),
    path("fee-schedules/<int:pk>/import/", fees.fee_schedule_import, name="fee_schedule_import"),
    # Code sets
    path("codes/", codes.code_sets, name="codes"),
    path("codes/procedures/import/", codes.procedure_import, name="procedure_import"),
    path("codes/icd10/lookup/", codes.icd10_lookup, name="icd10_lookup"),
    # Scrubber rules
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    # Settings
    path("settings/", settings.billing_settings, name="settings"),
    # Receivables: 835 remittances and posting; patient payments; statements; A/R, KPIs and denials.
    path("", include("openpractice.billing.urls_remittance")),
    path("", include("openpractice.billing.urls_payments")),
    path("", include("openpractice.billing.urls_statements")),
    path("", include("openpractice.billing.urls_receivables")),
]
