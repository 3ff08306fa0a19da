"""Training pages: assignments (all, overdue), the course catalog, assigning, completing with a certificate,
waiving, the certificate download, one's own training, and the PHI-block setting.

workforce.view lists, workforce.manage changes; an employee reaches their own assignments (self-service) to read
them, complete them with a certificate and download it. Out of scope answers 404 and is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, has_all_locations, locations_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export, export_format, export_response
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

from ..choices import TrainingStatus
from ..forms_training import AssignForm, CompleteForm, CourseForm, TrainingSettingsForm, WaiveForm
from ..models import TrainingAssignment
from ..selectors import training as selectors
from ..selectors.scope import own_employee
from ..services import training as services

ASSIGNMENT_SORTS = {"due": "due_on", "employee": "employee__last_name", "course": "course__title",
                    "status": "status"}
ASSIGNMENT_SEARCH = ("employee__first_name", "employee__last_name", "employee__employee_number", "course__title")


def assignment_export(today: dt.date, name: str = "training") -> Export:
    return Export(name=name, object_type="workforce.trainingassignment", columns=[
        Column(gettext_lazy("Employee"), "employee.display_name"),
        Column(gettext_lazy("Employee number"), "employee.employee_number"),
        Column(gettext_lazy("Course"), "course.title"),
        Column(gettext_lazy("HIPAA"), "course.is_hipaa"),
        Column(gettext_lazy("Due"), "due_on"),
        Column(gettext_lazy("Overdue"), lambda row: row.status == TrainingStatus.ASSIGNED and row.due_on < today),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Valid until"), "valid_until"),
    ])


def my_training_export(today: dt.date) -> Export:
    return Export(name="my training", object_type="workforce.trainingassignment", columns=[
        Column(gettext_lazy("Course"), "course.title"),
        Column(gettext_lazy("Due"), "due_on"),
        Column(gettext_lazy("Overdue"), lambda row: row.status == TrainingStatus.ASSIGNED and row.due_on < today),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Valid until"), "valid_until"),
    ])


COURSE_EXPORT = Export(name="courses", object_type="workforce.course", columns=[
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("HIPAA"), "is_hipaa"),
    Column(gettext_lazy("Repeats every (months)"), "recurrence_months"),
    Column(gettext_lazy("Due within (days)"), "due_within_days"),
    Column(gettext_lazy("Active"), "is_active"),
])


def _visible_assignment(request: HttpRequest, pk: int) -> TrainingAssignment:
    """Reached through workforce.view in scope, or the actor's own."""
    return get_scoped_or_404(request, selectors.assignment_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_VIEW, pk=pk)


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def assignment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status not in TrainingStatus.values:
        status = ""
    overdue = request.GET.get("overdue") == "1"
    rows = table(request, selectors.assignment_list(actor=request.user, status=status, overdue=overdue),
                 sorts=ASSIGNMENT_SORTS, default_sort="due", search_fields=ASSIGNMENT_SEARCH,
                 element_id="training-table")
    return render_table(request, "workforce/training/assignment_list.html", {
        "table": rows, "table_template": "workforce/training/assignment_table.html",
        "filter_template": "workforce/training/assignment_filter.html", "status": status, "overdue": overdue,
        "statuses": TrainingStatus.choices, "today": practice_today(), "export": assignment_export(practice_today()),
        "can_manage": can(request.user, Perm.WORKFORCE_MANAGE),
    })


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def overdue_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.overdue_list(actor=request.user), sorts=ASSIGNMENT_SORTS, default_sort="due",
                 search_fields=ASSIGNMENT_SEARCH, element_id="training-table")
    return render_table(request, "workforce/training/overdue_list.html", {
        "table": rows, "table_template": "workforce/training/assignment_table.html", "today": practice_today(),
        "export": assignment_export(practice_today(), "overdue training"),
    })


@require_GET
@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    if export_format(request):
        return export_response(request, selectors.own_assignments(actor=request.user),
                               my_training_export(practice_today()))
    employee = own_employee(request.user)
    assignments = list(selectors.own_assignments(actor=request.user))
    return render(request, "workforce/training/mine.html", {
        "employee": employee, "assignments": assignments, "today": practice_today(),
    })


@require_GET
@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request, pk)
    is_own = assignment.employee.user_id == request.user.pk
    return render(request, "workforce/training/assignment_detail.html", {
        "assignment": assignment, "is_own": is_own, "today": practice_today(),
        "can_manage": selectors.assignable_employees(actor=request.user).filter(pk=assignment.employee_id).exists(),
    })


