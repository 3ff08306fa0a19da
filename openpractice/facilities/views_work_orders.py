"""Work order pages.

Any signed-in staff member reports a problem (at a location one of their roles reaches) and follows their own
reports ("My reported problems": the status only). facilities.view at a location opens the queue and the work
orders there (404, audited, elsewhere), adds notes and photos; the assignee (or a manager) moves the work on,
records costs and ticks checklist steps; facilities.manage triages, assigns, dispatches to a firm (its signed
link by email), withdraws links, cancels and verifies. The services check again: a refusal is the same 404,
audited, and changes nothing. The reports (downtime per asset, firms' response times) are in
views_work_order_reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import (
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    run_service,
    table,
)

from . import selectors_work_orders as selectors
from .choices import Priority, WorkOrderStatus
from .forms_work_orders import (
    AssignForm,
    CostForm,
    DispatchForm,
    NoteForm,
    PhotoForm,
    ProblemReportForm,
    StatusForm,
    TriageForm,
    VerifyForm,
)
from .models import VendorLink, WorkOrder, WorkOrderChecklistItem, WorkOrderPhoto
from .services import vendor_links as link_services
from .services import work_orders as services

SORTS = {"number": "pk", "opened": "created_at", "title": "title", "location": "location__name",
         "priority": "priority", "status": "status", "respond": "respond_by", "resolve": "resolve_by"}
STATUS_FILTERS = ("open", "all", *WorkOrderStatus.values)
MINE_SORTS = {"number": "pk", "opened": "created_at", "title": "title", "status": "status"}
# What the reporter's own list shows: where each report stands, nothing of its handling.
MINE_EXPORT = Export(name="my problem reports", object_type="facilities.workorder", columns=[
    Column(gettext_lazy("Number"), "number"),
    Column(gettext_lazy("Reported"), "created_at"),
    Column(gettext_lazy("Problem"), "title"),
    Column(gettext_lazy("Equipment"), "asset.name"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Room"), "room"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


def workorder_export(now: dt.datetime) -> Export:
    """The queue's columns; the service-level flags are read at `now`, as the page shows them."""
    return Export(name="work orders", object_type="facilities.workorder", columns=[
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Opened"), "created_at"),
        Column(gettext_lazy("Problem"), "title"),
        Column(gettext_lazy("Out of service"), "asset_down"),
        Column(gettext_lazy("Asset tag"), "asset.tag"),
        Column(gettext_lazy("Asset"), "asset.name"),
        Column(gettext_lazy("Location"), "location.name"),
        Column(gettext_lazy("Room"), "room"),
        Column(gettext_lazy("Priority"), "get_priority_display"),
        Column(gettext_lazy("Assigned to"), lambda work_order: work_order.vendor.name if work_order.vendor else (
            work_order.assigned_to.display_name if work_order.assigned_to else "")),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Respond by"), "respond_by"),
        Column(gettext_lazy("Late to respond"), lambda work_order: selectors.sla_state(work_order, now).respond_late),
        Column(gettext_lazy("Resolve by"), "resolve_by"),
        Column(gettext_lazy("Late to resolve"), lambda work_order: selectors.sla_state(work_order, now).resolve_late),
    ])


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _work_order(request: HttpRequest, pk: int, permission: str = Perm.FACILITIES_VIEW) -> WorkOrder:
    return get_scoped_or_404(request, selectors.work_orders_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _to(work_order: WorkOrder, anchor: str = "") -> HttpResponse:
    return redirect(reverse("facilities:workorder_detail", kwargs={"pk": work_order.pk}) + anchor)


# --- reporting a problem ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def workorder_report(request: HttpRequest) -> HttpResponse:
    """Report a problem: what is wrong, where, optionally which equipment and a photo."""
    form = ProblemReportForm(request.POST or None, request.FILES or None, actor=request.user)
    created: list[WorkOrder] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: created.append(services.problem_report(
                actor=request.user, location=data["location"], title=data["title"],
                description=data["description"], room=data["room"], asset=data["asset"],
                asset_down=data["asset_down"], photo=data.get("photo")))):
            messages.success(request, _("Thank you. Your report is %(number)s; you can follow it here.")
                             % {"number": created[0].number})
            return redirect("facilities:workorder_mine")
    return render(request, "facilities/work_orders/report_form.html", {
        "form": form, "has_locations": form.fields["location"].queryset.exists(),  # type: ignore[attr-defined]
    }, status=400 if form.errors else 200)


@require_GET
@login_required
def workorder_mine(request: HttpRequest) -> HttpResponse:
    """The problems the signed-in person reported, with where each stands."""
    rows = table(request, selectors.my_reports(actor=request.user), sorts=MINE_SORTS, default_sort="-opened",
                 search_fields=("title",), element_id="mine-table")
    return render_table(request, "facilities/work_orders/mine_list.html", {
        "table": rows, "table_template": "facilities/work_orders/mine_table.html", "export": MINE_EXPORT})


