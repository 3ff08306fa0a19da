"""Fee schedule pages under /billing/fee-schedules/: list, add, detail with its fees, edit (schedule fields and
single fees), CSV import with a validation report. Practice-wide reference data: billing.view to read,
billing.manage at every location to change (a biller of one location gets the 404 of a page out of role, and
the refusal is audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.selectors import payer_choices
from openpractice.scheduling.params import parse_id

from ..forms_fees import FeeEntryForm, FeeImportForm, FeeScheduleForm
from ..models import FeeSchedule, FeeScheduleEntry
from ..selectors import fees as selectors
from ..services import fees as services
from ..services.authorization import authorize_practice_wide


def _schedule(request: HttpRequest, pk: int, permission: str) -> FeeSchedule:
    return get_scoped_or_404(request, selectors.fee_schedule_list(actor=request.user), permission=permission,
                             pk=pk)


def _may_change(request: HttpRequest, action: str, schedule: FeeSchedule | None = None) -> None:
    """Fee schedules price every location's charges: refuse (audited, 404) unless billing.manage everywhere."""
    try:
        authorize_practice_wide(actor=request.user, action=action, target=schedule)
    except PermissionDenied as exc:
        raise Http404() from exc


def _payers(schedule: FeeSchedule | None = None) -> Any:
    payers = payer_choices(include_inactive=False)
    if schedule is not None and schedule.payer_id:
        payers = payers | payer_choices(include_inactive=True).filter(pk=schedule.payer_id)
    return payers.distinct()


FEE_SCHEDULE_EXPORT = Export(name="fee schedules", object_type="billing.feeschedule", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Payer"), lambda schedule: schedule.payer.name if schedule.payer else _("Standard")),
    Column(gettext_lazy("Effective from"), "effective_from"),
    Column(gettext_lazy("Effective until"), "effective_to"),
    Column(gettext_lazy("Fees"), "entry_count"),
])


def fee_entry_export(schedule: FeeSchedule) -> Export:
    """The fees of one schedule (the table on its page), named after it (without the characters a spreadsheet's
    sheet name may not hold)."""
    name = "".join(" " if char in "[]:*?/\\'" else char for char in schedule.name)
    return Export(name=f"fees {' '.join(name.split())}", object_type="billing.feescheduleentry", columns=[
        Column(gettext_lazy("Code"), "procedure_code"),
        Column(gettext_lazy("Modifier"), "modifier"),
        Column(gettext_lazy("Amount"), "amount"),
    ])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def fee_schedule_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.fee_schedule_list(actor=request.user)
    rows = table(request, queryset,
                 sorts={"name": "name", "payer": "payer__name", "from": "effective_from", "to": "effective_to",
                        "entries": "entry_count"},
                 default_sort="-from", search_fields=("name", "payer__name"), element_id="fee-schedule-table")
    return render_table(request, "billing/fee_schedule_list.html", {
        "table": rows, "table_template": "billing/fee_schedule_table.html",
        "can_manage": has_all_locations(request.user, Perm.BILLING_MANAGE), "export": FEE_SCHEDULE_EXPORT,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def fee_schedule_create(request: HttpRequest) -> HttpResponse:
    _may_change(request, "billing.fee_schedule_create")
    form = FeeScheduleForm(request.POST or None, payers=_payers())
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.fee_schedule_create(actor=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Fee schedule “%(name)s” added.") % {"name": schedule.name})
            return redirect(schedule.get_absolute_url())
    return render(request, "billing/fee_schedule_form.html", {"form": form, "schedule": None},
                  status=400 if form.errors else 200)


def _detail_context(request: HttpRequest, schedule: FeeSchedule) -> dict[str, Any]:
    entries = selectors.fee_entries(actor=request.user, schedule=schedule)
    rows = table(request, entries, sorts={"code": "procedure_code", "modifier": "modifier", "amount": "amount"},
                 default_sort="code", search_fields=("procedure_code",), per_page=50, element_id="fee-entry-table")
    return {
        "schedule": schedule, "table": rows, "table_template": "billing/fee_entry_table.html",
        "can_manage": has_all_locations(request.user, Perm.BILLING_MANAGE), "export": fee_entry_export(schedule),
    }


@require_GET
@permission_required(Perm.BILLING_VIEW)
def fee_schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, Perm.BILLING_VIEW)
    return render_table(request, "billing/fee_schedule_detail.html", _detail_context(request, schedule))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def fee_schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule's fields, and one fee at a time (form=entry sets a fee, form=entry_delete removes one)."""
    schedule = _schedule(request, pk, Perm.BILLING_MANAGE)
    _may_change(request, "billing.fee_schedule_update", schedule)
    which = request.POST.get("form", "schedule") if request.method == "POST" else ""
    form = FeeScheduleForm(request.POST if which == "schedule" else None, instance=schedule,
                           payers=_payers(schedule))
    entry_form = FeeEntryForm(request.POST if which == "entry" else None)
    try:
        if which == "schedule" and form.is_valid():
            try:
                services.fee_schedule_update(actor=request.user, schedule=schedule,
                                             data={name: form.cleaned_data[name] for name in form.changed_data})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Fee schedule saved."))
                return redirect(schedule.get_absolute_url())
        elif which == "entry" and entry_form.is_valid():
            data = entry_form.cleaned_data
            try:
                entry = services.fee_entry_set(actor=request.user, schedule=schedule,
                                               procedure_code=data["procedure_code"],
                                               modifier=data.get("modifier") or "", amount=data["amount"])
            except ValidationError as exc:
                add_service_errors(entry_form, exc)
            else:
                messages.success(request, _("Fee for %(entry)s saved.") % {"entry": entry})
                return redirect("billing:fee_schedule_edit", pk=schedule.pk)
        elif which == "entry_delete":
            entry_id = parse_id(request.POST.get("entry"))
            doomed = FeeScheduleEntry.objects.filter(schedule=schedule, pk=entry_id).first() \
                if entry_id is not None else None
            if doomed is None or not services.fee_entry_delete(actor=request.user, entry=doomed):
                messages.error(request, _("That fee is no longer in the schedule."))
            else:
                messages.success(request, _("Fee for %(entry)s removed.") % {"entry": doomed})
            return redirect(schedule.get_absolute_url())
    except PermissionDenied as exc:
        raise Http404() from exc
    invalid = bool(form.errors or entry_form.errors)
    return render(request, "billing/fee_schedule_form.html", {
        "form": form, "entry_form": entry_form, "schedule": schedule,
    }, status=400 if invalid else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def fee_schedule_import(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk, Perm.BILLING_MANAGE)
    _may_change(request, "billing.fee_schedule_import", schedule)
    form = FeeImportForm(request.POST or None, request.FILES or None)
    report: services.FeeImportReport | None = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.fee_schedule_import_csv(actor=request.user, schedule=schedule,
                                                      file=form.cleaned_data["file"],
                                                      replace=form.cleaned_data["replace"])
        except PermissionDenied as exc:
            raise Http404() from exc
        if report.saved:
            messages.success(request, _("Fees imported: %(created)s added, %(updated)s changed, %(unchanged)s "
                                        "unchanged, %(deleted)s removed.") % {
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                "deleted": report.deleted})
    return render(request, "billing/fee_schedule_import.html", {
        "form": form, "report": report, "schedule": schedule,
    }, status=400 if form.errors or (report is not None and not report.ok) else 200)
