"""Safety-log pages: the checkpoints (facilities.manage at the location sets them up; facilities.view sees them),
the daily round (what is due today at my location, with a quick entry form per slot, the entries still missing
and the open alerts), recording, correcting, the corrective action and a work order from an entry, the missing
entries, and the inspection-ready report (HTML and PDF).

Recording needs facilities.view at the checkpoint's location (the clinical staff and office managers who take the
readings). Everything is per location: an object elsewhere is not found (404, audited). The services check again;
a refusal changes nothing. Every page shows the entries out of range still waiting for a corrective action.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import SESSION_LOCATION_KEY, can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.web import deny, get_scoped_or_404, permission_required, run_service

from . import selectors_safety as selectors
from .forms_safety import ActionForm, CheckpointForm, CorrectionForm, EntryForm, RangeForm
from .models import SafetyCheckpoint, SafetyLogEntry, WorkOrder
from .services import safety as services

ALERTS_SHOWN = 10
DETAIL_DAYS = 30
REPORT_DAYS = 30


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _status(form: Any) -> int:
    return 400 if form is not None and form.errors else 200


CHECKPOINT_EXPORT = Export(name="safety checkpoints", object_type="facilities.safetycheckpoint", columns=[
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Checkpoint"), "name"),
    Column(gettext_lazy("Room"), "room"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("How often"), "get_frequency_display"),
    Column(gettext_lazy("Minimum"), "minimum"),
    Column(gettext_lazy("Maximum"), "maximum"),
    Column(gettext_lazy("Unit"), "unit"),
    Column(gettext_lazy("Equipment tag"), "asset.tag"),
    Column(gettext_lazy("Equipment"), "asset.name"),
    Column(gettext_lazy("In use"), "is_active"),
])
MISSING_EXPORT = Export(name="missing safety entries", object_type="facilities.safetycheckpoint", columns=[
    Column(gettext_lazy("Location"), "checkpoint.location.name"),
    Column(gettext_lazy("Checkpoint"), "checkpoint.name"),
    Column(gettext_lazy("Missing"), "label"),
    Column(gettext_lazy("Date"), "log_date"),
    Column(gettext_lazy("Period ends"), "period_end"),
])


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Render a safety page with the open alerts at the user's locations (one query)."""
    alerts = list(selectors.open_alerts(actor=request.user)[:ALERTS_SHOWN + 1])
    context = {"alerts": alerts[:ALERTS_SHOWN], "more_alerts": len(alerts) > ALERTS_SHOWN, **context}
    return render(request, template, context, status=status)


def _at(user: Any, permission: str) -> Any:
    ids = location_ids_where(user, permission)
    return lambda location_id: ids is None or location_id in ids


def _location(request: HttpRequest, locations: list[Location], *, fallback_first: bool = True) -> Location | None:
    """The location asked for (?location=), else the one chosen in the switcher, else the first (or None: all
    of them). A location that exists but is not the user's: 404, audited."""
    asked = _int(request.GET.get("location"))
    first = locations[0] if locations and fallback_first else None
    if asked is not None:
        chosen = next((location for location in locations if location.pk == asked), None)
        if chosen is None and Location.objects.filter(pk=asked).exists():
            raise deny(request, permission=Perm.FACILITIES_VIEW, object_type="core.location", object_id=asked)
        return chosen or first
    if "location" in request.GET:  # "all my locations"
        return first
    selected = request.session.get(SESSION_LOCATION_KEY)
    return next((location for location in locations if location.pk == selected), first)


def work_order_url(order: WorkOrder) -> str:
    """The work order's page (built by the work-order pages; empty until they exist)."""
    try:
        return reverse("facilities:workorder_detail", kwargs={"pk": order.pk})
    except NoReverseMatch:
        return ""


# --- checkpoints -----------------------------------------------------------------------------------------------


