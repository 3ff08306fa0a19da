"""The page a maintenance or cleaning firm opens from the work order it was emailed. No sign-in: the signed link
is the key, and it opens one work order only (services.vendor_links). The firm sees the job (what is wrong, where,
which equipment, the photos) and can set the status, add a note, a cost or a photo; each POST is CSRF-protected
and checked again against the link. A link that does not work gets the same "no longer works" page (404) whatever
the reason. Nothing caches these pages, and the link is never sent to another site in a Referer header."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.core.web import add_service_errors

from . import selectors_work_orders as selectors
from .forms_work_orders import CostForm, NoteForm, PhotoForm, StatusForm
from .models import VendorLink, WorkOrderPhoto
from .services import vendor_links as services
from .views_work_orders import photo_response

# What the firm may record, and what the page says once it is.
DONE = {"status": gettext_lazy("Status saved."), "note": gettext_lazy("Note added."),
        "cost": gettext_lazy("Cost recorded."), "photo": gettext_lazy("Photo added.")}


def _private(response: HttpResponse) -> HttpResponse:
    # The token never goes to another site; same-origin (not no-referrer, which makes browsers send "Origin: null"
    # on the page's own forms, and Django's CSRF check then refuses them).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def _gone(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "facilities/work_orders/vendorlink_invalid.html", status=404))


def _status_form(link: VendorLink, data: Any = None) -> StatusForm:
    return StatusForm(data, current=link.work_order.status, allowed=services.VENDOR_STATUSES, auto_id="status_%s")


def _page(request: HttpRequest, link: VendorLink, token: str, *, status: int = 200, **bound: Any) -> HttpResponse:
    work_order = link.work_order
    forms: dict[str, Any] = {
        "status_form": _status_form(link), "note_form": NoteForm(auto_id="note_%s"),
        "cost_form": CostForm(auto_id="cost_%s"), "photo_form": PhotoForm(auto_id="photo_%s")}
    forms.update(bound)
    photos = list(WorkOrderPhoto.objects.filter(work_order=work_order).order_by("uploaded_at", "pk"))
    # The costs entered through links since this firm was sent the job (a firm taken off keeps its own to itself).
    costs = list(work_order.costs.filter(via_vendor_link=True, recorded_at__gte=work_order.dispatched_at or
                                         link.created_at).order_by("recorded_at", "pk"))
    return _private(render(request, "facilities/work_orders/vendorlink_page.html", {
        "link": link, "token": token, "work_order": work_order, "location": work_order.location,
        "asset": work_order.asset, "photos": photos, "costs": costs, "vendor": link.vendor,
        "events": selectors.events_for_vendor(work_order, vendor_id=link.vendor_id),
        "expires_at": timezone.localtime(link.expires_at), **forms,
    }, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def vendorlink_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.link_from_token(token)
    except services.VendorLinkInvalid:
        return _gone(request)
    if request.method == "GET":
        services.link_seen(link)
        return _page(request, link, token)
    action = request.POST.get("action") or ""
    if action not in DONE:
        messages.error(request, _("Choose what to record."))
        return _page(request, link, token, status=400)
    form = _bound(action, link, request)
    if form.is_valid():
        try:
            _record(action, form, token)
        except services.VendorLinkInvalid:
            return _gone(request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, DONE[action])
            return redirect(request.path)
    return _page(request, link, token, status=400, **{f"{action}_form": form})


def _bound(action: str, link: VendorLink, request: HttpRequest) -> Any:
    if action == "status":
        return _status_form(link, request.POST)
    if action == "note":
        return NoteForm(request.POST, auto_id="note_%s")
    if action == "cost":
        return CostForm(request.POST, auto_id="cost_%s")
    return PhotoForm(request.POST, request.FILES, auto_id="photo_%s")


def _record(action: str, form: Any, token: str) -> None:
    """One service call, which checks the link again inside its transaction."""
    data = form.cleaned_data
    if action == "status":
        services.vendor_status_set(token=token, status=data["status"], note=data["note"])
    elif action == "note":
        services.vendor_note_add(token=token, note=data["note"])
    elif action == "cost":
        services.vendor_cost_add(token=token, cost=form.cost())
    else:
        services.vendor_photo_add(token=token, upload=data["photo"])


@never_cache
@require_GET
def vendorlink_photo(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """A photo of the link's own work order (another work order's photo is not found)."""
    try:
        link = services.link_from_token(token)
    except services.VendorLinkInvalid:
        return _gone(request)
    photo = WorkOrderPhoto.objects.filter(pk=pk, work_order_id=link.work_order_id).first()
    if photo is None:
        return _gone(request)
    try:
        handle: Any = photo.file.open("rb")
    except FileNotFoundError:
        return _gone(request)
    response = photo_response(handle, photo)
    response["Referrer-Policy"] = "no-referrer"
    return response
