from django.urls import include, path

from openpractice.api.urls import api
from openpractice.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("openpractice.reporting.urls")),
    path("accounts/", include("openpractice.accounts.urls")),
    path("settings/integrations/", include("openpractice.integrations.urls")),
    path("settings/", include("openpractice.core.urls")),
    path("audit/", include("openpractice.audit.urls")),
    path("patients/", include("openpractice.patients.urls")),
    path("schedule/", include("openpractice.scheduling.urls")),
    path("billing/", include("openpractice.billing.urls")),
    path("workforce/", include("openpractice.workforce.urls")),
    path("compliance/", include("openpractice.compliance.urls")),
    path("cases/", include("openpractice.cases.urls")),
    path("vendors/", include("openpractice.vendors.urls")),
    path("inventory/", include("openpractice.inventory.urls")),
    path("facilities/", include("openpractice.facilities.urls")),
    path("frontdesk/", include("openpractice.frontdesk.urls")),
    path("contact/", include("openpractice.frontdesk.urls_public")),
    path("api/v1/", api.urls),
    path("fhir/r4/", include("openpractice.api.fhir.urls")),
]

handler403 = "openpractice.core.views.errors.forbidden"
handler404 = "openpractice.core.views.errors.not_found"
handler500 = "openpractice.core.views.errors.server_error"
