"""Cycle counts and sales representatives' samples.

Cycle counts (services.counts): anyone who uses stock at a place's location starts a count of it, enters what is
on the shelf (blind: the books are not shown while counting) and submits; a manager other than the counter
approves the variances, which become adjustments in the ledger. The history lists the counts of the user's
locations.

Samples (services.stockui.samples_receive_once): what a sales representative left on a visit goes into a sample
cabinet at the visit's location, by lot and expiry, all lines or none, once even if the form is sent twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from .choices import CountStatus, PlaceKind
from .forms_stock import CountEntryForm, CountStartForm, SampleLineFormSet, SamplesForm
from .models import CycleCount
from .selectors import pages_stock
from .services import counts, samples, stock, stockui

SAMPLE_VISIT_DAYS = 90
COUNT_STATUSES = ("", *CountStatus.values)


def _count(request: HttpRequest, pk: int, permission: str) -> CycleCount:
    return get_scoped_or_404(request, pages_stock.count_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _back(count: CycleCount) -> HttpResponse:
    return redirect("inventory:stockcount_detail", pk=count.pk)


# --- the list and starting a count -------------------------------------------------------------------------------


COUNT_EXPORT = Export(name="stock counts", object_type="inventory.cyclecount", columns=[
    Column(gettext_lazy("Started"), "created_at"),
    Column(gettext_lazy("Location"), "place.location.name"),
    Column(gettext_lazy("Place"), "place.name"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Counted by"), "started_by.display_name"),
    Column(gettext_lazy("Approved by"), "approved_by.display_name"),
])


def _count_list_page(request: HttpRequest, start_form: CountStartForm | None, *, status: int = 200) -> HttpResponse:
    state = request.GET.get("status") or ""
    state = state if state in COUNT_STATUSES else ""
    queryset = pages_stock.count_scoped(actor=request.user)
    if state:
        queryset = queryset.filter(status=state)
    rows = table(request, queryset, sorts={"started": "created_at", "place": "place__name", "status": "status"},
                 default_sort="-started", search_fields=("place__name", "place__location__name"),
                 element_id="count-table")
    return render_table(request, "inventory/stock/stockcount_list.html", {
        "table": rows, "table_template": "inventory/stock/stockcount_table.html",
        "filter_template": "inventory/stock/stockcount_filter.html", "export": COUNT_EXPORT,
        "status": state, "statuses": CountStatus.choices, "start_form": start_form,
    }, status=status)


def _start_form(request: HttpRequest, data: Any = None) -> CountStartForm | None:
    if not can(request.user, Perm.INVENTORY_USE):
        return None
    return CountStartForm(data, places=pages_stock.places_for(actor=request.user, permission=Perm.INVENTORY_USE))


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def stockcount_list(request: HttpRequest) -> HttpResponse:
    return _count_list_page(request, _start_form(request))


@require_POST
@permission_required(Perm.INVENTORY_USE)
def stockcount_start(request: HttpRequest) -> HttpResponse:
    form = _start_form(request, request.POST)
    assert form is not None
    if form.is_valid():
        try:
            count = counts.count_start(actor=request.user, place=form.cleaned_data["place"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Count started: enter what is on the shelf."))
            return _back(count)
    return _count_list_page(request, form, status=400)


# --- one count ---------------------------------------------------------------------------------------------------


def _detail(request: HttpRequest, count: CycleCount, *, entry_form: CountEntryForm | None = None,
            status: int = 200) -> HttpResponse:
    lines = pages_stock.count_lines(count)
    location_id = count.place.location_id
    counting = count.status == CountStatus.OPEN and can(request.user, Perm.INVENTORY_USE, location_id)
    if counting and entry_form is None:
        entry_form = CountEntryForm(lines=lines, auto_id="count_%s")
    approvable = (count.status == CountStatus.SUBMITTED and can(request.user, Perm.INVENTORY_MANAGE, location_id)
                  and request.user.pk not in (count.started_by_id, count.submitted_by_id))
    return render(request, "inventory/stock/stockcount_detail.html", {
        "count": count, "lines": lines, "entry_form": entry_form if counting else None,
        "counted": sum(1 for line in lines if line.counted is not None),
        "show_books": count.status != CountStatus.OPEN,
        "approvable": approvable,
        "waits_for_other": (count.status == CountStatus.SUBMITTED and not approvable
                            and can(request.user, Perm.INVENTORY_MANAGE, location_id)),
    }, status=status)


@require_GET
@permission_required(Perm.INVENTORY_VIEW)
def stockcount_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _count(request, pk, Perm.INVENTORY_VIEW))


@require_POST
@permission_required(Perm.INVENTORY_USE)
def stockcount_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Save counted quantities (any of the lines, as often as needed); "Save and submit" also submits."""
    count = _count(request, pk, Perm.INVENTORY_USE)
    form = CountEntryForm(request.POST, lines=pages_stock.count_lines(count), auto_id="count_%s")
    if form.is_valid():
        try:
            counts.count_record(actor=request.user, count=count, counted=form.counted())
            if "submit" in request.POST:
                counts.count_submit(actor=request.user, count=count)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            count.refresh_from_db()
            if count.status != CountStatus.OPEN:  # submitted meanwhile (another tab, a colleague)
                messages.error(request, " ".join(exc.messages))
                return _back(count)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Count submitted for approval.") if "submit" in request.POST
                             else _("Counted quantities saved."))
            return _back(count)
    return _detail(request, count, entry_form=form, status=400)


