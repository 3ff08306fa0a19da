"""The billing home page: the worklists (held, rejected, near the filing limit) and "scrub all".

Reading needs billing.view; the lists show patients' names with their claims (financial PHI), so a page that
shows any row writes one audit event. The "Scrub all draft and held claims" button posts here and needs
billing.manage: scrubbing runs at once (no task queue) over the claims of the locations where the person
manages billing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import MAX_EXPORT_ROWS, Column, Export, export_format, export_response
from openpractice.core.selectors import practice_now
from openpractice.core.web import permission_required

from ..selectors import worklists as selectors
from ..services.scrubbing import claims_scrub


def _claim_columns() -> list[Column]:
    return [
        Column(gettext_lazy("ID"), "pk"),
        Column(gettext_lazy("Claim"), "claim_number"),
        Column(gettext_lazy("Patient"), lambda claim: f"{claim.patient.last_name}, {claim.patient.first_name}"),
        Column(gettext_lazy("Account"), "patient.account_number"),
        Column(gettext_lazy("Payer"), "payer.name"),
        Column(gettext_lazy("Location"), "location.name"),
    ]


def _patient(claim: Any) -> int:
    return int(claim.patient_id)


# Each worklist in full (the page shows the first rows of each): ?list=held|rejected|near_limit&export=csv|xlsx.
WORKLIST_EXPORTS: dict[str, tuple[Export, Callable[[Any], selectors.Worklist]]] = {
    "held": (Export(name="claims held by the scrubber", object_type="billing.claim", patient_id=_patient, columns=[
        *_claim_columns(),
        Column(gettext_lazy("Date of service"), "date_of_service"),
        Column(gettext_lazy("What to fix"), "first_error"),
        Column(gettext_lazy("How to fix"), "first_error_hint"),
    ]), lambda actor: selectors.held_claims(actor=actor, limit=MAX_EXPORT_ROWS + 1)),
    "rejected": (Export(name="rejected claims", object_type="billing.claim", patient_id=_patient, columns=[
        *_claim_columns(),
        Column(gettext_lazy("Date of service"), "date_of_service"),
        Column(gettext_lazy("The payer's reason"), "rejection_reason"),
        Column(gettext_lazy("Rejected"), "rejected_at"),
    ]), lambda actor: selectors.rejected_claims(actor=actor, limit=MAX_EXPORT_ROWS + 1)),
    "near_limit": (Export(name="claims near the filing limit", object_type="billing.claim", patient_id=_patient,
                          columns=[
        *_claim_columns(),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Date of service"), "date_of_service"),
        Column(gettext_lazy("Deadline"), "deadline"),
        Column(gettext_lazy("Days left"), "days_left"),
    ]), lambda actor: selectors.near_filing_limit(actor=actor, today=practice_now().date(),
                                                  limit=MAX_EXPORT_ROWS + 1)),
}


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_VIEW)
def worklists(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _scrub_all(request)
    wanted = WORKLIST_EXPORTS.get(request.GET.get("list", ""))
    if wanted is not None and export_format(request):
        export, read = wanted
        # One past the cap: export_response then asks for narrower filters instead of cutting the file.
        return export_response(request, read(request.user).rows, export)
    lists = selectors.worklists(actor=request.user)
    if lists.shown:
        record(actor=request.user, action="billing.worklists_viewed", object_type="billing.claim",
               reason=f"{len(lists.held.rows)} held, {len(lists.rejected.rows)} rejected, "
                      f"{len(lists.near_limit.rows)} near the filing limit shown")
    return render(request, "billing/worklists.html", {
        "lists": lists, "can_manage": can(request.user, Perm.BILLING_MANAGE),
        "near_days": selectors.NEAR_LIMIT_DAYS,
    })


def _scrub_all(request: HttpRequest) -> HttpResponse:
    """POST: scrub every draft and held claim the person may manage; back to the worklists with the counts."""
    if not can(request.user, Perm.BILLING_MANAGE):
        # The page is theirs to read, the button is not: refused and audited, and nothing is scrubbed.
        refuse(actor=request.user, permission=Perm.BILLING_MANAGE, action="billing.claims_scrubbed")
        messages.error(request, _("Only people who manage billing can scrub claims."))
        return redirect(reverse("billing:worklists"))
    try:
        run = claims_scrub(actor=request.user, claims=selectors.claims_to_scrub(actor=request.user))
    except PermissionDenied:
        messages.error(request, _("Only people who manage billing can scrub claims."))
        return redirect(reverse("billing:worklists"))
    if run.scrubbed:
        messages.success(request, ngettext(
            "Scrubbed %(count)s claim: %(ready)s ready to send, %(held)s held for fixing.",
            "Scrubbed %(count)s claims: %(ready)s ready to send, %(held)s held for fixing.",
            run.scrubbed) % {"count": run.scrubbed, "ready": run.ready, "held": run.held})
    else:
        messages.info(request, _("There were no draft or held claims to scrub."))
    return redirect(reverse("billing:worklists"))
