"""835 remittance pages under /billing/remittances/: the "Import 835" upload and what it posted (with drill-down),
the imported files, the remittances (payments) with their claim payments, and the exceptions queue where
claim payments nobody could match are matched by hand or dismissed.

Who sees what is decided in selectors/remittances.py (claim payments by their claim's location; unmatched ones
only by users who cover every location). Posting is the service's (services/remittance_posting.py): these
views parse, call it, render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.selectors import payer_choices

from ..choices import RemittanceClaimMatch, RemittanceImportStatus
from ..forms_remittance import (
    ExceptionDismissForm,
    ExceptionResolveForm,
    RemittanceFilterForm,
    RemittanceImportFilterForm,
    RemittanceUploadForm,
    dry_run_requested,
)
from ..models import RemittanceClaim, RemittanceImport
from ..selectors import remittances as selectors
from ..selectors.claims import claim_scoped
from ..services import remittance_posting as posting
from .x12_upload import x12_upload_page

CLAIMS_PER_PAGE = 25
CANDIDATES_SHOWN = 20


def denials_url() -> str | None:
    """The denials worklist, when the receivables pages provide it."""
    try:
        return reverse("billing:denial_list")
    except NoReverseMatch:
        return None


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@dataclass
class ImportResult:
    """What the upload page and an import's page show: the summary (the CLI's JSON keys), the import it made (if
    any: a dry run makes none) and its drill-down cut to the user's scope."""

    summary: dict[str, Any]
    remittance_import: RemittanceImport | None
    drill: selectors.ImportDrillDown
    show_messages: bool  # the file's errors and notices: to whoever imported it or sees every location
    denials_url: str | None
    can_post: bool  # may open the exceptions queue

    @property
    def duplicate(self) -> bool:
        return self.remittance_import is not None and self.remittance_import.status == RemittanceImportStatus.DUPLICATE

    @property
    def refused(self) -> bool:
        if self.remittance_import is not None:
            return self.remittance_import.status == RemittanceImportStatus.REFUSED
        return bool(self.summary.get("errors")) and not self.summary.get("payments")


def import_result(request: HttpRequest, summary: dict[str, Any],
                  remittance_import: RemittanceImport | None) -> ImportResult:
    user = request.user
    show = remittance_import is None or remittance_import.imported_by_id == user.pk or selectors.practice_wide(
        actor=user)
    return ImportResult(summary=summary, remittance_import=remittance_import,
                        drill=selectors.import_drill_down(actor=user, remittance_import=remittance_import),
                        show_messages=show, denials_url=denials_url(),
                        can_post=can(user, Perm.BILLING_POST))


# --- upload ----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_POST)
def remittance_upload(request: HttpRequest) -> HttpResponse:
    """Import 835: the shared upload flow; the result is the service's summary with the drill-down. A second
    upload of the same file is a duplicate the service recognises, and the result says so."""
    dry_run = dry_run_requested(request.POST)

    def importer(*, actor: Any, file_name: str, content: bytes) -> ImportResult:
        try:
            summary = posting.remittance_import(actor=actor, filename=file_name, data=content, dry_run=dry_run)
        except PermissionDenied as exc:
            if not can(actor, Perm.BILLING_POST):
                raise
            # They post payments, but the file also pays claims of locations they do not post for: the refusal
            # (audited by the service) is about their own file, so say why instead of "not found".
            raise ValidationError(str(exc)) from exc
        made = None
        if summary.import_id is not None:
            made = selectors.remittance_import_scoped(actor=actor).filter(pk=summary.import_id).first()
        return import_result(request, summary.as_json(), made)

    return x12_upload_page(request, form_class=RemittanceUploadForm, importer=importer,
                           template="billing/remittances/upload.html")


# --- exports ---------------------------------------------------------------------------------------------------


def _summary(key: str, default: Any = 0) -> Any:
    return lambda item: (item.summary or {}).get(key) or default


REMITTANCE_IMPORT_EXPORT = Export(name="835 files", object_type="billing.remittanceimport", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Imported"), "imported_at"),
    Column(gettext_lazy("File"), "filename"),
    Column(gettext_lazy("By"), "imported_by.display_name"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Payments"), _summary("payments")),
    Column(gettext_lazy("Claims matched"), _summary("claims_matched")),
    Column(gettext_lazy("Claims not matched"), _summary("claims_unmatched")),
    Column(gettext_lazy("Claims denied"), _summary("denied_claims")),
    Column(gettext_lazy("Paid"), _summary("paid_total", "0.00")),
])

