"""Providers, scheduling settings, the day view, booking and the appointment's actions, under /schedule/.

Thin views: parse, call one service or selector, render. A refusal from a service becomes the same 404 as a
refusal here (the service already audited it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export, export_format, export_query, export_response
from openpractice.core.selectors import location_scoped, practice_now
from openpractice.core.web import add_service_errors, deny, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.selectors import (
    coverages_active_on,
    coverages_latest_eligibility,
    patient_record_viewed,
)

from . import selectors, services
from .forms import (
    AppointmentTypeEditForm,
    AppointmentTypeForm,
    BookingForm,
    CancelForm,
    CheckInForm,
    ProviderForm,
    ReferringProviderForm,
    RescheduleForm,
    RoomEditForm,
    RoomForm,
    TimeOffForm,
    WeeklyHoursForm,
)
from .models import Appointment, AppointmentType, Provider, ReferringProvider, Room, TimeOff
from .params import parse_id

PATIENT_PICK_LIMIT = 20


def _status(form: BaseForm) -> int:
    return 400 if form.errors else 200


# --- providers -----------------------------------------------------------------------------------------------


PROVIDER_EXPORT = Export(name="providers", object_type="scheduling.provider", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "display_name"),
    Column(gettext_lazy("NPI"), "npi"),
    Column(gettext_lazy("Taxonomy"), "taxonomy_code"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Billing provider"), "is_billing"),
    Column(gettext_lazy("Locations"), lambda provider: [location.name for location in provider.locations.all()]),
    Column(gettext_lazy("Status"), lambda provider: _("Active") if provider.is_active else _("Inactive")),
])


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def provider_list(request: HttpRequest) -> HttpResponse:
    rows = table(
        request, selectors.provider_list(actor=request.user),
        sorts={"name": "last_name", "npi": "npi", "kind": "kind", "status": "is_active"},
        default_sort="name", search_fields=("first_name", "last_name", "npi", "taxonomy_code"),
        element_id="provider-table",
    )
    return render_table(request, "scheduling/provider_list.html", {
        "table": rows, "table_template": "scheduling/_provider_table.html",
        "can_create": can(request.user, Perm.PRACTICE_MANAGE), "export": PROVIDER_EXPORT,
    })


def _may_manage_time_off(actor: Any, provider: Provider) -> bool:
    """time_off_create/_delete's rule: SCHEDULE_MANAGE at every location of the provider."""
    return all(can(actor, Perm.SCHEDULE_MANAGE, loc) for loc in provider.locations.all())