# --- the queue and one work order ------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def workorder_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    status = params.get("status") or "open"
    status = status if status in STATUS_FILTERS else "open"
    priority = params.get("priority") or ""
    priority = priority if priority in Priority.values else ""
    assignee = params.get("assignee") or ""
    assignee = assignee if assignee in selectors.ASSIGNEE_FILTERS else ""
    choices = selectors.work_order_filter_choices(actor=request.user)
    location_id = _int(params.get("location"))
    location_id = location_id if location_id in {location.pk for location in choices["locations"]} else None
    vendor_id = _int(params.get("vendor"))
    vendor_id = vendor_id if vendor_id in {pk for pk, _name in choices["vendors"]} else None
    overdue = params.get("overdue") == "1"
    now = timezone.now()
    queryset = selectors.work_order_rows(actor=request.user, status="" if status == "all" else status,
                                         priority=priority, location_id=location_id, assignee=assignee,
                                         vendor_id=vendor_id, overdue=overdue, now=now)
    rows = table(request, queryset, sorts=SORTS, default_sort="-opened", search_fields=("title", "room"),
                 element_id="workorder-table")
    for work_order in rows.page.object_list:
        work_order.sla = selectors.sla_state(work_order, now)
    return render_table(request, "facilities/work_orders/workorder_list.html", {
        "table": rows, "table_template": "facilities/work_orders/workorder_table.html",
        "filter_template": "facilities/work_orders/workorder_filter.html", "export": workorder_export(now),
        "status": status, "statuses": [("open", _("Open")), ("all", _("Every status")), *WorkOrderStatus.choices],
        "priority": priority, "priorities": Priority.choices, "assignee": assignee,
        "assignees": [("me", _("Assigned to me")), ("none", _("Not assigned")), ("staff", _("A staff member")),
                      ("firm", _("A firm"))],
        "location_id": location_id, "vendor_id": vendor_id, "overdue": overdue, **choices,
    })


def _detail(request: HttpRequest, work_order: WorkOrder, *, status: int = 200, **bound: Any) -> HttpResponse:
    user = request.user
    now = timezone.now()
    manages = services.may_manage(user, work_order)
    works = services.may_work(user, work_order)
    is_open = work_order.status in services.OPEN_STATUSES
    active = work_order.status in services.ACTIVE_STATUSES
    parts = selectors.work_order_page(work_order)
    context: dict[str, Any] = {
        "work_order": work_order, "page": parts, "sla": selectors.sla_state(work_order, now), "now": now,
        "manages": manages, "works": works, "is_open": is_open, "active": active,
        "note_form": NoteForm(auto_id="note_%s") if active else None,
        "photo_form": PhotoForm(auto_id="photo_%s") if active else None,
    }
    if works and active:
        status_form = StatusForm(current=work_order.status, auto_id="status_%s")
        if not manages:
            status_form.fields["status"].choices = [  # type: ignore[attr-defined]
                choice for choice in status_form.fields["status"].choices  # type: ignore[attr-defined]
                if choice[0] != WorkOrderStatus.CANCELLED]
        context["status_form"] = status_form if status_form.has_choices else None
        context["cost_form"] = CostForm(auto_id="cost_%s")
    if manages and is_open:
        context["triage_form"] = TriageForm(initial={"priority": work_order.priority}, auto_id="triage_%s")
        context["assign_form"] = AssignForm(work_order=work_order, auto_id="assign_%s", initial={
            "assignee": work_order.assigned_to_id, "vendor": work_order.vendor_id,
            "scheduled_for": timezone.localtime(work_order.scheduled_for) if work_order.scheduled_for else None})
        if work_order.vendor_id:
            context["dispatch_form"] = DispatchForm(auto_id="dispatch_%s", initial={
                "sent_to": selectors.firm_address(work_order.vendor)})
    if manages and work_order.status == WorkOrderStatus.DONE:
        context["verify_form"] = VerifyForm(auto_id="verify_%s")
    context.update(bound)
    return render(request, "facilities/work_orders/workorder_detail.html", context, status=status)


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def workorder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _work_order(request, pk))


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def workorder_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of a work order the viewer may see (audited), shown as the image it was checked to be."""
    photo: WorkOrderPhoto = get_scoped_or_404(request, selectors.photo_scoped(actor=request.user),
                                              permission=Perm.FACILITIES_VIEW, pk=pk)
    try:
        handle: Any = photo.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    services.photo_opened(actor=request.user, photo=photo)
    return photo_response(handle, photo)


def photo_response(handle: Any, photo: WorkOrderPhoto) -> FileResponse:
    extension = "png" if photo.content_type == "image/png" else "jpg"
    response = FileResponse(handle, content_type=photo.content_type,
                            filename=f"work-order-{photo.work_order_id}-photo-{photo.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the manager's actions -------------------------------------------------------------------------------------


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def workorder_triage(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = _work_order(request, pk, Perm.FACILITIES_MANAGE)
    form = TriageForm(request.POST, auto_id="triage_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_triage(
            actor=request.user, work_order=work_order, priority=form.cleaned_data["priority"])):
        messages.success(request, _("Priority saved; the service level starts again from now."))
        return _to(work_order)
    return _detail(request, work_order, status=400, triage_form=form)


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def workorder_assign(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = _work_order(request, pk, Perm.FACILITIES_MANAGE)
    form = AssignForm(request.POST, work_order=work_order, auto_id="assign_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_assign(
            actor=request.user, work_order=work_order, assignee=form.cleaned_data["assignee"],
            vendor=form.cleaned_data["vendor"], scheduled_for=form.cleaned_data["scheduled_for"])):
        messages.success(request, _("Assignment saved."))
        return _to(work_order)
    return _detail(request, work_order, status=400, assign_form=form)


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def workorder_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the assigned firm a link to this work order."""
    work_order = _work_order(request, pk, Perm.FACILITIES_MANAGE)
    form = DispatchForm(request.POST, auto_id="dispatch_%s")
    sent: list[VendorLink] = []
    if form.is_valid() and run_service(form, lambda: sent.append(link_services.work_order_dispatch(
            actor=request.user, work_order=work_order, sent_to=form.cleaned_data["sent_to"],
            days_valid=form.cleaned_data["days_valid"], message=form.cleaned_data["message"]))):
        messages.success(request, _("The work order was sent to %(address)s; the link works until %(date)s.") % {
            "address": sent[0].sent_to, "date": timezone.localtime(sent[0].expires_at).strftime("%Y-%m-%d")})
        return _to(work_order, "#links")
    return _detail(request, work_order, status=400, dispatch_form=form)


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def workorder_revoke_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw one of the work order's firm links (?link= in the form)."""
    work_order = _work_order(request, pk, Perm.FACILITIES_MANAGE)
    link = VendorLink.objects.filter(work_order=work_order, pk=_int(request.POST.get("link")) or 0).first()
    if link is None:
        messages.error(request, _("Choose a link of this work order."))
        return _detail(request, work_order, status=400)
    try:
        link_services.vendor_link_revoke(actor=request.user, link=link)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The link sent to %(address)s no longer works.") % {"address": link.sent_to})
    return _to(work_order, "#links")


