"""Purchase order and vendor invoice pages.

Orders open for inventory.view at their location (404, audited, elsewhere): the list (by status, vendor,
location), the order with what arrived and what was invoiced, its PDF. Managers (inventory.manage) set the
expected delivery date and notes, send it by email (services.purchasing.order_send: the PDF attached), and enter
the vendor's invoice (services.invoices.invoice_enter: the three-way match). Receiving (inventory.use: it puts
stock on the shelf) takes partial quantities, damaged packages and lots (services.purchasing.receipt_record);
more than is still owed is refused with the reason and nothing changes. Invoices: the list (ready to pay first)
and each invoice with its quantity and price variances, accepted by a second manager or marked paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import (
    get_scoped_or_404,
    permission_required,
    render_table,
    run_service,
    table,
)

from .choices import InvoiceStatus, OrderStatus
from .forms_purchasing import InvoiceAcceptForm, InvoiceForm, OrderEditForm, ReceiveForm
from .models import PurchaseOrder, VendorInvoice
from .selectors import purchasing as selectors
from .services import invoices as invoice_services
from .services import orders as order_services
from .services import purchasing as services

ORDER_SORTS = {"number": "number", "created": "created_at", "vendor": "vendor__name", "location": "location__name",
               "status": "status", "expected": "expected_on", "total": "total"}
ORDER_STATUSES = ("open", "all", *OrderStatus.values)
INVOICE_SORTS = {"date": "invoice_date", "number": "number", "vendor": "vendor__name", "order": "order__number",
                 "total": "total", "status": "status", "due": "due_on"}


def _order(request: HttpRequest, pk: int, permission: str = Perm.INVENTORY_VIEW) -> PurchaseOrder:
    return get_scoped_or_404(request, selectors.order_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _to_order(order: PurchaseOrder, anchor: str = "") -> HttpResponse:
    return redirect(reverse("inventory:po_detail", kwargs={"pk": order.pk}) + anchor)


CENT = Decimal("0.01")
ORDER_EXPORT = Export(name="purchase orders", object_type="inventory.purchaseorder", columns=[
    Column(gettext_lazy("Number"), "number"),
    Column(gettext_lazy("Written"), "created_at"),
    Column(gettext_lazy("Vendor"), "vendor.name"),
    Column(gettext_lazy("Ship to"), "location.name"),
    Column(gettext_lazy("Lines"), "line_count"),
    # A sum over the lines: in cents, as the list shows it (SQLite's SUM drops trailing zeros).
    Column(gettext_lazy("Total"), lambda order: Decimal(order.total).quantize(CENT)),
    Column(gettext_lazy("Expected"), "expected_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
])
INVOICE_EXPORT = Export(name="vendor invoices", object_type="inventory.vendorinvoice", columns=[
    Column(gettext_lazy("Invoice"), "number"),
    Column(gettext_lazy("Date"), "invoice_date"),
    Column(gettext_lazy("Vendor"), "vendor.name"),
    Column(gettext_lazy("Order"), "order.number"),
    Column(gettext_lazy("Location"), "order.location.name"),
    Column(gettext_lazy("Total"), "total"),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def po_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    status = params.get("status") or "open"
    status = status if status in ORDER_STATUSES else "open"
    vendors = selectors.order_vendors(actor=request.user)
    vendor_id = _int(params.get("vendor"))
    vendor_id = vendor_id if vendor_id in {pk for pk, _name in vendors} else None
    locations = list(selectors.locations_for_orders(actor=request.user))
    location_id = _int(params.get("location"))
    location_id = location_id if location_id in {location.pk for location in locations} else None
    queryset = selectors.order_rows(actor=request.user, status="" if status == "all" else status,
                                    vendor_id=vendor_id, location_id=location_id)
    rows = table(request, queryset, sorts=ORDER_SORTS, default_sort="-created", search_fields=("number",),
                 element_id="po-table")
    return render_table(request, "inventory/purchasing/po_list.html", {
        "table": rows, "table_template": "inventory/purchasing/po_table.html",
        "filter_template": "inventory/purchasing/po_filter.html", "export": ORDER_EXPORT,
        "status": status, "statuses": [("open", _("Open")), ("all", _("Every status")), *OrderStatus.choices],
        "vendors": vendors, "vendor_id": vendor_id, "locations": locations, "location_id": location_id,
    })


def _detail(request: HttpRequest, order: PurchaseOrder, *, status: int = 200, **bound: Any) -> HttpResponse:
    user = request.user
    lines = selectors.order_lines(order)
    manages = can(user, Perm.INVENTORY_MANAGE, order.location_id)
    context: dict[str, Any] = {
        "order": order, "lines": lines, "total": sum((line.amount for line in lines), Decimal("0.00")),
        "receipts": selectors.order_receipts(order), "invoices": selectors.order_invoices(order),
        "requisitions": list(order.requisitions.order_by("pk")),
        "manages": manages,
        "may_send": manages and order.status == OrderStatus.DRAFT,
        "may_receive": (order.status in (OrderStatus.SENT, OrderStatus.PARTIAL)
                        and can(user, Perm.INVENTORY_USE, order.location_id)),
        "may_invoice": manages and order.status in invoice_services.INVOICEABLE,
        "edit_form": (OrderEditForm(initial={"expected_on": order.expected_on, "notes": order.notes},
                                    auto_id="edit_%s")
                      if manages and order.status in order_services.CHANGEABLE else None),
        "back_ordered": sum(line.back_ordered for line in lines),
    }
    context.update(bound)
    return render(request, "inventory/purchasing/po_detail.html", context, status=status)


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def po_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _order(request, pk))


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def po_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The order as the vendor receives it."""
    order = _order(request, pk)
    response = HttpResponse(services.order_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{order.number}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def po_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The expected delivery date (and, while a draft, the notes printed on the order)."""
    order = _order(request, pk, Perm.INVENTORY_MANAGE)
    form = OrderEditForm(request.POST, auto_id="edit_%s")
    if form.is_valid() and run_service(form, lambda: order_services.order_update(
            actor=request.user, order=order, expected_on=form.cleaned_data["expected_on"],
            notes=form.cleaned_data["notes"])):
        messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
        return _to_order(order)
    return _detail(request, order, status=400, edit_form=form)


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def po_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the order with its PDF to the vendor's order address; it is then sent (it no longer changes)."""
    order = _order(request, pk, Perm.INVENTORY_MANAGE)
    try:
        sent = services.order_send(actor=request.user, order=order)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Order %(number)s was emailed to %(address)s.")
                         % {"number": sent.number, "address": sent.sent_to})
    return _to_order(order)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_USE)
