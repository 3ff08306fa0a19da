"""Stock pages: storage places per location, stock on hand with its lots and expiry, the actions on it (use first
expiry first out, move to another place, remove with a reason, add an adjustment), the movement ledger, what
expires soon, what is at or below its reorder point, suggested orders, and par levels.

Everything is per location: a user sees the places, stock and movements of their locations (selectors), and an
object elsewhere is not found (404, audited). Seeing: inventory.view; using and moving stock: inventory.use at the
place's location; removing, adjusting, places and par levels: inventory.manage there. The services check again;
a refusal changes nothing.

Forms that move stock carry a hidden Idempotency-Key (forms_stock.KeyedForm): the same form submitted twice moves
the stock once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from .choices import MovementKind
from .forms_stock import AddStockForm, ConsumeForm, ParForm, PlaceForm, RemoveForm, SuggestionForm, TransferForm
from .models import Requisition, StockLevel, StoragePlace
from .selectors import pages_stock
from .selectors import stock as stock_selectors
from .services import catalog, purchasing, stock
from .services.stock import Operation

EXPIRING_DEFAULT_DAYS = 60
EXPIRING_MAX_DAYS = 730


def _place(place: StoragePlace | None) -> str:
    return f"{place.location.name} / {place.name}" if place is not None else ""


PLACE_EXPORT = Export(name="storage places", object_type="inventory.storageplace", columns=[
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Place"), "name"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("In use"), "is_active"),
])
STOCK_EXPORT = Export(name="stock on hand", object_type="inventory.stocklevel", columns=[
    Column(gettext_lazy("Item number"), "item.sku"),
    Column(gettext_lazy("Item"), "item.name"),
    Column(gettext_lazy("Location"), "place.location.name"),
    Column(gettext_lazy("Place"), "place.name"),
    Column(gettext_lazy("Lot"), "lot.number"),
    Column(gettext_lazy("Expires"), "lot.expires_on"),
    Column(gettext_lazy("On hand"), "quantity"),
    Column(gettext_lazy("Unit"), "item.base_unit"),
])
MOVEMENT_EXPORT = Export(name="stock movements", object_type="inventory.stockmovement", columns=[
    Column(gettext_lazy("When"), "occurred_at"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Item number"), "item.sku"),
    Column(gettext_lazy("Item"), "item.name"),
    Column(gettext_lazy("Lot"), "lot.number"),
    Column(gettext_lazy("Quantity"), "quantity"),
    Column(gettext_lazy("From"), lambda movement: _place(movement.from_place)),
    Column(gettext_lazy("To"), lambda movement: _place(movement.to_place)),
    Column(gettext_lazy("By"), lambda movement: movement.actor.display_name if movement.actor else _("The system")),
    Column(gettext_lazy("Reason"), "reason"),
])
EXPIRING_EXPORT = Export(name="expiring stock", object_type="inventory.stocklevel", columns=[
    Column(gettext_lazy("Expires"), "lot.expires_on"),
    Column(gettext_lazy("Item number"), "item.sku"),
    Column(gettext_lazy("Item"), "item.name"),
    Column(gettext_lazy("Lot"), "lot.number"),
    Column(gettext_lazy("Location"), "place.location.name"),
    Column(gettext_lazy("Place"), "place.name"),
    Column(gettext_lazy("On hand"), "quantity"),
])
BELOW_PAR_EXPORT = Export(name="below reorder point", object_type="inventory.parlevel", columns=[
    Column(gettext_lazy("Location"), "place.location.name"),
    Column(gettext_lazy("Place"), "place.name"),
    Column(gettext_lazy("Item number"), "item.sku"),
    Column(gettext_lazy("Item"), "item.name"),
    Column(gettext_lazy("On hand"), "on_hand"),
    Column(gettext_lazy("Reorder point"), "reorder_point"),
    Column(gettext_lazy("Par level"), "par"),
    Column(gettext_lazy("To order"), "needed"),
    Column(gettext_lazy("Unit"), "item.base_unit"),
    Column(gettext_lazy("Preferred vendor"), "item.preferred_vendor.name"),
])
PAR_EXPORT = Export(name="par levels", object_type="inventory.parlevel", columns=[
    Column(gettext_lazy("Location"), "place.location.name"),
    Column(gettext_lazy("Place"), "place.name"),
    Column(gettext_lazy("Item number"), "item.sku"),
    Column(gettext_lazy("Item"), "item.name"),
    Column(gettext_lazy("On hand"), "on_hand"),
    Column(gettext_lazy("Reorder point"), "reorder_point"),
    Column(gettext_lazy("Par level"), "par"),
])
# One row per suggested line: (the order it belongs to, the line).
SUGGESTED_EXPORT = Export(name="suggested orders", object_type="inventory.item", columns=[
    Column(gettext_lazy("Vendor"), lambda pair: pair[0].vendor.name if pair[0].vendor else _("No preferred vendor")),
    Column(gettext_lazy("Item number"), lambda pair: pair[1].item.sku),
    Column(gettext_lazy("Item"), lambda pair: pair[1].item.name),
    Column(gettext_lazy("For"), lambda pair: pair[1].places),
    Column(gettext_lazy("Needed"), lambda pair: pair[1].needed),
    Column(gettext_lazy("Unit"), lambda pair: pair[1].item.base_unit),
    Column(gettext_lazy("Packages"), lambda pair: pair[1].packages if pair[1].price else None),
    Column(gettext_lazy("Package"), lambda pair: (pair[1].price.packaging.name if pair[1].price.packaging
                                                  else pair[1].item.base_unit) if pair[1].price else ""),
    Column(gettext_lazy("Unit price"), lambda pair: pair[1].price.price if pair[1].price else None),
    Column(gettext_lazy("Contract price"), lambda pair: bool(pair[1].price and pair[1].price.contract_id)),
    Column(gettext_lazy("Amount"), lambda pair: pair[1].amount if pair[1].price else None),
])


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _status(form: Any) -> int:
    return 400 if form.errors else 200


def _at(user: Any, permission: str) -> Callable[[int], bool]:
    """A test "does the user hold `permission` at this location id?" (no query per row)."""
    ids = location_ids_where(user, permission)
    return lambda location_id: ids is None or location_id in ids


def _chosen(options: list[Any], pk: int | None) -> Any:
    return next((option for option in options if option.pk == pk), None)


def _stock_url(place: StoragePlace) -> str:
    return reverse("inventory:stock_list") + "?" + urlencode({"place": place.pk})


def _once(form: Any, call: Callable[[], Any]) -> Callable[[], Any]:
    """The service call of a keyed form: a key already spent on another movement (the form sent again after a
    change, from the browser's history) is an error on the form, which gets a fresh key."""

    def run() -> Any:
        try:
            return call()
        except stock.IdempotencyKeyReused as exc:
            form.renew_key()
            raise ValidationError(_("This form was already used for another movement. Check the stock, then "
                                    "submit again to record this one as well.")) from exc

    return run


def _moved(request: HttpRequest, operation: Operation, done: str) -> None:
    if operation.replayed:
        messages.info(request, _("This form was already submitted: the stock was moved once, not twice."))
    else:
        messages.success(request, done)


# --- storage places ----------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def place_list(request: HttpRequest) -> HttpResponse:
    manages = _at(request.user, Perm.INVENTORY_MANAGE)
    if export_format(request):
        return export_response(request, pages_stock.place_rows(actor=request.user), PLACE_EXPORT)
    places = list(pages_stock.place_rows(actor=request.user))
    for place in places:
        place.may_manage = manages(place.location_id)  # type: ignore[attr-defined]
    return render(request, "inventory/stock/place_list.html", {
        "places": places, "may_create": can(request.user, Perm.INVENTORY_MANAGE),
    })


def _place_form_page(request: HttpRequest, form: PlaceForm, place: StoragePlace | None) -> HttpResponse:
    return render(request, "inventory/stock/place_form.html", {"form": form, "place": place},
                  status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def place_create(request: HttpRequest) -> HttpResponse:
    locations = pages_stock.locations_for(actor=request.user, permission=Perm.INVENTORY_MANAGE)
    form = PlaceForm(request.POST if request.method == "POST" else None, locations=locations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: catalog.place_save(actor=request.user, location=data["location"],
                                                        name=data["name"], kind=data["kind"],
                                                        is_active=data["is_active"])):
            messages.success(request, _("Storage place “%(name)s” added.") % {"name": data["name"]})
            return redirect("inventory:place_list")
    return _place_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    place = get_scoped_or_404(request, stock_selectors.place_scoped(actor=request.user,
                                                                    permission=Perm.INVENTORY_MANAGE),
                              permission=Perm.INVENTORY_MANAGE, pk=pk)
    locations = pages_stock.locations_for(actor=request.user, permission=Perm.INVENTORY_MANAGE)
    form = PlaceForm(request.POST if request.method == "POST" else None, locations=locations, place=place)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: catalog.place_save(actor=request.user, location=data["location"],
                                                        name=data["name"], kind=data["kind"], place=place,
                                                        is_active=data["is_active"])):
            messages.success(request, _("Storage place saved."))
            return redirect("inventory:place_list")
    return _place_form_page(request, form, place)


# --- stock on hand and what is done with it ----------------------------------------------------------------------


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def stock_list(request: HttpRequest) -> HttpResponse:
    places = list(pages_stock.place_rows(actor=request.user))
    place = _chosen(places, _int(request.GET.get("place")))
    samples_only = request.GET.get("samples") == "1"
    queryset = pages_stock.stock_rows(actor=request.user, place_id=place.pk if place else None,
                                      samples_only=samples_only)
    rows = table(request, queryset, sorts={
        "item": "item__name", "place": "place__name", "location": "place__location__name",
        "expires": "lot__expires_on", "quantity": "quantity",
    }, default_sort="item", search_fields=("item__name", "item__sku", "lot__number"), element_id="stock-table")
    uses, manages = _at(request.user, Perm.INVENTORY_USE), _at(request.user, Perm.INVENTORY_MANAGE)
    levels = list(rows.page.object_list)
    for level in levels:
        level.may_use = uses(level.place.location_id)  # type: ignore[attr-defined]
        level.may_manage = manages(level.place.location_id)  # type: ignore[attr-defined]
    rows.page.object_list = levels
    return render_table(request, "inventory/stock/stock_list.html", {
        "table": rows, "table_template": "inventory/stock/stock_table.html",
        "filter_template": "inventory/stock/stock_filter.html", "export": STOCK_EXPORT,
        "places": places, "place": place, "samples_only": samples_only, "today": practice_today(),
        "may_add": can(request.user, Perm.INVENTORY_MANAGE),
    })


def _level(request: HttpRequest, pk: int, permission: str) -> StockLevel:
    """A stock row at a location where the user holds `permission` (else 404, audited)."""
    return get_scoped_or_404(request, stock_selectors.level_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _action_page(request: HttpRequest, level: StockLevel, form: Any, *, heading: str, submit: str,
                 lots: list[StockLevel], note: str = "") -> HttpResponse:
    return render(request, "inventory/stock/stock_action.html", {
        "level": level, "form": form, "heading": heading, "submit_label": submit, "lots": lots, "note": note,
        "on_hand": pages_stock.on_hand_at(level), "cancel_url": _stock_url(level.place),
    }, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_USE)
def stock_consume(request: HttpRequest, pk: int) -> HttpResponse:
    """Use stock from a place: first expiry, first out, unless a lot is chosen."""
    level = _level(request, pk, Perm.INVENTORY_USE)
    lots = pages_stock.lots_on_hand(level)
    form = ConsumeForm(request.POST if request.method == "POST" else None, lots=lots)
    if request.method == "POST" and form.is_valid():
        data, done = form.cleaned_data, []
        if run_service(form, _once(form, lambda: done.append(stock.stock_consume(
                actor=request.user, item=level.item, place=level.place, quantity=data["quantity"],
                reason=data["reason"], lot=form.chosen_lot(), idempotency_key=data["idempotency_key"])))):
            _moved(request, done[0], _("Used %(quantity)s %(unit)s of %(item)s.") % {
                "quantity": data["quantity"], "unit": level.item.base_unit, "item": level.item.name})
            return redirect(_stock_url(level.place))
    return _action_page(request, level, form, heading=_("Use stock"), submit=_("Use"), lots=lots,
                        note=_("Taken from the lot that expires first unless you choose one."))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_USE)
def stock_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move stock to another place at one of the user's locations (lots kept)."""
    level = _level(request, pk, Perm.INVENTORY_USE)
    lots = pages_stock.lots_on_hand(level)
    destinations = pages_stock.places_for(actor=request.user, permission=Perm.INVENTORY_USE).exclude(
        pk=level.place_id)
    form = TransferForm(request.POST if request.method == "POST" else None, lots=lots, destinations=destinations)
    if request.method == "POST" and form.is_valid():
        data, done = form.cleaned_data, []
        if run_service(form, _once(form, lambda: done.append(stock.stock_transfer(
                actor=request.user, item=level.item, source=level.place, destination=data["destination"],
                quantity=data["quantity"], reason=data["reason"], lot=form.chosen_lot(),
                idempotency_key=data["idempotency_key"])))):
            _moved(request, done[0], _("Moved %(quantity)s %(unit)s of %(item)s to %(place)s.") % {
                "quantity": data["quantity"], "unit": level.item.base_unit, "item": level.item.name,
                "place": data["destination"].name})
            return redirect(_stock_url(level.place))
    return _action_page(request, level, form, heading=_("Move stock"), submit=_("Move"), lots=lots,
                        note=_("Lots keep their number and expiry where they go."))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def stock_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Adjust down, expire or dispose, with a reason."""
    level = _level(request, pk, Perm.INVENTORY_MANAGE)
    lots = pages_stock.lots_on_hand(level)
    initial = {"kind": MovementKind.EXPIRE} if request.GET.get("kind") == MovementKind.EXPIRE else None
    form = RemoveForm(request.POST if request.method == "POST" else None, lots=lots, default_lot=level.lot,
                      initial=initial)
    if request.method == "POST" and form.is_valid():
        data, done = form.cleaned_data, []
        if run_service(form, _once(form, lambda: done.append(stock.stock_remove(
                actor=request.user, kind=data["kind"], item=level.item, place=level.place,
                quantity=data["quantity"], reason=data["reason"], lot=form.chosen_lot(),
                idempotency_key=data["idempotency_key"])))):
            _moved(request, done[0], _("Removed %(quantity)s %(unit)s of %(item)s from the books.") % {
                "quantity": data["quantity"], "unit": level.item.base_unit, "item": level.item.name})
            return redirect(_stock_url(level.place))
    return _action_page(request, level, form, heading=_("Remove stock"), submit=_("Remove"), lots=lots,
                        note=_("Expired stock names its lot; every removal says why."))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def stock_add(request: HttpRequest) -> HttpResponse:
    """An adjustment up (stock found, an opening balance), with a reason. Deliveries are received on their
    purchase order."""
    places = pages_stock.places_for(actor=request.user, permission=Perm.INVENTORY_MANAGE)
    initial = {"place": _int(request.GET.get("place")), "item": (request.GET.get("item") or "")[:40]}
    form = AddStockForm(request.POST if request.method == "POST" else None, places=places, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, done = form.cleaned_data, []
        if run_service(form, _once(form, lambda: done.append(stock.stock_receive(
                actor=request.user, item=data["item"], place=data["place"], quantity=data["quantity"],
                lot_number=data["lot_number"], expires_on=data["expires_on"], reason=data["reason"],
                kind=MovementKind.ADJUST_IN, idempotency_key=data["idempotency_key"])))):
            _moved(request, done[0], _("Added %(quantity)s %(unit)s of %(item)s.") % {
                "quantity": data["quantity"], "unit": data["item"].base_unit, "item": data["item"].name})
            return redirect(_stock_url(data["place"]))
    return render(request, "inventory/stock/stock_add.html", {"form": form}, status=_status(form))


# --- the ledger --------------------------------------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def movement_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    places = list(pages_stock.place_rows(actor=request.user))
    place = _chosen(places, _int(params.get("place")))
    kind = params.get("kind") or ""
    kind = kind if kind in MovementKind.values else ""
    since, until = _date(params.get("since")), _date(params.get("until"))
    item_id = _int(params.get("item"))
    queryset = pages_stock.movement_rows(actor=request.user, item_id=item_id, place_id=place.pk if place else None,
                                         kind=kind, since=since, until=until)
    rows = table(request, queryset, sorts={"when": "occurred_at", "item": "item__name", "kind": "kind",
                                           "quantity": "quantity"},
                 default_sort="-when", search_fields=("item__name", "item__sku", "lot__number", "reason"),
                 per_page=50, element_id="movement-table")
    return render_table(request, "inventory/stock/movement_list.html", {
        "table": rows, "table_template": "inventory/stock/movement_table.html",
        "filter_template": "inventory/stock/movement_filter.html", "export": MOVEMENT_EXPORT,
        "places": places, "place": place, "kind": kind, "kinds": MovementKind.choices,
        "since": since, "until": until, "item_id": item_id,
    })


# --- expiring, below the reorder point, suggested orders ---------------------------------------------------------


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def expiring_list(request: HttpRequest) -> HttpResponse:
    days = _int(request.GET.get("days"))
    days = EXPIRING_DEFAULT_DAYS if days is None or not 0 <= days <= EXPIRING_MAX_DAYS else days
    today = practice_today()
    queryset = stock_selectors.expiring(actor=request.user, today=today, within_days=days)
    rows = table(request, queryset, sorts={"expires": "lot__expires_on", "item": "item__name",
                                           "place": "place__name", "quantity": "quantity"},
                 default_sort="expires", search_fields=("item__name", "item__sku", "lot__number"),
                 element_id="expiring-table")
    manages = _at(request.user, Perm.INVENTORY_MANAGE)
    levels = list(rows.page.object_list)
    for level in levels:
        level.may_manage = manages(level.place.location_id)  # type: ignore[attr-defined]
    rows.page.object_list = levels
    return render_table(request, "inventory/stock/expiring_list.html", {
        "table": rows, "table_template": "inventory/stock/expiring_table.html",
        "filter_template": "inventory/stock/expiring_filter.html", "days": days, "today": today,
        "export": EXPIRING_EXPORT,
        "day_options": (7, 30, 60, 90, 180, 365),
    })


def _location_choice(request: HttpRequest) -> tuple[list[Any], Any]:
    locations = list(pages_stock.locations_for(actor=request.user, permission=Perm.INVENTORY_VIEW))
    return locations, _chosen(locations, _int(request.GET.get("location")))


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def belowpar_list(request: HttpRequest) -> HttpResponse:
    locations, location = _location_choice(request)
    queryset = stock_selectors.below_reorder_point(actor=request.user, location_id=location.pk if location else None)
    rows = table(request, queryset, sorts={"item": "item__name", "place": "place__name",
                                           "location": "place__location__name", "needed": "needed"},
                 default_sort="location", search_fields=("item__name", "item__sku"), element_id="belowpar-table")
    return render_table(request, "inventory/stock/belowpar_list.html", {
        "table": rows, "table_template": "inventory/stock/belowpar_table.html",
        "filter_template": "inventory/stock/location_filter.html", "locations": locations, "location": location,
        "export": BELOW_PAR_EXPORT,
    })


def _suggested_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    locations, location = _location_choice(request)
    if location is None and locations:
        location = locations[0]
    orders = (stock_selectors.suggested_orders(actor=request.user, today=practice_today(), location_id=location.pk)
              if location is not None else [])
    if request.method == "GET" and export_format(request):
        return export_response(request, [(order, line) for order in orders for line in order.lines],
                               SUGGESTED_EXPORT)
    return render(request, "inventory/stock/suggested_list.html", {
        "locations": locations, "location": location, "orders": orders,
        "may_order": location is not None and can(request.user, Perm.INVENTORY_MANAGE, location.pk),
    }, status=status)


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def suggested_list(request: HttpRequest) -> HttpResponse:
    """What to order to bring one location's places back to par, by preferred vendor at contract prices."""
    return _suggested_page(request)


def _requisition_url(requisition: Requisition) -> str:
    try:
        return reverse("inventory:supplyreq_detail", args=[requisition.pk])
    except NoReverseMatch:  # the purchasing pages are not wired yet
        return reverse("inventory:suggested_list") + "?" + urlencode({"location": requisition.location_id})


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def suggested_requisition(request: HttpRequest) -> HttpResponse:
    """Turn one vendor's suggested order at a location into a submitted requisition, then open it."""
    form = SuggestionForm(request.POST, locations=pages_stock.locations_for(actor=request.user,
                                                                            permission=Perm.INVENTORY_MANAGE))
    back = reverse("inventory:suggested_list")
    if not form.is_valid():
        messages.error(request, _("Choose a vendor's suggested order at one of your locations."))
        return redirect(back)
    location, vendor_id = form.cleaned_data["location"], form.cleaned_data["vendor"]
    back += "?" + urlencode({"location": location.pk})
    orders = stock_selectors.suggested_orders(actor=request.user, today=practice_today(), location_id=location.pk)
    order = next((order for order in orders if order.vendor is not None and order.vendor.pk == vendor_id), None)
    if order is None:
        messages.error(request, _("Nothing is suggested from this vendor any more."))
        return redirect(back)
    made: list[Requisition] = []
    if not run_service(form, lambda: made.append(purchasing.requisition_from_suggestion(
            actor=request.user, location=location, order=order))):
        messages.error(request, " ".join(str(error) for error in form.non_field_errors()))
        return redirect(back)
    messages.success(request, _("Requisition %(number)s submitted for approval.") % {"number": made[0]})
    return redirect(_requisition_url(made[0]))


# --- par levels --------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def par_list(request: HttpRequest) -> HttpResponse:
    places = list(pages_stock.place_rows(actor=request.user))
    place = _chosen(places, _int(request.GET.get("place")))
    queryset = pages_stock.par_rows(actor=request.user, place_id=place.pk if place else None)
    rows = table(request, queryset, sorts={"item": "item__name", "place": "place__name",
                                           "location": "place__location__name", "par": "par",
                                           "on_hand": "on_hand"},
                 default_sort="location", search_fields=("item__name", "item__sku"), element_id="par-table")
    manages = _at(request.user, Perm.INVENTORY_MANAGE)
    pars = list(rows.page.object_list)
    for par in pars:
        par.may_manage = manages(par.place.location_id)  # type: ignore[attr-defined]
    rows.page.object_list = pars
    return render_table(request, "inventory/stock/par_list.html", {
        "table": rows, "table_template": "inventory/stock/par_table.html",
        "filter_template": "inventory/stock/place_filter.html", "places": places, "place": place,
        "may_manage": can(request.user, Perm.INVENTORY_MANAGE), "export": PAR_EXPORT,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_MANAGE)
def par_edit(request: HttpRequest) -> HttpResponse:
    """Set, change or remove the par level and reorder point of an item at a place."""
    places = pages_stock.places_for(actor=request.user, permission=Perm.INVENTORY_MANAGE)
    initial: dict[str, Any] = {"place": _int(request.GET.get("place")), "item": (request.GET.get("item") or "")[:40]}
    current = None
    if initial["place"] and initial["item"]:
        current = pages_stock.par_rows(actor=request.user, place_id=initial["place"]).filter(
            item__sku__iexact=initial["item"]).first()
    if current is not None:
        initial.update(par=current.par, reorder_point=current.reorder_point)
    form = ParForm(request.POST if request.method == "POST" else None, places=places, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: catalog.par_set(
                actor=request.user, item=data["item"], place=data["place"],
                par=None if data["remove"] else data["par"], reorder_point=data["reorder_point"] or 0)):
            messages.success(request, _("Par level removed.") if data["remove"] else _("Par level saved."))
            return redirect(reverse("inventory:par_list") + "?" + urlencode({"place": data["place"].pk}))
    return render(request, "inventory/stock/par_form.html", {"form": form, "current": current},
                  status=_status(form))