def _checkpoint(request: HttpRequest, pk: int, permission: str) -> SafetyCheckpoint:
    return get_scoped_or_404(request, selectors.checkpoints_visible(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    locations = list(selectors.locations_for(actor=request.user))
    location_id = _int(request.GET.get("location"))
    location_id = location_id if any(location.pk == location_id for location in locations) else None
    active_key = str(request.GET.get("active") or "yes")
    active_key = active_key if active_key in ("yes", "no", "all") else "yes"
    active = {"yes": True, "no": False, "all": None}[active_key]
    queryset = selectors.checkpoint_rows(actor=request.user, location_id=location_id, active=active)
    if export_format(request):
        return export_response(request, queryset, CHECKPOINT_EXPORT)
    checkpoints = list(queryset)
    manages = _at(request.user, Perm.FACILITIES_MANAGE)
    for checkpoint in checkpoints:
        checkpoint.may_manage = manages(checkpoint.location_id)  # type: ignore[attr-defined]
    return _page(request, "facilities/safety/checkpoint_list.html", {
        "checkpoints": checkpoints, "locations": locations, "location_id": location_id, "active": active_key,
        "may_create": can(request.user, Perm.FACILITIES_MANAGE),
    })


def _checkpoint_form(request: HttpRequest, checkpoint: SafetyCheckpoint | None) -> CheckpointForm:
    return CheckpointForm(request.POST if request.method == "POST" else None,
                          locations=selectors.locations_for(actor=request.user, permission=Perm.FACILITIES_MANAGE),
                          assets=selectors.asset_choices(actor=request.user), checkpoint=checkpoint)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def checkpoint_create(request: HttpRequest) -> HttpResponse:
    form = _checkpoint_form(request, None)
    created: list[SafetyCheckpoint] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: created.append(
            services.checkpoint_create(actor=request.user, data=form.service_data()))):
        messages.success(request, _("Checkpoint “%(name)s” set up.") % {"name": created[0].name})
        return redirect("facilities:checkpoint_detail", pk=created[0].pk)
    return _page(request, "facilities/safety/checkpoint_form.html", {"form": form, "checkpoint": None},
                 status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_MANAGE)
def checkpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = _checkpoint(request, pk, Perm.FACILITIES_MANAGE)
    form = _checkpoint_form(request, checkpoint)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.checkpoint_update(
            actor=request.user, checkpoint=checkpoint, data=form.service_data())):
        messages.success(request, _("Checkpoint saved."))
        return redirect("facilities:checkpoint_detail", pk=checkpoint.pk)
    return _page(request, "facilities/safety/checkpoint_form.html", {"form": form, "checkpoint": checkpoint},
                 status=_status(form))


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def checkpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = _checkpoint(request, pk, Perm.FACILITIES_VIEW)
    today = practice_today()
    since = today - dt.timedelta(days=DETAIL_DAYS)
    entries = list(selectors.checkpoint_entries(checkpoint, since=since))
    for entry in entries:
        entry.needs_action = selectors.needs_action(entry)  # type: ignore[attr-defined]
    annotated = selectors.with_first_entry(SafetyCheckpoint.objects.filter(pk=checkpoint.pk).select_related(
        "location")).get()
    missing = selectors.missing_for([annotated], since=since, until=today - dt.timedelta(days=1))
    return _page(request, "facilities/safety/checkpoint_detail.html", {
        "checkpoint": checkpoint, "entries": entries, "missing": missing, "days": DETAIL_DAYS,
        "backdate_from": today - dt.timedelta(days=selectors.BACKDATE_DAYS),
        "may_manage": can(request.user, Perm.FACILITIES_MANAGE, checkpoint.location_id),
        "is_temperature": checkpoint.kind in selectors.TEMPERATURE_KINDS,
    })


# --- the daily round and recording -----------------------------------------------------------------------------


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_today(request: HttpRequest) -> HttpResponse:
    locations = list(selectors.locations_for(actor=request.user))
    location = _location(request, locations)
    today = practice_today()
    rows = selectors.daily_round(actor=request.user, location=location, today=today) if location else []
    return _page(request, "facilities/safety/today.html", {
        "locations": locations, "location": location, "today": today, "rows": rows,
        "late_count": sum(len(row.late) for row in rows),
        "due_count": sum(1 for row in rows for due in row.due if due.entry is None),
        "may_manage": location is not None and can(request.user, Perm.FACILITIES_MANAGE, location.pk),
    })