def _provider_detail(request: HttpRequest, provider: Provider, *, time_off_form: TimeOffForm | None = None,
                     status: int = 200) -> HttpResponse:
    manageable = selectors.provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE)
    may_time_off = _may_manage_time_off(request.user, provider)
    return render(request, "scheduling/provider_detail.html", {
        "provider": provider,
        "templates": selectors.provider_templates(provider),
        "time_off": selectors.provider_time_off(provider, after=practice_now()),
        "can_manage": manageable.filter(pk=provider.pk).exists(),
        "can_manage_time_off": may_time_off,
        "time_off_form": time_off_form or (TimeOffForm() if may_time_off else None),
    }, status=status)


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_scoped_or_404(request, selectors.provider_list(actor=request.user),
                                 permission=Perm.SCHEDULE_VIEW, pk=pk)
    return _provider_detail(request, provider)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def provider_create(request: HttpRequest) -> HttpResponse:
    form = ProviderForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_create(actor=request.user, data=form.service_data(),
                                                locations=form.cleaned_data["locations"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Provider %(name)s added.") % {"name": provider.display_name})
            return redirect(provider)
    return render(request, "scheduling/provider_form.html", {"form": form, "provider": None}, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_scoped_or_404(request, selectors.provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE),
                                 permission=Perm.PRACTICE_MANAGE, pk=pk)
    form = ProviderForm(request.POST or None, actor=request.user, instance=Provider.objects.get(pk=provider.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update(actor=request.user, provider=provider, data=form.service_data(),
                                     locations=form.cleaned_data["locations"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Provider saved."))
            return redirect(provider)
    return render(request, "scheduling/provider_form.html", {"form": form, "provider": provider},
                  status=_status(form))


# --- settings: appointment types and rooms ---------------------------------------------------------------------


def _settings_page(request: HttpRequest, *, type_form: AppointmentTypeForm | None = None,
                   room_form: RoomForm | None = None) -> HttpResponse:
    manage_all = has_all_locations(request.user, Perm.PRACTICE_MANAGE)
    manage_some = can(request.user, Perm.PRACTICE_MANAGE)
    bad = (type_form is not None and type_form.errors) or (room_form is not None and room_form.errors)
    return render(request, "scheduling/settings.html", {
        "appointment_types": selectors.appointment_type_list(),
        "rooms": selectors.room_list(actor=request.user).order_by("location__name", "name"),
        "can_edit_types": manage_all,
        "editable_room_ids": set(selectors.room_list(actor=request.user, permission=Perm.PRACTICE_MANAGE)
                                 .values_list("pk", flat=True)),
        "type_form": type_form or (AppointmentTypeForm() if manage_all else None),
        "room_form": room_form or (RoomForm(actor=request.user) if manage_some else None),
    }, status=400 if bad else 200)


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def settings_page(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def type_create(request: HttpRequest) -> HttpResponse:
    form = AppointmentTypeForm(request.POST)
    if form.is_valid():
        try:
            kind = services.appointment_type_save(actor=request.user, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Appointment type “%(name)s” added.") % {"name": kind.name})
            return redirect("scheduling:settings")
    return _settings_page(request, type_form=form)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def room_create(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            room = services.room_save(actor=request.user, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Room “%(name)s” added.") % {"name": room.name})
            return redirect("scheduling:settings")
    return _settings_page(request, room_form=form)


# --- the day -------------------------------------------------------------------------------------------------


def _day_params(request: HttpRequest) -> dict[str, Any]:
    """?date=YYYY-MM-DD&provider=ID&location=ID, each checked against the actor's scope (unknown = ignored)."""
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = practice_now().date()
    provider = location = None
    if (provider_id := parse_id(request.GET.get("provider"))) is not None:
        provider = selectors.provider_list(actor=request.user).filter(pk=provider_id).first()
    if (location_id := parse_id(request.GET.get("location"))) is not None:
        location = location_scoped(actor=request.user, permission=Perm.SCHEDULE_VIEW).filter(
            pk=location_id).first()
    return {"day": day, "provider": provider, "location": location}


def _day_context(request: HttpRequest) -> dict[str, Any]:
    params = _day_params(request)
    view = selectors.day_view(actor=request.user, **params)
    record(actor=request.user, action="schedule.day_viewed", object_type="scheduling.day",
           object_id=params["day"].isoformat(), location_id=params["location"].pk if params["location"] else None)
    base = {k: v.pk for k, v in params.items() if k != "day" and v is not None}
    return {
        **params, "view": view, "filters": base,
        "previous_day": params["day"] - dt.timedelta(days=1), "next_day": params["day"] + dt.timedelta(days=1),
        "today": practice_now().date(),
        "providers": selectors.provider_list(actor=request.user).filter(is_active=True).order_by("last_name"),
        "locations": location_scoped(actor=request.user, permission=Perm.SCHEDULE_VIEW).filter(is_active=True),
        # Notes are decided per appointment: the actor may manage one location and only view another.
        "detail_locations": selectors.detail_location_ids(request.user),
        "can_book": can(request.user, Perm.SCHEDULE_MANAGE),
    }


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def schedule_day(request: HttpRequest) -> HttpResponse:
    context = _day_context(request)
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "day-grid" and not htmx.history_restore_request:
        return render(request, "scheduling/_day_grid.html", context)
    return render(request, "scheduling/day.html", context)


def day_sheet_export(day: dt.date, detail_locations: frozenset[int]) -> Export:
    """The day sheet's rows. The note column only for someone who sees notes somewhere, and each note only
    where they see it (as on the sheet)."""
    columns = [
        Column(gettext_lazy("ID"), "pk"),
        Column(gettext_lazy("Starts"), "starts_at"),
        Column(gettext_lazy("Ends"), "ends_at"),
        Column(gettext_lazy("Provider"), "provider.display_name"),
        Column(gettext_lazy("Patient"), lambda item: f"{item.patient.last_name}, {item.patient.first_name}"),
        Column(gettext_lazy("Date of birth"), "patient.date_of_birth"),
        Column(gettext_lazy("Type"), "appointment_type.name"),
        Column(gettext_lazy("Location"), "location.name"),
        Column(gettext_lazy("Room"), "room.name"),
        Column(gettext_lazy("Status"), "get_status_display"),
    ]
    if detail_locations:
        columns.append(Column(gettext_lazy("Note"), lambda item: item.notes if item.location_id in detail_locations
                              else ""))
    return Export(name=f"day sheet {day.isoformat()}", object_type="scheduling.appointment", columns=columns,
                  patient_id=lambda item: item.patient_id)


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def schedule_sheet(request: HttpRequest) -> HttpResponse:
    context = _day_context(request)
    if export_format(request):
        appointments = [item for column in context["view"].columns for item in column.appointments]
        return export_response(request, appointments, day_sheet_export(context["day"], context["detail_locations"]))
    context["export_links"] = {file_format: export_query(request, file_format) for file_format in ("csv", "xlsx")}
    return render(request, "scheduling/day_sheet.html", context)


# --- booking -------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def schedule_book(request: HttpRequest) -> HttpResponse:
    initial = {name: request.GET[name] for name in ("patient", "appointment_type", "provider", "location", "room",
                                                      "date", "time") if request.GET.get(name)}
    form = BookingForm(request.POST or None, actor=request.user, initial=initial)
    outside_hours = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book_checking_hours(
                actor=request.user, patient=data["patient"], provider=data["provider"], location=data["location"],
                appointment_type=data["appointment_type"], room=data["room"], starts_at=form.starts_at,
                notes=data["notes"], outside_hours_confirmed=data["book_outside_hours"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
            outside_hours = form.errors.get("book_outside_hours")
        else:
            messages.success(request, _("Appointment booked."))
            for flag in getattr(appointment, "booking_flags", ()):  # e.g. the provider's licence has expired
                messages.warning(request, flag)
            return redirect(appointment)
    search = (request.GET.get("q") or "").strip()[:100]
    matches = selectors.patient_pick(actor=request.user, text=search, limit=PATIENT_PICK_LIMIT,
                                     picker="booking picker")
    chosen = None
    if (chosen_id := parse_id(request.POST.get("patient") or initial.get("patient"))) is not None:
        chosen = form.fields["patient"].queryset.filter(pk=chosen_id).first()  # type: ignore[attr-defined]
    slots: list[selectors.FreeSlot] = []
    if (type_id := parse_id(request.GET.get("appointment_type"))) is not None:
        kind = AppointmentType.objects.filter(pk=type_id, is_active=True).first()
        if kind is not None:
            slots = selectors.next_free_slots(actor=request.user, appointment_type=kind, provider=_pick_provider(request),
                                              location=_pick_location(request), limit=8)
    return render(request, "scheduling/book.html", {
        "form": form, "search": search, "matches": matches, "chosen": chosen, "slots": slots,
        "query": request.GET.copy(), "outside_hours": outside_hours,
    }, status=_status(form))


def _pick_provider(request: HttpRequest) -> Provider | None:
    pk = parse_id(request.GET.get("provider"))
    return selectors.provider_list(actor=request.user, permission=Perm.SCHEDULE_MANAGE).filter(
        pk=pk).first() if pk is not None else None


def _pick_location(request: HttpRequest) -> Any:
    pk = parse_id(request.GET.get("location"))
    return location_scoped(actor=request.user, permission=Perm.SCHEDULE_MANAGE).filter(
        pk=pk).first() if pk is not None else None


# --- one appointment -----------------------------------------------------------------------------------------


def _appointment(request: HttpRequest, pk: int, permission: str) -> Appointment:
    return get_scoped_or_404(request, selectors.appointment_list(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_VIEW)
    patient_record_viewed(actor=request.user, patient=appointment.patient, how="appointment")
    show_details = selectors.may_see_money_and_notes(request.user, appointment.location_id)
    can_manage = can(request.user, Perm.SCHEDULE_MANAGE, appointment.location_id)
    copay_due = has_coverage = None
    eligibility: list[tuple[Any, Any]] = []
    if show_details:
        copay_due, has_coverage = services.copay_due_for(actor=request.user, appointment=appointment)
        # What the payer last said about each coverage (a 271 imported by billing), beside the copay.
        coverages = coverages_active_on(actor=request.user, patient=appointment.patient,
                                        on_date=appointment.starts_at.astimezone(selectors.practice_zone()).date())
        latest = coverages_latest_eligibility(actor=request.user, coverages=coverages)
        eligibility = [(coverage, latest.get(coverage.pk)) for coverage in coverages]
    return render(request, "scheduling/appointment_detail.html", {
        "appointment": appointment,
        "show_details": show_details,
        "copays": selectors.appointment_copays(appointment) if show_details else [],
        "copay_due": copay_due, "has_coverage": has_coverage, "eligibility": eligibility,
        "can_check_eligibility": show_details and can(request.user, Perm.BILLING_MANAGE,
                                                      appointment.patient.home_location_id),
        "can_manage": can_manage,
        "started": appointment.starts_at <= practice_now(),
        # Charges of a checked-out visit (billing owns them; the template links to its pages by URL name).
        "can_enter_charges": can(request.user, Perm.BILLING_MANAGE, appointment.location_id),
        "can_see_charges": can(request.user, Perm.BILLING_VIEW, appointment.location_id),
    })


def _act(request: HttpRequest, appointment: Appointment, action: Any, done: str, **kwargs: Any) -> HttpResponse:
    try:
        action(actor=request.user, appointment=appointment, **kwargs)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(appointment)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_MANAGE)
    form = RescheduleForm(request.POST or None, actor=request.user, location=appointment.location)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(actor=request.user, appointment=appointment, starts_at=form.starts_at,
                                            provider=form.cleaned_data["provider"],
                                            outside_hours_confirmed=form.cleaned_data["outside_hours"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Appointment moved."))
            return redirect(appointment)
    return render(request, "scheduling/appointment_action.html", {
        "appointment": appointment, "form": form, "title": _("Reschedule"), "submit_label": _("Move appointment"),
    }, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_MANAGE)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Appointment cancelled."))
            return redirect(appointment)
    return render(request, "scheduling/appointment_action.html", {
        "appointment": appointment, "form": form, "title": _("Cancel appointment"),
        "submit_label": _("Cancel appointment"),
    }, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def appointment_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_MANAGE)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.appointment_check_in(
                actor=request.user, appointment=appointment, copay_amount=form.cleaned_data["copay_amount"],
                copay_method=form.cleaned_data["copay_method"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            if result.payment is not None:
                messages.success(request, _("Checked in. Copay of $%(amount)s received, receipt %(receipt)s.") % {
                    "amount": result.payment.amount, "receipt": result.payment.receipt_number})
            else:
                messages.success(request, _("Checked in."))
            return redirect(appointment)
    copay_due, has_coverage = services.copay_due_for(actor=request.user, appointment=appointment)
    return render(request, "scheduling/appointment_action.html", {
        "appointment": appointment, "form": form, "title": _("Check in"), "submit_label": _("Check in"),
        "copay_due": copay_due, "has_coverage": has_coverage, "checking_in": True,
    }, status=_status(form))


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def appointment_noshow(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_MANAGE)
    return _act(request, appointment, services.appointment_mark_no_show, _("Marked as no-show."))


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def appointment_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, Perm.SCHEDULE_MANAGE)
    return _act(request, appointment, services.appointment_check_out, _("Checked out: the visit is complete."))


# --- the week ------------------------------------------------------------------------------------------------


def _week_context(request: HttpRequest) -> dict[str, Any]:
    params = _day_params(request)
    view = selectors.week_view(actor=request.user, **params)
    record(actor=request.user, action="schedule.week_viewed", object_type="scheduling.week",
           object_id=view.start.isoformat(), location_id=params["location"].pk if params["location"] else None)
    filters = {k: v.pk for k, v in params.items() if k != "day" and v is not None}
    today = practice_now().date()
    return {
        **params, "view": view, "filters": filters, "today": today,
        "this_week": selectors.week_start(today),
        "previous_week": view.start - dt.timedelta(days=7), "next_week": view.start + dt.timedelta(days=7),
        "week_end": view.start + dt.timedelta(days=6),
        "providers": selectors.provider_list(actor=request.user).filter(is_active=True).order_by("last_name"),
        "locations": location_scoped(actor=request.user, permission=Perm.SCHEDULE_VIEW).filter(is_active=True),
        "can_book": can(request.user, Perm.SCHEDULE_MANAGE),
    }


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def schedule_week(request: HttpRequest) -> HttpResponse:
    context = _week_context(request)
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "week-grid" and not htmx.history_restore_request:
        return render(request, "scheduling/_week_grid.html", context)
    return render(request, "scheduling/week.html", context)


# --- a provider's weekly hours and time off ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def provider_hours(request: HttpRequest, pk: int) -> HttpResponse:
    """The weekly template editor. PRACTICE_MANAGE at the provider's locations: provider_set_templates' rule."""
    provider = get_scoped_or_404(request, selectors.provider_list(actor=request.user, permission=Perm.PRACTICE_MANAGE),
                                 permission=Perm.PRACTICE_MANAGE, pk=pk)
    form = WeeklyHoursForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_set_templates(actor=request.user, provider=provider, periods=form.periods())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Weekly hours saved."))
            return redirect(provider)
    return render(request, "scheduling/provider_hours.html", {"provider": provider, "form": form},
                  status=_status(form))


def _time_off_provider(request: HttpRequest, pk: int) -> Provider:
    return get_scoped_or_404(request, selectors.provider_list(actor=request.user, permission=Perm.SCHEDULE_MANAGE),
                             permission=Perm.SCHEDULE_MANAGE, pk=pk)


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def provider_time_off_add(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _time_off_provider(request, pk)
    form = TimeOffForm(request.POST)
    if form.is_valid():
        try:
            services.time_off_create(actor=request.user, provider=provider, starts_at=form.local("starts_at"),
                                     ends_at=form.local("ends_at"), reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Time off added."))
            return redirect(provider)
    return _provider_detail(request, provider, time_off_form=form, status=400)


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def provider_time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """POST time_off=<id>: one of this provider's blocked periods (ids of other providers are not found)."""
    provider = _time_off_provider(request, pk)
    time_off_id = parse_id(request.POST.get("time_off"))
    time_off = TimeOff.objects.filter(provider=provider, pk=time_off_id).first() if time_off_id is not None else None
    if time_off is None:
        messages.error(request, _("That time off no longer exists."))
        return redirect(provider)
    try:
        services.time_off_delete(actor=request.user, time_off=time_off)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Time off removed."))
    return redirect(provider)


# --- settings: editing and retiring appointment types and rooms ----------------------------------------------


def _appointment_type(request: HttpRequest, pk: int) -> AppointmentType:
    """Appointment types are practice-wide: changing one needs PRACTICE_MANAGE at every location."""
    if not has_all_locations(request.user, Perm.PRACTICE_MANAGE):
        raise deny(request, permission=Perm.PRACTICE_MANAGE, object_type="scheduling.appointmenttype", object_id=pk)
    return get_scoped_or_404(request, selectors.appointment_type_list(), permission=Perm.PRACTICE_MANAGE, pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kind = _appointment_type(request, pk)
    form = AppointmentTypeEditForm(request.POST or None, instance=AppointmentType.objects.get(pk=kind.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_type_save(actor=request.user, appointment_type=kind, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Appointment type saved."))
            return redirect("scheduling:settings")
    return render(request, "scheduling/settings_edit.html", {
        "form": form, "title": _("Edit appointment type “%(name)s”") % {"name": kind.name},
    }, status=_status(form))


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def type_retire(request: HttpRequest, pk: int) -> HttpResponse:
    """No longer offered for booking; booked appointments of the type keep it."""
    kind = _appointment_type(request, pk)
    try:
        services.appointment_type_save(actor=request.user, appointment_type=kind, data={"is_active": False})
    except PermissionDenied as exc:
        raise Http404() from exc
    messages.success(request, _("“%(name)s” is retired: it is no longer offered for booking.") % {"name": kind.name})
    return redirect("scheduling:settings")


def _room(request: HttpRequest, pk: int) -> Room:
    return get_scoped_or_404(request, selectors.room_list(actor=request.user, permission=Perm.PRACTICE_MANAGE),
                             permission=Perm.PRACTICE_MANAGE, pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    room = _room(request, pk)
    form = RoomEditForm(request.POST or None, actor=request.user,
                        initial={"location": room.location_id, "name": room.name, "is_active": room.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.room_save(actor=request.user, room=room, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Room saved."))
            return redirect("scheduling:settings")
    return render(request, "scheduling/settings_edit.html", {
        "form": form, "title": _("Edit room “%(name)s”") % {"name": room.name},
    }, status=_status(form))


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def room_retire(request: HttpRequest, pk: int) -> HttpResponse:
    room = _room(request, pk)
    try:
        services.room_save(actor=request.user, room=room, data={"is_active": False})
    except PermissionDenied as exc:
        raise Http404() from exc
    messages.success(request, _("“%(name)s” is out of use: it is no longer offered for booking.") % {"name": room.name})
    return redirect("scheduling:settings")


# --- referring providers -------------------------------------------------------------------------------------


REFERRING_EXPORT = Export(name="referring providers", object_type="scheduling.referringprovider", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Last name"), "last_name"),
    Column(gettext_lazy("First name"), "first_name"),
    Column(gettext_lazy("NPI"), "npi"),
    Column(gettext_lazy("Taxonomy"), "taxonomy_code"),
    Column(gettext_lazy("Phone"), "phone"),
    Column(gettext_lazy("Fax"), "fax"),
])


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def referring_list(request: HttpRequest) -> HttpResponse:
    rows = table(
        request, selectors.referring_provider_list(),
        sorts={"name": "last_name", "npi": "npi"}, default_sort="name",
        search_fields=("first_name", "last_name", "npi"), element_id="referring-table",
    )
    return render_table(request, "scheduling/referring_list.html", {
        "table": rows, "table_template": "scheduling/_referring_table.html",
        "can_manage": can(request.user, Perm.SCHEDULE_MANAGE), "export": REFERRING_EXPORT,
    })


def _referring_form(request: HttpRequest, referring: ReferringProvider | None) -> HttpResponse:
    form = ReferringProviderForm(request.POST or None, instance=referring)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.referring_provider_save(actor=request.user, referring_provider=referring,
                                                     data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Referring provider %(name)s saved.") % {"name": saved})
            return redirect("scheduling:referring_list")
    return render(request, "scheduling/referring_form.html", {"form": form, "referring": referring},
                  status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def referring_create(request: HttpRequest) -> HttpResponse:
    return _referring_form(request, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def referring_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referring = get_scoped_or_404(request, selectors.referring_provider_list(), permission=Perm.SCHEDULE_MANAGE,
                                  pk=pk)
    # The form edits its own copy: a failed save must not leave changed values on the object we pass on.
    return _referring_form(request, ReferringProvider.objects.get(pk=referring.pk))
