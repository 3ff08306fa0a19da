"""Patient pages under /patients/: search, register (with the duplicate check), record, edit, coverage,
insurance cards and merge. Thin views: parse, call one service or selector, render. Showing a patient's record
writes one audit event (patients.viewed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from .. import selectors, services
from ..forms import (
    GUARANTOR_MATCH_LIMIT,
    GUARANTOR_SEARCH_FORM_ID,
    CardUploadForm,
    CoverageEndForm,
    CoverageForm,
    MergeForm,
    PatientForm,
    RegisterForm,
)
from ..models import Coverage, Patient


def _patient(request: HttpRequest, pk: int, permission: str) -> Patient:
    return get_scoped_or_404(request, selectors.patient_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _coverage(request: HttpRequest, pk: int, permission: str) -> Coverage:
    return get_scoped_or_404(request, selectors.coverage_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _patient_status(patient: Patient) -> str:
    if patient.merged_into_id:
        return _("Merged")
    return _("Active") if patient.is_active else _("Inactive")


# What the list shows, no more: name, date of birth, one phone, account, home location (never the SSN).
PATIENT_EXPORT = Export(name="patients", object_type="patients.patient", patient_id=lambda patient: patient.pk,
                        columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Last name"), "last_name"),
    Column(gettext_lazy("First name"), "first_name"),
    Column(gettext_lazy("Middle initial"), lambda patient: patient.middle_name[:1]),
    Column(gettext_lazy("Date of birth"), "date_of_birth"),
    Column(gettext_lazy("Phone"), lambda patient: patient.phone_mobile or patient.phone_home),
    Column(gettext_lazy("Account"), "account_number"),
    Column(gettext_lazy("Home location"), "home_location.name"),
    Column(gettext_lazy("Status"), _patient_status),
])


@require_GET
@permission_required(Perm.PATIENTS_DEMOGRAPHICS)
def patient_list(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "").strip()[:100]
    include_inactive = request.GET.get("status") == "all"
    queryset = selectors.patient_search(actor=request.user, text=text, include_inactive=include_inactive)
    rows = table(request, queryset,
                 sorts={"name": "search_last_name", "dob": "date_of_birth", "account": "account_number",
                        "location": "home_location__name"},
                 default_sort="name", element_id="patient-table")
    if text:
        # A search shows PHI of many patients: one event for the search (never the search text, it is PHI).
        record(actor=request.user, action="patients.searched", object_type="patients.patient",
               reason=f"{rows.page.paginator.count} match(es), page {rows.page.number}")
    return render_table(request, "patients/patient_list.html", {
        "table": rows, "table_template": "patients/_patient_table.html",
        "filter_template": "patients/_patient_filter.html", "include_inactive": include_inactive,
        "can_register": can(request.user, Perm.PATIENTS_EDIT), "export": PATIENT_EXPORT,
    })


def _guarantor_picker(request: HttpRequest, patient: Patient | None = None) -> dict[str, Any]:
    """The patient form's guarantor options from `?guarantor_q=` (the picker's search; htmx swaps in just the
    options) and `?guarantor=` (the option chosen before searching). Shown patients are PHI: one audit event
    per search, as on the patient list."""
    kwargs: dict[str, Any] = {"search_url": request.path}
    if request.method != "GET":
        return kwargs
    if "guarantor" in request.GET:
        kwargs["initial"] = {"guarantor": request.GET["guarantor"]}
    text = (request.GET.get("guarantor_q") or "").strip()[:100]
    if text:
        matches = selectors.patient_search(actor=request.user, text=text)
        if patient is not None:
            matches = matches.exclude(pk=patient.pk)
        kwargs["guarantor_matches"] = list(matches[:GUARANTOR_MATCH_LIMIT])
        kwargs["guarantor_search"] = text
        record(actor=request.user, action="patients.searched", object_type="patients.patient",
               reason=f"guarantor picker: {len(kwargs['guarantor_matches'])} shown")
    return kwargs


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_EDIT)
def patient_register(request: HttpRequest) -> HttpResponse:
    candidates: list[services.DuplicateCandidate] = []
    form = RegisterForm(request.POST or None, actor=request.user,
                        show_confirm=request.method == "POST" and "confirm_not_duplicate" in request.POST,
                        **_guarantor_picker(request))
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                actor=request.user, data=form.service_data(),
                confirm_not_duplicate=bool(form.cleaned_data.get("confirm_not_duplicate")))
        except PermissionDenied as exc:
            raise Http404() from exc
        except services.PossibleDuplicates as exc:
            candidates = exc.candidates
            form = RegisterForm(request.POST, actor=request.user, show_confirm=True, search_url=request.path)
            form.is_valid()
            form.add_error(None, _("This patient may already be registered. Open a match below, or tick "
                                   "“register anyway” if none of them is this patient."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Patient registered with account number %(number)s.")
                             % {"number": patient.account_number})
            return redirect(patient.get_absolute_url())
    return render(request, "patients/patient_form.html", {"form": form, "patient": None, "candidates": candidates,
                                                         "guarantor_search_form": GUARANTOR_SEARCH_FORM_ID},
                  status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.PATIENTS_DEMOGRAPHICS)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, Perm.PATIENTS_DEMOGRAPHICS)
    selectors.patient_record_viewed(actor=request.user, patient=patient)
    location = patient.home_location_id
    return render(request, "patients/patient_detail.html", {
        "patient": patient,
        "coverages": selectors.coverage_list(actor=request.user, patient=patient),
        "today": timezone.localdate(),
        "age": patient.age_on(timezone.localdate()),
        "can_edit": can(request.user, Perm.PATIENTS_EDIT, location) and not patient.merged_into_id,
        "can_merge": can(request.user, Perm.PATIENTS_MERGE, location) and not patient.merged_into_id,
        "can_see_ssn": can(request.user, Perm.PATIENTS_SSN, location),
        "end_form": CoverageEndForm(initial={"end_date": timezone.localdate()}),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_EDIT)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, Perm.PATIENTS_EDIT)
    if patient.merged_into_id:
        raise Http404()
    form = PatientForm(request.POST or None, instance=_patient(request, pk, Perm.PATIENTS_EDIT), actor=request.user,
                       **_guarantor_picker(request, patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=request.user, patient=patient, data=form.changed_data_for_service())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Patient record saved."))
            return redirect(patient.get_absolute_url())
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient, "candidates": [],
                                                         "guarantor_search_form": GUARANTOR_SEARCH_FORM_ID},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_MERGE)
def patient_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge THIS record (the duplicate) into another one chosen by account number."""
    duplicate = _patient(request, pk, Perm.PATIENTS_MERGE)
    if duplicate.merged_into_id:
        raise Http404()
    form = MergeForm(request.POST or None)
    survivor: Patient | None = None
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["survivor"].strip().upper()
        survivor = selectors.patient_scoped(actor=request.user, permission=Perm.PATIENTS_MERGE).filter(
            account_number=number).first()
        if survivor is None:
            form.add_error("survivor", _("No patient with this account number at your locations."))
        elif request.POST.get("confirm") != "yes":
            selectors.patient_record_viewed(actor=request.user, patient=survivor, how="merge preview")
        else:
            try:
                result = services.patient_merge(actor=request.user, survivor=survivor, duplicate=duplicate)
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Records merged: %(moved)s coverage(s) moved.")
                                 % {"moved": result.coverages_moved})
                return redirect(result.survivor.get_absolute_url())
    return render(request, "patients/patient_merge.html", {"form": form, "duplicate": duplicate,
                                                            "survivor": survivor},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_EDIT)