REMITTANCE_EXPORT = Export(name="remittances", object_type="billing.remittance", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Paid on"), "payment_date"),
    Column(gettext_lazy("Payer"), lambda item: (item.payer.name if item.payer else "") or item.payer_name
           or item.payer_key),
    Column(gettext_lazy("Trace number"), "trace_number"),
    Column(gettext_lazy("Amount"), lambda item: -item.payment_amount if item.credit_debit == "D"
           else item.payment_amount),
    Column(gettext_lazy("Method"), "payment_method"),
    Column(gettext_lazy("Claims"), "claim_count"),
    Column(gettext_lazy("Posted"), "posted_at"),
])

# Claim payments nobody could match: the patient as the payer names them (no patient record of ours).
EXCEPTION_EXPORT = Export(name="remittance exceptions", object_type="billing.remittanceclaim", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Received"), "remittance.posted_at"),
    Column(gettext_lazy("Claim number (CLP01)"), "claim_number"),
    Column(gettext_lazy("Payer claim number"), "payer_claim_number"),
    Column(gettext_lazy("Patient (as the payer names them)"), "patient_name"),
    Column(gettext_lazy("Member ID"), "member_id"),
    Column(gettext_lazy("Charged"), "charge_amount"),
    Column(gettext_lazy("Paid"), "paid_amount"),
    Column(gettext_lazy("Payer"), lambda item: (item.remittance.payer.name if item.remittance.payer else "")
           or item.remittance.payer_name),
    Column(gettext_lazy("Remittance"), "remittance.trace_number"),
])


# --- imported files --------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.BILLING_VIEW)
def remittance_import_list(request: HttpRequest) -> HttpResponse:
    filters = RemittanceImportFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    queryset = selectors.remittance_import_scoped(actor=request.user)
    if status:
        queryset = queryset.filter(status=status)
    rows = table(request, queryset,
                 sorts={"when": "imported_at", "file": "filename", "who": "imported_by__username",
                        "status": "status"},
                 default_sort="-when", search_fields=("filename",), element_id="remittance-import-table")
    return render_table(request, "billing/remittances/import_list.html", {
        "table": rows, "table_template": "billing/remittances/import_table.html",
        "filter_template": "billing/remittances/import_filter.html", "filters": filters,
        "can_post": can(request.user, Perm.BILLING_POST), "export": REMITTANCE_IMPORT_EXPORT,
    })


@require_GET
@permission_required(Perm.BILLING_VIEW)
def remittance_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    remittance_import = get_scoped_or_404(request, selectors.remittance_import_scoped(actor=request.user),
                                          permission=Perm.BILLING_VIEW, pk=pk)
    return render(request, "billing/remittances/import_detail.html", {
        "remittance_import": remittance_import,
        "result": import_result(request, remittance_import.summary, remittance_import),
    })


# --- remittances -----------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.BILLING_VIEW)
def remittance_list(request: HttpRequest) -> HttpResponse:
    filters = RemittanceFilterForm(request.GET or None, payers=payer_choices(include_inactive=True).order_by("name"))
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    payer = values.get("payer")
    queryset = selectors.remittance_list(actor=request.user, payer_id=payer.pk if payer else None,
                                         date_from=values.get("date_from"), date_to=values.get("date_to"))
    rows = table(request, queryset,
                 sorts={"paid": "payment_date", "payer": "payer_name", "trace": "trace_number",
                        "amount": "payment_amount", "method": "payment_method", "posted": "posted_at"},
                 default_sort="-paid", search_fields=("trace_number", "payer_name"), element_id="remittance-table")
    return render_table(request, "billing/remittances/remittance_list.html", {
        "table": rows, "table_template": "billing/remittances/remittance_table.html",
        "filter_template": "billing/remittances/remittance_filter.html", "filters": filters,
        "can_post": can(request.user, Perm.BILLING_POST), "export": REMITTANCE_EXPORT,
    })