def _after_record(request: HttpRequest, checkpoint: SafetyCheckpoint) -> HttpResponse:
    """Back to the round the entry was made from, else to the checkpoint."""
    if request.POST.get("from") == "today":
        return redirect(reverse("facilities:safetylog_today") + "?" + urlencode({"location": checkpoint.location_id}))
    return redirect("facilities:checkpoint_detail", pk=checkpoint.pk)


def _recorded_message(request: HttpRequest, entry: SafetyLogEntry) -> None:
    if entry.passed:
        messages.success(request, _("%(name)s logged.") % {"name": entry.checkpoint.name})
    else:
        messages.warning(request, _("%(name)s is out of range or failed: the facilities managers are alerted. "
                                    "Record the corrective action on the entry.") % {"name": entry.checkpoint.name})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a reading or check for a checkpoint (`pk`); ?date= and ?slot= preset a late entry."""
    checkpoint = _checkpoint(request, pk, Perm.FACILITIES_VIEW)
    today = practice_today()
    initial: dict[str, Any] = {}
    if request.method == "GET":
        with contextlib.suppress(ValueError):
            initial["log_date"] = dt.date.fromisoformat(request.GET.get("date") or "")
        if request.GET.get("slot") in ("am", "pm"):
            initial["slot"] = request.GET["slot"]
    form = EntryForm(request.POST if request.method == "POST" else None, checkpoint=checkpoint, today=today,
                     initial=initial)
    done: list[SafetyLogEntry] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: done.append(
            services.safety_entry_record(actor=request.user, checkpoint=checkpoint, **form.service_data()))):
        _recorded_message(request, done[0])
        if not done[0].passed:
            return redirect("facilities:safetylog_detail", pk=done[0].pk)
        return _after_record(request, checkpoint)
    return _page(request, "facilities/safety/record_form.html", {
        "form": form, "checkpoint": checkpoint, "entry": None, "from_today": request.POST.get("from") == "today"
        or request.GET.get("from") == "today",
    }, status=_status(form))


def _entry(request: HttpRequest, pk: int) -> SafetyLogEntry:
    return get_scoped_or_404(request, selectors.entries_visible(actor=request.user),
                             permission=Perm.FACILITIES_VIEW, pk=pk)


def _entry_page(request: HttpRequest, entry: SafetyLogEntry, action_form: ActionForm | None = None, *,
                status: int = 200) -> HttpResponse:
    today = practice_today()
    is_current = entry.superseded_by_id is None
    orders = list(WorkOrder.objects.filter(
        safety_entry__checkpoint_id=entry.checkpoint_id, safety_entry__log_date=entry.log_date,
        safety_entry__slot=entry.slot).order_by("pk"))
    for order in orders:
        order.url = work_order_url(order)  # type: ignore[attr-defined]
    needs = selectors.needs_action(entry)
    return _page(request, "facilities/safety/entry_detail.html", {
        "entry": entry, "checkpoint": entry.checkpoint, "history": selectors.entry_history(entry),
        "needs_action": needs, "is_current": is_current, "work_orders": orders,
        "action_form": (action_form or ActionForm()) if needs else None,
        "may_correct": is_current and entry.log_date >= today - dt.timedelta(days=selectors.BACKDATE_DAYS),
        "may_open_work_order": is_current and not entry.passed and not any(order.is_open for order in orders),
        "is_temperature": entry.checkpoint.kind in selectors.TEMPERATURE_KINDS,
    }, status=status)


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_page(request, _entry(request, pk))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    form = CorrectionForm(request.POST if request.method == "POST" else None, checkpoint=entry.checkpoint,
                          initial={"value": entry.value,
                                   "result": "" if entry.value is not None else ("pass" if entry.passed else "fail")})
    done: list[SafetyLogEntry] = []
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: done.append(
            services.safety_entry_correct(actor=request.user, entry=entry, **form.service_data()))):
        messages.success(request, _("Entry corrected; the first one stays in the log."))
        return redirect("facilities:safetylog_detail", pk=done[0].pk)
    return _page(request, "facilities/safety/record_form.html", {
        "form": form, "checkpoint": entry.checkpoint, "entry": entry,
        "superseded": entry.superseded_by_id is not None,
    }, status=_status(form))


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the corrective action on an entry out of range or a failed check."""
    entry = _entry(request, pk)
    form = ActionForm(request.POST)
    if form.is_valid() and run_service(form, lambda: services.safety_entry_act(
            actor=request.user, entry=entry, action=form.cleaned_data["corrective_action"])):
        messages.success(request, _("Corrective action recorded."))
        return redirect("facilities:safetylog_detail", pk=entry.pk)
    return _entry_page(request, entry, form, status=400)