def _step(request: HttpRequest, count: CycleCount, call: Any, done: str) -> HttpResponse:
    """A button on the count: the service's refusal or rule shows as a message, the count page again."""
    try:
        call()
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return _back(count)


@require_POST
@permission_required(Perm.INVENTORY_USE)
def stockcount_submit(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count(request, pk, Perm.INVENTORY_USE)
    return _step(request, count, lambda: counts.count_submit(actor=request.user, count=count),
                 _("Count submitted for approval."))


@require_POST
@permission_required(Perm.INVENTORY_MANAGE)
def stockcount_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the variances: each becomes an adjustment in the ledger (someone other than the counter)."""
    count = _count(request, pk, Perm.INVENTORY_MANAGE)
    return _step(request, count, lambda: counts.count_approve(actor=request.user, count=count),
                 _("Count approved: the variances are posted to the ledger."))


# --- samples -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.INVENTORY_USE)
def sample_receive(request: HttpRequest) -> HttpResponse:
    """Receive what a sales representative left into a sample cabinet (sample stock, by lot and expiry)."""
    user = request.user
    visits = pages_stock.visits_for_samples(actor=user, since=timezone.now() - dt.timedelta(days=SAMPLE_VISIT_DAYS))
    cabinets = pages_stock.places_for(actor=user, permission=Perm.INVENTORY_USE, kind=PlaceKind.SAMPLES)
    posted = request.POST if request.method == "POST" else None
    form = SamplesForm(posted, visits=visits, cabinets=cabinets,
                       initial={"visit": request.GET.get("visit") or None})
    lines = SampleLineFormSet(posted, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        chosen = [samples.SampleIn(item=data["item"], quantity=data["quantity"], lot_number=data["lot_number"],
                                   expires_on=data["expires_on"])
                  for data in lines.cleaned_data if data.get("item") is not None]
        if not chosen:
            form.add_error(None, _("Add at least one sample: its item number and how many."))
        else:
            try:
                received, replayed = stockui.samples_receive_once(
                    actor=user, visit=form.cleaned_data["visit"], place=form.cleaned_data["place"],
                    samples_in=chosen, idempotency_key=form.cleaned_data["idempotency_key"])
            except PermissionDenied as exc:
                raise Http404() from exc
            except stock.IdempotencyKeyReused:
                form.renew_key()
                form.add_error(None, _("This form was already used for other samples. Check the sample stock, "
                                       "then submit again to receive these as well."))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if replayed:
                    messages.info(request, _("This form was already submitted: the samples were received once."))
                else:
                    messages.success(request, _("%(count)s sample line(s) received into %(place)s.") % {
                        "count": len(received), "place": form.cleaned_data["place"].name})
                return redirect(reverse("inventory:stock_list") + "?" + urlencode(
                    {"place": form.cleaned_data["place"].pk}))
    failed = request.method == "POST" and (bool(form.errors) or not lines.is_valid())
    return render(request, "inventory/stock/sample_receive.html", {
        "form": form, "lines": lines, "recent": pages_stock.recent_samples(actor=user),
        "has_cabinet": cabinets.exists(), "days": SAMPLE_VISIT_DAYS,
    }, status=400 if failed else 200)