def po_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a delivery: good and damaged packages per line, lots for lot-tracked items, where it goes."""
    order = _order(request, pk, Perm.INVENTORY_USE)
    lines = selectors.order_lines(order)
    form = ReceiveForm(request.POST if request.method == "POST" else None, order=order, lines=lines)
    receivable = order.status in (OrderStatus.SENT, OrderStatus.PARTIAL)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.receipt_record(
            actor=request.user, order=order, lines=form.entries(), place=form.cleaned_data["place"],
            packing_slip=form.cleaned_data["packing_slip"])):
        order.refresh_from_db()
        if order.status == OrderStatus.PARTIAL:
            messages.success(request, _("Delivery recorded. The rest stays on back order."))
        else:
            messages.success(request, _("Delivery recorded. Everything ordered has arrived."))
        return _to_order(order, "#receipts")
    return render(request, "inventory/purchasing/po_receive.html", {
        "order": order, "form": form, "receivable": receivable,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def po_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter the vendor's invoice for this order; the three-way match decides whether it is ready to pay."""
    order = _order(request, pk, Perm.INVENTORY_MANAGE)
    lines = selectors.order_lines(order)
    form = InvoiceForm(request.POST if request.method == "POST" else None, order=order, lines=lines,
                       vendors=selectors.active_vendors())
    entered: list[VendorInvoice] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: entered.append(
            invoice_services.invoice_enter(
                actor=request.user, vendor=form.chosen_vendor(), order=order, number=form.cleaned_data["number"],
                invoice_date=form.cleaned_data["invoice_date"], due_on=form.cleaned_data["due_on"],
                total=form.cleaned_data["total"], lines=form.entries()))):
        invoice = entered[0]
        if invoice.status == InvoiceStatus.READY:
            messages.success(request, _("Invoice %(number)s matches the order and what arrived: ready to pay.")
                             % {"number": invoice.number})
        else:
            messages.warning(request, _("Invoice %(number)s does not match: see the differences.")
                             % {"number": invoice.number})
        return redirect(reverse("inventory:vinvoice_detail", kwargs={"pk": invoice.pk}))
    return render(request, "inventory/purchasing/po_invoice.html", {
        "order": order, "form": form, "invoiceable": order.status in invoice_services.INVOICEABLE,
    }, status=400 if form.errors else 200)


