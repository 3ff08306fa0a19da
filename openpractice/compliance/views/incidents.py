"""Incident pages. Anyone signed in reports an incident and follows the status of their own reports; managing
needs compliance.incidents where the incident is (404, audited, for anything out of scope, and nothing changes).
The affected-patient list and the letters to patients are PHI reads: one audit event per patient shown.
"""

from __future__ import annotations

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
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    run_service,
    table,
)
from openpractice.workforce.selectors.discipline import actions_viewed

from ..choices import BreachDetermination, IncidentStatus
from ..forms_incidents import (
    AffectedAddForm,
    AffectedFromAuditForm,
    AssessmentForm,
    CountsForm,
    DeadlineDoneForm,
    DetermineForm,
    IncidentForm,
    SanctionForm,
)
from ..models import AffectedPatient, Incident, RiskAssessment
from ..selectors import incidents as selectors
from ..services import incidents as services

PERM = Perm.COMPLIANCE_INCIDENTS
# The list names no patient (a count only): its export is no PHI read.
INCIDENT_EXPORT = Export(name="incidents", object_type="compliance.incident", columns=[
    Column(gettext_lazy("Discovered"), "discovered_on"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Location"), lambda incident: incident.location.name if incident.location else _("Whole practice")),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Determination"), "get_determination_display"),
    Column(gettext_lazy("Patients"), "affected_count"),
    Column(gettext_lazy("Next notice due"), "next_due"),
    Column(gettext_lazy("Incident ID"), "pk"),
])
# What the reporter sees of their own reports: the status only.
MY_INCIDENT_EXPORT = Export(name="my incident reports", object_type="compliance.incident", columns=[
    Column(gettext_lazy("Reported"), "created_at"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Discovered on"), "discovered_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


def _incident(request: HttpRequest, pk: int) -> Incident:
    return get_scoped_or_404(request, selectors.incident_scoped(actor=request.user), permission=PERM, pk=pk)


def _back(incident: Incident, anchor: str = "") -> HttpResponse:
    return redirect(reverse("compliance:incident_detail", args=[incident.pk]) + anchor)


# --- reporting (everyone) --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def incident_report(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None, locations=selectors.report_locations(actor=request.user),
                        initial={"discovered_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Incident] = []
        if run_service(form, lambda: created.append(services.incident_report(
                actor=request.user, title=data["title"], kind=data["kind"], location=data["location"],
                discovered_on=data["discovered_on"], occurred_on=data["occurred_on"],
                description=data["description"], phi_involved=data["phi_involved"]))):
            messages.success(request, _("Thank you: the incident is reported to the privacy officer."))
            if selectors.may_manage(request.user, created[0]):
                return _back(created[0])
            return redirect(reverse("compliance:incident_mine"))
    return render(request, "compliance/incidents/report_form.html", {"form": form},
                  status=400 if form.errors else 200)


@require_GET
@login_required
def incident_mine(request: HttpRequest) -> HttpResponse:
    reports = selectors.own_reports(actor=request.user).order_by("-created_at", "-pk")
    if export_format(request):
        return export_response(request, reports, MY_INCIDENT_EXPORT)
    return render(request, "compliance/incidents/mine.html", {"reports": list(reports)})


# --- managing --------------------------------------------------------------------------------------------------


@require_GET
@permission_required(PERM)
def incident_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.incident_list(actor=request.user)
    status = request.GET.get("status") or ""
    if status in IncidentStatus.values:
        queryset = queryset.filter(status=status)
    rows = table(request, queryset, sorts={"discovered": "discovered_on", "title": "title", "status": "status",
                                           "due": "next_due"},
                 default_sort="-discovered", search_fields=("title",), element_id="incident-table")
    return render_table(request, "compliance/incidents/incident_list.html", {
        "table": rows, "table_template": "compliance/incidents/incident_table.html",
        "filter_template": "compliance/incidents/incident_filter.html", "status": status, "export": INCIDENT_EXPORT,
        "statuses": IncidentStatus.choices, "today": practice_today(),
    })


@require_GET
@permission_required(PERM)
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    today = practice_today()
    assessment = RiskAssessment.objects.filter(incident=incident).select_related("assessed_by").first()
    open_incident = incident.status != IncidentStatus.CLOSED
    linked = incident.disciplinary_action_id
    return render(request, "compliance/incidents/incident_detail.html", {
        "incident": incident, "assessment": assessment, "states": list(incident.states.all()),
        "deadlines": selectors.deadlines_of(incident, today=today), "open": open_incident,
        "done_form": DeadlineDoneForm(initial={"done_on": today}) if open_incident else None,
        "affected_count": incident.affected_patients.count(),
        "is_breach": incident.determination == BreachDetermination.BREACH,
        "may_link": can(request.user, Perm.WORKFORCE_DISCIPLINE),
        "linked_visible": selectors.may_see_action(request.user, linked),
        "linked_action": incident.disciplinary_action if selectors.may_see_action(request.user, linked) else None,
    })


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = IncidentForm(request.POST or None, locations=selectors.manage_locations(actor=request.user),
                        initial=IncidentForm.initial_for(incident))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.incident_update(
                actor=request.user, incident=incident, title=data["title"], kind=data["kind"],
                location=data["location"], discovered_on=data["discovered_on"], occurred_on=data["occurred_on"],
                description=data["description"], phi_involved=data["phi_involved"])):
            messages.success(request, _("Incident saved."))
            return _back(incident)
    return _form_page(request, incident, form, _("Edit the incident"), status=400 if form.errors else 200)


def _form_page(request: HttpRequest, incident: Incident, form: Any, heading: str, *, status: int = 200,
               note: str = "", grid: bool = True) -> HttpResponse:
    return render(request, "compliance/incidents/incident_form.html", {
        "incident": incident, "form": form, "heading": heading, "note": note, "grid": grid}, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def incident_counts(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = CountsForm(request.POST or None, initial=CountsForm.initial_for(incident))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.incident_counts_set(
                actor=request.user, incident=incident, total=data["individuals_affected"],
                per_state=data["per_state"])):
            messages.success(request, _("Counts saved."))
            return _back(incident)
    return _form_page(request, incident, form, _("Individuals affected"), status=400 if form.errors else 200,
                      note=_("The states are part of the total. 500 or more residents of a state: media notice; "
                             "500 or more in total: HHS at once."))


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def incident_assess(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    assessment = RiskAssessment.objects.filter(incident=incident).first()
    form = AssessmentForm(request.POST or None, initial=AssessmentForm.initial_for(assessment))
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.risk_assessment_save(
            actor=request.user, incident=incident, factors=form.factors())):
        messages.success(request, _("Risk assessment saved."))
        return _back(incident)
    return _form_page(request, incident, form, _("Four-factor risk assessment"), status=400 if form.errors else 200,
                      note=_("45 CFR 164.402(2): a use or disclosure is presumed a breach unless these factors show "
                             "a low probability that the PHI has been compromised."))


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def incident_determine(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = DetermineForm(request.POST or None, initial={
        "determination": incident.determination if incident.determination != BreachDetermination.PENDING else None,
        "reason": incident.determination_reason})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.incident_determine(
                actor=request.user, incident=incident, determination=data["determination"], reason=data["reason"],
                confirm_high_risk=data["confirm_high_risk"])):
            messages.success(request, _("Determination recorded."))
            return _back(incident)
    high = services.high_factors(incident)
    note = _("High-risk factors: %(factors)s.") % {"factors": ", ".join(high)} if high else ""
    return _form_page(request, incident, form, _("Breach determination"), status=400 if form.errors else 200,
                      note=note, grid=False)


@require_POST
@permission_required(PERM)
def deadline_done(request: HttpRequest, pk: int) -> HttpResponse:
    deadline = get_scoped_or_404(request, selectors.deadline_scoped(actor=request.user), permission=PERM, pk=pk)
    form = DeadlineDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the notice was sent."))
        return _back(deadline.incident, "#deadlines")
    try:
        services.deadline_done(actor=request.user, deadline=deadline, done_on=form.cleaned_data["done_on"],
                               note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Notice recorded as sent."))
    return _back(deadline.incident, "#deadlines")


@require_POST
@permission_required(PERM)
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    try:
        services.incident_close(actor=request.user, incident=incident)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Incident closed."))
    return _back(incident)


# --- affected patients -----------------------------------------------------------------------------------------


def _affected_page(request: HttpRequest, incident: Incident, *, audit_form: AffectedFromAuditForm,
                   add_form: AffectedAddForm, status: int = 200) -> HttpResponse:
    rows = list(selectors.affected_patients(incident=incident))
    selectors.affected_viewed(actor=request.user, rows=rows, how="affected list")
    return render(request, "compliance/incidents/affected.html", {
        "incident": incident, "rows": rows, "audit_form": audit_form, "add_form": add_form,
        "open": incident.status != IncidentStatus.CLOSED,
    }, status=status)


@require_GET
@permission_required(PERM)
def incident_affected(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    return _affected_page(request, incident, audit_form=AffectedFromAuditForm(initial={
        "start": incident.occurred_on or incident.discovered_on, "end": incident.discovered_on}),
        add_form=AffectedAddForm())


@require_POST
@permission_required(PERM)
def incident_affected_from_audit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = AffectedFromAuditForm(request.POST)
    added: list[int] = []
    if form.is_valid() and run_service(form, lambda: added.append(services.affected_from_audit(
            actor=request.user, incident=incident, user=form.cleaned_data["user"], start=form.cleaned_data["start"],
            end=form.cleaned_data["end"]))):
        messages.success(request, _("%(count)s patient(s) added from the audit log.") % {"count": added[0]})
        return redirect(reverse("compliance:incident_affected", args=[incident.pk]))
    return _affected_page(request, incident, audit_form=form, add_form=AffectedAddForm(), status=400)


@require_POST
@permission_required(PERM)
def incident_affected_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    form = AffectedAddForm(request.POST)
    if form.is_valid() and run_service(form, lambda: services.affected_add(
            actor=request.user, incident=incident, patient=form.cleaned_data["account_number"])):
        messages.success(request, _("Patient added."))
        return redirect(reverse("compliance:incident_affected", args=[incident.pk]))
    return _affected_page(request, incident, audit_form=AffectedFromAuditForm(), add_form=form, status=400)


# --- letters ---------------------------------------------------------------------------------------------------


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required(PERM)
def incident_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter to individuals as a template (blanks for the name and address)."""
    incident = _incident(request, pk)
    try:
        pdf = services.incident_letter_pdf(actor=request.user, incident=incident)
    except PermissionDenied as exc:
        raise Http404() from exc
    return _pdf(pdf, services.letter_filename(incident=incident))


@require_GET
@permission_required(PERM)
def affected_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter to one affected patient (pk: the AffectedPatient row)."""
    affected: AffectedPatient = get_scoped_or_404(request, selectors.affected_scoped(actor=request.user),
                                                  permission=PERM, pk=pk)
    try:
        pdf = services.incident_letter_pdf(actor=request.user, incident=affected.incident, affected=affected)
    except PermissionDenied as exc:
        raise Http404() from exc
    return _pdf(pdf, services.letter_filename(incident=affected.incident, affected=affected))


# --- sanctions -------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def incident_sanction(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the disciplinary action taken because of the incident: workforce.discipline holders only, choosing
    among the actions they manage (choices shown are audited like any view of discipline)."""
    incident = _incident(request, pk)
    actions = selectors.linkable_actions(actor=request.user)
    may_link = can(request.user, Perm.WORKFORCE_DISCIPLINE)
    form = SanctionForm(request.POST or None, actions=actions,
                        initial={"action": incident.disciplinary_action_id
                                 if selectors.may_see_action(request.user, incident.disciplinary_action_id)
                                 else None})
    if request.method == "POST" and not may_link:
        # Discipline is confidential: the service refuses (audited) and the answer is the usual 404.
        run_service(form, lambda: services.incident_sanction_link(actor=request.user, incident=incident,
                                                                    action=None))
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.incident_sanction_link(
            actor=request.user, incident=incident, action=form.cleaned_data["action"])):
        messages.success(request, _("Sanction link saved."))
        return _back(incident)
    if may_link:
        actions_viewed(actor=request.user, actions=list(actions), how=f"incident {incident.pk} sanction choice")
    return render(request, "compliance/incidents/sanction_form.html", {
        "incident": incident, "form": form if may_link else None}, status=400 if form.errors else 200)
