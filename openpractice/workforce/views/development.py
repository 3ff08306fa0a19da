"""Development plans under /workforce/development/: the plans a manager works, starting one for an employee
(pre-filled from the career gap), one plan with its steps, editing and closing it.

Every route is open to signed-in users and decides by the object: workforce.manage where the employee works or
the employee's manager writes; the employee reads their own plan. Anything else is the same 404 as a plan that
does not exist (audited). Services check again and audit every write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, login_required

from ..choices import PlanStatus
from ..forms_development import ItemDoneForm, PlanCloseForm, PlanForm, PlanItemForm
from ..models import DevelopmentPlan, DevelopmentPlanItem
from ..selectors import development as selectors
from ..selectors.career import career_employees
from ..services import development as services

PLAN_MONTHS = 12  # a new plan's default length


def _managed_plan(request: HttpRequest, pk: int) -> DevelopmentPlan:
    return get_scoped_or_404(request, selectors.plans_managed(actor=request.user),
                             permission=Perm.WORKFORCE_MANAGE, pk=pk)


def _managed_item(request: HttpRequest, pk: int) -> DevelopmentPlanItem:
    return get_scoped_or_404(request, selectors.items_managed(actor=request.user),
                             permission=Perm.WORKFORCE_MANAGE, pk=pk)


PLAN_EXPORT = Export(name="development plans", object_type="workforce.developmentplan", columns=[
    Column(gettext_lazy("Employee"), "employee.display_name"),
    Column(gettext_lazy("Plan"), "title"),
    Column(gettext_lazy("Towards"), "target_position.title"),
    Column(gettext_lazy("Target date"), "target_date"),
    Column(gettext_lazy("Steps done"), "done_count"),
    Column(gettext_lazy("Steps"), "item_count"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


@require_GET
@login_required
def devplan_list(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    plans = selectors.plan_list(actor=request.user, active_only=not show_all)
    if export_format(request):  # every plan the filter selects, where the page shows the first 200
        return export_response(request, plans, PLAN_EXPORT)
    return render(request, "workforce/development/plan_list.html", {
        "plans": plans[:200],
        "show_all": show_all,
        "own_plan_id": selectors.own_active_plan_id(actor=request.user),
        "today": practice_today(),
        "reports_without_plan": selectors.reports_without_plan(actor=request.user),
    })


def _default_target_date(starts_on: dt.date) -> dt.date:
    try:
        return starts_on.replace(year=starts_on.year + PLAN_MONTHS // 12)
    except ValueError:  # 29 February
        return starts_on.replace(year=starts_on.year + PLAN_MONTHS // 12, day=28)


@require_http_methods(["GET", "POST"])
@login_required
def devplan_create(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_scoped_or_404(request, selectors.development_employees(actor=request.user),
                                 permission=Perm.WORKFORCE_MANAGE, pk=pk)
    today = practice_today()
    target = selectors.default_target(employee)
    initial: dict[str, Any] = {
        "title": (_("Towards %(title)s") % {"title": target.title}) if target else _("Development plan"),
        "target_position": target, "starts_on": today, "target_date": _default_target_date(today),
        "prefill": True,
    }
    form = PlanForm(request.POST or None, initial=initial, with_prefill=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(actor=request.user, employee=employee, title=data["title"],
                                        target_position=data["target_position"], starts_on=data["starts_on"],
                                        target_date=data["target_date"], note=data["note"],
                                        prefill=data["prefill"], today=today)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Development plan started."))
            return redirect("workforce:devplan_detail", pk=plan.pk)
    # The preview follows what the form holds (after a failed POST) or the defaults.
    values = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else initial
    preview_target = values.get("target_position") if form.is_bound else target
    starts_on, target_date = values.get("starts_on") or today, values.get("target_date") or initial["target_date"]
    preview = (selectors.propose_items(employee=employee, target=preview_target, starts_on=starts_on,
                                       target_date=target_date, today=today)
               if target_date >= starts_on else [])
    active = DevelopmentPlan.objects.filter(employee=employee, status=PlanStatus.ACTIVE).first()
    return render(request, "workforce/development/plan_form.html", {
        "form": form, "employee": employee, "plan": None, "preview": preview, "active_plan": active,
        "may_open_career": _may_open_career(request, employee.pk),
    }, status=400 if form.errors else 200)


def _may_open_career(request: HttpRequest, employee_id: int) -> bool:
    return career_employees(actor=request.user).filter(pk=employee_id).exists()


def _detail_page(request: HttpRequest, plan: DevelopmentPlan, *, item_form: PlanItemForm | None = None,
                 status: int = 200) -> HttpResponse:
    today = practice_today()
    rows = selectors.plan_rows(plan=plan, today=today)
    done, total = selectors.plan_progress(rows)
    may_manage = selectors.may_manage_employee(request.user, plan.employee)
    if item_form is None and may_manage:
        item_form = PlanItemForm(initial={"due_on": plan.target_date})
    return render(request, "workforce/development/plan_detail.html", {
        "plan": plan, "employee": plan.employee, "rows": rows, "done": done, "total": total, "today": today,
        "may_manage": may_manage, "is_active": plan.status == PlanStatus.ACTIVE, "item_form": item_form,
        "close_form": PlanCloseForm(),
        "may_open_career": _may_open_career(request, plan.employee_id),
    }, status=status)


@require_GET
@login_required
def devplan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_scoped_or_404(request, selectors.plans_readable(actor=request.user),
                             permission=Perm.WORKFORCE_MANAGE, pk=pk)
    return _detail_page(request, plan)


@require_http_methods(["GET", "POST"])
@login_required
def devplan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    form = PlanForm(request.POST or None, initial={
        "title": plan.title, "target_position": plan.target_position, "starts_on": plan.starts_on,
        "target_date": plan.target_date, "note": plan.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=request.user, plan=plan, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("workforce:devplan_detail", pk=plan.pk)
    return render(request, "workforce/development/plan_form.html", {
        "form": form, "employee": plan.employee, "plan": plan, "preview": [], "active_plan": None,
    }, status=400 if form.errors else 200)


def _close(request: HttpRequest, pk: int, *, complete: bool) -> HttpResponse:
    plan = _managed_plan(request, pk)
    form = PlanCloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if complete:
            services.plan_complete(actor=request.user, plan=plan, note=note)
        else:
            services.plan_cancel(actor=request.user, plan=plan, reason=note)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Plan completed.") if complete else _("Plan cancelled."))
    return redirect("workforce:devplan_detail", pk=plan.pk)


@require_POST
@login_required
def devplan_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, complete=True)


@require_POST
@login_required
def devplan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, complete=False)


@require_POST
@login_required
def devplan_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _managed_plan(request, pk)
    form = PlanItemForm(request.POST)
    if form.is_valid():
        try:
            services.item_add(actor=request.user, plan=plan, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Step added."))
            return redirect("workforce:devplan_detail", pk=plan.pk)
    return _detail_page(request, plan, item_form=form, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def devplanitem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed_item(request, pk)
    form = PlanItemForm(request.POST or None, item=item, initial={
        "kind": item.kind, "title": item.title, "credential_type": item.credential_type_id,
        "course": item.course_id, "due_on": item.due_on, "note": item.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.item_update(actor=request.user, item=item, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Step saved."))
            return redirect("workforce:devplan_detail", pk=item.plan_id)
    return render(request, "workforce/development/item_form.html", {
        "form": form, "item": item, "plan": item.plan,
    }, status=400 if form.errors else 200)


@require_POST
@login_required
def devplanitem_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed_item(request, pk)
    try:
        services.item_remove(actor=request.user, item=item)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Step removed."))
    return redirect("workforce:devplan_detail", pk=item.plan_id)


@require_POST
@login_required
def devplanitem_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = _managed_item(request, pk)
    form = ItemDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid date."))
    else:
        try:
            services.item_set_done(actor=request.user, item=item, done=form.cleaned_data["done"],
                                   done_on=form.cleaned_data["done_on"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Step updated."))
    return redirect("workforce:devplan_detail", pk=item.plan_id)

