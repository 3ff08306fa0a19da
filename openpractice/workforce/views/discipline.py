"""Discipline pages. Confidential: workforce.discipline holders in scope manage an employee's actions (never their
own); the employee reads and acknowledges their own. Anyone else gets 404 (audited) and nothing changes. Every page
that shows an action records one audit event per action shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import MAX_EXPORT_ROWS, Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..choices import DisciplineStatus, DisciplineStep
from ..forms_discipline import AcknowledgeForm, CloseForm, FollowUpAddForm, FollowUpRecordForm, IssueForm
from ..models import DisciplinaryAction
from ..selectors import discipline as selectors
from ..services import discipline as services

STEP_LABELS = dict(DisciplineStep.choices)
# The list's columns; the notes and the action's narrative stay on its own audited page.
ACTION_EXPORT = Export(name="disciplinary actions", object_type="workforce.disciplinaryaction", columns=[
    Column(gettext_lazy("Date"), "occurred_on"),
    Column(gettext_lazy("Employee"), "employee.display_name"),
    Column(gettext_lazy("Employee number"), "employee.employee_number"),
    Column(gettext_lazy("Step"), "get_step_display"),
    Column(gettext_lazy("Policy"), "policy"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Acknowledged"), "acknowledged_at"),
])
MY_ACTION_EXPORT = Export(name="my disciplinary record", object_type="workforce.disciplinaryaction", columns=[
    Column(gettext_lazy("Date"), "occurred_on"),
    Column(gettext_lazy("Step"), "get_step_display"),
    Column(gettext_lazy("Policy"), "policy"),
    Column(gettext_lazy("Acknowledged"), "acknowledged_at"),
])


def _export_actions(request: HttpRequest, queryset: Any, export: Export, how: str) -> HttpResponse:
    """A file of actions is a showing of each: one audit event per action in it, as on the pages."""
    actions = list(queryset)
    if len(actions) <= MAX_EXPORT_ROWS:
        selectors.actions_viewed(actor=request.user, actions=actions, how=how)
    return export_response(request, actions, export)


@require_GET
@permission_required(Perm.WORKFORCE_DISCIPLINE)
def action_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.action_scoped(actor=request.user)
    status = request.GET.get("status") or ""
    if status == "open":
        queryset = queryset.filter(status=DisciplineStatus.OPEN)
    elif status == "closed":
        queryset = queryset.exclude(status=DisciplineStatus.OPEN)
    rows = table(request, queryset, sorts={"date": "occurred_on", "employee": "employee__last_name", "step": "step"},
                 default_sort="-date", search_fields=("employee__first_name", "employee__last_name", "policy"),
                 element_id="discipline-table")
    if export_format(request) and rows.queryset is not None:
        return _export_actions(request, rows.queryset, ACTION_EXPORT, "export")
    selectors.actions_viewed(actor=request.user, actions=rows.page.object_list, how="list")
    return render_table(request, "workforce/discipline/action_list.html", {
        "table": rows, "table_template": "workforce/discipline/action_table.html",
        "filter_template": "workforce/discipline/action_filter.html", "status": status, "export": ACTION_EXPORT,
    })


@require_GET
@login_required
def my_actions(request: HttpRequest) -> HttpResponse:
    own = selectors.own_actions(actor=request.user).order_by("-occurred_on", "-pk")
    if export_format(request):
        return _export_actions(request, own, MY_ACTION_EXPORT, "own export")
    actions = list(own)
    selectors.actions_viewed(actor=request.user, actions=actions, how="own list")
    return render(request, "workforce/discipline/mine.html", {"actions": actions})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_DISCIPLINE)
def action_create(request: HttpRequest) -> HttpResponse:
    employees = selectors.disciplinable_employees(actor=request.user).order_by("last_name", "first_name", "pk")
    source = request.POST if request.method == "POST" else request.GET
    raw = source.get("employee") or ""
    chosen = employees.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
    history = (selectors.employee_history(actor=request.user, employee=chosen) if chosen is not None
               else DisciplinaryAction.objects.none())
    latest = history.first()
    form = IssueForm(request.POST or None, employees=employees, previous=history,
                     initial={"employee": chosen.pk if chosen else None, "occurred_on": practice_today(),
                              "previous": latest.pk if latest else None})
    skipped = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        skipped = selectors.step_skip(employee=data["employee"], step=data["step"])
        if skipped is None or data["confirm_skip"]:
            try:
                issued = services.discipline_issue(
                    actor=request.user, employee=data["employee"], step=data["step"],
                    occurred_on=data["occurred_on"], policy=data["policy"], facts=data["facts"],
                    expectations=data["expectations"], previous=data["previous"],
                    follow_up_dates=form.follow_up_dates())
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(step)s recorded.") % {"step": STEP_LABELS[issued.action.step]})
                return redirect(reverse("workforce:discipline_detail", args=[issued.action.pk]))
    warning = None
    if skipped is not None:
        warning = _("This step skips a level: the last step for this employee was %(last)s.") % {
            "last": STEP_LABELS.get(skipped[0], _("none"))}
    return render(request, "workforce/discipline/action_form.html", {
        "form": form, "warning": warning, "employee": chosen,
    }, status=400 if form.errors else 200)


def _visible(request: HttpRequest, pk: int) -> DisciplinaryAction:
    return get_scoped_or_404(request, selectors.action_visible(actor=request.user),
                             permission=Perm.WORKFORCE_DISCIPLINE, pk=pk)


def _managed(request: HttpRequest, pk: int) -> DisciplinaryAction:
    return get_scoped_or_404(request, selectors.action_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_DISCIPLINE, pk=pk)


@require_GET
@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    is_own = action.employee.user_id == request.user.pk
    selectors.actions_viewed(actor=request.user, actions=[action], how="own detail" if is_own else "detail")
    return render(request, "workforce/discipline/action_detail.html", {
        "action": action, "is_own": is_own, "follow_ups": selectors.follow_ups_of(action),
        "next_steps": list(action.next_steps.order_by("occurred_on", "pk")) if not is_own else [],
        "acknowledge_form": AcknowledgeForm() if is_own and action.acknowledged_at is None else None,
        "follow_up_form": FollowUpAddForm() if not is_own and action.status == DisciplineStatus.OPEN else None,
        "record_form": FollowUpRecordForm(initial={"done_on": practice_today()}) if not is_own else None,
        "close_form": CloseForm() if not is_own and action.status == DisciplineStatus.OPEN else None,
    })


def _back(action: DisciplinaryAction) -> HttpResponse:
    return redirect(reverse("workforce:discipline_detail", args=[action.pk]))


def _report(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@require_POST
@permission_required(Perm.WORKFORCE_DISCIPLINE)
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    action = _managed(request, pk)
    form = FollowUpAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the follow-up date."))
        return _back(action)
    try:
        services.discipline_follow_up_add(actor=request.user, action=action, due_on=form.cleaned_data["due_on"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Follow-up planned."))
    return _back(action)


@require_POST
@permission_required(Perm.WORKFORCE_DISCIPLINE)
def follow_up_record(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_scoped_or_404(request, selectors.follow_up_scoped(actor=request.user),
                                  permission=Perm.WORKFORCE_DISCIPLINE, pk=pk)
    form = FollowUpRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date and the outcome of the follow-up."))
        return _back(follow_up.action)
    try:
        services.discipline_follow_up_record(actor=request.user, follow_up=follow_up,
                                             done_on=form.cleaned_data["done_on"],
                                             outcome=form.cleaned_data["outcome"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Follow-up recorded."))
    return _back(follow_up.action)


@require_POST
@permission_required(Perm.WORKFORCE_DISCIPLINE)
def action_close(request: HttpRequest, pk: int) -> HttpResponse:
    action = _managed(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the action closes."))
        return _back(action)
    try:
        services.discipline_close(actor=request.user, action=action, status=form.cleaned_data["status"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Action closed."))
    return _back(action)


@require_POST
@login_required
def action_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the employee's own action: anyone else (HR included) gets the 404 of a record they cannot see.
    action = get_scoped_or_404(request, selectors.own_actions(actor=request.user), permission="own record", pk=pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():  # an optional text field: only a malformed post gets here
        return _back(action)
    try:
        services.discipline_acknowledge(actor=request.user, action=action, comment=form.cleaned_data["comment"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Acknowledged. Thank you."))
    return _back(action)