@require_GET
@permission_required(Perm.BILLING_VIEW)
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    remittance = get_scoped_or_404(request, selectors.remittance_detail_queryset(actor=request.user),
                                   permission=Perm.BILLING_VIEW, pk=pk)
    shown = selectors.remittance_claims_shown(actor=request.user, remittance=remittance)
    page = Paginator(shown, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    claim_payments = list(page.object_list)
    selectors.claim_payments_viewed(actor=request.user, remittance=remittance, claim_payments=claim_payments,
                                    how="remittance")
    return render(request, "billing/remittances/remittance_detail.html", {
        "remittance": remittance, "page": page, "claim_payments": claim_payments,
        "hidden": remittance.total_claims - page.paginator.count,  # type: ignore[attr-defined]
        "provider_adjustments": list(remittance.provider_adjustments.all()),
        "denials_url": denials_url(), "can_post": can(request.user, Perm.BILLING_POST),
    })


# --- exceptions queue ------------------------------------------------------------------------------------------


def _queue_url(**params: Any) -> str:
    query = urlencode({key: value for key, value in params.items() if value})
    url = reverse("billing:remittance_exceptions")
    return f"{url}?{query}" if query else url


@require_GET
@permission_required(Perm.BILLING_POST)
def remittance_exceptions(request: HttpRequest) -> HttpResponse:
    """Unmatched claim payments. `?match=<id>` opens the matching panel for one of them, `&find=` searches our
    claims by claim number or patient; the panel's buttons post to the resolve and dismiss actions."""
    remittance_id = _int(request.GET.get("remittance"))
    rows = table(request, selectors.exception_queue(actor=request.user, remittance_id=remittance_id),
                 sorts={"received": "remittance__posted_at", "number": "claim_number", "patient": "patient_name",
                        "charged": "charge_amount", "paid": "paid_amount", "payer": "remittance__payer_name"},
                 default_sort="-received", element_id="exception-table",
                 search_fields=("claim_number", "patient_name", "member_id", "payer_claim_number"))
    if rows.search:
        record(actor=request.user, action="patients.searched", object_type="billing.remittanceclaim",
               reason=f"remittance exceptions: {rows.page.paginator.count} match(es), page {rows.page.number}")
    matching: RemittanceClaim | None = None
    candidates: list[Any] = []
    find = (request.GET.get("find") or "").replace("\x00", "").strip()[:100]
    match_id = _int(request.GET.get("match"))
    if match_id is not None:
        matching = selectors.exception_scoped(actor=request.user).filter(pk=match_id).first()
    if matching is not None:
        candidates = list(selectors.exception_candidates(actor=request.user, remittance_claim=matching,
                                                         text=find)[:CANDIDATES_SHOWN])
        if find:
            record(actor=request.user, action="patients.searched", object_type="billing.claim",
                   reason=f"remittance exception match: {len(candidates)} claim(s) shown")
    return render_table(request, "billing/remittances/exceptions.html", {
        "table": rows, "table_template": "billing/remittances/exception_table.html",
        "filter_template": "billing/remittances/exception_filter.html", "remittance_id": remittance_id,
        "can_work": selectors.can_work_exceptions(request.user), "matching": matching, "candidates": candidates,
        "find": find, "dismiss_form": ExceptionDismissForm(), "export": EXCEPTION_EXPORT,
    })


def _workable(request: HttpRequest, pk: int) -> RemittanceClaim:
    """A claim payment the user may match or dismiss, in the queue or not any more (a second click on an
    already-worked one is told so instead of "not found")."""
    return get_scoped_or_404(request, selectors.workable_claim_payments(actor=request.user),
                             permission=Perm.BILLING_POST, pk=pk)


def _already_worked(request: HttpRequest, claim_payment: RemittanceClaim) -> bool:
    if claim_payment.match == RemittanceClaimMatch.UNMATCHED:
        return False
    messages.info(request, _("Claim payment %(number)s is no longer in the queue: %(state)s.") % {
        "number": claim_payment.claim_number, "state": claim_payment.get_match_display().lower()})
    return True


def _say_errors(request: HttpRequest, errors: Any) -> None:
    for field_errors in errors.values():
        for message in field_errors:
            messages.error(request, message)


@require_POST
@permission_required(Perm.BILLING_POST)
def remittance_claim_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    claim_payment = _workable(request, pk)
    if _already_worked(request, claim_payment):
        return redirect(_queue_url())
    form = ExceptionResolveForm(request.POST)
    if not form.is_valid():
        _say_errors(request, form.errors)
        return redirect(_queue_url(match=claim_payment.pk))
    claim = get_scoped_or_404(request, claim_scoped(actor=request.user, permission=Perm.BILLING_POST),
                              permission=Perm.BILLING_POST, pk=form.cleaned_data["claim"])
    try:
        posting.remittance_claim_resolve(actor=request.user, remittance_claim=claim_payment, claim=claim)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_queue_url(match=claim_payment.pk))
    messages.success(request, _("Claim payment %(number)s matched to claim %(claim)s and posted.") % {
        "number": claim_payment.claim_number, "claim": claim.claim_number})
    return redirect(_queue_url())


@require_POST
@permission_required(Perm.BILLING_POST)
def remittance_claim_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    claim_payment = _workable(request, pk)
    if _already_worked(request, claim_payment):
        return redirect(_queue_url())
    form = ExceptionDismissForm(request.POST)
    if not form.is_valid():
        _say_errors(request, form.errors)
        return redirect(_queue_url(match=claim_payment.pk))
    try:
        posting.remittance_claim_dismiss(actor=request.user, remittance_claim=claim_payment,
                                         note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_queue_url(match=claim_payment.pk))
    messages.success(request, _("Claim payment %(number)s dismissed.") % {"number": claim_payment.claim_number})
    return redirect(_queue_url())
