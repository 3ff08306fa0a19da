"""Payer pages under /patients/payers/: list, detail with plans, add, edit, CSV import with a report.
Payers are practice-wide reference data (no PHI): PAYERS_VIEW to read, PAYERS_MANAGE to change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from .. import selectors, services
from ..forms import PayerForm, PayerImportForm, PayerPlanForm
from ..models import Payer


def _payer(request: HttpRequest, pk: int, permission: str) -> Payer:
    return get_scoped_or_404(request, selectors.payer_list(actor=request.user), permission=permission, pk=pk)


PAYER_EXPORT = Export(name="payers", object_type="patients.payer", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Payer ID"), "payer_id"),
    Column(gettext_lazy("Filing indicator"), "claim_filing_indicator"),
    Column(gettext_lazy("Filing indicator name"), "get_claim_filing_indicator_display"),
    Column(gettext_lazy("Timely filing (days)"), "timely_filing_days"),
    Column(gettext_lazy("Plans"), "plan_count"),
    Column(gettext_lazy("Status"), lambda payer: _("Active") if payer.is_active else _("Deactivated")),
])


@require_GET
@permission_required(Perm.PAYERS_VIEW)
def payer_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "active"
    queryset = selectors.payer_list(actor=request.user).annotate(plan_count=Count("plans"))
    if status != "all":
        queryset = queryset.filter(is_active=status != "inactive")
    rows = table(request, queryset,
                 sorts={"name": "name", "payer_id": "payer_id", "cfi": "claim_filing_indicator",
                        "timely": "timely_filing_days", "plans": "plan_count"},
                 default_sort="name", search_fields=("name", "payer_id", "city"), element_id="payer-table")
    return render_table(request, "patients/payer_list.html", {
        "table": rows, "table_template": "patients/_payer_table.html",
        "filter_template": "core/_status_filter.html", "status": status,
        "can_manage": can(request.user, Perm.PAYERS_MANAGE), "export": PAYER_EXPORT,
    })


@require_GET
@permission_required(Perm.PAYERS_VIEW)
def payer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payer = _payer(request, pk, Perm.PAYERS_VIEW)
    return render(request, "patients/payer_detail.html", {
        "payer": payer, "plans": payer.plans.all(),
        "can_manage": can(request.user, Perm.PAYERS_MANAGE), "plan_form": PayerPlanForm(),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PAYERS_MANAGE)
def payer_create(request: HttpRequest) -> HttpResponse:
    form = PayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payer = services.payer_create(actor=request.user, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payer “%(name)s” added.") % {"name": payer.name})
            return redirect(payer.get_absolute_url())
    return render(request, "patients/payer_form.html", {"form": form, "payer": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PAYERS_MANAGE)
def payer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    payer = _payer(request, pk, Perm.PAYERS_MANAGE)
    form = PayerForm(request.POST or None, instance=_payer(request, pk, Perm.PAYERS_MANAGE))
    if request.method == "POST" and form.is_valid():
        try:
            services.payer_update(actor=request.user, payer=payer,
                                  data={name: form.cleaned_data[name] for name in form.changed_data})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payer saved."))
            return redirect(payer.get_absolute_url())
    return render(request, "patients/payer_form.html", {"form": form, "payer": payer},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.PAYERS_MANAGE)
def payer_plan_add(request: HttpRequest, pk: int) -> HttpResponse:
    payer = _payer(request, pk, Perm.PAYERS_MANAGE)
    form = PayerPlanForm(request.POST)
    if form.is_valid():
        try:
            services.payer_plan_add(actor=request.user, payer=payer, name=form.cleaned_data["name"],
                                    plan_type=form.cleaned_data["plan_type"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Plan added."))
            return redirect(payer.get_absolute_url())
    return render(request, "patients/payer_detail.html", {
        "payer": payer, "plans": payer.plans.all(), "can_manage": True, "plan_form": form}, status=400)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PAYERS_MANAGE)
def payer_import(request: HttpRequest) -> HttpResponse:
    form = PayerImportForm(request.POST or None, request.FILES or None)
    report: services.ImportReport | None = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.payer_import_csv(actor=request.user, content=form.cleaned_data["file"].read(),
                                               dry_run=form.cleaned_data["dry_run"])
        except PermissionDenied as exc:
            raise Http404() from exc
        if report.saved:
            messages.success(request, _("Imported %(count)s payer(s).") % {"count": len(report.rows)})
    return render(request, "patients/payer_import.html", {
        "form": form, "report": report, "columns": services.IMPORT_COLUMNS,
        "required_columns": services.REQUIRED_COLUMNS,
    }, status=400 if form.errors or (report is not None and not report.ok) else 200)
