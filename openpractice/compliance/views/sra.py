"""Security risk assessment pages: the yearly assessments (and whether a new one is due), answering one safeguard
section at a time, completing, the PDF report; the risk register across years with its filters, and each risk's
scoring, owner, remediation plan and closing.

compliance.view reads everything here; compliance.manage changes. The SRA is practice-wide: anyone without the
permission gets 404, audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from ..forms_sra import CloseForm, CompleteForm, RiskForm, SectionForm, StartForm
from ..models import Risk, SecurityRiskAssessment
from ..selectors import sra as selectors
from ..services import sra as services

RISK_SORTS = {"score": "score_value", "title": "title", "safeguard": "safeguard", "owner": "owner__last_name",
              "due": "due_on", "status": "status", "year": "assessment__year"}
FLAGGED_ANSWERS = (SraAnswer.NO, SraAnswer.PARTLY)
RISK_EXPORT = Export(name="risk register", object_type="compliance.risk", columns=[
    Column(gettext_lazy("Risk"), "title"),
    Column(gettext_lazy("Safeguard"), "get_safeguard_display"),
    Column(gettext_lazy("Score"), "score_value"),
    Column(gettext_lazy("Band"), lambda risk: selectors.BAND_LABELS.get(risk.band, "")),
    Column(gettext_lazy("Owner"), "owner"),
    Column(gettext_lazy("Remediate by"), "due_on"),
    Column(gettext_lazy("Overdue"), "overdue"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Year"), "assessment.year"),
    Column(gettext_lazy("Risk ID"), "pk"),
])
ASSESSMENT_EXPORT = Export(name="security risk assessments", object_type="compliance.securityriskassessment",
                           columns=[
    Column(gettext_lazy("Year"), "year"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Started"), "started_at"),
    Column(gettext_lazy("Started by"), "started_by"),
    Column(gettext_lazy("Completed"), "completed_at"),
    Column(gettext_lazy("Completed by"), "completed_by"),
    Column(gettext_lazy("Answers"), "answer_count"),
    Column(gettext_lazy("Risks"), "risk_count"),
    Column(gettext_lazy("Open risks"), "open_risk_count"),
])
QUESTION_EXPORT = Export(name="risk assessment questions", object_type="compliance.sraquestion", columns=[
    Column(gettext_lazy("Safeguard"), "get_safeguard_display"),
    Column(gettext_lazy("Question"), "text"),
    Column(gettext_lazy("Regulation"), "reference"),
    Column(gettext_lazy("Active"), "is_active"),
])


def _assessment(request: HttpRequest, pk: int) -> SecurityRiskAssessment:
    return get_scoped_or_404(request, selectors.assessments_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


def _risk(request: HttpRequest, pk: int) -> Risk:
    return get_scoped_or_404(request, selectors.risks_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


def _form_page(request: HttpRequest, form: Form, template: str, context: dict[str, Any],
               call: Callable[[], Any], success: str, target: Callable[[Any], str]) -> HttpResponse:
    """Validate the form, run the service: a refusal is a 404, a broken rule goes on the form (status 400)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call()
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(target(result))
    return render(request, template, {"form": form, **context}, status=400 if form.errors else 200)


