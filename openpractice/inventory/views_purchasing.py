"""Requisition pages and the approval limits.

Anyone on the staff asks to buy something for a location they work at (services.purchasing.requisition_create
only asks that they are signed in and work there), follows their own requisitions and submits them. A
requisition opens for the person who wrote it and for anyone holding inventory.view at its location (404,
audited, for anyone else). The approval queue lists what the user may approve (selectors.purchasing.
approval_queue: by amount and tier, never their own); deciding one above their limit is refused with a clear
message and changes nothing. Managers (inventory.manage at the location) turn an approved requisition into one
purchase order per vendor. The approval limits are shown to inventory staff and set by practice.manage.
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

from openpractice.accounts.permissions import SESSION_LOCATION_KEY, can
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    deny,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    run_service,
    table,
)

from .choices import RequisitionStatus
from .forms_purchasing import (
    ApprovalLimitsForm,
    DecideForm,
    OrderCreateForm,
    RequisitionForm,
    requisition_line_formset,
)
from .models import PurchaseOrder, Requisition
from .selectors import purchasing as selectors
from .services import approval_limits as limit_services
from .services import orders as order_services
from .services import purchasing as services

SEE_NAME = "own requisition or inventory.view"
SORTS = {"number": "pk", "created": "created_at", "status": "status", "total": "total", "location": "location__name",
         "needed": "needed_by", "requester": "requested_by__last_name"}


REQUISITION_EXPORT = Export(name="requisitions", object_type="inventory.requisition", columns=[
    Column(gettext_lazy("Number"), str),
    Column(gettext_lazy("Written"), "created_at"),
    Column(gettext_lazy("Requested by"), "requested_by.display_name"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Lines"), "line_count"),
    Column(gettext_lazy("Total"), "total"),
    Column(gettext_lazy("Needed by"), "needed_by"),
    Column(gettext_lazy("Status"), "get_status_display"),
])
LIMIT_EXPORT = Export(name="approval limits", object_type="inventory.approvallimit", columns=[
    Column(gettext_lazy("Role"), "role"),
    Column(gettext_lazy("Tier"), "tier"),
    Column(gettext_lazy("Approves"), "approves"),
    Column(gettext_lazy("Approves up to"), lambda row: row["amount"] if row["approves"] and row["amount"] is not None
           else (_("Any amount") if row["approves"] else _("Does not approve"))),
])


def _requisition(request: HttpRequest, pk: int) -> Requisition:
    return get_scoped_or_404(request, selectors.requisition_scoped(actor=request.user), permission=SEE_NAME, pk=pk)


def _to_detail(requisition: Requisition) -> HttpResponse:
    return redirect(reverse("inventory:supplyreq_detail", kwargs={"pk": requisition.pk}))


def _list(request: HttpRequest, queryset: Any, *, tab: str, heading: str, intro: str, **extra: Any) -> HttpResponse:
    rows = table(request, queryset, sorts=SORTS, default_sort="-created", search_fields=("justification",),
                 element_id="supplyreq-table")
    return render_table(request, "inventory/purchasing/supplyreq_list.html", {
        "table": rows, "table_template": "inventory/purchasing/supplyreq_table.html", "tab": tab,
        "heading": heading, "intro": intro, "export": REQUISITION_EXPORT,
        "may_queue": can(request.user, Perm.INVENTORY_USE), "may_all": can(request.user, Perm.INVENTORY_VIEW),
        **extra})


@require_GET
@login_required
def supplyreq_list(request: HttpRequest) -> HttpResponse:
    """The requisitions the user wrote."""
    return _list(request, selectors.requisitions_mine(actor=request.user), tab="mine",
                 heading=_("My requisitions"), intro=_("What you asked to buy, and where each request stands."))


@require_GET
@permission_required(Perm.INVENTORY_USE)
def supplyreq_queue(request: HttpRequest) -> HttpResponse:
    """Submitted requisitions the user may approve (within their limit, at their locations, not their own)."""
    return _list(request, selectors.approval_queue(actor=request.user), tab="queue",
                 heading=_("Waiting for my approval"),
                 intro=_("Only requisitions within your approval limit at your locations are listed; larger ones "
                         "go to someone with a higher limit."))


STATUS_FILTERS = ("", *RequisitionStatus.values)


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def supplyreq_all(request: HttpRequest) -> HttpResponse:
    """Every requisition at the user's locations (approved ones are ordered from here)."""
    status = request.GET.get("status") or ""
    status = status if status in STATUS_FILTERS else ""
    return _list(request, selectors.requisitions_at_my_locations(actor=request.user, status=status), tab="all",
                 heading=_("Requisitions at my locations"), intro="", status=status,
                 statuses=RequisitionStatus.choices,
                 filter_template="inventory/purchasing/supplyreq_filter.html")