@require_http_methods(["GET", "POST"])
@login_required
def assignment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request, pk)
    form = CompleteForm(request.POST or None, request.FILES or None,
                        initial={"completed_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        try:
            done = services.training_complete(
                actor=request.user, assignment=assignment, completed_on=form.cleaned_data["completed_on"],
                evidence=form.cleaned_data["evidence"], score=form.cleaned_data["score"],
                note=form.cleaned_data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if done.next_assignment is not None:
                messages.success(request, _("Training completed. The next round is due on %(date)s.")
                                 % {"date": done.next_assignment.due_on})
            else:
                messages.success(request, _("Training completed."))
            return redirect(reverse("workforce:training_detail", args=[assignment.pk]))
    return render(request, "workforce/training/complete.html", {"form": form, "assignment": assignment},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def assignment_waive(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request, pk)
    form = WaiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the training is waived."))
        return redirect(reverse("workforce:training_detail", args=[assignment.pk]))
    try:
        services.training_waive(actor=request.user, assignment=assignment, note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Training waived."))
    return redirect(reverse("workforce:training_detail", args=[assignment.pk]))


@require_GET
@login_required
def certificate_download(request: HttpRequest, pk: int) -> FileResponse:
    assignment = _visible_assignment(request, pk)
    if not assignment.evidence:
        raise Http404()
    try:
        handle: Any = assignment.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    record(actor=request.user, action="workforce.training_certificate_viewed", target=assignment,
           location_id=assignment.employee.location_id)
    extension = (assignment.evidence.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True, content_type=selectors.evidence_content_type(assignment),
                            filename=f"training-certificate-{assignment.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def assignment_create(request: HttpRequest) -> HttpResponse:
    form = AssignForm(
        request.POST or None, initial={"employee": request.GET.get("employee"), "course": request.GET.get("course")},
        courses=selectors.course_list(actor=request.user, active_only=True),
        employees=selectors.assignable_employees(actor=request.user),
        positions=selectors.assignable_positions(actor=request.user),
        locations=locations_where(request.user, Perm.WORKFORCE_MANAGE))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.training_assign(
                actor=request.user, course=data["course"], employee=data["employee"], position=data["position"],
                location_id=data["location"].pk if data["location"] else None, due_on=data["due_on"],
                note=data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(count)s assignment(s) made.") % {"count": len(result.created)})
            if result.already_open:
                messages.info(request, _("Already open, left as it was: %(names)s.")
                              % {"names": ", ".join(str(employee) for employee in result.already_open)})
            return redirect(reverse("workforce:training_list"))
    return render(request, "workforce/training/assign.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def course_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.course_list(actor=request.user),
                 sorts={"title": "title", "code": "code"}, default_sort="title",
                 search_fields=("title", "code", "provider_name"), element_id="course-table")
    return render_table(request, "workforce/training/course_list.html", {
        "table": rows, "table_template": "workforce/training/course_table.html", "export": COURSE_EXPORT,
        "can_manage": can(request.user, Perm.WORKFORCE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                actor=request.user, data={name: form.cleaned_data[name] for name in services.COURSE_FIELDS})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Course “%(title)s” added.") % {"title": course.title})
            return redirect(reverse("workforce:course_list"))
    return render(request, "workforce/training/course_form.html", {"form": form, "course": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_scoped_or_404(request, selectors.course_list(actor=request.user), permission=Perm.WORKFORCE_MANAGE,
                               pk=pk)
    # The form edits a copy, so a refused or invalid change leaves `course` as stored.
    form = CourseForm(request.POST or None, instance=selectors.course_list(actor=request.user).get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(actor=request.user, course=course,
                                   data={name: form.cleaned_data[name] for name in form.changed_data})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Course saved."))
            return redirect(reverse("workforce:course_list"))
    return render(request, "workforce/training/course_form.html", {"form": form, "course": course},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def training_settings(request: HttpRequest) -> HttpResponse:
    # A practice-wide setting: workforce.manage at one location is not enough (404, audited).
    if not has_all_locations(request.user, Perm.WORKFORCE_MANAGE):
        raise deny(request, permission=f"{Perm.WORKFORCE_MANAGE} at all locations")
    enabled = selectors.phi_block_enabled()
    form = TrainingSettingsForm(request.POST or None, initial={"block_phi_without_hipaa_training": enabled})
    if request.method == "POST" and form.is_valid():
        try:
            services.training_settings_update(
                actor=request.user,
                block_phi_without_hipaa_training=form.cleaned_data["block_phi_without_hipaa_training"])
        except PermissionDenied as exc:
            raise Http404() from exc
        messages.success(request, _("Training settings saved."))
        return redirect(reverse("workforce:training_settings"))
    return render(request, "workforce/training/settings.html", {"form": form, "enabled": enabled})