# --- assessments -----------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def sra_list(request: HttpRequest) -> HttpResponse:
    """The yearly reassessment: every assessment, when the last one was completed, and "due" after 12 months."""
    today = practice_today()
    assessments = selectors.assessment_list(actor=request.user)
    if export_format(request):
        return export_response(request, assessments, ASSESSMENT_EXPORT)
    return render(request, "compliance/sra/sra_list.html", {
        "assessments": list(assessments),
        "reassessment": selectors.reassessment(actor=request.user, today=today), "today": today,
        "months": selectors.REASSESS_AFTER_MONTHS, "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
        "overdue": selectors.overdue_count(actor=request.user, today=today),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def sra_start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST if request.method == "POST" else None, initial={"year": practice_today().year, "copy_previous": True})
    return _form_page(
        request, form, "compliance/sra/sra_form.html", {"heading": _("Start a security risk assessment")},
        lambda: services.assessment_start(actor=request.user, year=form.cleaned_data["year"],
                                          copy_previous=form.cleaned_data["copy_previous"]),
        _("Assessment started."), lambda assessment: reverse("compliance:sra_detail", args=[assessment.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def sra_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    today = practice_today()
    return render(request, "compliance/sra/sra_detail.html", {
        "assessment": assessment, "sections": selectors.sections(assessment),
        "progress": selectors.progress(assessment), "flagged_answers": FLAGGED_ANSWERS,
        "risks": list(selectors.risk_list(actor=request.user, today=today, assessment=assessment)
                      .order_by("-score_value", "pk")),
        "band_labels": selectors.BAND_LABELS, "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
        "in_progress": assessment.status == SraStatus.IN_PROGRESS,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def sra_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """One safeguard section (?section=administrative|physical|technical, the first by default)."""
    assessment = _assessment(request, pk)
    safeguard = request.GET.get("section") or Safeguard.ADMINISTRATIVE
    if safeguard not in Safeguard.values:
        raise Http404()
    section = selectors.section_of(assessment, safeguard)
    if section is None:
        raise Http404()
    form = SectionForm(request.POST if request.method == "POST" else None, rows=section.rows)
    blocked = "" if assessment.status == SraStatus.IN_PROGRESS else _(
        "This assessment is completed: its answers no longer change.")
    detail = reverse("compliance:sra_detail", args=[assessment.pk])
    return _form_page(
        request, form, "compliance/sra/sra_answer.html",
        {"assessment": assessment, "section": section, "blocked": blocked, "cancel_url": detail,
         "safeguards": Safeguard.choices},
        lambda: services.answers_save(actor=request.user, assessment=assessment, safeguard=safeguard,
                                      answers=form.answers()),
        _("Answers saved."), lambda _saved: f"{detail}#{safeguard}")


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def sra_complete(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = CompleteForm(request.POST if request.method == "POST" else None, initial={"summary": assessment.summary})
    return _form_page(
        request, form, "compliance/sra/sra_form.html",
        {"heading": _("Complete the %(year)s assessment") % {"year": assessment.year}, "assessment": assessment,
         "progress": selectors.progress(assessment),
         "blocked": "" if assessment.status == SraStatus.IN_PROGRESS else _("This assessment is completed.")},
        lambda: services.assessment_complete(actor=request.user, assessment=assessment,
                                             summary=form.cleaned_data["summary"]),
        _("Assessment completed."), lambda done: reverse("compliance:sra_detail", args=[done.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def sra_report(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    pdf = services.report_pdf(actor=request.user, assessment=assessment)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"security-risk-assessment-{assessment.year}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def sra_risk_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a risk from the assessment; ?question=<id> pre-fills it from a "no" or "partly" answer."""
    assessment = _assessment(request, pk)
    question = None
    raw = request.GET.get("question") or ""
    if raw.isdigit():
        question = selectors.questions_visible(actor=request.user).filter(pk=int(raw)).first()
    initial: dict[str, Any] = services.risk_prefill(question) if question is not None else {}
    initial.setdefault("owner", request.user.pk)
    form = RiskForm(request.POST if request.method == "POST" else None, initial=initial)
    return _form_page(
        request, form, "compliance/sra/risk_form.html",
        {"heading": _("Add to the risk register"), "assessment": assessment, "question": question,
         "cancel_url": reverse("compliance:sra_detail", args=[assessment.pk])},
        lambda: services.risk_create(actor=request.user, assessment=assessment, question=question,
                                     data={name: form.cleaned_data[name] for name in services.RISK_FIELDS}),
        _("Risk added to the register."), lambda risk: reverse("compliance:risk_detail", args=[risk.pk]))


# --- the risk register -----------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def risk_list(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    status, band, safeguard = (request.GET.get(name) or "" for name in ("status", "band", "safeguard"))
    rows = table(request, selectors.risk_list(actor=request.user, today=today, status=status, band=band,
                                              safeguard=safeguard),
                 sorts=RISK_SORTS, default_sort="-score", search_fields=("title", "remediation"),
                 element_id="risk-table")
    return render_table(request, "compliance/sra/risk_list.html", {
        "table": rows, "table_template": "compliance/sra/risk_table.html",
        "filter_template": "compliance/sra/risk_filter.html", "status": status, "band": band, "export": RISK_EXPORT,
        "safeguard": safeguard, "statuses": RiskStatus.choices, "bands": selectors.band_choices(),
        "safeguards": Safeguard.choices, "band_labels": selectors.BAND_LABELS, "band_table": selectors.BANDS,
        "overdue": selectors.overdue_count(actor=request.user, today=today),
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def risk_create(request: HttpRequest) -> HttpResponse:
    form = RiskForm(request.POST if request.method == "POST" else None, initial={"owner": request.user.pk})
    return _form_page(
        request, form, "compliance/sra/risk_form.html",
        {"heading": _("New risk"), "cancel_url": reverse("compliance:risk_list")},
        lambda: services.risk_create(actor=request.user,
                                     data={name: form.cleaned_data[name] for name in services.RISK_FIELDS}),
        _("Risk added to the register."), lambda risk: reverse("compliance:risk_detail", args=[risk.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = practice_today()
    risk = selectors.with_score(selectors.risks_visible(actor=request.user).filter(pk=_risk(request, pk).pk),
                                today=today).get()
    return render(request, "compliance/sra/risk_detail.html", {
        "risk": risk, "band": selectors.band_of(risk.score), "band_labels": selectors.BAND_LABELS,
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    form = RiskForm(request.POST if request.method == "POST" else None, initial={
        **{name: getattr(risk, name) for name in services.RISK_FIELDS}, "owner": risk.owner_id})
    detail = reverse("compliance:risk_detail", args=[risk.pk])
    return _form_page(
        request, form, "compliance/sra/risk_form.html",
        {"heading": _("Edit risk"), "risk": risk, "cancel_url": detail},
        lambda: services.risk_update(actor=request.user, risk=risk,
                                     data={name: form.cleaned_data[name] for name in services.RISK_FIELDS}),
        _("Risk saved."), lambda _saved: detail)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def risk_close(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    form = CloseForm(request.POST if request.method == "POST" else None)
    detail = reverse("compliance:risk_detail", args=[risk.pk])
    return _form_page(
        request, form, "compliance/sra/risk_action.html",
        {"heading": _("Close the risk"), "risk": risk, "cancel_url": detail, "submit_label": _("Close"),
         "band": selectors.band_of(risk.score), "band_labels": selectors.BAND_LABELS,
         "blocked": "" if risk.status == RiskStatus.OPEN else _("Only an open risk can be closed.")},
        lambda: services.risk_close(actor=request.user, risk=risk, status=form.cleaned_data["status"],
                                    note=form.cleaned_data["note"]),
        _("Risk closed."), lambda _saved: detail)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def risk_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    form = Form(request.POST if request.method == "POST" else None)
    detail = reverse("compliance:risk_detail", args=[risk.pk])
    return _form_page(
        request, form, "compliance/sra/risk_action.html",
        {"heading": _("Reopen the risk"), "risk": risk, "cancel_url": detail, "submit_label": _("Reopen"),
         "band": selectors.band_of(risk.score), "band_labels": selectors.BAND_LABELS,
         "blocked": "" if risk.status != RiskStatus.OPEN else _("This risk is already open.")},
        lambda: services.risk_reopen(actor=request.user, risk=risk), _("Risk reopened."), lambda _saved: detail)


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def sraquestion_list(request: HttpRequest) -> HttpResponse:
    """The question bank by safeguard, with the regulation each question comes from."""
    ordered = selectors.questions_visible(actor=request.user).order_by("safeguard", "order", "pk")
    if export_format(request):
        return export_response(request, ordered, QUESTION_EXPORT)
    questions = list(ordered)
    return render(request, "compliance/sra/sraquestion_list.html", {
        "groups": [(label, [q for q in questions if q.safeguard == value]) for value, label in Safeguard.choices],
    })
