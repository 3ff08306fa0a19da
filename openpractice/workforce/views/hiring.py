"""Hiring pages under /workforce/hiring/: requisitions (status list, draft form, submit, approve/reject, cancel,
detail with the approval trail and the pipeline board) and applicants (add with résumé, edit, replace and download
the résumé, move stage, the applicant page with the interview and offer panels). Thin views: parse, call one
service or selector, render. Anything out of scope answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..choices import RequisitionStatus
from ..forms_hiring import ApplicantForm, CancelForm, DecisionForm, RequisitionForm, ResumeForm, StageMoveForm
from ..models import Applicant, Requisition
from ..selectors import hiring as selectors
from ..selectors.interviews import applicant_interview_panel
from ..selectors.offers import applicant_offer_panel
from ..services import hiring_applicants as applicant_services
from ..services import hiring_requisitions as requisition_services


def _requisition(request: HttpRequest, requisition_id: int) -> Requisition:
    return get_scoped_or_404(request, selectors.requisition_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_HIRING, pk=requisition_id)


def _applicant(request: HttpRequest, applicant_id: int) -> Applicant:
    return get_scoped_or_404(request, selectors.applicant_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_HIRING, pk=applicant_id)


def _requisition_url(requisition: Requisition | int) -> str:
    pk = requisition.pk if isinstance(requisition, Requisition) else requisition
    return reverse("workforce:requisition_detail", args=[pk])


def _applicant_url(applicant: Applicant) -> str:
    return reverse("workforce:applicant_detail", args=[applicant.pk])


def _location_filter(request: HttpRequest) -> int | None:
    return selectors.small_id(request.GET.get("location") or "")


# Requisitions ---------------------------------------------------------------------------------------------------

REQUISITION_EXPORT = Export(name="job requisitions", object_type="workforce.requisition", columns=[
    Column(gettext_lazy("Number"), "reference"),
    Column(gettext_lazy("Position"), "position.title"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Openings"), "openings"),
    Column(gettext_lazy("Active applicants"), "active_applicants"),
    Column(gettext_lazy("Requested by"), "requested_by.display_name"),
    Column(gettext_lazy("Wanted start"), "target_start"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Raised"), "created_at"),
])

@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    location_id = _location_filter(request)
    queryset = selectors.requisition_list(actor=request.user, text=request.GET.get("q") or "", status=status,
                                          location_id=location_id)
    rows = table(request, queryset, sorts={"created": "created_at", "position": "position__title",
                                           "location": "location__name", "status": "status",
                                           "start": "target_start"},
                 default_sort="-created", element_id="requisition-table")
    return render_table(request, "workforce/hiring/requisition_list.html", {
        "table": rows, "table_template": "workforce/hiring/_requisition_table.html",
        "filter_template": "workforce/hiring/_requisition_filter.html", "export": REQUISITION_EXPORT,
        "status": status, "statuses": [("", _("All")), *RequisitionStatus.choices],
        "location_id": location_id, "locations": selectors.hiring_locations(actor=request.user),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_create(request: HttpRequest) -> HttpResponse:
    form = RequisitionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            requisition = requisition_services.requisition_create(actor=request.user, data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft requisition saved. Submit it for approval when it is ready."))
            return redirect(_requisition_url(requisition))
    return render(request, "workforce/hiring/requisition_form.html", {"form": form, "requisition": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_edit(request: HttpRequest, requisition_id: int) -> HttpResponse:
    requisition = _requisition(request, requisition_id)
    if requisition.status != RequisitionStatus.DRAFT:
        # A page that explains, rather than a redirect: a bookmarked edit link stays understandable.
        return render(request, "workforce/hiring/requisition_form.html",
                      {"form": None, "requisition": requisition, "notice": _("Only a draft can be edited.")},
                      status=400 if request.method == "POST" else 200)
    form = RequisitionForm(request.POST or None, instance=requisition, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            requisition_services.requisition_update(actor=request.user, requisition=requisition,
                                                    data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Requisition saved."))
            return redirect(_requisition_url(requisition))
    return render(request, "workforce/hiring/requisition_form.html", {"form": form, "requisition": requisition},
                  status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_detail(request: HttpRequest, requisition_id: int) -> HttpResponse:
    requisition = _requisition(request, requisition_id)
    may_decide = selectors.may_decide(request.user, requisition)
    return render(request, "workforce/hiring/requisition_detail.html", {
        "requisition": requisition,
        "trail": selectors.approval_trail(requisition),
        "board": selectors.pipeline_board(requisition=requisition),
        "is_draft": requisition.status == RequisitionStatus.DRAFT,
        "is_open": requisition.status == RequisitionStatus.OPEN,
        "may_decide": may_decide,
        "decision_form": DecisionForm() if may_decide else None,
        "may_cancel": selectors.may_cancel(request.user, requisition),
        "cancel_form": CancelForm(),
    })


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_submit(request: HttpRequest, requisition_id: int) -> HttpResponse:
    requisition = _requisition(request, requisition_id)
    try:
        requisition = requisition_services.requisition_submit(actor=request.user, requisition=requisition)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if requisition.status == RequisitionStatus.OPEN:
            messages.success(request, _("Requisition approved and open for applicants."))
        else:
            messages.success(request, _("Requisition sent for approval."))
    return redirect(_requisition_url(requisition))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_APPROVE_HIRING)
def requisition_decide(request: HttpRequest, requisition_id: int) -> HttpResponse:
    # Approvers reach requisitions at the locations where they approve.
    requisition = get_scoped_or_404(
        request, selectors.requisition_scoped(actor=request.user, permission=Perm.WORKFORCE_APPROVE_HIRING),
        permission=Perm.WORKFORCE_APPROVE_HIRING, pk=requisition_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            requisition_services.requisition_decide(actor=request.user, requisition=requisition, approve=approve,
                                                    note=form.cleaned_data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Requisition approved.") if approve else _("Requisition not approved."))
            return redirect(_requisition_url(requisition))
    return render(request, "workforce/hiring/requisition_decide.html", {"form": form, "requisition": requisition},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def requisition_cancel(request: HttpRequest, requisition_id: int) -> HttpResponse:
    requisition = _requisition(request, requisition_id)
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        requisition_services.requisition_cancel(actor=request.user, requisition=requisition, note=note)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Requisition cancelled."))
    return redirect(_requisition_url(requisition))


# Applicants -----------------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def applicant_create(request: HttpRequest, requisition_id: int) -> HttpResponse:
    requisition = _requisition(request, requisition_id)
    if requisition.status != RequisitionStatus.OPEN:
        return render(request, "workforce/hiring/applicant_form.html", {
            "form": None, "requisition": requisition, "applicant": None,
            "notice": _("Applicants can be added only to an open (approved) requisition.")},
            status=400 if request.method == "POST" else 200)
    form = ApplicantForm(request.POST or None, request.FILES or None, actor=request.user, with_resume=True,
                         initial={"applied_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        try:
            applicant = applicant_services.applicant_create(actor=request.user, requisition=requisition,
                                                            data=form.service_data(),
                                                            resume=form.cleaned_data.get("resume") or None)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Applicant added."))
            return redirect(_applicant_url(applicant))
    return render(request, "workforce/hiring/applicant_form.html",
                  {"form": form, "requisition": requisition, "applicant": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def applicant_edit(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = _applicant(request, applicant_id)
    form = ApplicantForm(request.POST or None, instance=applicant, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            applicant_services.applicant_update(actor=request.user, applicant=applicant, data=form.service_data())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Applicant saved."))
            return redirect(_applicant_url(applicant))
    return render(request, "workforce/hiring/applicant_form.html",
                  {"form": form, "requisition": applicant.requisition, "applicant": applicant},
                  status=400 if form.errors else 200)


def _applicant_page(request: HttpRequest, applicant: Applicant, *, stage_form: StageMoveForm | None = None,
                    resume_form: ResumeForm | None = None, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "applicant": applicant,
        "requisition": applicant.requisition,
        "history": selectors.stage_history(applicant=applicant),
        "stage_form": stage_form or StageMoveForm(applicant=applicant),
        "resume_form": resume_form or ResumeForm(),
    }
    # The panels' owners fill these (keys prefixed interview_ / offer_, so they cannot clash).
    context.update(applicant_interview_panel(actor=request.user, applicant=applicant))
    context.update(applicant_offer_panel(actor=request.user, applicant=applicant))
    return render(request, "workforce/hiring/applicant_detail.html", context, status=status)


@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def applicant_detail(request: HttpRequest, applicant_id: int) -> HttpResponse:
    return _applicant_page(request, _applicant(request, applicant_id))


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def applicant_stage(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = _applicant(request, applicant_id)
    form = StageMoveForm(request.POST, applicant=applicant)
    if form.is_valid():
        try:
            applicant_services.applicant_move(actor=request.user, applicant=applicant,
                                              to_stage=form.cleaned_data["stage"], note=form.cleaned_data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Stage changed."))
            return redirect(_applicant_url(applicant))
    return _applicant_page(request, applicant, stage_form=form, status=400)


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def applicant_resume_replace(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = _applicant(request, applicant_id)
    form = ResumeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            applicant_services.applicant_resume_replace(actor=request.user, applicant=applicant,
                                                        upload=form.cleaned_data["resume"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Résumé replaced."))
            return redirect(_applicant_url(applicant))
    return _applicant_page(request, applicant, resume_form=form, status=400)


@require_GET
@login_required
def applicant_resume(request: HttpRequest, applicant_id: int) -> FileResponse:
    """Hiring staff in scope, or an interviewer of this applicant (whatever their role)."""
    applicant = get_scoped_or_404(request, selectors.applicant_scoped(actor=request.user, include_interviewer=True),
                                  permission=Perm.WORKFORCE_HIRING, pk=applicant_id)
    if not applicant.resume:
        raise Http404()
    try:
        handle: Any = applicant.resume.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    record(actor=request.user, action="workforce.resume_viewed", target=applicant,
           location_id=applicant.requisition.location_id,
           reason="" if can(request.user, Perm.WORKFORCE_HIRING, applicant.requisition.location_id)
           else "interviewer")
    extension = (applicant.resume.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True,
                            content_type=applicant.resume_content_type or "application/octet-stream",
                            filename=f"resume-applicant-{applicant.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