def patient_coverage_add(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, Perm.PATIENTS_EDIT)
    form = CoverageForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_add(actor=request.user, patient=patient, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Coverage added."))
            return redirect(patient.get_absolute_url())
    return render(request, "patients/coverage_form.html", {"form": form, "patient": patient, "coverage": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_EDIT)
def coverage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    coverage = _coverage(request, pk, Perm.PATIENTS_EDIT)
    form = CoverageForm(request.POST or None, instance=_coverage(request, pk, Perm.PATIENTS_EDIT))
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_update(actor=request.user, coverage=coverage,
                                     data={name: form.cleaned_data[name] for name in form.changed_data})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Coverage saved."))
            return redirect(coverage.patient.get_absolute_url())
    return render(request, "patients/coverage_form.html",
                  {"form": form, "patient": coverage.patient, "coverage": coverage},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.PATIENTS_EDIT)
def coverage_end(request: HttpRequest, pk: int) -> HttpResponse:
    coverage = _coverage(request, pk, Perm.PATIENTS_EDIT)
    form = CoverageEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the last day the coverage was valid."))
        return redirect(coverage.patient.get_absolute_url())
    try:
        services.coverage_end(actor=request.user, coverage=coverage, end_date=form.cleaned_data["end_date"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Coverage ended."))
    return redirect(coverage.patient.get_absolute_url())


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PATIENTS_EDIT)
def coverage_card(request: HttpRequest, pk: int) -> HttpResponse:
    coverage = _coverage(request, pk, Perm.PATIENTS_EDIT)
    form = CardUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.card_upload(actor=request.user, coverage=coverage, side=form.cleaned_data["side"],
                                 upload=form.cleaned_data["file"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Card image uploaded."))
            return redirect(coverage.patient.get_absolute_url())
    return render(request, "patients/card_form.html", {"form": form, "coverage": coverage,
                                                       "patient": coverage.patient},
                  status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.PATIENTS_DEMOGRAPHICS)
def card_download(request: HttpRequest, pk: int) -> FileResponse:
    card = get_scoped_or_404(request, selectors.card_scoped(actor=request.user),
                             permission=Perm.PATIENTS_DEMOGRAPHICS, pk=pk)
    patient = card.coverage.patient
    try:
        handle: Any = card.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    selectors.patient_record_viewed(actor=request.user, patient=patient, how=f"insurance card {card.pk}")
    extension = (card.file.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True, content_type=card.content_type,
                            filename=f"insurance-card-{card.coverage_id}-{card.side}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