@require_http_methods(["GET", "POST"])
@login_required
def supplyreq_create(request: HttpRequest) -> HttpResponse:
    """Ask to buy: several lines, each a catalogue item (by number) or something described (furniture)."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = RequisitionForm(data, actor=user, initial={"location": request.session.get(SESSION_LOCATION_KEY)})
    lines = requisition_line_formset(data=data, vendors=selectors.active_vendors(), today=practice_today())
    if request.method == "POST":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        if form_ok and lines_ok:
            cleaned = form.cleaned_data
            created: list[Requisition] = []

            def create() -> None:
                requisition = services.requisition_create(
                    actor=user, location=cleaned["location"], lines=lines.entries(),
                    needed_by=cleaned["needed_by"], justification=cleaned["justification"])
                if request.POST.get("then") == "submit":
                    requisition = services.requisition_submit(actor=user, requisition=requisition)
                created.append(requisition)

            if run_service(form, create):
                requisition = created[0]
                if requisition.status == RequisitionStatus.SUBMITTED:
                    messages.success(request, _("Requisition %(number)s is waiting for approval.")
                                     % {"number": requisition})
                else:
                    messages.success(request, _("Requisition %(number)s is saved as a draft. Submit it when it is "
                                                "complete.") % {"number": requisition})
                return _to_detail(requisition)
    return render(request, "inventory/purchasing/supplyreq_form.html", {"form": form, "lines": lines},
                  status=400 if form.errors or lines.total_error_count() else 200)


def _detail(request: HttpRequest, requisition: Requisition, *, status: int = 200, **bound: Any) -> HttpResponse:
    user = request.user
    orders: list[PurchaseOrder] = selectors.requisition_orders(requisition)
    may_decide = (requisition.status == RequisitionStatus.SUBMITTED and can(user, Perm.INVENTORY_USE)
                  and services.may_approve(user, requisition))
    may_order = (requisition.status == RequisitionStatus.APPROVED
                 and can(user, Perm.INVENTORY_MANAGE, requisition.location_id))
    context: dict[str, Any] = {
        "requisition": requisition, "lines": selectors.requisition_lines(requisition), "orders": orders,
        "history": selectors.requisition_history(requisition, orders),
        "may_submit": requisition.status == RequisitionStatus.DRAFT and requisition.requested_by_id == user.pk,
        "decide_form": DecideForm(auto_id="decide_%s") if may_decide else None,
        "may_order": may_order,
        "awaiting_other": (requisition.status == RequisitionStatus.SUBMITTED and not may_decide
                           and can(user, Perm.INVENTORY_USE, requisition.location_id)
                           and requisition.requested_by_id != user.pk),
    }
    context.update(bound)
    return render(request, "inventory/purchasing/supplyreq_detail.html", context, status=status)


@require_GET
@login_required
def supplyreq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _requisition(request, pk))


@require_POST
@login_required
def supplyreq_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester sends their draft for approval."""
    requisition = _requisition(request, pk)
    try:
        services.requisition_submit(actor=request.user, requisition=requisition)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Requisition %(number)s is waiting for approval.") % {"number": requisition})
    return _to_detail(requisition)


