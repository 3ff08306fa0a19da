"""Cleaning pages: the schedules per location and room (who cleans, under which contract, how often, the tasks)
with their pass rates, the inspections (each task passed or failed with a note; a failed one can open a work
order) and their list.

facilities.view at the location sees them; facilities.manage there sets up schedules and inspects. An object
elsewhere is not found (404, audited); the services check again and a refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import deny, get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors_cleaning as selectors
from .forms_cleaning import ChooseScheduleForm, InspectionForm, ScheduleForm
from .models import CleaningInspection, CleaningSchedule, WorkOrder
from .selectors_safety import locations_for
from .services import cleaning as services
from .views_safety import work_order_url

RECENT_INSPECTIONS = 20
SCHEDULE_EXPORT = Export(name="cleaning schedules", object_type="facilities.cleaningschedule", columns=[
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Room or area"), "room"),
    Column(gettext_lazy("Cleaned by"), lambda schedule: schedule.vendor.name if schedule.vendor else _("Staff")),
    Column(gettext_lazy("How often"), "get_frequency_display"),
    Column(gettext_lazy("Days"), lambda schedule: selectors.weekdays_label(schedule.weekdays)),
    Column(gettext_lazy("In use"), "is_active"),
    Column(gettext_lazy("Inspections"), "inspection_count"),
    Column(gettext_lazy("Last inspected"), "last_inspected_on"),
    Column(gettext_lazy("Tasks passed"), "items_passed"),
    Column(gettext_lazy("Tasks inspected"), "items_total"),
    Column(gettext_lazy("Pass rate (%)"), lambda row: selectors.pass_rate(row.items_passed, row.items_total)),
])
INSPECTION_EXPORT = Export(name="cleaning inspections", object_type="facilities.cleaninginspection", columns=[
    Column(gettext_lazy("Date"), "inspected_on"),
    Column(gettext_lazy("Location"), "schedule.location.name"),
    Column(gettext_lazy("Room or area"), "schedule.room"),
    Column(gettext_lazy("Cleaned by"), lambda row: row.schedule.vendor.name if row.schedule.vendor else _("Staff")),
    Column(gettext_lazy("Inspector"), "inspector.display_name"),
    Column(gettext_lazy("Tasks passed"), "items_passed"),
    Column(gettext_lazy("Tasks inspected"), "items_total"),
    Column(gettext_lazy("Pass rate (%)"), lambda row: selectors.pass_rate(row.items_passed, row.items_total)),
])


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _status(form: Any) -> int:
    return 400 if form is not None and form.errors else 200


def _schedule(request: HttpRequest, pk: int, permission: str) -> CleaningSchedule:
    return get_scoped_or_404(request, selectors.schedules_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _with_rate(rows: list[Any]) -> list[Any]:
    for row in rows:
        row.pass_rate = selectors.pass_rate(row.items_passed, row.items_total)
    return rows


# --- schedules -------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def cleaningschedule_list(request: HttpRequest) -> HttpResponse:
    active_key = str(request.GET.get("active") or "yes")
    active_key = active_key if active_key in ("yes", "no", "all") else "yes"
    queryset = selectors.schedule_rows(actor=request.user, active={"yes": True, "no": False, "all": None}[active_key])
    if export_format(request):
        return export_response(request, queryset, SCHEDULE_EXPORT)
    schedules = _with_rate(list(queryset))
    manage_ids = location_ids_where(request.user, Perm.FACILITIES_MANAGE)
    for schedule in schedules:
        schedule.may_manage = manage_ids is None or schedule.location_id in manage_ids  # type: ignore[attr-defined]
        schedule.days_label = selectors.weekdays_label(schedule.weekdays)  # type: ignore[attr-defined]
    return render(request, "facilities/cleaning/schedule_list.html", {
        "schedules": schedules, "active": active_key, "may_create": can(request.user, Perm.FACILITIES_MANAGE),
    })


def _schedule_form(request: HttpRequest, schedule: CleaningSchedule | None) -> ScheduleForm:
    include = schedule.vendor if schedule is not None else None
    return ScheduleForm(request.POST if request.method == "POST" else None,
                        locations=_manage_locations(request), schedule=schedule,
                        vendors=selectors.firm_choices(actor=request.user, include=include),
                        contracts=selectors.contract_choices(actor=request.user))


def _manage_locations(request: HttpRequest) -> Any:
    return locations_for(actor=request.user, permission=Perm.FACILITIES_MANAGE)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def cleaningschedule_create(request: HttpRequest) -> HttpResponse:
    form = _schedule_form(request, None)
    created: list[CleaningSchedule] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: created.append(
            services.cleaning_schedule_create(actor=request.user, data=form.service_data()))):
        messages.success(request, _("Cleaning schedule added."))
        return redirect("facilities:cleaningschedule_detail", pk=created[0].pk)
    return render(request, "facilities/cleaning/schedule_form.html", {"form": form, "schedule": None},
                  status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def cleaningschedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, Perm.FACILITIES_MANAGE)
    form = _schedule_form(request, schedule)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.cleaning_schedule_update(
            actor=request.user, schedule=schedule, data=form.service_data())):
        messages.success(request, _("Cleaning schedule saved."))
        return redirect("facilities:cleaningschedule_detail", pk=schedule.pk)
    return render(request, "facilities/cleaning/schedule_form.html", {"form": form, "schedule": schedule},
                  status=_status(form))


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def cleaningschedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, Perm.FACILITIES_VIEW)
    inspections = _with_rate(list(selectors.inspection_rows(actor=request.user, schedule_id=schedule.pk)
                                  [:RECENT_INSPECTIONS]))
    return render(request, "facilities/cleaning/schedule_detail.html", {
        "schedule": schedule, "tasks": schedule.task_lines(), "inspections": inspections,
        "days_label": selectors.weekdays_label(schedule.weekdays),
        "may_manage": can(request.user, Perm.FACILITIES_MANAGE, schedule.location_id),
    })


# --- inspections -----------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def cleaninginspection_list(request: HttpRequest) -> HttpResponse:
    schedules = list(selectors.schedules_visible(actor=request.user).order_by("location__name", "room", "pk"))
    schedule_id = _int(request.GET.get("schedule"))
    schedule_id = schedule_id if any(schedule.pk == schedule_id for schedule in schedules) else None
    rows = table(request, selectors.inspection_rows(actor=request.user, schedule_id=schedule_id), sorts={
        "date": "inspected_on", "location": "schedule__location__name", "room": "schedule__room",
    }, default_sort="-date", element_id="inspection-table")
    rows.page.object_list = _with_rate(list(rows.page.object_list))
    return render_table(request, "facilities/cleaning/inspection_list.html", {
        "table": rows, "table_template": "facilities/cleaning/inspection_table.html",
        "schedules": schedules, "schedule_id": schedule_id, "export": INSPECTION_EXPORT,
        "may_inspect": can(request.user, Perm.FACILITIES_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def cleaninginspection_create(request: HttpRequest) -> HttpResponse:
    """Choose a schedule (?schedule=), then pass or fail each of its tasks."""
    schedules = selectors.schedules_visible(actor=request.user, permission=Perm.FACILITIES_MANAGE).filter(
        is_active=True).order_by("location__name", "room", "pk")
    source = request.POST if request.method == "POST" else request.GET
    asked = _int(source.get("schedule"))
    schedule = schedules.filter(pk=asked).first() if asked else None
    if asked and schedule is None and CleaningSchedule.objects.filter(pk=asked).exists():
        raise deny(request, permission=Perm.FACILITIES_MANAGE, object_type="facilities.cleaningschedule",
                   object_id=asked)
    if schedule is None:
        choose = ChooseScheduleForm(source if asked or request.method == "POST" else None, schedules=schedules)
        if choose.is_bound:
            choose.is_valid()
        return render(request, "facilities/cleaning/inspection_choose.html", {"form": choose},
                      status=_status(choose) if request.method == "POST" else 200)
    today = practice_today()
    form = InspectionForm(request.POST if request.method == "POST" else None, tasks=schedule.task_lines(),
                          today=today)
    created: list[CleaningInspection] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: created.append(
            services.cleaning_inspection_record(
                actor=request.user, schedule=schedule, inspected_on=form.cleaned_data["inspected_on"],
                notes=form.cleaned_data.get("notes") or "",
                results=[services.TaskResult(**result) for result in form.results()]))):
        opened = created[0].work_orders.count()
        messages.success(request, _("Inspection saved.") if not opened else
                         _("Inspection saved; %(count)s work orders opened.") % {"count": opened})
        return redirect("facilities:cleaninginspection_detail", pk=created[0].pk)
    return render(request, "facilities/cleaning/inspection_form.html", {
        "form": form, "schedule": schedule}, status=_status(form))


def _inspection(request: HttpRequest, pk: int, permission: str) -> CleaningInspection:
    return get_scoped_or_404(request, selectors.inspections_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _inspection_page(request: HttpRequest, inspection: CleaningInspection, *, error: str = "",
                     status: int = 200) -> HttpResponse:
    detail = selectors.inspection_detail(inspection)
    orders: list[WorkOrder] = list(detail.work_orders.all())
    for order in orders:
        order.url = work_order_url(order)  # type: ignore[attr-defined]
    items = list(detail.items.all())
    for item in items:
        item.work_order = services.item_work_order(detail, item, orders)  # type: ignore[attr-defined]
    passed = sum(1 for item in items if item.passed)
    return render(request, "facilities/cleaning/inspection_detail.html", {
        "inspection": detail, "schedule": detail.schedule, "items": items, "passed": passed,
        "rate": selectors.pass_rate(passed, len(items)), "error": error,
        "may_manage": can(request.user, Perm.FACILITIES_MANAGE, detail.schedule.location_id),
    }, status=status)


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def cleaninginspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _inspection_page(request, _inspection(request, pk, Perm.FACILITIES_VIEW))


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def cleaninginspection_workorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a work order for one failed task of the inspection (?item= in the form)."""
    inspection = _inspection(request, pk, Perm.FACILITIES_MANAGE)
    item = inspection.items.filter(pk=_int(request.POST.get("item")) or 0).first()
    if item is None:
        return _inspection_page(request, inspection, error=_("Choose a failed task of this inspection."),
                                status=400)
    try:
        opened = services.cleaning_item_work_order(actor=request.user, item=item)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        return _inspection_page(request, inspection, error=" ".join(exc.messages), status=400)
    messages.success(request, _("Work order %(number)s opened.") % {"number": opened.number})
    return redirect("facilities:cleaninginspection_detail", pk=inspection.pk)
