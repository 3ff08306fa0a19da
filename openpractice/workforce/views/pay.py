"""Pay pages: an employee's pay history (with the form for a new rate), the market benchmarks and the
compa-ratio report. Pay is confidential: WORKFORCE_PAY, or the employee for their own history; every page that
shows someone's pay is audited by its selector."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import add_service_errors, deny, get_scoped_or_404, login_required, permission_required

from ..forms_pay import PayBenchmarkForm, PayRateForm
from ..models import Employee, PayBenchmark
from ..selectors import pay as selectors
from ..services import pay as services


def _history_page(request: HttpRequest, employee: Employee, form: PayRateForm | None) -> HttpResponse:
    try:
        rows = selectors.pay_history(actor=request.user, employee=employee)
    except PermissionDenied as exc:
        raise Http404() from exc
    return render(request, "workforce/pay/pay_history.html", {
        "employee": employee, "rows": rows, "form": form,
    }, status=400 if form is not None and form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def pay_history(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the history (WORKFORCE_PAY, or one's own). POST: a new rate (WORKFORCE_PAY + WORKFORCE_MANAGE, never
    one's own); the service refuses and audits anyone else."""
    employee = get_scoped_or_404(request, selectors.pay_employees(actor=request.user),
                                 permission=Perm.WORKFORCE_PAY, pk=pk)
    if request.method == "POST":
        form = PayRateForm(request.POST)
        if form.is_valid():
            try:
                services.pay_rate_add(actor=request.user, employee=employee, **form.cleaned_data)
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Pay rate saved."))
                return redirect(reverse("workforce:pay_history", args=[employee.pk]))
        return _history_page(request, employee, form)
    return _history_page(request, employee, PayRateForm() if services.pay_rate_allowed(actor=request.user, employee=employee) else None)


def _may_edit_benchmarks(request: HttpRequest) -> bool:
    return all(has_all_locations(request.user, permission)
               for permission in (Perm.WORKFORCE_PAY, Perm.WORKFORCE_MANAGE))


def _require_benchmark_editor(request: HttpRequest) -> None:
    """Benchmarks are practice-wide: editing takes WORKFORCE_PAY and WORKFORCE_MANAGE at every location (the
    service checks again)."""
    if not _may_edit_benchmarks(request):
        raise deny(request, permission=f"{Perm.WORKFORCE_PAY} + {Perm.WORKFORCE_MANAGE} (all locations)")


BENCHMARK_EXPORT = Export(name="pay benchmarks", object_type="workforce.paybenchmark", columns=[
    Column(gettext_lazy("Job title"), "title"),
    Column(gettext_lazy("System role"), "get_role_display"),
    Column(gettext_lazy("Tier"), "get_tier_display"),
    Column(gettext_lazy("Region"), lambda benchmark: benchmark.region or _("National")),
    Column(gettext_lazy("Bottom 10%"), "percentile_10"),
    Column(gettext_lazy("Median"), "median"),
    Column(gettext_lazy("Top 10%"), "percentile_90"),
    Column(gettext_lazy("Source"), "source"),
    Column(gettext_lazy("As of"), "as_of"),
])
# Rows are (selectors.pay.PositionCompa, CompaRow): everyone's pay, as the report shows it to WORKFORCE_PAY.
COMPA_EXPORT = Export(name="compa-ratios", object_type="workforce.employee", columns=[
    Column(gettext_lazy("Position"), lambda pair: pair[0].position.title),
    Column(gettext_lazy("Employee"), lambda pair: pair[1].employee.display_name),
    Column(gettext_lazy("Current rate"), lambda pair: pair[1].amount),
    Column(gettext_lazy("Basis"), lambda pair: pair[1].rate.get_basis_display()),
    Column(gettext_lazy("A year"), lambda pair: pair[1].annual),
    Column(gettext_lazy("Compa-ratio"), lambda pair: pair[1].position_ratio),
    Column(gettext_lazy("Vs market median"), lambda pair: pair[1].benchmark_ratio),
])


@require_GET
@permission_required(Perm.WORKFORCE_PAY)
def benchmark_list(request: HttpRequest) -> HttpResponse:
    benchmarks = selectors.benchmark_list(actor=request.user)
    if export_format(request):
        return export_response(request, benchmarks, BENCHMARK_EXPORT)
    return render(request, "workforce/pay/benchmark_list.html", {
        "benchmarks": benchmarks,
        "can_edit": _may_edit_benchmarks(request),
    })


def _benchmark_form_page(request: HttpRequest, form: PayBenchmarkForm, benchmark: PayBenchmark | None) -> HttpResponse:
    return render(request, "workforce/pay/benchmark_form.html", {"form": form, "benchmark": benchmark},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_PAY)
def benchmark_create(request: HttpRequest) -> HttpResponse:
    _require_benchmark_editor(request)
    form = PayBenchmarkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pay_benchmark_create(actor=request.user, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Benchmark added."))
            return redirect("workforce:benchmark_list")
    return _benchmark_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_PAY)
def benchmark_edit(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark = get_scoped_or_404(request, selectors.benchmark_list(actor=request.user),
                                  permission=Perm.WORKFORCE_PAY, pk=pk)
    _require_benchmark_editor(request)
    form = PayBenchmarkForm(request.POST or None, instance=PayBenchmark.objects.get(pk=benchmark.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.pay_benchmark_update(actor=request.user, benchmark=benchmark, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Benchmark saved."))
            return redirect("workforce:benchmark_list")
    return _benchmark_form_page(request, form, benchmark)


@require_GET
@permission_required(Perm.WORKFORCE_PAY)
def compa_ratio_report(request: HttpRequest) -> HttpResponse:
    try:
        groups = selectors.compa_ratio_report(actor=request.user)  # audits each employee's pay shown
    except PermissionDenied as exc:
        raise Http404() from exc
    if export_format(request):
        return export_response(request, [(group, row) for group in groups for row in group.rows], COMPA_EXPORT)
    return render(request, "workforce/pay/compa_ratio.html", {"groups": groups})