@require_POST
@permission_required(Perm.FACILITIES_MANAGE)
def workorder_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the work is done: the work order closes and its firm links stop working."""
    work_order = _work_order(request, pk, Perm.FACILITIES_MANAGE)
    form = VerifyForm(request.POST, auto_id="verify_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_verify(
            actor=request.user, work_order=work_order, note=form.cleaned_data["note"])):
        messages.success(request, _("%(number)s verified and closed.") % {"number": work_order.number})
        return _to(work_order)
    return _detail(request, work_order, status=400, verify_form=form)


# --- working it ------------------------------------------------------------------------------------------------


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def workorder_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The assignee (or a manager) moves the work order on."""
    work_order = _work_order(request, pk)
    form = StatusForm(request.POST, current=work_order.status, auto_id="status_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_status_set(
            actor=request.user, work_order=work_order, status=form.cleaned_data["status"],
            note=form.cleaned_data["note"])):
        messages.success(request, _("Status saved: %(status)s.") % {"status": work_order.get_status_display()})
        return _to(work_order)
    return _detail(request, work_order, status=400, status_form=form)


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def workorder_note(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = _work_order(request, pk)
    form = NoteForm(request.POST, auto_id="note_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_note_add(
            actor=request.user, work_order=work_order, note=form.cleaned_data["note"])):
        messages.success(request, _("Note added."))
        return _to(work_order, "#timeline")
    return _detail(request, work_order, status=400, note_form=form)


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def workorder_cost(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = _work_order(request, pk)
    form = CostForm(request.POST, auto_id="cost_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_cost_add(
            actor=request.user, work_order=work_order, cost=form.cost())):
        messages.success(request, _("Cost recorded."))
        return _to(work_order, "#costs")
    return _detail(request, work_order, status=400, cost_form=form)


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def workorder_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = _work_order(request, pk)
    form = PhotoForm(request.POST, request.FILES, auto_id="photo_%s")
    if form.is_valid() and run_service(form, lambda: services.work_order_photo_add(
            actor=request.user, work_order=work_order, upload=form.cleaned_data["photo"])):
        messages.success(request, _("Photo added."))
        return _to(work_order, "#photos")
    return _detail(request, work_order, status=400, photo_form=form)


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def workorder_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick or untick one checklist step (?item=, ?done=1)."""
    work_order = _work_order(request, pk)
    item = WorkOrderChecklistItem.objects.filter(work_order=work_order,
                                                 pk=_int(request.POST.get("item")) or 0).first()
    if item is None:
        messages.error(request, _("Choose a step of this work order's checklist."))
        return _detail(request, work_order, status=400)
    item.work_order = work_order
    try:
        services.checklist_item_set(actor=request.user, item=item, done=request.POST.get("done") == "1")
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, work_order, status=400)
    return _to(work_order, "#checklist")
