"""The role dashboards and the KPI targets page. Reads only, but for the targets (reports.manage).

Who may open what is decided in selectors_dashboards (DASHBOARDS: each dashboard opens for any one of its
permissions) and declared here with any_permission_required, so a refusal is a 404 with an audited denial.
Figures are counts and amounts, never a patient: nothing here is a PHI read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import any_permission_required, permission_required, run_service

from .forms_dashboards import DashboardFilterForm
from .forms_targets import KpiTargetForm
from .kpis import KpiDefinition, kpi_targets, kpi_values, visible_definitions
from .selectors_dashboards import (
    DASHBOARD_BY_KEY,
    DASHBOARDS,
    DashboardSpec,
    dashboard,
    dashboard_locations,
    dashboards_for,
    period_bounds,
)
from .services_targets import kpi_target_clear, kpi_target_set

ANY_DASHBOARD = frozenset().union(*(spec.permissions for spec in DASHBOARDS))
TARGETS_PERIOD = "30d"


@require_GET
@any_permission_required(ANY_DASHBOARD)
def dashboards(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/dashboards/index.html", {
        "dashboards": dashboards_for(actor=request.user),
        "may_set_targets": can(request.user, Perm.REPORTS_MANAGE)})


def _show(request: HttpRequest, spec: DashboardSpec) -> HttpResponse:
    locations = dashboard_locations(actor=request.user, spec=spec)
    form = DashboardFilterForm(request.GET, locations=locations)
    board = None
    if form.is_valid():
        start, end = period_bounds(form.cleaned_data["period"], practice_today())
        board = dashboard(actor=request.user, key=spec.key, start=start, end=end,
                          location_id=form.cleaned_data["location"])
    return render(request, "reporting/dashboards/dashboard.html", {
        "spec": spec, "form": form, "board": board, "locations": locations,
        "location_name": form.location_names.get(board.location_id) if board and board.location_id else "",
    }, status=200 if board is not None else 400)


def _dashboard_view(key: str) -> Callable[[HttpRequest], HttpResponse]:
    spec = DASHBOARD_BY_KEY[key]

    @require_GET
    @any_permission_required(spec.permissions)
    def view(request: HttpRequest) -> HttpResponse:
        return _show(request, spec)

    view.__name__ = view.__qualname__ = f"dashboard_{key}"
    view.__doc__ = f"The {key} dashboard: open to holders of any of {', '.join(sorted(spec.permissions))}."
    return view


dashboard_practice = _dashboard_view("practice")
dashboard_office = _dashboard_view("office")
dashboard_billing = _dashboard_view("billing")
dashboard_hr = _dashboard_view("hr")
dashboard_privacy = _dashboard_view("privacy")


# --- targets ---------------------------------------------------------------------------------------------------


def _target_forms(definitions: list[KpiDefinition], bound: KpiTargetForm | None) -> list[tuple[Any, KpiTargetForm]]:
    targets = kpi_targets(definition.key for definition in definitions)
    rows = []
    for definition in definitions:
        if bound is not None and bound.data.get("kpi") == definition.key:
            rows.append((definition, bound))
            continue
        target = targets.get(definition.key)
        initial = {"kpi": definition.key, "direction": target.direction if target else definition.better,
                   "target": target.target if target else None, "warn_at": target.warn_at if target else None}
        rows.append((definition, KpiTargetForm(initial=initial, definitions=definitions,
                                               auto_id=f"id_{definition.key}_%s")))
    return rows


def _targets_page(request: HttpRequest, bound: KpiTargetForm | None, status: int) -> HttpResponse:
    definitions = visible_definitions(request.user)
    start, end = period_bounds(TARGETS_PERIOD, practice_today())
    values = {value.key: value for value in kpi_values(actor=request.user, start=start, end=end)}
    rows = [(definition, form, values.get(definition.key)) for definition, form in
            _target_forms(definitions, bound)]
    return render(request, "reporting/dashboards/targets.html", {
        "rows": rows, "start": start, "end": end, "bound": bound}, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.REPORTS_MANAGE)
def kpi_targets_page(request: HttpRequest) -> HttpResponse:
    """GET: every KPI the viewer reads, its target and where it stands; POST: set or remove one KPI's target."""
    if request.method == "GET":
        return _targets_page(request, None, 200)
    definitions = visible_definitions(request.user)
    key = request.POST.get("kpi", "")
    form = KpiTargetForm(request.POST, definitions=definitions, auto_id=f"id_{key}_%s" if key.isidentifier()
                         else "id_%s")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"] == "clear":
            done = run_service(form, lambda: kpi_target_clear(actor=request.user, kpi=data["kpi"]))
            message = _("The target of %(kpi)s was removed.")
        else:
            done = run_service(form, lambda: kpi_target_set(actor=request.user, kpi=data["kpi"],
                                                            direction=data["direction"], target=data["target"],
                                                            warn_at=data["warn_at"]))
            message = _("The target of %(kpi)s was saved.")
        if done:
            messages.success(request, message % {"kpi": form.definitions[data["kpi"]].label})
            return redirect("reporting:kpi_targets")
    return _targets_page(request, form, 400)
