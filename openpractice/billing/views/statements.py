"""Patient statement pages under /billing/statements/: the runs, "Run statements" (with a live count of what a
run would make), a run with its statements, the run's printable PDF, sending its emails, one statement's PDF.

billing.view lists runs and opens the statements a person may see (selectors.statements); making runs and
emailing them is practice-wide billing.manage, printing a run takes billing.manage and holds the statements in
the person's scope. Thin views: parse, call one service or selector, render. A service's refusal becomes the
same 404 as a refusal here (the service already audited it).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_now
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..forms_statements import StatementRunForm
from ..models import Statement, StatementRun
from ..selectors import statements as selectors
from ..services import statements as services

STATEMENTS_PER_PAGE = 50


def _run(request: HttpRequest, pk: int, permission: str) -> StatementRun:
    return get_scoped_or_404(request, selectors.statement_run_list(actor=request.user), permission=permission, pk=pk)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


STATEMENT_RUN_EXPORT = Export(name="statement runs", object_type="billing.statementrun", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Statement date"), "statement_date"),
    Column(gettext_lazy("Cycle"), lambda run: _("Day %(day)s") % {"day": run.cycle_day} if run.cycle_day
           else _("Everybody")),
    Column(gettext_lazy("Statements"), "statement_count"),
    Column(gettext_lazy("Email: sent"), "emailed_count"),
    Column(gettext_lazy("Email: to send"), "email_count"),
    Column(gettext_lazy("Email failures"), "failed_count"),
    Column(gettext_lazy("Total due"), lambda run: Decimal(run.total_due or 0).quantize(Decimal("0.01"))),
    Column(gettext_lazy("Made"), "created_at"),
    Column(gettext_lazy("By"), "created_by.display_name"),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def statement_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.statement_run_list(actor=request.user),
                 sorts={"date": "statement_date", "created": "created_at", "cycle": "cycle_day",
                        "statements": "statement_count", "total": "total_due"},
                 default_sort="-created", element_id="statement-run-table")
    return render_table(request, "billing/statements/statement_list.html", {
        "table": rows, "table_template": "billing/statements/run_table.html",
        "table_caption": _("Statement runs"), "empty_message": _("No statement runs yet."),
        "can_run": has_all_locations(request.user, Perm.BILLING_MANAGE), "export": STATEMENT_RUN_EXPORT,
    })


def _preview_of(form: StatementRunForm, request: HttpRequest) -> selectors.CandidatePreview | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return selectors.statement_run_preview(actor=request.user, statement_date=data["statement_date"],
                                           cycle_day=data["cycle_day"], minimum_balance=data["minimum_balance"])


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def statement_run_create(request: HttpRequest) -> HttpResponse:
    can_run = has_all_locations(request.user, Perm.BILLING_MANAGE)
    today = practice_now().date()
    form = StatementRunForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = services.statement_run_create(actor=request.user, statement_date=data["statement_date"],
                                                    cycle_day=data["cycle_day"],
                                                    minimum_balance=data["minimum_balance"])
            except PermissionDenied:
                messages.error(request, _("Only someone who manages billing for every location may run statements."))
                return redirect("billing:statement_list")
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Statement run made: %(count)s statement(s). Print the paper ones and "
                                            "send the emails from this page.") % {"count": run.statements.count()})
                return redirect("billing:statement_run_detail", pk=run.pk)
        preview = _preview_of(form, request) if can_run else None
    else:
        initial = StatementRunForm(form.initial, today=today)
        preview = _preview_of(initial, request) if can_run else None
    return render(request, "billing/statements/run_create.html", {
        "form": form, "preview": preview, "can_run": can_run,
    }, status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.BILLING_MANAGE)
def statement_run_preview(request: HttpRequest) -> HttpResponse:
    """The count under the form, redrawn by htmx as its fields change (counts and a total: no patient data)."""
    form = StatementRunForm(request.GET or None, today=practice_now().date())
    return render(request, "billing/statements/run_preview.html", {"preview": _preview_of(form, request)})


@require_GET
@permission_required(Perm.BILLING_VIEW)
def statement_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, Perm.BILLING_VIEW)
    page = Paginator(selectors.statement_run_statements(actor=request.user, run=run),
                     STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    statements: list[Statement] = list(page.object_list)
    services.statement_run_viewed(actor=request.user, run=run, statements=statements,
                                  how=f"statements page {page.number}")
    can_send = has_all_locations(request.user, Perm.BILLING_MANAGE)
    may_print = can(request.user, Perm.BILLING_MANAGE)
    return render(request, "billing/statements/run_detail.html", {
        "run": run, "page": page, "statements": statements, "can_send": can_send, "may_print": may_print,
        "to_email": run.email_count - run.emailed_count,  # type: ignore[attr-defined]
        "to_print": selectors.statements_to_print(actor=request.user, run=run).count() if may_print else 0,
    })


@require_GET
@permission_required(Perm.BILLING_MANAGE)
def statement_run_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, Perm.BILLING_MANAGE)
    try:
        pdf = services.statement_run_pdf(actor=request.user, run=run)
    except PermissionDenied as exc:
        raise Http404() from exc
    return _pdf_response(pdf, f"statements-{run.statement_date.isoformat()}-run-{run.pk}.pdf")


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def statement_run_email(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, Perm.BILLING_MANAGE)
    try:
        count = services.statement_run_email(actor=request.user, run=run)
    except PermissionDenied as exc:
        raise Http404() from exc
    if count:
        messages.success(request, _("%(count)s statement(s) queued for email; they go out within a minute. Any "
                                    "that cannot be sent show why below and are added to the printable PDF.") % {"count": count})
    else:
        messages.info(request, _("Every email statement of this run has been sent already."))
    return redirect("billing:statement_run_detail", pk=run.pk)


@require_GET
@permission_required(Perm.BILLING_VIEW)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_scoped_or_404(request, selectors.statement_scoped(actor=request.user, permission=Perm.BILLING_VIEW),
                                  permission=Perm.BILLING_VIEW, pk=pk)
    try:
        pdf = services.statement_pdf(actor=request.user, statement=statement)
    except PermissionDenied as exc:
        raise Http404() from exc
    return _pdf_response(pdf, f"statement-{statement.run.statement_date.isoformat()}-{statement.pk}.pdf")
