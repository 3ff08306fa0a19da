"""Accounting of disclosures: the practice-wide list, a patient's disclosures of the last six years and their
accounting letter (PDF), recording and correcting a disclosure. Everything needs compliance.manage with the
patient in scope (404, audited, otherwise; nothing changes). Every page showing a patient's disclosures is an
audited read of that patient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.core.exports import Column, Export, export_format
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.models import Patient

from ..choices import DisclosurePurpose
from ..forms_disclosures import AccountingForm, DisclosureFilterForm, DisclosureForm, DisclosureNewForm
from ..models import Disclosure
from ..selectors import disclosures as selectors
from ..services import disclosures as services

PERM = selectors.PERM


def _patient(request: HttpRequest, pk: int) -> Patient:
    return get_scoped_or_404(request, selectors.patient_scope(actor=request.user), permission=PERM, pk=pk)


def _disclosure(request: HttpRequest, pk: int) -> Disclosure:
    return get_scoped_or_404(request, selectors.disclosure_scoped(actor=request.user), permission=PERM, pk=pk)


def _run(form: Any, call: Callable[[], Any]) -> bool:
    """Call the service; a refusal is the 404 of an object out of reach, a rule broken goes onto the form."""
    try:
        call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


def _form_values(form: DisclosureForm, disclosure: Disclosure | None = None) -> dict[str, Any]:
    data = form.cleaned_data
    return {"disclosed_on": data["disclosed_on"], "recipient": data["recipient"],
            "recipient_address": data["recipient_address"], "purpose": data["purpose"],
            "purpose_detail": data["purpose_detail"], "information": data["information"],
            "location": data["location"],
            # No field: the link is not the actor's to change, it stays.
            "incident": data["incident"] if "incident" in form.fields else (
                disclosure.incident if disclosure is not None else None)}


def _incidents(request: HttpRequest, disclosure: Disclosure | None = None) -> Any:
    """The incidents the form offers; None (no field) when the actor manages none or the current link is to an
    incident they cannot see."""
    incidents = selectors.linkable_incidents(actor=request.user)
    if disclosure is not None and disclosure.incident_id is not None and not selectors.may_see_incident(
            request.user, disclosure.incident_id):
        return None
    return incidents if incidents.exists() else None


# --- the practice-wide list ------------------------------------------------------------------------------------


DISCLOSURE_EXPORT = Export(
    name="disclosures", object_type="compliance.disclosure", patient_id=lambda disclosure: disclosure.patient_id,
    columns=[
        Column(gettext_lazy("Disclosed"), "disclosed_on"),
        Column(gettext_lazy("Patient"), lambda d: f"{d.patient.last_name}, {d.patient.first_name}"),
        Column(gettext_lazy("Account"), "patient.account_number"),
        Column(gettext_lazy("Recipient"), "recipient"),
        Column(gettext_lazy("Purpose"), "get_purpose_display"),
        Column(gettext_lazy("Location"), "location.name"),
        Column(gettext_lazy("Recorded"), "recorded_at"),
        Column(gettext_lazy("Recorded by"), "recorded_by.display_name"),
    ])


@require_GET
@permission_required(PERM)
def disclosure_list(request: HttpRequest) -> HttpResponse:
    filters = DisclosureFilterForm(request.GET or None)
    filters.is_valid()  # a value that is not valid (an unknown purpose, not a date) is left out: ignored
    data: dict[str, Any] = getattr(filters, "cleaned_data", {})
    queryset = selectors.disclosure_list(actor=request.user, purpose=data.get("purpose") or "",
                                         since=data.get("since"), until=data.get("until"),
                                         account_number=data.get("account") or "")
    rows = table(request, queryset, sorts={"disclosed": "disclosed_on", "recipient": "recipient",
                                           "purpose": "purpose", "recorded": "recorded_at"},
                 default_sort="-disclosed", search_fields=("recipient",), element_id="disclosure-table")
    if not export_format(request):  # a file audits each patient it holds instead (core.exports)
        selectors.disclosures_viewed(actor=request.user, patients=[row.patient for row in rows.page.object_list],
                                     how="disclosure list")
    return render_table(request, "compliance/disclosures/disclosure_list.html", {
        "table": rows, "table_template": "compliance/disclosures/disclosure_table.html",
        "filter_template": "compliance/disclosures/disclosure_filter.html", "filters": filters,
        "export": DISCLOSURE_EXPORT, "purposes": DisclosurePurpose.choices,
    })


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def disclosure_new(request: HttpRequest) -> HttpResponse:
    form = DisclosureNewForm(request.POST or None, patients=selectors.patient_scope(actor=request.user),
                             locations=selectors.record_locations(actor=request.user),
                             incidents=_incidents(request), initial={"disclosed_on": practice_today()})
    created: list[Disclosure] = []
    if request.method == "POST" and form.is_valid() and _run(form, lambda: created.append(
            services.disclosure_record(actor=request.user, patient=form.cleaned_data["account_number"],
                                       **_form_values(form)))):
        messages.success(request, _("Disclosure recorded."))
        return redirect(reverse("compliance:patient_disclosures", args=[created[0].patient_id]))
    return render(request, "compliance/disclosures/disclosure_form.html", {
        "form": form, "heading": _("Record a disclosure"), "cancel_url": reverse("compliance:disclosure_list"),
    }, status=400 if form.errors else 200)


# --- one disclosure --------------------------------------------------------------------------------------------


@require_GET
@permission_required(PERM)
def disclosure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure(request, pk)
    selectors.disclosures_viewed(actor=request.user, patients=[disclosure.patient],
                                 how=f"disclosure {disclosure.pk}")
    return render(request, "compliance/disclosures/disclosure_detail.html", {
        "disclosure": disclosure, "patient": disclosure.patient,
        "may_edit": selectors.may_edit(request.user, disclosure, today=practice_today()),
        "edit_until": selectors.edit_until(disclosure),
        "incident_visible": selectors.may_see_incident(request.user, disclosure.incident_id),
    })


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def disclosure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure(request, pk)
    editable = selectors.may_edit(request.user, disclosure, today=practice_today())
    form = DisclosureForm(request.POST or None, locations=selectors.record_locations(actor=request.user),
                          incidents=_incidents(request, disclosure),
                          initial=DisclosureForm.initial_for(disclosure))
    if request.method == "POST" and form.is_valid() and _run(form, lambda: services.disclosure_update(
            actor=request.user, disclosure=disclosure, **_form_values(form, disclosure))):
        messages.success(request, _("Disclosure corrected."))
        return redirect(reverse("compliance:disclosure_detail", args=[disclosure.pk]))
    selectors.disclosures_viewed(actor=request.user, patients=[disclosure.patient],
                                 how=f"disclosure {disclosure.pk} edit")
    return render(request, "compliance/disclosures/disclosure_form.html", {
        "form": form if editable or form.errors else None, "disclosure": disclosure, "patient": disclosure.patient,
        "heading": _("Correct a disclosure"), "edit_until": selectors.edit_until(disclosure),
        "cancel_url": reverse("compliance:disclosure_detail", args=[disclosure.pk]),
    }, status=400 if form.errors else 200)


# --- one patient -----------------------------------------------------------------------------------------------


def _as_of(request: HttpRequest) -> tuple[AccountingForm, Any]:
    """The end of the six years (?as_of=, default today); a date in the future or not a date: today."""
    form = AccountingForm(request.GET or None, initial={"as_of": practice_today()})
    as_of = practice_today()
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        try:
            services.check_as_of(form.cleaned_data["as_of"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            as_of = form.cleaned_data["as_of"]
    return form, as_of


@require_GET
@permission_required(PERM)
def patient_disclosures(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's disclosures in the six years up to a date, newest first."""
    patient = _patient(request, pk)
    form, as_of = _as_of(request)
    rows = selectors.accounting(patient=patient, as_of=as_of)
    selectors.disclosures_viewed(actor=request.user, patients=[patient],
                                 how=f"disclosures {selectors.window_start(as_of).isoformat()}..{as_of.isoformat()}")
    today = practice_today()
    return render(request, "compliance/disclosures/patient_disclosures.html", {
        "patient": patient, "rows": rows, "form": form, "as_of": as_of, "start": selectors.window_start(as_of),
        "editable": {row.pk for row in rows if selectors.may_edit(request.user, _with_patient(row, patient),
                                                                  today=today)},
    }, status=400 if form.errors else 200)


