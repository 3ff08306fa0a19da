"""The billing home page: the worklists (held, rejected, near the filing limit) and "scrub all".

Reading needs billing.view; the lists show patients' names with their claims (financial PHI), so a page that
shows any row writes one audit event. The "Scrub all draft and held claims" button posts here and needs
billing.manage: scrubbing runs at once (no task queue) over the claims of the locations where the person
manages billing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.web import permission_required

from ..selectors import worklists as selectors
from ..services.scrubbing import claims_scrub


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_VIEW)
def worklists(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _scrub_all(request)
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