@require_POST
@permission_required(Perm.INVENTORY_USE)
def supplyreq_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject (with a reason). Above the user's limit, their own or at a location where they do not
    approve: refused with a message, nothing changed (the service audits the refusal)."""
    requisition = _requisition(request, pk)
    form = DecideForm(request.POST, auto_id="decide_%s")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            decided = services.requisition_decide(actor=request.user, requisition=requisition, approve=approve,
                                                  note=form.cleaned_data["note"])
        except PermissionDenied:
            form.add_error(None, _("You cannot decide this requisition: its total is above your approval limit, it "
                                   "is at a location where you do not approve, or it is your own. It goes to "
                                   "someone with a higher limit."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, (_("Requisition %(number)s is approved.") if approve
                                       else _("Requisition %(number)s is rejected.")) % {"number": decided})
            return _to_detail(decided)
    return _detail(request, requisition, status=400, decide_form=form)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def supplyreq_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Order an approved requisition: choose where the delivery goes and a vendor for lines without one; one
    draft purchase order per vendor."""
    requisition = _requisition(request, pk)
    if not can(request.user, Perm.INVENTORY_MANAGE, requisition.location_id):
        raise deny(request, permission=Perm.INVENTORY_MANAGE, object_type="inventory.requisition",
                   object_id=requisition.pk)
    lines = selectors.requisition_lines(requisition)
    vendors = selectors.active_vendors()
    open_lines = [line for line in lines if line.vendor_id is None]
    form = OrderCreateForm(request.POST if request.method == "POST" else None, location_id=requisition.location_id,
                           open_lines=open_lines, vendors=vendors)
    if request.method == "POST" and form.is_valid():
        placed: list[PurchaseOrder] = []
        if run_service(form, lambda: placed.extend(order_services.orders_place(
                actor=request.user, requisition=requisition, receive_into=form.cleaned_data["receive_into"],
                vendors=form.chosen_vendors(), today=practice_today()))):
            messages.success(request, _("Draft purchase order(s) %(numbers)s written: check and send them.")
                             % {"numbers": ", ".join(order.number for order in placed)})
            if len(placed) == 1:
                return redirect(reverse("inventory:po_detail", kwargs={"pk": placed[0].pk}))
            return _to_detail(requisition)
    return render(request, "inventory/purchasing/supplyreq_order.html", {
        "requisition": requisition, "lines": lines, "form": form,
        "orderable": requisition.status == RequisitionStatus.APPROVED,
    }, status=400 if form.errors else 200)


# --- approval limits -------------------------------------------------------------------------------------------


def _limit_rows() -> list[dict[str, Any]]:
    return [{"role": Role(role).label, "tier": Tier(tier).label, "approves": approves, "amount": amount}
            for role, tier, approves, amount in selectors.approval_limit_rows()]


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def approvallimit_list(request: HttpRequest) -> HttpResponse:
    rows = _limit_rows()
    if export_format(request):
        return export_response(request, rows, LIMIT_EXPORT)
    return render(request, "inventory/purchasing/approvallimit_list.html", {
        "rows": rows, "may_edit": can(request.user, Perm.PRACTICE_MANAGE)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def approvallimit_edit(request: HttpRequest) -> HttpResponse:
    form = ApprovalLimitsForm(request.POST if request.method == "POST" else None,
                              rows=selectors.approval_limit_rows())
    if request.method == "POST" and form.is_valid() and run_service(
            form, lambda: limit_services.approval_limits_set(actor=request.user, limits=form.limits())):
        messages.success(request, _("Approval limits saved."))
        return redirect(reverse("inventory:approvallimit_list"))
    return render(request, "inventory/purchasing/approvallimit_form.html", {"form": form},
                  status=400 if form.errors else 200)
