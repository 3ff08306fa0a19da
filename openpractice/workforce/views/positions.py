"""Positions (list, detail, add, edit, deactivate, delete), the org chart and an employee's career path.

Thin views: parse the form, call one service or selector, render. Services check permission again and audit; a
refusal from a service becomes the same 404 as a refusal here (the service already recorded it).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import (
    add_service_errors,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..forms_positions import PositionForm
from ..models import Position
from ..selectors import career as career_selectors
from ..selectors import development as development_selectors
from ..selectors import positions as selectors
from ..selectors.pay import pay_employees
from ..services import positions as services

_ACTIVE_FILTER = {"active": True, "inactive": False}


def _status_filter(request: HttpRequest) -> str:
    value = request.GET.get("status") or "active"
    return value if value in ("active", "inactive", "all") else "active"


POSITION_EXPORT = Export(name="positions", object_type="workforce.position", columns=[
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("System role"), "get_role_display"),
    Column(gettext_lazy("Tier"), "get_tier_display"),
    Column(gettext_lazy("Location"), lambda position: position.location.name if position.location
           else _("Every location")),
    Column(gettext_lazy("Reports to"), "reports_to.title"),
    Column(gettext_lazy("Active"), "is_active"),
])


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def position_list(request: HttpRequest) -> HttpResponse:
    status = _status_filter(request)
    queryset = selectors.position_list(actor=request.user)
    if status in _ACTIVE_FILTER:
        queryset = queryset.filter(is_active=_ACTIVE_FILTER[status])
    rows = table(
        request, queryset,
        sorts={"title": "title", "role": "role", "tier": "tier", "location": "location__name",
               "reports_to": "reports_to__title", "status": "is_active"},
        default_sort="title", search_fields=("title", "department__name", "location__name"),
        element_id="position-table",
    )
    return render_table(request, "workforce/positions/position_list.html", {
        "table": rows,
        "table_template": "workforce/positions/_position_table.html",
        "filter_template": "core/_status_filter.html",
        "status": status, "export": POSITION_EXPORT,
        "can_create": can(request.user, Perm.WORKFORCE_MANAGE),
    })


def _position_url(position: Position) -> str:
    return reverse("workforce:position_detail", args=[position.pk])


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def position_detail(request: HttpRequest, pk: int) -> HttpResponse:
    position = get_scoped_or_404(request, selectors.position_list(actor=request.user),
                                 permission=Perm.WORKFORCE_VIEW, pk=pk)
    return render(request, "workforce/positions/position_detail.html", {
        "position": position,
        "employees": selectors.position_employees(actor=request.user, position=position),
        "required": position.required_certifications.all(),
        "preferred": position.preferred_certifications.all(),
        "direct_reports": selectors.position_list(actor=request.user).filter(reports_to=position),
        "can_manage": selectors.position_scoped(actor=request.user).filter(pk=position.pk).exists(),
    })


def _managed_position(request: HttpRequest, pk: int) -> Position:
    return get_scoped_or_404(request, selectors.position_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_MANAGE, pk=pk)


def _form_page(request: HttpRequest, form: PositionForm, position: Position | None) -> HttpResponse:
    return render(request, "workforce/positions/position_form.html", {"form": form, "position": position},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def position_create(request: HttpRequest) -> HttpResponse:
    form = PositionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            position = services.position_create(actor=request.user, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Position “%(title)s” added.") % {"title": position.title})
            return redirect(_position_url(position))
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def position_edit(request: HttpRequest, pk: int) -> HttpResponse:
    position = _managed_position(request, pk)
    form = PositionForm(request.POST or None, actor=request.user, instance=Position.objects.get(pk=position.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.position_update(actor=request.user, position=position, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Position saved."))
            return redirect(_position_url(position))
    return _form_page(request, form, position)


def _switch(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    position = _managed_position(request, pk)
    try:
        if active:
            services.position_reactivate(actor=request.user, position=position)
        else:
            services.position_deactivate(actor=request.user, position=position)
    except PermissionDenied as exc:
        raise Http404() from exc
    text = _("“%(title)s” is active again.") if active else _("“%(title)s” was deactivated.")
    messages.success(request, text % {"title": position.title})
    return redirect(_position_url(position))


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def position_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(request, pk, active=False)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def position_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch(request, pk, active=True)


@require_POST
@permission_required(Perm.WORKFORCE_MANAGE)
def position_delete(request: HttpRequest, pk: int) -> HttpResponse:
    position = _managed_position(request, pk)
    title = position.title
    try:
        services.position_delete(actor=request.user, position=position)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_position_url(position))
    messages.success(request, _("Position “%(title)s” deleted.") % {"title": title})
    return redirect("workforce:position_list")


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def org_chart(request: HttpRequest) -> HttpResponse:
    return render(request, "workforce/positions/org_chart.html", {
        "roots": selectors.org_chart(actor=request.user),
    })


@require_GET
@login_required
def career_path(request: HttpRequest, pk: int) -> HttpResponse:
    """WORKFORCE_VIEW for the employees it reaches, or the employee's own record (self-service)."""
    employee = get_scoped_or_404(request, career_selectors.career_employees(actor=request.user),
                                 permission=Perm.WORKFORCE_VIEW, pk=pk)
    try:
        gap = career_selectors.career_gap(actor=request.user, employee=employee)
    except PermissionDenied as exc:
        raise Http404() from exc
    return render(request, "workforce/positions/career_path.html", {
        "gap": gap,
        "employee": employee,
        "can_see_pay": pay_employees(actor=request.user).filter(pk=employee.pk).exists(),
        **development_selectors.plan_panel(actor=request.user, employee=employee),
    })