# --- vendor invoices -------------------------------------------------------------------------------------------

INVOICE_STATUSES = ("", *InvoiceStatus.values)


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def vinvoice_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    status = InvoiceStatus.READY if status is None else status
    status = status if status in INVOICE_STATUSES else InvoiceStatus.READY
    rows = table(request, selectors.invoice_rows(actor=request.user, status=status), sorts=INVOICE_SORTS,
                 default_sort="due", search_fields=("number", "order__number"), element_id="vinvoice-table")
    return render_table(request, "inventory/purchasing/vinvoice_list.html", {
        "table": rows, "table_template": "inventory/purchasing/vinvoice_table.html",
        "filter_template": "inventory/purchasing/vinvoice_filter.html", "export": INVOICE_EXPORT,
        "status": status, "statuses": InvoiceStatus.choices,
    })


def _invoice(request: HttpRequest, pk: int) -> VendorInvoice:
    return get_scoped_or_404(request, selectors.invoice_scoped(actor=request.user),
                             permission=Perm.INVENTORY_MANAGE, pk=pk)


def _invoice_page(request: HttpRequest, invoice: VendorInvoice, *, status: int = 200,
                  accept_form: Any = None) -> HttpResponse:
    lines = selectors.invoice_match_lines(invoice)
    variance = invoice.status == InvoiceStatus.VARIANCE
    return render(request, "inventory/purchasing/vinvoice_detail.html", {
        "invoice": invoice, "lines": lines,
        "accept_form": accept_form or (InvoiceAcceptForm(auto_id="accept_%s") if variance else None),
        "self_entered": invoice.entered_by_id == request.user.pk,
        "may_pay": invoice.status == InvoiceStatus.READY,
    }, status=status)


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def vinvoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _invoice_page(request, _invoice(request, pk))


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def vinvoice_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """A second manager accepts the differences, with the reason; the invoice becomes ready to pay."""
    invoice = _invoice(request, pk)
    form = InvoiceAcceptForm(request.POST, auto_id="accept_%s")
    if form.is_valid() and run_service(form, lambda: invoice_services.invoice_accept(
            actor=request.user, invoice=invoice, note=form.cleaned_data["note"])):
        messages.success(request, _("Invoice %(number)s is ready to pay.") % {"number": invoice.number})
        return redirect(reverse("inventory:vinvoice_detail", kwargs={"pk": invoice.pk}))
    return _invoice_page(request, invoice, status=400, accept_form=form)


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def vinvoice_paid(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    try:
        invoice_services.invoice_mark_paid(actor=request.user, invoice=invoice)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invoice %(number)s is marked paid.") % {"number": invoice.number})
    return redirect(reverse("inventory:vinvoice_detail", kwargs={"pk": invoice.pk}))