@require_POST
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_workorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a work order for the equipment from an entry out of range or a failed check."""
    entry = _entry(request, pk)
    try:
        opened = services.safety_entry_work_order(actor=request.user, entry=entry)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("facilities:safetylog_detail", pk=entry.pk)
    messages.success(request, _("Work order %(number)s opened.") % {"number": opened.number})
    url = work_order_url(opened)
    return redirect(url) if url else redirect("facilities:safetylog_detail", pk=entry.pk)


# --- missing entries and the report ----------------------------------------------------------------------------


def _range(request: HttpRequest, *, default_since: dt.date, default_until: dt.date,
           fallback_first: bool) -> tuple[RangeForm, Location | None, dt.date, dt.date]:
    locations = list(selectors.locations_for(actor=request.user))
    location = _location(request, locations, fallback_first=fallback_first)
    form = RangeForm(request.GET or None, locations=selectors.locations_for(actor=request.user),
                     initial={"location": location, "since": default_since, "until": default_until})
    since, until = default_since, default_until
    if form.is_bound and form.is_valid():
        since = form.cleaned_data.get("since") or default_since
        until = form.cleaned_data.get("until") or default_until
        if since > until or (until - since).days >= selectors.MAX_RANGE_DAYS:
            since, until = default_since, default_until
    return form, location, since, until


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_missing(request: HttpRequest) -> HttpResponse:
    """Expected entries without one, at one location or all of the user's (default: the last week)."""
    today = practice_today()
    form, location, since, until = _range(
        request, default_since=today - dt.timedelta(days=selectors.BACKDATE_DAYS),
        default_until=today - dt.timedelta(days=1), fallback_first=False)
    until = min(until, today)
    slots = selectors.missing_entries(actor=request.user, since=since, until=until,
                                      location_id=location.pk if location else None)
    if export_format(request) and not form.errors:
        return export_response(request, slots, MISSING_EXPORT)
    return _page(request, "facilities/safety/missing.html", {
        "form": form, "slots": slots, "since": since, "until": until, "location": location,
        "backdate_from": today - dt.timedelta(days=selectors.BACKDATE_DAYS),
    }, status=_status(form))


def _report_range(request: HttpRequest) -> tuple[RangeForm, Location | None, dt.date, dt.date]:
    today = practice_today()
    form, location, since, until = _range(request, default_since=today - dt.timedelta(days=REPORT_DAYS),
                                          default_until=today, fallback_first=True)
    return form, location, since, min(until, today)


def _report_page(request: HttpRequest, form: RangeForm, location: Location | None, since: dt.date,
                 until: dt.date) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "location": location, "since": since, "until": until}
    if location is not None:
        context.update(services.report_context(actor=request.user, location=location, since=since, until=until))
        context["pdf_query"] = urlencode({"location": str(location.pk), "since": since.isoformat(),
                                          "until": until.isoformat()})
    return _page(request, "facilities/safety/report.html", context, status=_status(form))


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_report(request: HttpRequest) -> HttpResponse:
    """The inspection-ready log of a location for a date range, on screen; the PDF has the same content."""
    return _report_page(request, *_report_range(request))


@require_GET
@permission_required(Perm.FACILITIES_VIEW)
def safetylog_report_pdf(request: HttpRequest) -> HttpResponse:
    form, location, since, until = _report_range(request)
    if location is None or form.errors:
        return _report_page(request, form, location, since, until)
    pdf = services.safety_report_pdf(actor=request.user, location=location, since=since, until=until)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"safety-log-{location.code}-{since.isoformat()}-{until.isoformat()}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
