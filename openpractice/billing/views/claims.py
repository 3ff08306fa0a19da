"""Claim pages under /billing/claims/: the list, the claim page (what is billed, what the scrubber found and how
to fix it, the status history) and the actions the lifecycle permits: scrub again, rebuild, change status,
corrected claim, void claim, secondary claim, the primary's payment.

Thin views: parse, call one service, render. A service's refusal becomes the same 404 as a refusal here (the
service already audited it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import location_scoped
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.selectors import patient_record_viewed, payer_choices

from ..choices import SENT_CLAIM_STATUSES, ClaimFrequency, ClaimStatus, Severity
from ..codes.icd10 import display_icd10
from ..forms_claims import ClaimFilterForm, ClaimStatusForm, PayerClaimNumberForm, PriorPaymentForm
from ..models import Claim
from ..selectors import claims as selectors
from ..services import claims as services
from ..services.scrubbing import claim_scrub as scrub

SECONDARY_AFTER: frozenset[str] = frozenset({ClaimStatus.PAID, ClaimStatus.PARTIAL, ClaimStatus.DENIED,
                                             ClaimStatus.APPEALED, ClaimStatus.CLOSED})


def _claim(request: HttpRequest, pk: int, permission: str) -> Claim:
    return get_scoped_or_404(request, selectors.claim_detail_queryset(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _scrub_and_say(request: HttpRequest, claim: Claim, done: str) -> None:
    """Scrub after a change and tell the biller the verdict in one message."""
    try:
        issues = scrub(actor=request.user, claim=claim)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.success(request, done)
        _errors_to_messages(request, exc)
        return
    errors = sum(1 for issue in issues if issue.severity == Severity.ERROR)
    if errors:
        messages.warning(request, _("%(done)s The scrubber holds the claim: %(count)s problem(s) to fix.")
                         % {"done": done, "count": errors})
    else:
        messages.success(request, _("%(done)s The claim is ready to send.") % {"done": done})


# --- list ------------------------------------------------------------------------------------------------------


CLAIM_EXPORT = Export(name="claims", object_type="billing.claim", patient_id=lambda claim: claim.patient_id, columns=[
    Column(gettext_lazy("Claim"), "claim_number"),
    Column(gettext_lazy("Frequency"), "get_frequency_code_display"),
    Column(gettext_lazy("Date of service"), "date_of_service"),
    Column(gettext_lazy("Patient"), lambda claim: f"{claim.patient.last_name}, {claim.patient.first_name}"),
    Column(gettext_lazy("Account"), "patient.account_number"),
    Column(gettext_lazy("Payer"), "payer.name"),
    Column(gettext_lazy("Payer rank"), "payer_rank"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Charge"), "total_charge"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Scrubber errors"), "error_count"),
    Column(gettext_lazy("Scrubber warnings"), "warning_count"),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def claim_list(request: HttpRequest) -> HttpResponse:
    locations = location_scoped(actor=request.user, permission=Perm.BILLING_VIEW).order_by("name")
    filters = ClaimFilterForm(request.GET or None, payers=payer_choices(include_inactive=True).order_by("name"),
                              locations=locations)
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    text = (request.GET.get("q") or "").strip()[:100]
    payer, location = values.get("payer"), values.get("location")
    queryset = selectors.claim_list(actor=request.user, status=values.get("status") or "",
                                    payer_id=payer.pk if payer else None,
                                    location_id=location.pk if location else None, q=text)
    rows = table(request, queryset,
                 sorts={"number": "claim_number", "dos": "date_of_service", "patient": "patient__last_name",
                        "payer": "payer__name", "status": "status", "total": "total_charge",
                        "location": "location__name"},
                 default_sort="-dos", element_id="claim-table")
    if text:
        record(actor=request.user, action="patients.searched", object_type="billing.claim",
               reason=f"claims: {rows.page.paginator.count} match(es), page {rows.page.number}")
    return render_table(request, "billing/claim_list.html", {
        "table": rows, "table_template": "billing/claim_table.html", "filter_template": "billing/claim_filter.html",
        "filters": filters, "export": CLAIM_EXPORT,
    })


# --- one claim -------------------------------------------------------------------------------------------------


def _status_form(claim: Claim, data: Any = None) -> ClaimStatusForm:
    return ClaimStatusForm(data, statuses=services.manual_statuses_from(claim.status),
                           initial={"payer_claim_number": claim.payer_claim_number})


def _render_detail(request: HttpRequest, claim: Claim, *, status_form: ClaimStatusForm | None = None) -> HttpResponse:
    patient_record_viewed(actor=request.user, patient=claim.patient, how=f"claim {claim.claim_number}")
    may_manage = can(request.user, Perm.BILLING_MANAGE, claim.location_id)
    editable = selectors.claim_is_editable(claim)
    issues = list(claim.issues.all())
    replacements = list(claim.replacements.all())
    sent = claim.status in SENT_CLAIM_STATUSES and claim.frequency_code != ClaimFrequency.VOID
    statuses = [] if claim.in_open_batch else services.manual_statuses_from(claim.status)
    diagnoses = [display_icd10(code) for code in claim.diagnosis_codes]
    lines = [(line, [f"{p}: {diagnoses[p - 1]}" if 0 < p <= len(diagnoses) else str(p) for p in line.pointers])
             for line in claim.lines.all()]
    return render(request, "billing/claim_detail.html", {
        "claim": claim, "lines": lines, "diagnoses": diagnoses,
        "errors": [i for i in issues if i.severity == Severity.ERROR],
        "warnings": [i for i in issues if i.severity == Severity.WARNING],
        "history": list(claim.status_changes.all()), "adjustments": list(claim.prior_adjustments.all()),
        "replacements": replacements, "earlier": selectors.earlier_payer_claim(claim),
        "editable": editable, "can_manage": may_manage,
        "can_scrub": may_manage and editable,
        "can_rebuild": may_manage and editable and claim.frequency_code != ClaimFrequency.VOID,
        "can_correct": may_manage and sent,
        "can_build_secondary": may_manage and claim.payer_rank == 1 and claim.frequency_code != ClaimFrequency.VOID
        and claim.submitted_at is not None and claim.status in SECONDARY_AFTER,
        "can_record_payment": may_manage and editable and claim.payer_rank > 1,
        "status_form": (status_form or _status_form(claim)) if may_manage and statuses else None,
    }, status=400 if status_form is not None and status_form.errors else 200)


@require_GET
@permission_required(Perm.BILLING_VIEW)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _claim(request, pk, Perm.BILLING_VIEW))


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def claim_scrub(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    _scrub_and_say(request, claim, _("Scrubbed."))
    return redirect(claim.get_absolute_url())


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def claim_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    try:
        services.claim_rebuild(actor=request.user, claim=claim)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    else:
        _scrub_and_say(request, claim, _("Claim rebuilt from the charge."))
    return redirect(claim.get_absolute_url())


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def claim_change_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status form of the claim page: a new status (with the reason where one is needed) and, optionally,
    the payer's claim number."""
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    form = _status_form(claim, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # Both or neither (the permission was settled by _claim above, so no refusal is rolled back here).
            with transaction.atomic():
                number = (data["payer_claim_number"] or "").strip()
                if number != claim.payer_claim_number:
                    services.claim_set_payer_claim_number(actor=request.user, claim=claim,
                                                          payer_claim_number=number)
                services.claim_change_status(actor=request.user, claim=claim, to_status=data["to_status"],
                                             reason=data["reason"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Claim %(number)s is now %(status)s.") % {
                "number": claim.claim_number, "status": ClaimStatus(data["to_status"]).label.lower()})
            return redirect(claim.get_absolute_url())
    return _render_detail(request, _claim(request, pk, Perm.BILLING_MANAGE), status_form=form)


def _replace(request: HttpRequest, pk: int, *, action: Any, title: str, explanation: str) -> HttpResponse:
    """Corrected and void claims: a page that explains, asks for the payer's claim number when it is missing,
    and on POST builds the replacing claim and scrubs it."""
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    form = PayerClaimNumberForm(request.POST if request.method == "POST" else None,
                                initial={"payer_claim_number": claim.payer_claim_number})
    if claim.payer_claim_number and not request.POST.get("payer_claim_number"):
        form.fields["payer_claim_number"].required = False
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                number = (form.cleaned_data["payer_claim_number"] or "").strip()
                if number and number != claim.payer_claim_number:
                    claim = services.claim_set_payer_claim_number(actor=request.user, claim=claim,
                                                                  payer_claim_number=number)
                replacing = action(actor=request.user, claim=claim)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _scrub_and_say(request, replacing, _("Claim %(new)s replaces %(old)s.") % {
                "new": replacing.claim_number, "old": claim.claim_number})
            return redirect(replacing.get_absolute_url())
    allowed = claim.status in SENT_CLAIM_STATUSES and claim.frequency_code != ClaimFrequency.VOID
    patient_record_viewed(actor=request.user, patient=claim.patient, how=f"claim {claim.claim_number}: {title}")
    return render(request, "billing/claim_replace.html", {
        "claim": claim, "form": form, "title": title, "explanation": explanation, "allowed": allowed,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def claim_correct(request: HttpRequest, pk: int) -> HttpResponse:
    return _replace(request, pk, action=services.claim_correct, title=_("Corrected claim"), explanation=_(
        "A corrected claim (frequency 7) replaces this claim at the payer. This claim is closed as replaced; the "
        "new claim is built from the charge, which you can then fix before rebuilding and sending it."))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def claim_void(request: HttpRequest, pk: int) -> HttpResponse:
    return _replace(request, pk, action=services.claim_void, title=_("Void claim"), explanation=_(
        "A void claim (frequency 8) tells the payer to cancel this claim, for example when it was billed to the "
        "wrong payer or for a visit that did not happen. It repeats this claim; this claim is closed as voided."))


def _payment_page(request: HttpRequest, claim: Claim, form: PriorPaymentForm, *, title: str, building: bool,
                  primary: Claim | None) -> HttpResponse:
    patient_record_viewed(actor=request.user, patient=claim.patient, how=f"claim {claim.claim_number}: {title}")
    return render(request, "billing/claim_payment_form.html", {
        "claim": claim, "form": form, "title": title, "building": building, "primary": primary,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def claim_build_secondary(request: HttpRequest, pk: int) -> HttpResponse:
    """From a primary claim the payer decided: the secondary claim, with what the primary paid when entered."""
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    form = PriorPaymentForm(request.POST if request.method == "POST" else None, required=False)
    if request.method == "POST" and form.is_valid():
        try:
            secondary = services.claim_build_secondary(
                actor=request.user, claim=claim, paid=form.cleaned_data.get("paid"),
                paid_on=form.cleaned_data.get("paid_on"), adjustments=form.adjustments())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _scrub_and_say(request, secondary, _("Secondary claim %(number)s built.") % {
                "number": secondary.claim_number})
            return redirect(secondary.get_absolute_url())
    return _payment_page(request, claim, form, title=_("Secondary claim"), building=True, primary=claim)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def claim_prior_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """On a secondary claim: what the primary payer paid and adjusted (until remittance posting fills it in)."""
    claim = _claim(request, pk, Perm.BILLING_MANAGE)
    initial: dict[str, Any] = {"paid": claim.prior_payer_paid, "paid_on": claim.prior_payer_paid_on}
    for row, adjustment in enumerate(claim.prior_adjustments.all(), start=1):
        initial.update({f"group_{row}": adjustment.group_code, f"reason_{row}": adjustment.reason_code,
                        f"amount_{row}": adjustment.amount})
    form = PriorPaymentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_prior_payment_record(
                actor=request.user, claim=claim, paid=form.cleaned_data["paid"],
                paid_on=form.cleaned_data["paid_on"], adjustments=form.adjustments())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _scrub_and_say(request, claim, _("The primary payer's payment is recorded."))
            return redirect(claim.get_absolute_url())
    return _payment_page(request, claim, form, title=_("The primary payer's payment"), building=False,
                         primary=selectors.earlier_payer_claim(claim))
