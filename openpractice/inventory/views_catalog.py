"""Catalogue pages: items (practice-wide) with their packagings, vendor prices, stock by place and par levels; the
CSV catalogue import with its validation report and a template to fill in.

Seeing the catalogue: inventory.view. Changing it: inventory.manage (services.catalog and services.imports check
again and audit). Stock and par levels shown on an item are only those at the reader's locations.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import permission_required, render_table, run_service, table

from .choices import ItemCategory
from .forms_stock_catalog import CatalogueImportForm, ItemForm, PackagingForm, PriceForm
from .models import Item
from .selectors import pages_stock
from .services import catalog, imports

ITEM_STATUSES = ("active", "inactive", "all")
ITEM_EXPORT = Export(name="items", object_type="inventory.item", columns=[
    Column(gettext_lazy("Item number"), "sku"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Category"), "get_category_display"),
    Column(gettext_lazy("Unit"), "base_unit"),
    Column(gettext_lazy("Preferred vendor"), "preferred_vendor.name"),
    Column(gettext_lazy("On hand (your locations)"), "on_hand"),
    Column(gettext_lazy("Lot tracked"), "lot_tracked"),
    Column(gettext_lazy("In use"), "is_active"),
])


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _item(pk: int) -> Item:
    """Items are practice-wide: any holder of the page's permission may open any of them."""
    return get_object_or_404(Item.objects.select_related("preferred_vendor"), pk=pk)


def _status(form: Any) -> int:
    return 400 if form.errors else 200


# --- items -------------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def item_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    category = params.get("category") or ""
    category = category if category in ItemCategory.values else ""
    vendors = list(pages_stock.vendor_choices())
    vendor_id = _int(params.get("vendor"))
    vendor_id = vendor_id if vendor_id in {vendor.pk for vendor in vendors} else None
    status = params.get("status") or "active"
    status = status if status in ITEM_STATUSES else "active"
    queryset = pages_stock.item_rows(actor=request.user, category=category, vendor_id=vendor_id,
                                     active={"active": True, "inactive": False}.get(status))
    rows = table(request, queryset, sorts={
        "sku": "sku", "name": "name", "category": "category", "vendor": "preferred_vendor__name",
        "on_hand": "on_hand",
    }, default_sort="name", search_fields=("sku", "name", "description"), element_id="item-table")
    return render_table(request, "inventory/stock/item_list.html", {
        "table": rows, "table_template": "inventory/stock/item_table.html",
        "filter_template": "inventory/stock/item_filter.html", "export": ITEM_EXPORT,
        "category": category, "categories": ItemCategory.choices, "vendor": vendor_id, "vendors": vendors,
        "status": status, "statuses": [("active", _("In use")), ("inactive", _("No longer used")),
                                       ("all", _("All items"))],
        "may_manage": can(request.user, Perm.INVENTORY_MANAGE),
    })


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    today = practice_today()
    return render(request, "inventory/stock/item_detail.html", {
        "item": item, "today": today,
        "packagings": list(item.packagings.all()),
        "prices": pages_stock.item_prices(item=item, today=today),
        "levels": list(pages_stock.item_levels(actor=request.user, item=item)),
        "pars": list(pages_stock.par_rows(actor=request.user, item=item).order_by(
            "place__location__name", "place__name", "pk")),
        "may_manage": can(request.user, Perm.INVENTORY_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def item_create(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        saved: list[Item] = []
        if run_service(form, lambda: saved.append(catalog.item_save(actor=request.user, data=form.cleaned_data))):
            messages.success(request, _("Item %(item)s added to the catalogue.") % {"item": saved[0]})
            return redirect("inventory:item_detail", pk=saved[0].pk)
    return render(request, "inventory/stock/item_form.html", {
        "form": form, "item": None, "heading": _("New item")}, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = ItemForm(request.POST if request.method == "POST" else None, item=item)
    if request.method == "POST" and form.is_valid() and run_service(
            form, lambda: catalog.item_save(actor=request.user, data=form.cleaned_data, item=item)):
        messages.success(request, _("Item saved."))
        return redirect("inventory:item_detail", pk=item.pk)
    return render(request, "inventory/stock/item_form.html", {
        "form": form, "item": item, "heading": _("Edit item")}, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def item_packaging_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = PackagingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: catalog.packaging_add(
            actor=request.user, item=item, name=form.cleaned_data["name"],
            base_quantity=form.cleaned_data["base_quantity"])):
        messages.success(request, _("Packaging added."))
        return redirect(reverse("inventory:item_detail", args=[item.pk]) + "#packagings")
    return render(request, "inventory/stock/item_part_form.html", {
        "form": form, "item": item, "heading": _("Add a packaging"), "packagings": list(item.packagings.all()),
    }, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def item_price_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = PriceForm(request.POST if request.method == "POST" else None, item=item,
                     show_contracts=can(request.user, Perm.VENDORS_VIEW),
                     initial={"effective_from": practice_today(), "vendor": item.preferred_vendor_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: catalog.price_add(
                actor=request.user, item=item, vendor=data["vendor"], price=data["price"],
                effective_from=data["effective_from"], packaging=form.chosen_packaging(),
                vendor_sku=data["vendor_sku"], contract=data.get("contract"))):
            messages.success(request, _("Price added."))
            return redirect(reverse("inventory:item_detail", args=[item.pk]) + "#prices")
    return render(request, "inventory/stock/item_part_form.html", {
        "form": form, "item": item, "heading": _("Add a vendor price"),
        "prices": pages_stock.item_prices(item=item, today=practice_today())[:10],
    }, status=_status(form))


# --- the CSV catalogue import ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def catalogue_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV catalogue or price list: every line is checked first; on any error nothing is imported and
    the report lists each problem by line."""
    form = CatalogueImportForm(request.POST if request.method == "POST" else None,
                               request.FILES if request.method == "POST" else None)
    reports: list[imports.ImportReport] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(imports.MAX_BYTES + 1)
        if run_service(form, lambda: reports.append(imports.catalogue_import(actor=request.user, content=content))):
            done = reports[0]
            if done.ok:
                messages.success(request, _("Imported %(rows)s lines: %(created)s new items, %(updated)s changed, "
                                            "%(prices)s prices.") % {
                    "rows": done.rows, "created": done.items_created, "updated": done.items_updated,
                    "prices": done.prices_added})
                return redirect("inventory:item_list")
    report = reports[0] if reports else None
    failed = bool(form.errors) or (report is not None and not report.ok)
    return render(request, "inventory/stock/catalogue_import.html", {
        "form": form, "report": report, "columns": imports.KNOWN,
    }, status=400 if failed else 200)


TEMPLATE_ROWS = (
    ("GLV-NIT-M", "Nitrile exam gloves, medium", "medical", "each", "no", "Medline", "Medline", "MDS195084",
     "box", "100", "8.50", "2026-01-01"),
    ("GLV-NIT-M", "", "", "", "", "", "Medline", "MDS195084C", "case", "1000", "79.00", "2026-01-01"),
)


@require_GET
@permission_required(Perm.INVENTORY_MANAGE)
def catalogue_template(request: HttpRequest) -> HttpResponse:
    """A CSV with every column the import knows and two example lines (an item with a box price, and a case
    price of the same item)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(imports.KNOWN)
    writer.writerows(TEMPLATE_ROWS)
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename="catalogue-template.csv")
    response["X-Content-Type-Options"] = "nosniff"
    return response
