"""Time and payroll-prep pages.

Self-service (any signed-in employee): my timesheet (the week, clock in/out, PTO balance and requests), weekly hours
entry, requesting and cancelling PTO. workforce.payroll: the time-entry list and an employee's week (corrections)
in scope, PTO approval, pay periods (create and close at every location) and the payroll CSV export.
Out of scope answers 404 and is audited; a refused write changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.spreadsheet import csv_cell
from openpractice.core.web import (
    add_service_errors,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..choices import PayPeriodStatus, PtoStatus, TimeKind
from ..forms_time import PayPeriodForm, PtoDecisionForm, PtoRequestForm, WeekForm
from ..models import Employee
from ..selectors import time as selectors
from ..selectors.scope import own_employee
from ..services import time as services

ENTRY_SORTS = {"date": "work_date", "employee": "employee__last_name", "kind": "kind", "hours": "hours"}
ENTRY_SEARCH = ("employee__first_name", "employee__last_name", "employee__employee_number", "note")
ENTRY_EXPORT = Export(name="time entries", object_type="workforce.timeentry", columns=[
    Column(gettext_lazy("Date"), "work_date"),
    Column(gettext_lazy("Employee"), "employee.display_name"),
    Column(gettext_lazy("Employee number"), "employee.employee_number"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Hours"), "hours"),
    Column(gettext_lazy("Clocked in, not out"), lambda entry: entry.hours is None),
    Column(gettext_lazy("Entered by"), "get_source_display"),
    Column(gettext_lazy("Location"), "employee.location.name"),
    Column(gettext_lazy("Note"), "note"),
])
PTO_EXPORT = Export(name="PTO requests", object_type="workforce.ptorequest", columns=[
    Column(gettext_lazy("Employee"), "employee.display_name"),
    Column(gettext_lazy("Employee number"), "employee.employee_number"),
    Column(gettext_lazy("From"), "starts_on"),
    Column(gettext_lazy("To"), "ends_on"),
    Column(gettext_lazy("Hours"), "hours"),
    Column(gettext_lazy("Note"), "reason"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Decided by"), "decided_by"),
    Column(gettext_lazy("Decision note"), "decision_note"),
])
PERIOD_EXPORT = Export(name="pay periods", object_type="workforce.payperiod", columns=[
    Column(gettext_lazy("Starts"), "starts_on"),
    Column(gettext_lazy("Ends"), "ends_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Closed by"), "closed_by"),
    Column(gettext_lazy("Closed"), "closed_at"),
])


def _week_of(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("week") or "")
    except ValueError:
        return practice_today()


def _no_record(request: HttpRequest) -> HttpResponse:
    """Self-service pages for someone with no employee record (they are in everyone's menu): "My time" says why
    there is nothing to enter."""
    return render(request, "workforce/time/mine.html", {"employee": None})


def _week_form(request: HttpRequest, week: selectors.Week) -> WeekForm:
    closed = {row.day for row in week.days if row.closed}
    initial = {f"day_{n}": week.weekly_hours[row.day] or None for n, row in enumerate(week.days)}
    return WeekForm(request.POST or None, monday=week.monday, disabled_days=closed, initial=initial)


# --- self-service ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def time_mine(request: HttpRequest) -> HttpResponse:
    employee = own_employee(request.user)
    context: dict[str, object] = {"employee": employee}
    if employee is not None:
        context.update({
            "week": selectors.timesheet_week(employee=employee, week_of=_week_of(request)),
            "balance": selectors.pto_balance(employee=employee),
            "requests": list(selectors.pto_requests_scoped(actor=request.user).filter(employee=employee)[:20]),
        })
    return render(request, "workforce/time/mine.html", context)


@require_POST
@login_required
def time_clock(request: HttpRequest) -> HttpResponse:
    employee = own_employee(request.user)
    if employee is None:
        return _no_record(request)
    try:
        if request.POST.get("action") == "out":
            entry = services.clock_out(actor=request.user, employee=employee)
            messages.success(request, _("Clocked out: %(hours)s hours.") % {"hours": entry.hours})
        else:
            services.clock_in(actor=request.user, employee=employee)
            messages.success(request, _("Clocked in."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("workforce:time_mine"))


def _save_week(request: HttpRequest, employee: Employee, template: str, done_url: str) -> HttpResponse:
    week = selectors.timesheet_week(employee=employee, week_of=_week_of(request))
    form = _week_form(request, week)
    if request.method == "POST" and form.is_valid():
        try:
            services.timesheet_save_week(actor=request.user, employee=employee, week_of=week.monday,
                                         hours=form.hours_by_day())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Timesheet saved."))
            return redirect(f"{done_url}?week={week.monday.isoformat()}")
    return render(request, template, {"form": form, "week": week, "employee": employee},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def time_week(request: HttpRequest) -> HttpResponse:
    employee = own_employee(request.user)
    if employee is None:
        return _no_record(request)
    return _save_week(request, employee, "workforce/time/week_form.html", reverse("workforce:time_mine"))


@require_http_methods(["GET", "POST"])
@login_required
def pto_request_create(request: HttpRequest) -> HttpResponse:
    employee = own_employee(request.user)
    if employee is None:
        return _no_record(request)
    form = PtoRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pto_request_create(actor=request.user, employee=employee, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("PTO requested."))
            return redirect(reverse("workforce:time_mine"))
    return render(request, "workforce/time/pto_form.html", {
        "form": form, "balance": selectors.pto_balance(employee=employee)}, status=400 if form.errors else 200)


@require_POST
@login_required
def pto_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    pto = get_scoped_or_404(request, selectors.pto_requests_scoped(actor=request.user),
                            permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    try:
        services.pto_request_cancel(actor=request.user, request=pto)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("PTO request cancelled."))
    if pto.employee.user_id == request.user.pk:
        return redirect(reverse("workforce:time_mine"))
    return redirect(reverse("workforce:pto_list"))


# --- payroll ------------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.WORKFORCE_PAYROLL)
def timesheet_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or ""
    if kind not in TimeKind.values:
        kind = ""
    try:
        first = dt.date.fromisoformat(request.GET.get("from") or "")
    except ValueError:
        first = None
    try:
        last = dt.date.fromisoformat(request.GET.get("to") or "")
    except ValueError:
        last = None
    queryset = selectors.time_entry_list(actor=request.user, kind=kind, first=first, last=last).select_related(
        "employee__location")
    rows = table(request, queryset, sorts=ENTRY_SORTS, default_sort="-date", search_fields=ENTRY_SEARCH,
                 element_id="time-table")
    return render_table(request, "workforce/time/entry_list.html", {
        "table": rows, "table_template": "workforce/time/entry_table.html",
        "filter_template": "workforce/time/entry_filter.html", "kind": kind, "kinds": TimeKind.choices,
        "export": ENTRY_EXPORT,
        "first": first, "last": last,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_PAYROLL)
def employee_timesheet(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_scoped_or_404(request, selectors.payroll_employees(actor=request.user),
                                 permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    return _save_week(request, employee, "workforce/time/employee_week.html",
                      reverse("workforce:employee_timesheet", args=[employee.pk]))


@require_GET
@permission_required(Perm.WORKFORCE_PAYROLL)
def pto_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or PtoStatus.PENDING
    if status not in PtoStatus.values:
        status = PtoStatus.PENDING
    chosen = (selectors.pto_requests_scoped(actor=request.user, include_self=False).filter(status=status)
              .order_by("starts_on", "pk"))
    if export_format(request):  # every request of the status, where the page shows the first 200
        return export_response(request, chosen, PTO_EXPORT)
    requests = list(chosen[:200])
    return render(request, "workforce/time/pto_list.html", {
        "requests": requests, "status": status, "statuses": PtoStatus.choices, "form": PtoDecisionForm(),
    })


@require_POST
@permission_required(Perm.WORKFORCE_PAYROLL)
def pto_decide(request: HttpRequest, pk: int) -> HttpResponse:
    pto = get_scoped_or_404(request, selectors.pto_requests_scoped(actor=request.user, include_self=False),
                            permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    form = PtoDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or deny."))
        return redirect(reverse("workforce:pto_list"))
    try:
        services.pto_request_decide(actor=request.user, request=pto,
                                    approve=form.cleaned_data["decision"] == "approve",
                                    note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("PTO request %(status)s.") % {"status": pto.get_status_display().lower()})
    return redirect(reverse("workforce:pto_list"))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_PAYROLL)
def payperiod_list(request: HttpRequest) -> HttpResponse:
    can_close = has_all_locations(request.user, Perm.WORKFORCE_PAYROLL)
    if request.method == "GET" and export_format(request):
        return export_response(request, selectors.pay_period_list(), PERIOD_EXPORT)
    form = PayPeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pay_period_create(actor=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Pay period created."))
            return redirect(reverse("workforce:payperiod_list"))
    return render(request, "workforce/time/payperiod_list.html", {
        "periods": list(selectors.pay_period_list()[:60]), "form": form, "can_close": can_close,
        "today": practice_today(),
        "reopenable_id": (selectors.pay_period_list().filter(status=PayPeriodStatus.CLOSED).order_by("-starts_on")
                          .values_list("pk", flat=True).first()),
    }, status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_PAYROLL)
def payperiod_close(request: HttpRequest, pk: int) -> HttpResponse:
    period = get_scoped_or_404(request, selectors.pay_period_list(), permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    try:
        services.pay_period_close(actor=request.user, period=period)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pay period closed."))
    return redirect(reverse("workforce:payperiod_list"))


@require_POST
@permission_required(Perm.WORKFORCE_PAYROLL)
def payperiod_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """The most recent closed period, with a reason (the service checks both)."""
    period = get_scoped_or_404(request, selectors.pay_period_list(), permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    try:
        services.pay_period_reopen(actor=request.user, period=period, reason=request.POST.get("reason", "")[:200])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pay period reopened: its time can be corrected; close it again when done."))
    return redirect(reverse("workforce:payperiod_list"))


@require_GET
@permission_required(Perm.WORKFORCE_PAYROLL)
def payperiod_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The payroll CSV of a closed period (format: selectors.time.PAYROLL_CSV_HEADER, one row per employee)."""
    period = get_scoped_or_404(request, selectors.pay_period_list(), permission=Perm.WORKFORCE_PAYROLL, pk=pk)
    if period.status != PayPeriodStatus.CLOSED:
        messages.error(request, _("Close the pay period before exporting it."))
        return redirect(reverse("workforce:payperiod_list"))
    rows = selectors.payroll_rows(actor=request.user, period=period)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(selectors.PAYROLL_CSV_HEADER)
    for row in rows:
        writer.writerow([csv_cell(value) for value in selectors.payroll_csv_values(row, period)])
    record(actor=request.user, action="workforce.payroll_exported", target=period,
           reason=f"{len(rows)} employees")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payroll-{period.starts_on}-{period.ends_on}.csv"'
    response["Cache-Control"] = "no-store"
    return response

