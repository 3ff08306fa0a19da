"""Onboarding and offboarding pages under /workforce/onboarding/: open checklists, one checklist with its tasks
(marking a task done or not needed), starting a checklist from an employee's record, and the templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import (
    add_service_errors,
    deny,
    get_scoped_or_404,
    login_required,
    permission_required,
)

from ..forms_onboarding import ChecklistStartForm, TaskStatusForm, TemplateForm, TemplateItemForm
from ..models import ChecklistTask, ChecklistTemplate, ChecklistTemplateItem
from ..selectors import employees as employee_selectors
from ..selectors import onboarding as selectors
from ..services import onboarding as services

CHECKLIST_EXPORT = Export(name="onboarding checklists", object_type="workforce.checklist", columns=[
    Column(gettext_lazy("Employee"), "employee.display_name"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("First (or last) day"), "starts_on"),
    Column(gettext_lazy("Open tasks"), "open_tasks"),
    Column(gettext_lazy("Tasks"), "task_count"),
    Column(gettext_lazy("Completed"), "completed_at"),
])
TEMPLATE_EXPORT = Export(name="checklist templates", object_type="workforce.checklisttemplate", columns=[
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Position"), lambda template: template.position.title if template.position
           else _("Every position")),
    Column(gettext_lazy("Tasks"), "item_count"),
    Column(gettext_lazy("Active"), "is_active"),
])


@require_GET
@permission_required(Perm.WORKFORCE_SCHEDULE)
def checklist_list(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    checklists = selectors.checklist_list(actor=request.user, open_only=not show_all)
    if export_format(request):  # every checklist the filter selects, where the page shows the first 200
        return export_response(request, checklists, CHECKLIST_EXPORT)
    return render(request, "workforce/onboarding/checklist_list.html", {
        "checklists": checklists[:200],
        "show_all": show_all,
    })


@require_GET
@permission_required(Perm.WORKFORCE_SCHEDULE)
def checklist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    checklist = get_scoped_or_404(request, selectors.checklist_scoped(actor=request.user),
                                  permission=Perm.WORKFORCE_SCHEDULE, pk=pk)
    tasks = list(selectors.checklist_tasks(checklist=checklist))
    for task in tasks:
        task.checklist = checklist  # may_work_task reads the employee's location from it
        task.may_work = services.may_work_task(request.user, task)  # type: ignore[attr-defined]
    may_open_record = employee_selectors.employee_scoped(actor=request.user).filter(pk=checklist.employee_id).exists()
    return render(request, "workforce/onboarding/checklist_detail.html", {
        "checklist": checklist, "tasks": tasks, "may_open_record": may_open_record,
    })


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def checklist_start(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_scoped_or_404(request, employee_selectors.employee_scoped(actor=request.user,
                                                                             permission=Perm.WORKFORCE_MANAGE),
                                 permission=Perm.WORKFORCE_MANAGE, pk=pk)
    form = ChecklistStartForm(request.POST)
    if form.is_valid():
        try:
            checklist = services.checklist_start(actor=request.user, employee=employee, kind=form.cleaned_data["kind"],
                                                 starts_on=form.cleaned_data["starts_on"],
                                                 template=form.cleaned_data["template"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Checklist started."))
            return redirect("workforce:checklist_detail", pk=checklist.pk)
    else:
        messages.error(request, _("Choose the kind of checklist and the first (or last) day."))
    return redirect("workforce:employee_detail", pk=employee.pk)


@require_POST
@login_required
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The task's owner (whoever they are) or a workforce.manage holder where the employee works."""
    task = ChecklistTask.objects.select_related("checklist__employee").filter(pk=pk).first()
    if task is None:
        raise Http404()
    if not services.may_work_task(request.user, task):  # before reading the form: the same 404 for any POST
        raise deny(request, permission=Perm.WORKFORCE_MANAGE, object_type="workforce.checklisttask",
                   object_id=task.pk)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done, not needed or open."))
    else:
        try:
            services.task_set_status(actor=request.user, task=task, status=form.cleaned_data["status"],
                                     note=form.cleaned_data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Task updated."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("workforce:checklist_detail", args=[task.checklist_id])
    return redirect(target)


@require_GET
@permission_required(Perm.WORKFORCE_MANAGE)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = selectors.template_list()
    if export_format(request):
        return export_response(request, templates, TEMPLATE_EXPORT)
    return render(request, "workforce/onboarding/template_list.html", {"templates": templates})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def template_create(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(actor=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Template created. Add its tasks."))
            return redirect("workforce:template_detail", pk=template.pk)
    return render(request, "workforce/onboarding/template_form.html", {"form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The template's items; POST adds one."""
    template = get_scoped_or_404(request, selectors.template_list(), permission=Perm.WORKFORCE_MANAGE, pk=pk)
    form = TemplateItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_item_add(actor=request.user, template=template, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task added."))
            return redirect("workforce:template_detail", pk=template.pk)
    return render(request, "workforce/onboarding/template_detail.html", {
        "template": template, "items": selectors.template_items(template=template), "form": form,
    }, status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def template_item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped_or_404(request, ChecklistTemplateItem.objects.select_related("template"),
                             permission=Perm.WORKFORCE_MANAGE, pk=pk)
    try:
        services.template_item_remove(actor=request.user, item=item)
    except PermissionDenied as exc:
        raise Http404() from exc
    messages.success(request, _("Task removed from the template."))
    return redirect("workforce:template_detail", pk=item.template_id)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def template_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_scoped_or_404(request, ChecklistTemplate.objects.all(), permission=Perm.WORKFORCE_MANAGE, pk=pk)
    try:
        services.template_set_active(actor=request.user, template=template, active=not template.is_active)
    except PermissionDenied as exc:
        raise Http404() from exc
    return redirect("workforce:template_detail", pk=template.pk)
