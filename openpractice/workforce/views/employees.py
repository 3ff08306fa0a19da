"""Employee pages under /workforce/employees/: list (search, status), HR record, create/edit, SSN and bank
reveal (workforce.manage, audited), documents (upload, permission-checked download, delete after retention),
termination, and "My profile" (self-service). Thin views: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    deny,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..choices import EmployeeStatus
from ..forms_employees import DocumentForm, EmployeeForm, TerminateForm
from ..forms_onboarding import ChecklistStartForm
from ..models import Employee
from ..selectors import employees as selectors
from ..selectors import onboarding as onboarding_selectors
from ..services import employees as services
from ..services.employees import SENSITIVE_FIELDS, mask_last4


def _employee(request: HttpRequest, pk: int, permission: str) -> Employee:
    return get_scoped_or_404(request, selectors.employee_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _detail_url(employee: Employee) -> str:
    return reverse("workforce:employee_detail", args=[employee.pk])


# What the list shows every workforce.view holder: no pay, no identifiers, no contact details.
EMPLOYEE_EXPORT = Export(name="employees", object_type="workforce.employee", columns=[
    Column(gettext_lazy("Last name"), "last_name"),
    Column(gettext_lazy("First name"), lambda employee: employee.preferred_name or employee.first_name),
    Column(gettext_lazy("Number"), "employee_number"),
    Column(gettext_lazy("Position"), "position.title"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Manager"), "manager.display_name"),
    Column(gettext_lazy("Hired"), "hire_date"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def employee_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    queryset = selectors.employee_list(actor=request.user, text=request.GET.get("q") or "", status=status)
    # The selector searched (name, number, email); the table only sorts and pages.
    rows = table(request, queryset, sorts={"name": "last_name", "number": "employee_number",
                                           "hired": "hire_date", "location": "location__name"},
                 default_sort="name", element_id="employee-table")
    return render_table(request, "workforce/employees/employee_list.html", {
        "table": rows, "table_template": "workforce/employees/_employee_table.html",
        "filter_template": "workforce/employees/_employee_filter.html", "status": status,
        "export": EMPLOYEE_EXPORT,
        "statuses": [("", _("Current")), *EmployeeStatus.choices, ("all", _("All"))],
        "can_create": can(request.user, Perm.WORKFORCE_MANAGE),
    })


def _sensitive_rows(employee: Employee) -> list[tuple[str, str, str]]:
    return [(name, label, mask_last4(getattr(employee, name)))
            for name, label in selectors.SENSITIVE_LABELS.items()]


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk, Perm.WORKFORCE_VIEW)
    can_manage = selectors.may_see_sensitive(request.user, employee)
    return render(request, "workforce/employees/employee_detail.html", {
        "employee": employee,
        "sensitive": _sensitive_rows(employee),
        "can_manage": can_manage,
        "documents": selectors.document_list(employee=employee),
        "checklists": onboarding_selectors.checklists_of(employee=employee),
        "reports": selectors.direct_reports(actor=request.user, employee=employee),
        "document_form": DocumentForm() if can_manage else None,
        "start_form": ChecklistStartForm(initial={"starts_on": practice_today()}) if can_manage else None,
        "is_terminated": employee.status == EmployeeStatus.TERMINATED,
    })


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def employee_sensitive(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Show one clear value (an audited reveal); the page shows it once, nothing caches it."""
    employee = _employee(request, pk, Perm.WORKFORCE_VIEW)
    if field not in SENSITIVE_FIELDS:
        raise Http404()
    value = selectors.sensitive_reveal(actor=request.user, employee=employee, field=field)
    if value is None:
        raise deny(request, permission=Perm.WORKFORCE_MANAGE, object_type="workforce.employee", object_id=employee.pk)
    response = render(request, "workforce/employees/sensitive_value.html", {
        "employee": employee, "label": selectors.SENSITIVE_LABELS[field], "value": value})
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def employee_create(request: HttpRequest) -> HttpResponse:
    form = EmployeeForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            employee = services.employee_create(actor=request.user, data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Employee record created."))
            return redirect(_detail_url(employee))
    return render(request, "workforce/employees/employee_form.html", {"form": form, "employee": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def employee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk, Perm.WORKFORCE_MANAGE)
    form = EmployeeForm(request.POST or None, instance=employee, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.employee_update(actor=request.user, employee=employee, data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Employee record saved."))
            return redirect(_detail_url(employee))
    return render(request, "workforce/employees/employee_form.html", {"form": form, "employee": employee},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def employee_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk, Perm.WORKFORCE_MANAGE)
    if employee.status == EmployeeStatus.TERMINATED:
        messages.info(request, _("This employee is already terminated."))
        return redirect(_detail_url(employee))
    form = TerminateForm(request.POST or None, initial={"termination_date": practice_today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.employee_terminate(actor=request.user, employee=employee,
                                        termination_date=form.cleaned_data["termination_date"],
                                        reason=form.cleaned_data["termination_reason"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Employment terminated; their access has ended."))
            return redirect(_detail_url(employee))
    return render(request, "workforce/employees/employee_terminate.html", {"form": form, "employee": employee},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk, Perm.WORKFORCE_MANAGE)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_upload(actor=request.user, employee=employee, kind=form.cleaned_data["kind"],
                                     title=form.cleaned_data["title"], upload=form.cleaned_data["file"],
                                     retain_until=form.cleaned_data["retain_until"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Document filed."))
            return redirect(_detail_url(employee))
    return render(request, "workforce/employees/document_form.html", {"form": form, "employee": employee},
                  status=400)


@require_GET
@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """HR (workforce.view in scope) or the employee themselves."""
    document = get_scoped_or_404(request, selectors.document_scoped(actor=request.user),
                                 permission=Perm.WORKFORCE_VIEW, pk=pk)
    try:
        handle: Any = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    record(actor=request.user, action="workforce.document_viewed", target=document,
           location_id=document.employee.location_id)
    extension = (document.file.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True, content_type=document.content_type,
                            filename=f"employee-{document.employee_id}-{document.kind}-{document.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_scoped_or_404(request, selectors.document_scoped(actor=request.user),
                                 permission=Perm.WORKFORCE_MANAGE, pk=pk)
    employee = document.employee
    try:
        services.document_delete(actor=request.user, document=document)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Document deleted."))
    return redirect(_detail_url(employee))


@require_GET
@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    """Self-service: the person's own record (sensitive values masked), documents and open tasks."""
    employee = selectors.my_employee(actor=request.user)
    return render(request, "workforce/employees/my_profile.html", {
        "employee": employee,
        "sensitive": _sensitive_rows(employee) if employee else [],
        "documents": selectors.document_list(employee=employee) if employee else [],
        "tasks": onboarding_selectors.my_open_tasks(actor=request.user),
    })
