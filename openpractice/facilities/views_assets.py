"""Asset and preventive-maintenance pages: the asset list with its filters, an asset with its plans, open work
orders, work-order history, documents and maintenance cost; the asset form, its status (out of service, retired),
its meter, its documents (audited downloads) and its printable QR label; the maintenance plans; and two reports:
overdue preventive maintenance, and maintenance cost by asset and by location.

Everything is per location: facilities.view there opens the pages, facilities.manage there changes things. An
object elsewhere is not found (404, audited). The services check again: a refusal is the same 404, audited, and
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors_assets as selectors
from .choices import AssetKind, AssetStatus, IntervalUnit
from .forms_assets import AssetForm, AssetStatusForm, DocumentForm, MeterForm, PeriodForm, PlanForm
from .models import Asset, AssetDocument, MaintenancePlan
from .services import assets as services
from .services import plans as plan_services

ACTIVE_CHOICES = {"yes": True, "no": False, "all": None}
HISTORY_ROWS = selectors.HISTORY_ROWS


def int_param(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def choice_param(value: str | None, allowed: Any) -> str:
    return value if value is not None and value in allowed else ""


def get_asset(request: HttpRequest, pk: int, permission: str = Perm.FACILITIES_VIEW) -> Asset:
    return get_scoped_or_404(request, selectors.assets_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def get_plan(request: HttpRequest, pk: int, permission: str = Perm.FACILITIES_VIEW) -> MaintenancePlan:
    return get_scoped_or_404(request, selectors.plans_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400 if context["form"].errors else 200)


def asset_url(request: HttpRequest, asset: Asset) -> str:
    """The asset page's absolute address, for the QR label: the configured public address of the practice's
    server, else the one this request came in on."""
    path = reverse("facilities:asset_detail", args=[asset.pk])
    base = str(getattr(settings, "OPENPRACTICE_BASE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


# --- assets ----------------------------------------------------------------------------------------------------


ASSET_EXPORT = Export(name="assets", object_type="facilities.asset", columns=[
    Column(gettext_lazy("Tag"), "tag"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Manufacturer"), "manufacturer"),
    Column(gettext_lazy("Model"), "model_number"),
    Column(gettext_lazy("Serial number"), "serial_number"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Room"), "room"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Open work orders"), "open_work_orders"),
    Column(gettext_lazy("Maintenance due"), "next_due"),
    Column(gettext_lazy("Warranty ends"), "warranty_ends_on"),
])


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def asset_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    location_id = int_param(params.get("location"))
    kind = choice_param(params.get("kind"), AssetKind.values)
    status = choice_param(params.get("status"), [*AssetStatus.values, "all"])
    queryset = selectors.asset_rows(actor=request.user, location_id=location_id, kind=kind,
                                    status="" if status == "all" else status, include_retired=bool(status))
    rows = table(request, queryset, sorts={
        "tag": "tag", "name": "name", "kind": "kind", "location": "location__name", "status": "status",
        "due": "next_due", "warranty": "warranty_ends_on",
    }, default_sort="location", search_fields=("tag", "name", "room", "manufacturer", "model_number",
                                                "serial_number"), element_id="asset-table")
    return render_table(request, "facilities/assets/asset_list.html", {
        "table": rows, "table_template": "facilities/assets/asset_table.html",
        "filter_template": "facilities/assets/asset_filter.html", "export": ASSET_EXPORT,
        "location_id": location_id, "locations": list(selectors.asset_view_locations(actor=request.user)),
        "kind": kind, "kinds": AssetKind.choices, "status": status, "statuses": AssetStatus.choices,
        "today": practice_today(), "may_create": can(request.user, Perm.FACILITIES_MANAGE),
    })


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_asset(request, pk)
    work_orders = selectors.asset_work_orders(asset)
    return render(request, "facilities/assets/asset_detail.html", {
        "asset": asset, "today": practice_today(),
        "plans": list(selectors.asset_plans(asset)),
        "open_work_orders": list(selectors.asset_open_work_orders(asset)),
        "history": list(work_orders[:HISTORY_ROWS]), "history_count": work_orders.count(),
        "documents": list(selectors.asset_documents(asset)),
        "total_cost": selectors.asset_maintenance_cost(asset),
        "may_manage": can(request.user, Perm.FACILITIES_MANAGE, asset.location_id),
        "retired": asset.status == AssetStatus.RETIRED,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def asset_create(request: HttpRequest) -> HttpResponse:
    form = AssetForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        created: list[Asset] = []
        if run_service(form, lambda: created.append(services.asset_create(actor=request.user,
                                                                           data=form.service_data()))):
            messages.success(request, _("Asset %(tag)s added.") % {"tag": created[0].tag})
            return redirect("facilities:asset_detail", pk=created[0].pk)
    return _form_page(request, "facilities/assets/asset_form.html", {"form": form, "asset": None})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_asset(request, pk, Perm.FACILITIES_MANAGE)
    form = AssetForm(request.POST or None, instance=asset, actor=request.user)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.asset_update(
            actor=request.user, asset=asset, data=form.service_data())):
        messages.success(request, _("Asset saved."))
        return redirect("facilities:asset_detail", pk=asset.pk)
    return _form_page(request, "facilities/assets/asset_form.html", {"form": form, "asset": asset})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def asset_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the asset out of service (or back), or retire it."""
    asset = get_asset(request, pk, Perm.FACILITIES_MANAGE)
    form = AssetStatusForm(request.POST or None, initial={"status": asset.status})
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.asset_status_set(
            actor=request.user, asset=asset, status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"])):
        messages.success(request, _("Status saved."))
        return redirect("facilities:asset_detail", pk=asset.pk)
    return _form_page(request, "facilities/assets/asset_action.html", {
        "form": form, "asset": asset, "heading": _("Change the status"),
        "note": _("Retiring an asset stops its maintenance plans; it stays on file with its history.")})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def asset_meter(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_asset(request, pk, Perm.FACILITIES_MANAGE)
    form = MeterForm(request.POST or None, initial={"reading": asset.meter_reading})
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.asset_meter_record(
            actor=request.user, asset=asset, reading=form.cleaned_data["reading"])):
        messages.success(request, _("Meter reading saved."))
        return redirect("facilities:asset_detail", pk=asset.pk)
    return _form_page(request, "facilities/assets/asset_action.html", {
        "form": form, "asset": asset, "heading": _("Record the meter"),
        "note": _("Plans by meter reading open their work order when the meter reaches the due reading.")})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def asset_document_add(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_asset(request, pk, Perm.FACILITIES_MANAGE)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.asset_document_add(
            actor=request.user, asset=asset, upload=form.cleaned_data["file"], title=form.cleaned_data["title"])):
        messages.success(request, _("Document added."))
        return redirect(reverse("facilities:asset_detail", args=[asset.pk]) + "#documents")
    return _form_page(request, "facilities/assets/asset_action.html", {
        "form": form, "asset": asset, "heading": _("Add a document"),
        "note": _("Manuals, warranties, service reports and invoices.")})


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def assetdocument_download(request: HttpRequest, pk: int) -> FileResponse:
    """A document kept with an asset, as a download (audited)."""
    document: AssetDocument = get_scoped_or_404(request, selectors.documents_visible(actor=request.user),
                                                permission=Perm.FACILITIES_VIEW, pk=pk)
    try:
        handle: Any = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    services.asset_document_opened(actor=request.user, document=document)
    stored = str(document.file.name or "")
    extension = stored.rsplit(".", 1)[-1] if "." in stored else "pdf"
    response = FileResponse(handle, as_attachment=True, content_type=document.content_type,
                            filename=f"{slugify(document.title) or 'document'}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def asset_label(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable QR label: scanning it opens the asset's page."""
    asset = get_asset(request, pk)
    response = HttpResponse(services.asset_label_pdf(asset=asset, url=asset_url(request, asset)),
                            content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"label-{slugify(asset.tag) or asset.pk}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- maintenance plans -----------------------------------------------------------------------------------------


def _every(plan: MaintenancePlan) -> str:
    unit = (plan.asset.meter_unit or _("on the meter")) if plan.interval_unit == IntervalUnit.METER else (
        plan.get_interval_unit_display())
    return f"{plan.interval} {unit}"


def _done_by(plan: MaintenancePlan) -> str:
    if plan.assignee is not None:
        return plan.assignee.display_name
    return plan.vendor.name if plan.vendor is not None else ""


PLAN_EXPORT = Export(name="maintenance plans", object_type="facilities.maintenanceplan", columns=[
    Column(gettext_lazy("Plan"), "title"),
    Column(gettext_lazy("Asset tag"), "asset.tag"),
    Column(gettext_lazy("Asset"), "asset.name"),
    Column(gettext_lazy("Location"), "asset.location.name"),
    Column(gettext_lazy("Every"), _every),
    Column(gettext_lazy("Next due"), "next_due_on"),
    Column(gettext_lazy("Next due on the meter"), "next_due_meter"),
    Column(gettext_lazy("Priority"), "get_priority_display"),
    Column(gettext_lazy("Done by"), _done_by),
    Column(gettext_lazy("Steps"), "steps"),
    Column(gettext_lazy("Active"), "is_active"),
])


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def plan_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    location_id = int_param(params.get("location"))
    unit = choice_param(params.get("unit"), IntervalUnit.values)
    active_key = choice_param(params.get("active"), ACTIVE_CHOICES) or "yes"
    queryset = selectors.plan_rows(actor=request.user, location_id=location_id, unit=unit,
                                   active=ACTIVE_CHOICES[active_key], asset_id=int_param(params.get("asset")))
    rows = table(request, queryset, sorts={
        "due": "next_due_on", "title": "title", "asset": "asset__tag", "location": "asset__location__name",
        "priority": "priority",
    }, default_sort="due", search_fields=("title", "asset__tag", "asset__name"), element_id="plan-table")
    return render_table(request, "facilities/assets/plan_list.html", {
        "table": rows, "table_template": "facilities/assets/plan_table.html",
        "filter_template": "facilities/assets/plan_filter.html", "export": PLAN_EXPORT,
        "location_id": location_id, "locations": list(selectors.asset_view_locations(actor=request.user)),
        "unit": unit, "units": IntervalUnit.choices, "active": active_key, "today": practice_today(),
        "may_create": can(request.user, Perm.FACILITIES_MANAGE),
    })


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan(request, pk)
    return render(request, "facilities/assets/plan_detail.html", {
        "plan": plan, "asset": plan.asset, "checklist": selectors.plan_checklist(plan),
        "opens_on": plan_services.opens_on(plan), "today": practice_today(),
        "work_orders": list(selectors.plan_work_orders(plan)[:HISTORY_ROWS]),
        "may_manage": can(request.user, Perm.FACILITIES_MANAGE, plan.asset.location_id),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def plan_create(request: HttpRequest) -> HttpResponse:
    preset_pk = int_param(request.GET.get("asset"))
    preset = selectors.plan_assets(actor=request.user).filter(pk=preset_pk).first() if preset_pk else None
    form = PlanForm(request.POST or None, actor=request.user, asset=preset,
                    initial={"interval_unit": IntervalUnit.MONTHS, "interval": 12, "is_active": True})
    if request.method == "POST" and form.is_valid():
        created: list[MaintenancePlan] = []
        if run_service(form, lambda: created.append(plan_services.plan_create(
                actor=request.user, asset=form.cleaned_data["asset"], data=form.service_data(),
                checklist=form.checklist_lines()))):
            messages.success(request, _("Maintenance plan added."))
            return redirect("facilities:plan_detail", pk=created[0].pk)
    return _form_page(request, "facilities/assets/plan_form.html", {"form": form, "plan": None, "asset": preset})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan(request, pk, Perm.FACILITIES_MANAGE)
    form = PlanForm(request.POST or None, instance=plan, actor=request.user)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: plan_services.plan_update(
            actor=request.user, plan=plan, data=form.service_data(), checklist=form.checklist_lines())):
        messages.success(request, _("Maintenance plan saved."))
        return redirect("facilities:plan_detail", pk=plan.pk)
    return _form_page(request, "facilities/assets/plan_form.html", {"form": form, "plan": plan,
                                                                     "asset": plan.asset})


# --- reports ---------------------------------------------------------------------------------------------------


OVERDUE_EXPORT = Export(name="overdue maintenance", object_type="facilities.workorder", columns=[
    Column(gettext_lazy("What"), "what"),
    Column(gettext_lazy("Number"), "number"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Asset tag"), "tag"),
    Column(gettext_lazy("Asset"), "asset"),
    Column(gettext_lazy("Location"), "location"),
    Column(gettext_lazy("Due"), "due"),
    Column(gettext_lazy("Days late"), "days_late"),
    Column(gettext_lazy("Status"), "status"),
    Column(gettext_lazy("Assigned to"), "assigned"),
])


def _late(today: dt.date, due: dt.date | None) -> int | None:
    return (today - due).days if due is not None else None


def _overdue_rows(request: HttpRequest, today: dt.date) -> list[dict[str, Any]]:
    """The page's two tables in one file: the work orders not done, then the plans with none opened yet."""
    rows: list[dict[str, Any]] = []
    for work_order in selectors.overdue_work_orders(actor=request.user, today=today):
        assigned = work_order.assigned_to.display_name if work_order.assigned_to else (
            work_order.vendor.name if work_order.vendor else "")
        rows.append({
            "what": _("Work order"), "number": work_order.number, "title": work_order.title,
            "tag": work_order.asset.tag if work_order.asset else "",
            "asset": work_order.asset.name if work_order.asset else "", "location": work_order.location.name,
            "due": work_order.due_on, "days_late": _late(today, work_order.due_on),
            "status": work_order.get_status_display(), "assigned": assigned})
    for plan in selectors.plans_past_due(actor=request.user, today=today):
        rows.append({
            "what": _("Plan with no work order yet"), "number": "", "title": plan.title, "tag": plan.asset.tag,
            "asset": plan.asset.name, "location": plan.asset.location.name, "due": plan.next_due_on,
            "days_late": _late(today, plan.next_due_on), "status": "", "assigned": ""})
    return rows


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def maintenance_overdue(request: HttpRequest) -> HttpResponse:
    """Preventive maintenance whose date has passed: work orders not done, and plans with none opened yet."""
    today = practice_today()
    if export_format(request):
        return export_response(request, _overdue_rows(request, today), OVERDUE_EXPORT)
    work_orders = list(selectors.overdue_work_orders(actor=request.user, today=today))
    for work_order in work_orders:
        work_order.days_late = (today - work_order.due_on).days  # type: ignore[attr-defined, operator]
    plans = list(selectors.plans_past_due(actor=request.user, today=today))
    for plan in plans:
        plan.days_late = (today - plan.next_due_on).days  # type: ignore[attr-defined, operator]
    return render(request, "facilities/assets/maintenance_overdue.html", {
        "work_orders": work_orders, "plans": plans, "today": today})


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def maintenance_costs(request: HttpRequest) -> HttpResponse:
    """What maintenance cost in a period, by asset and by location (the last twelve months by default)."""
    today = practice_today()
    default = {"start": today - dt.timedelta(days=364), "end": today}
    if any(name in request.GET for name in ("start", "end")):
        form = PeriodForm(request.GET)
        period = form.cleaned_data if form.is_valid() else None
    else:
        form, period = PeriodForm(initial=default), default
    context: dict[str, Any] = {"form": form, "by_asset": [], "by_location": [], "total": None}
    if period is not None:
        by_asset, by_location, total = selectors.maintenance_costs(actor=request.user, start=period["start"],
                                                                   end=period["end"])
        context.update(by_asset=by_asset, by_location=by_location, total=total, start=period["start"],
                       end=period["end"])
    return render(request, "facilities/assets/maintenance_costs.html", context,
                  status=400 if form.is_bound and form.errors else 200)
