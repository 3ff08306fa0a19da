"""The REST API at /api/v1/: django-ninja, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Callers authenticate with a personal API token (`Authorization: Bearer ...`) or a signed-in browser session
(CSRF on unsafe methods, MFA done where it applies). Every operation checks the same permission table as the UI;
out of role or out of location scope answers 404, and the denial is audited. Errors are always JSON.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI

from . import errors
from .auth import BearerTokenAuth, SessionMFAAuth, docs_require_sign_in
from .routers import (
    acknowledgements,
    appointment_types,
    appointments,
    assets,
    audit,
    budgets,
    business_associates,
    calendar,
    cases,
    charges,
    claim_batches,
    claims,
    contracts,
    coverages,
    credentials,
    cycle_counts,
    denials,
    disclosures,
    employees,
    fee_schedules,
    hiring,
    incidents,
    items,
    kpis,
    locations,
    maintenance_plans,
    me,
    messages,
    patients,
    pay_periods,
    payers,
    payment_plans,
    payments,
    policies,
    positions,
    practice,
    provider_templates,
    providers,
    pto_requests,
    purchase_orders,
    queues,
    referring_providers,
    refunds,
    remittances,
    rep_visits,
    risks,
    rooms,
    routing_rules,
    safety_logs,
    statements,
    stock,
    stock_movements,
    storage_places,
    supply_requisitions,
    time_off,
    timesheets,
    trainings,
    users,
    vendors,
    waitlist,
    work_orders,
    write_offs,
)
from .throttling import TokenRateThrottle

DESCRIPTION = """\
The OpenPractice REST API. The same permissions as the web interface apply: you see only what your roles allow,
at the locations they cover. Something you may not see answers 404, exactly like something that does not exist.

**Authentication.** Create a personal API token under *Profile → API tokens* and send it as
`Authorization: Bearer <token>`. From a signed-in browser session the API also works; unsafe methods then need
the `X-CSRFToken` header.

**Errors** are JSON: `{"code": "...", "message": "..."}`; validation errors (422) add an `errors` list.

**Lists** take `limit` (at most 200) and `offset`, and answer `{"items": [...], "count": n}`.

**Idempotency-Key.** Every POST that moves money or stock (charges, payments, 835 imports, stock movements and
uses, purchase-order receipts and invoices, rep-visit samples, cycle-count approvals, write-offs and their
approval, refunds, payment plans) requires an
`Idempotency-Key` header: a key you choose per operation (e.g. a UUID; printable, at most 80 characters; keys are
per user and kept 24 hours). Retrying with
the same key and body does nothing twice and answers what the first call answered (generic operations: same status
and body plus `Idempotent-Replayed: true`; /payments and /stock-movements: 200 with the first result). The same key
with another body or path answers 409 `idempotency_key_reused`; while the first call is still running, 409
`idempotency_in_progress`; without the header, 400 `idempotency_key_required`. A call that failed on our side (5xx)
keeps nothing: retry it with the same key.

**Rate limits** are per API token (per user for browser sessions): by default 600 calls a minute, of which at most
120 writes (POST, PUT, PATCH, DELETE); the server's operator may set other limits. Over a limit the API answers 429
`throttled` with a `Retry-After` header (seconds).
"""


class OpenPracticeAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        errors.declare_input_errors(document)
        return document

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = errors.json_fallbacks(pattern.callback)
        # Anything else under /api/v1/ is a JSON 404, not the HTML error page.
        return [*patterns, re_path(r"^.*$", errors.not_found, name="not-found")]


def build_api() -> OpenPracticeAPI:
    built = OpenPracticeAPI(
        title="OpenPractice API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api-v1",
        auth=[BearerTokenAuth(), SessionMFAAuth()],
        throttle=TokenRateThrottle(),
        docs_decorator=docs_require_sign_in,
    )
    errors.install(built)
    built.add_router("/me", me.router)
    built.add_router("/practice", practice.router)
    built.add_router("/locations", locations.router)
    built.add_router("/users", users.router)
    built.add_router("/audit-events", audit.router)
    built.add_router("/providers", providers.router)
    built.add_router("/appointments", appointments.router)
    built.add_router("/patients", patients.router)
    built.add_router("/coverages", coverages.router)
    built.add_router("/payers", payers.router)
    built.add_router("/fee-schedules", fee_schedules.router)
    built.add_router("/charges", charges.router)
    built.add_router("/claims", claims.router)
    built.add_router("/remittances", remittances.router)
    built.add_router("/payments", payments.router)
    built.add_router("/positions", positions.router)
    built.add_router("/employees", employees.router)
    built.add_router("/credentials", credentials.router)
    built.add_router("/trainings", trainings.router)
    built.add_router("/timesheets", timesheets.router)
    built.add_router("/policies", policies.router)
    built.add_router("/acknowledgements", acknowledgements.router)
    built.add_router("/incidents", incidents.router)
    built.add_router("/disclosures", disclosures.router)
    built.add_router("/cases", cases.router)
    built.add_router("/risks", risks.router)
    built.add_router("/vendors", vendors.router)
    built.add_router("/contracts", contracts.router)
    built.add_router("/rep-visits", rep_visits.router)
    built.add_router("/items", items.router)
    built.add_router("/stock", stock.router)
    built.add_router("/stock-movements", stock_movements.router)
    built.add_router("/storage-places", storage_places.router)
    built.add_router("/supply-requisitions", supply_requisitions.router)
    built.add_router("/cycle-counts", cycle_counts.router)
    built.add_router("/purchase-orders", purchase_orders.router)
    built.add_router("/safety-logs", safety_logs.router)
    built.add_router("/assets", assets.router)
    built.add_router("/maintenance-plans", maintenance_plans.router)
    built.add_router("/work-orders", work_orders.router)
    built.add_router("/messages", messages.router)
    built.add_router("/routing-rules", routing_rules.router)
    built.add_router("/queues", queues.router)
    built.add_router("/kpis", kpis.router)
    built.add_router("/calendar", calendar.router)
    built.add_router("/budgets", budgets.router)
    built.add_router("/appointment-types", appointment_types.router)
    built.add_router("/rooms", rooms.router)
    built.add_router("/denials", denials.router)
    built.add_router("/pto-requests", pto_requests.router)
    built.add_router("/provider-templates", provider_templates.router)
    built.add_router("/time-off-periods", time_off.router)
    built.add_router("/waitlist-entries", waitlist.router)
    built.add_router("/referring-providers", referring_providers.router)
    built.add_router("/business-associates", business_associates.router)
    built.add_router("/business-associate-agreements", business_associates.agreements_router)
    built.add_router("/pay-periods", pay_periods.router)
    built.add_router("/job-requisitions", hiring.requisitions_router)
    built.add_router("/applicants", hiring.applicants_router)
    built.add_router("/write-offs", write_offs.router)
    built.add_router("/refunds", refunds.router)
    built.add_router("/payment-plans", payment_plans.router)
    built.add_router("/statement-runs", statements.runs_router)
    built.add_router("/statements", statements.router)
    built.add_router("/claim-batches", claim_batches.router)
    return built


api: Any = build_api()
