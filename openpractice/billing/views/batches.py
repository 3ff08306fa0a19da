"""837P batch pages: the list, "Build a batch", a batch with its claims, pyx12's verdict and submission log, and
its actions (download, submit through the drop directory, discard).

A batch opens only for people who may see every location its claims belong to (selectors.batches); acting on it
takes billing.manage at all of them. Its page and its file show patients' claims: audited per patient
(services.batches.batch_viewed / batch_exported).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..choices import OPEN_BATCH_STATUSES, BatchStatus
from ..forms_batches import BatchBuildForm
from ..models import ClaimBatch
from ..selectors import batches as selectors
from ..services import batches as services

CLAIMS_PER_PAGE = 50


def _batch(request: HttpRequest, pk: int, permission: str) -> ClaimBatch:
    return get_scoped_or_404(request, selectors.batch_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


BATCH_EXPORT = Export(name="claim batches", object_type="billing.claimbatch", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Batch (ISA13)"), lambda batch: f"{batch.interchange_control_number:09d}"),
    Column(gettext_lazy("Usage"), "get_usage_indicator_display"),
    Column(gettext_lazy("Built"), "created_at"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Payer"), lambda batch: batch.payer.name if batch.payer else _("Every payer (clearinghouse)")),
    Column(gettext_lazy("Claims"), "claim_count"),
    Column(gettext_lazy("Total charge"), "total_charge"),
    Column(gettext_lazy("Submitted"), "submitted_at"),
    Column(gettext_lazy("Built by"), lambda batch: batch.created_by.display_name if batch.created_by
           else _("Command line")),
    Column(gettext_lazy("File"), "file_name"),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def batch_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "all"
    queryset = selectors.batch_list(actor=request.user)
    if status in BatchStatus.values:
        queryset = queryset.filter(status=status)
    rows = table(request, queryset,
                 sorts={"created": "created_at", "number": "interchange_control_number", "status": "status",
                        "payer": "payer__name", "claims": "claim_count", "total": "total_charge",
                        "submitted": "submitted_at"},
                 default_sort="-created", search_fields=("file_name", "payer__name"), element_id="batch-table")
    return render_table(request, "billing/batch_list.html", {
        "table": rows, "table_template": "billing/batch_table.html", "filter_template": "billing/batch_filter.html",
        "status": status, "statuses": BatchStatus.choices, "can_manage": can(request.user, Perm.BILLING_MANAGE),
        "has_settings": selectors.billing_settings_current() is not None, "export": BATCH_EXPORT,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def batch_create(request: HttpRequest) -> HttpResponse:
    ready = selectors.ready_claims_by_payer(actor=request.user)
    form = BatchBuildForm(request.POST if request.method == "POST" else None, ready=ready)
    if request.method == "POST" and form.is_valid():
        payer = form.cleaned_data["payer"]
        claims = sum(row.claims for row in ready if payer is None or row.payer_id == payer.pk)
        validate = form.cleaned_data["validate"] and claims <= services.VALIDATE_MAX_CLAIMS
        held: list[str] = []
        try:
            batch = services.batch_build(actor=request.user, payer=payer, validate=validate, held=held)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if batch is None:
                messages.info(request, _("No claims are ready to send: nothing was built."))
                return redirect("billing:batch_list")
            messages.success(request, _("Batch %(number)s built with %(count)s claim(s).") % {
                "number": f"{batch.interchange_control_number:09d}", "count": batch.claim_count})
            if held:
                messages.warning(request, _(
                    "The 837P cannot carry %(count)s claim(s) (%(claims)s): they were left out and held, each "
                    "saying what to fix.") % {"count": len(held), "claims": ", ".join(held[:5])
                                              + ("…" if len(held) > 5 else "")})
            if form.cleaned_data["validate"] and not validate:
                messages.info(request, _("The batch is too large to check here; check it with `openpractice "
                                         "billing export-837 --validate` if you need to."))
            return redirect(batch.get_absolute_url())
    return render(request, "billing/batch_create.html", {
        "form": form, "ready": ready, "ready_total": sum(row.claims for row in ready),
        "has_settings": selectors.billing_settings_current() is not None,
    }, status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.BILLING_VIEW)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk, Perm.BILLING_VIEW)
    claims = Paginator(selectors.batch_claims(actor=request.user, batch=batch), CLAIMS_PER_PAGE)
    page = claims.get_page(request.GET.get("page"))
    services.batch_viewed(actor=request.user, batch=batch, claims=page.object_list, how=f"claims page {page.number}")
    can_manage = selectors.batch_scoped(actor=request.user, permission=Perm.BILLING_MANAGE).filter(
        pk=batch.pk).exists()
    return render(request, "billing/batch_detail.html", {
        "batch": batch, "claims": page, "validation": selectors.batch_validation(batch),
        "submissions": selectors.batch_submissions(batch=batch), "can_manage": can_manage,
        "file_present": selectors.batch_file(batch) is not None,
        "can_submit": can_manage and batch.status in OPEN_BATCH_STATUSES,
        "discarded": batch.status == BatchStatus.DISCARDED,
    })


@require_GET
@permission_required(Perm.BILLING_MANAGE)
def batch_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = _batch(request, pk, Perm.BILLING_MANAGE)
    path = selectors.batch_file(batch)
    if path is None:
        messages.error(request, _("The batch's file is missing. Discard the batch and build a new one."))
        return redirect(batch.get_absolute_url())
    services.batch_exported(actor=request.user, batch=batch)
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=batch.file_name,  # noqa: SIM115
                            content_type="application/edi-x12")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def batch_submit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk, Perm.BILLING_MANAGE)
    try:
        submission = services.batch_submit(actor=request.user, batch=batch)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if submission.succeeded:
            messages.success(request, _("Batch submitted: the file is in %(where)s and its claims are marked "
                                        "submitted.") % {"where": submission.destination})
        else:
            messages.error(request, _("The batch could not be delivered: %(detail)s. Its claims did not change; "
                                      "try again when the problem is fixed.") % {"detail": submission.detail})
    return redirect(batch.get_absolute_url())


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk, Perm.BILLING_MANAGE)
    try:
        released = services.batch_discard(actor=request.user, batch=batch)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(batch.get_absolute_url())
    messages.success(request, _("Batch discarded: %(count)s claim(s) are ready to batch again. The batch stays in "
                                "the list with its submission log.") % {"count": released})
    return redirect(reverse("billing:batch_list"))