def _with_patient(row: Disclosure, patient: Patient) -> Disclosure:
    row.patient = patient  # already loaded: no query per row
    return row


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def patient_disclosure_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk)
    form = DisclosureForm(request.POST or None, locations=selectors.record_locations(actor=request.user),
                          incidents=_incidents(request), initial={"disclosed_on": practice_today()})
    if request.method == "POST" and form.is_valid() and _run(form, lambda: services.disclosure_record(
            actor=request.user, patient=patient, **_form_values(form))):
        messages.success(request, _("Disclosure recorded."))
        return redirect(reverse("compliance:patient_disclosures", args=[patient.pk]))
    return render(request, "compliance/disclosures/disclosure_form.html", {
        "form": form, "patient": patient, "heading": _("Record a disclosure"),
        "cancel_url": reverse("compliance:patient_disclosures", args=[patient.pk]),
    }, status=400 if form.errors else 200)


@require_GET
@permission_required(PERM)
def patient_disclosure_accounting(request: HttpRequest, pk: int) -> HttpResponse:
    """The accounting letter (PDF) for the six years up to ?as_of= (default today)."""
    patient = _patient(request, pk)
    _form, as_of = _as_of(request)
    try:
        pdf = services.accounting_pdf(actor=request.user, patient=patient, as_of=as_of)
    except PermissionDenied as exc:
        raise Http404() from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=services.accounting_filename(patient=patient, as_of=as_of))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
