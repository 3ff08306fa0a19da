"""The waitlist pages, under /schedule/waitlist/, and the waitlist suggestions for a cancelled appointment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.forms import Form
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped, practice_now
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from . import selectors, waitlist
from .models import AppointmentType, Provider
from .params import parse_id

PATIENT_PICK_LIMIT = 20


class WaitlistForm(Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), widget=forms.HiddenInput,
                                     error_messages={"required": gettext_lazy("Find and choose the patient first.")})
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none(),
                                              label=gettext_lazy("Appointment type"))
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label=gettext_lazy("Location"))
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label=gettext_lazy("Provider"),
                                      required=False, help_text=gettext_lazy("Leave empty for any provider."))
    earliest = forms.DateField(label=gettext_lazy("Earliest date"), widget=forms.DateInput(attrs={"type": "date"}))
    latest = forms.DateField(label=gettext_lazy("Latest date"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=gettext_lazy("Note"), max_length=120, required=False,
                            help_text=gettext_lazy("Short and non-clinical, e.g. “mornings only”."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["patient"].queryset = patient_scoped(actor=actor).filter(is_active=True, merged_into__isnull=True)
        fields["appointment_type"].queryset = selectors.appointment_type_list().filter(is_active=True)
        fields["location"].queryset = location_scoped(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
            is_active=True)
        fields["provider"].queryset = selectors.provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
            is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest, latest = data.get("earliest"), data.get("latest")
        if isinstance(earliest, dt.date) and isinstance(latest, dt.date) and latest < earliest:
            self.add_error("latest", _("The latest date must be on or after the earliest date."))
        return data


def waitlist_export(detail_locations: frozenset[int]) -> Export:
    """The open waitlist; a note only where the person sees notes (as on the page)."""
    return Export(name="waitlist", object_type="scheduling.waitlistentry", patient_id=lambda entry: entry.patient_id,
                  columns=[
        Column(gettext_lazy("ID"), "pk"),
        Column(gettext_lazy("Patient"), lambda entry: f"{entry.patient.last_name}, {entry.patient.first_name}"),
        Column(gettext_lazy("Account"), "patient.account_number"),
        Column(gettext_lazy("Appointment type"), "appointment_type.name"),
        Column(gettext_lazy("Location"), "location.name"),
        Column(gettext_lazy("Provider"), lambda entry: entry.provider.display_name if entry.provider else _("Any")),
        Column(gettext_lazy("Earliest"), "earliest"),
        Column(gettext_lazy("Latest"), "latest"),
        Column(gettext_lazy("Note"), lambda entry: entry.notes if entry.location_id in detail_locations else ""),
        Column(gettext_lazy("Added"), "created_at"),
    ])


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def waitlist_page(request: HttpRequest) -> HttpResponse:
    rows = table(
        request, waitlist.waitlist_open(actor=request.user),
        sorts={"added": "created_at", "earliest": "earliest", "latest": "latest", "location": "location__name"},
        default_sort="added", search_fields=("patient__last_name", "patient__first_name", "patient__account_number"),
        element_id="waitlist-table",
    )
    record(actor=request.user, action="waitlist.viewed", object_type="scheduling.waitlist")
    detail_locations = selectors.detail_location_ids(request.user)
    return render_table(request, "scheduling/waitlist/list.html", {
        "table": rows, "table_template": "scheduling/waitlist/_table.html",
        "can_add": can(request.user, Perm.SCHEDULE_MANAGE),
        "manageable": set(location_scoped(actor=request.user, permission=Perm.SCHEDULE_MANAGE)
                          .values_list("pk", flat=True)),
        "detail_locations": detail_locations, "export": waitlist_export(detail_locations),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def waitlist_add(request: HttpRequest) -> HttpResponse:
    initial = {name: request.GET[name] for name in ("patient", "appointment_type", "location", "provider")
               if request.GET.get(name)}
    form = WaitlistForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            waitlist.waitlist_add(actor=request.user, patient=data["patient"], location=data["location"],
                                  appointment_type=data["appointment_type"], provider=data["provider"],
                                  earliest=data["earliest"], latest=data["latest"], notes=data["notes"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Added to the waitlist."))
            return redirect("scheduling:waitlist")
    search = (request.GET.get("q") or "").strip()[:100]
    matches = selectors.patient_pick(actor=request.user, text=search, limit=PATIENT_PICK_LIMIT,
                                     picker="waitlist picker")
    chosen = None
    if (chosen_id := parse_id(request.POST.get("patient") or initial.get("patient"))) is not None:
        chosen = form.fields["patient"].queryset.filter(pk=chosen_id).first()  # type: ignore[attr-defined]
    return render(request, "scheduling/waitlist/add.html", {
        "form": form, "search": search, "matches": matches, "chosen": chosen, "query": request.GET.copy(),
    }, status=400 if form.errors else 200)


def _entry(request: HttpRequest, pk: int) -> Any:
    return get_scoped_or_404(request, waitlist.waitlist_scoped(actor=request.user, permission=Perm.SCHEDULE_MANAGE),
                             permission=Perm.SCHEDULE_MANAGE, pk=pk)


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def waitlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    try:
        waitlist.waitlist_remove(actor=request.user, entry=entry)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Removed from the waitlist."))
    return redirect("scheduling:waitlist")


@require_POST
@permission_required(Perm.SCHEDULE_MANAGE)
def waitlist_book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book an entry's patient into the time of the cancelled appointment named in the form."""
    entry = _entry(request, pk)
    cancelled = None
    if (appointment_id := parse_id(request.POST.get("appointment"))) is not None:
        cancelled = selectors.appointment_list(actor=request.user, permission=Perm.SCHEDULE_MANAGE).filter(
            pk=appointment_id).first()
    if cancelled is None:
        messages.error(request, _("Choose the cancelled appointment whose time to offer."))
        return redirect("scheduling:waitlist")
    try:
        booked = waitlist.waitlist_book(actor=request.user, entry=entry, cancelled=cancelled)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("scheduling:appointment_waitlist", pk=cancelled.pk)
    messages.success(request, _("Appointment booked from the waitlist."))
    return redirect(booked)


@require_GET
@permission_required(Perm.SCHEDULE_VIEW)
def appointment_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    """The waitlist entries that could take a cancelled appointment's time."""
    appointment = get_scoped_or_404(request, selectors.appointment_list(actor=request.user),
                                    permission=Perm.SCHEDULE_VIEW, pk=pk)
    matches = waitlist.waitlist_matches(actor=request.user, appointment=appointment)
    record(actor=request.user, action="waitlist.matches_viewed", target=appointment,
           patient_id=appointment.patient_id, location_id=appointment.location_id)
    return render(request, "scheduling/waitlist/matches.html", {
        "appointment": appointment, "matches": matches,
        "can_book": can(request.user, Perm.SCHEDULE_MANAGE, appointment.location_id),
        "detail_locations": selectors.detail_location_ids(request.user),
        "in_past": appointment.starts_at <= practice_now(),
    })
