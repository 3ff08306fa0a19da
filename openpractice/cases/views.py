"""Case pages. Anyone signed in files a patient's complaint or their own grievance and follows the status of what
they filed (never the case workers' timeline). The list and the case itself are for those who see cases of its
kind where it is (selectors.case_scoped; 404, audited, for anything else); the actions are for those who work it
(selectors.case_workable, and the services check again: a refusal is the same 404 and changes nothing).
Showing a case is an audit event (selectors.case_viewed): its narrative is PHI when it is a patient's.
"""

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_query, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    any_permission_required,
    get_scoped_or_404,
    login_required,
    render_table,
    run_service,
    table,
)

from . import selectors, selectors_pages, services
from .choices import CaseKind, CaseStatus, Confidentiality, LetterKind
from .forms import (
    AcknowledgeForm,
    AssignForm,
    CaseEditForm,
    ComplaintForm,
    EscalateForm,
    GrievanceForm,
    LetterForm,
    LinksForm,
    NoteForm,
    ReopenForm,
    ResolveForm,
)
from .models import Case, CaseLetter

# Seeing cases: patient cases (cases.view) or staff cases (cases.staff); working them: cases.manage / cases.staff.
# Where, and which case, the selectors decide.
VIEW = frozenset({Perm.CASES_VIEW, Perm.CASES_STAFF})
WORK = frozenset({Perm.CASES_MANAGE, Perm.CASES_STAFF})
VIEW_NAME = "cases.view or cases.staff"
WORK_NAME = "cases.manage or cases.staff"
LIST_STATUSES = ("open", "all", *CaseStatus.values)


def _case(request: HttpRequest, pk: int) -> Case:
    """A case the user may see."""
    return get_scoped_or_404(request, selectors.case_scoped(actor=request.user), permission=VIEW_NAME, pk=pk)


def _workable(request: HttpRequest, pk: int) -> Case:
    """A case the user may work (one they only see is refused like one out of scope)."""
    return get_scoped_or_404(request, selectors.case_workable(actor=request.user), permission=WORK_NAME, pk=pk)


def _back(case: Case, anchor: str = "") -> HttpResponse:
    return redirect(reverse("cases:case_detail", args=[case.pk]) + anchor)


# --- filing (everyone) -----------------------------------------------------------------------------------------


def _only_location(form: Any) -> int | None:
    locations = list(form.fields["location"].queryset[:2])
    return locations[0].pk if len(locations) == 1 else None


@require_http_methods(["GET", "POST"])
@login_required
def case_file(request: HttpRequest) -> HttpResponse:
    """Take a patient's complaint (at the desk, on the phone, by letter)."""
    form = ComplaintForm(request.POST or None, actor=request.user, initial={"received_on": practice_today()})
    if request.method == "GET":
        form.initial["location"] = _only_location(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filed: list[Case] = []
        if run_service(form, lambda: filed.append(services.case_file(
                actor=request.user, category=data["category"], subject=data["subject"],
                narrative=data["narrative"], location=data["location"], received_on=data["received_on"],
                severity=data["severity"], confidentiality=data["confidentiality"],
                complainant_name=data["complainant_name"], complainant_contact=data["complainant_contact"],
                patient=data.get("patient")))):
            messages.success(request, _("Thank you: case %(number)s is filed and goes to the case workers.")
                             % {"number": filed[0].number})
            return redirect("cases:case_mine")
    return render(request, "cases/file_form.html", {
        "form": form, "heading": _("File a patient complaint"), "grievance": False,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def case_grievance(request: HttpRequest) -> HttpResponse:
    """A staff member raises their own grievance (confidential unless they choose otherwise)."""
    user = request.user
    form = GrievanceForm(request.POST or None, actor=user, initial={
        "confidentiality": Confidentiality.CONFIDENTIAL, "contact": getattr(user, "email", "")})
    if request.method == "GET":
        form.initial["location"] = _only_location(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filed: list[Case] = []
        if run_service(form, lambda: filed.append(services.case_file(
                actor=user, category=data["category"], subject=data["subject"], narrative=data["narrative"],
                location=data["location"], confidentiality=data["confidentiality"],
                complainant_name=user.get_full_name() or user.get_username(),  # type: ignore[union-attr]
                complainant_contact=data["contact"], own_grievance=True))):
            messages.success(request, _("Your grievance is filed as case %(number)s.") % {"number": filed[0].number})
            return redirect("cases:case_mine")
    return render(request, "cases/file_form.html", {
        "form": form, "heading": _("Raise a grievance"), "grievance": True,
    }, status=400 if form.errors else 200)


# What "My cases" shows the person who filed them: never the case workers' side.
OWN_CASE_EXPORT = Export(name="my cases", object_type="cases.case", columns=[
    Column(gettext_lazy("Number"), "number"),
    Column(gettext_lazy("Subject"), "subject"),
    Column(gettext_lazy("Category"), "category.name"),
    Column(gettext_lazy("Received"), "received_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Outcome"), "get_outcome_display"),
])


@require_GET
@login_required
def case_mine(request: HttpRequest) -> HttpResponse:
    cases = list(selectors.own_cases(actor=request.user).order_by("-received_on", "-pk"))
    if export_format(request):
        return export_response(request, cases, OWN_CASE_EXPORT)
    return render(request, "cases/mine.html", {
        "cases": cases, "export_links": {fmt: export_query(request, fmt) for fmt in ("csv", "xlsx")}})


@require_GET
@login_required
def case_mine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case the user filed: its status, what they wrote and the outcome; not the timeline."""
    case = get_scoped_or_404(request, selectors.own_cases(actor=request.user), permission="own case", pk=pk)
    selectors.case_viewed(actor=request.user, case=case)
    return render(request, "cases/mine_detail.html", {
        "case": case, "finished": case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)})


# --- the list and the case -------------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def case_export(today: Any) -> Export:
    """The list's columns; a patient's case is an audited PHI read of that patient (its subject may name them)."""
    return Export(name="cases", object_type="cases.case", patient_id=lambda case: case.patient_id, columns=[
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Subject"), "subject"),
        Column(gettext_lazy("Kind"), "get_kind_display"),
        Column(gettext_lazy("Category"), "category.name"),
        Column(gettext_lazy("Severity"), "get_severity_display"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Confidential"), lambda case: case.confidentiality == Confidentiality.CONFIDENTIAL),
        Column(gettext_lazy("Escalated"), lambda case: case.escalated_at is not None),
        Column(gettext_lazy("Assignee"), "assignee.display_name"),
        Column(gettext_lazy("Received"), "received_on"),
        Column(gettext_lazy("Acknowledge by"), "acknowledge_due_on"),
        Column(gettext_lazy("Resolve by"), "resolve_due_on"),
        Column(gettext_lazy("Overdue"), lambda case: (case.status == CaseStatus.NEW and case.acknowledge_due_on < today)
               or (case.is_open and case.resolve_due_on < today)),
    ])


@require_GET
@any_permission_required(VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    status = params.get("status") or "open"
    status = status if status in LIST_STATUSES else "open"
    kinds = selectors_pages.kinds_seen(request.user)
    kind = params.get("kind") or ""
    kind = kind if kind in kinds else ""
    category_id = _int(params.get("category"))
    assignee = params.get("assignee") if params.get("assignee") in ("me", "none") else ""
    overdue = params.get("overdue") == "1"
    today = practice_today()
    queryset = selectors_pages.case_rows(
        actor=request.user, status="" if status == "all" else status, kind=kind, category=category_id,
        assignee=assignee or "", overdue=overdue, text=(params.get("q") or "").replace("\x00", "")[:100],
        today=today)
    rows = table(request, queryset, sorts={
        "number": "pk", "subject": "subject", "received": "received_on", "severity": "severity_rank",
        "status": "status", "ack": "acknowledge_due_on", "due": "resolve_due_on", "assignee": "assignee__last_name",
    }, default_sort="due", element_id="case-table")
    return render_table(request, "cases/case_list.html", {
        "table": rows, "table_template": "cases/case_table.html", "filter_template": "cases/case_filter.html",
        "status": status, "statuses": [("open", _("Open")), ("all", _("Every status")), *CaseStatus.choices],
        "kind": kind, "kinds": [(value, label) for value, label in CaseKind.choices if value in kinds],
        "category": category_id, "categories": list(selectors_pages.list_categories(request.user)),
        "assignee": assignee, "overdue": overdue, "today": today, "export": case_export(today),
    })


def _detail(request: HttpRequest, case: Case, *, status: int = 200, **bound: Any) -> HttpResponse:
    """The case page; `bound` replaces an action form by the one just submitted (with its errors)."""
    selectors.case_viewed(actor=request.user, case=case)
    works = selectors.may_work(request.user, case)
    today = practice_today()
    context: dict[str, Any] = {
        "case": case, "today": today, "works": works, "entries": selectors.timeline(case),
        "letters": selectors.letters(case), "open": case.is_open,
        "overdue_ack": case.status == CaseStatus.NEW and case.acknowledge_due_on < today,
        "overdue_resolve": case.is_open and case.resolve_due_on < today,
    }
    if works:
        forms: dict[str, Any] = {
            "assign_form": AssignForm(users=_assignable(case), initial={"assignee": case.assignee_id},
                                      auto_id="assign_%s"),
            "acknowledge_form": AcknowledgeForm(auto_id="ack_%s") if case.status == CaseStatus.NEW else None,
            "note_form": NoteForm(auto_id="note_%s"),
            "escalate_form": EscalateForm(auto_id="escalate_%s") if case.is_open and not case.escalated_at
            else None,
            "resolve_form": ResolveForm(auto_id="resolve_%s") if case.is_open else None,
            "reopen_form": ReopenForm(auto_id="reopen_%s") if not case.is_open else None,
            "letter_form": LetterForm(auto_id="letter_%s", initial={
                "kind": LetterKind.ACKNOWLEDGEMENT if case.is_open else LetterKind.RESOLUTION}),
            "may_close": case.status == CaseStatus.RESOLVED,
        }
        forms.update(bound)
        context.update(forms)
    return render(request, "cases/case_detail.html", context, status=status)


def _assignable(case: Case) -> list[Any]:
    return selectors.assignable_users(kind=case.kind, location_id=case.location_id,
                                      confidential=case.confidentiality == Confidentiality.CONFIDENTIAL,
                                      respondent_id=case.respondent_id)


@require_GET
@any_permission_required(VIEW)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _case(request, pk))


def _act(request: HttpRequest, pk: int, *, form_name: str, make_form: Callable[[Case], Any],
         call: Callable[[Case, dict[str, Any], Any], Any], done: str, anchor: str = "") -> HttpResponse:
    """One action on a case: a form posted to its own URL, the service called, back to the case."""
    case = _workable(request, pk)
    form = make_form(case)
    if form.is_valid() and run_service(form, lambda: call(case, form.cleaned_data, form)):
        messages.success(request, done)
        return _back(case, anchor)
    return _detail(request, case, status=400, **{form_name: form})


@require_POST
@any_permission_required(WORK)
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="assign_form",
        make_form=lambda case: AssignForm(request.POST, users=_assignable(case), auto_id="assign_%s"),
        call=lambda case, data, form: services.case_assign(actor=request.user, case=case,
                                                           assignee=form.chosen()),
        done=_("Assignment saved."))


@require_POST
@any_permission_required(WORK)
def case_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="acknowledge_form",
        make_form=lambda case: AcknowledgeForm(request.POST, auto_id="ack_%s"),
        call=lambda case, data, form: services.case_acknowledge(actor=request.user, case=case, note=data["note"]),
        done=_("Case acknowledged."))


@require_POST
@any_permission_required(WORK)
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="note_form", make_form=lambda case: NoteForm(request.POST, auto_id="note_%s"),
        call=lambda case, data, form: services.case_note_add(actor=request.user, case=case, kind=data["kind"],
                                                             body=data["body"]),
        done=_("Added to the timeline."), anchor="#timeline")


@require_POST
@any_permission_required(WORK)
def case_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="escalate_form",
        make_form=lambda case: EscalateForm(request.POST, auto_id="escalate_%s"),
        call=lambda case, data, form: services.case_escalate(actor=request.user, case=case, reason=data["reason"]),
        done=_("Escalated to the senior practice managers."))


@require_POST
@any_permission_required(WORK)
def case_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="resolve_form", make_form=lambda case: ResolveForm(request.POST, auto_id="resolve_%s"),
        call=lambda case, data, form: services.case_resolve(actor=request.user, case=case, outcome=data["outcome"],
                                                            resolution=data["resolution"]),
        done=_("Case resolved."))


@require_POST
@any_permission_required(WORK)
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="reopen_form", make_form=lambda case: ReopenForm(request.POST, auto_id="reopen_%s"),
        call=lambda case, data, form: services.case_reopen(actor=request.user, case=case, reason=data["reason"]),
        done=_("Case reopened."))


@require_POST
@any_permission_required(WORK)
def case_letter_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="letter_form", make_form=lambda case: LetterForm(request.POST, auto_id="letter_%s"),
        call=lambda case, data, form: services.case_letter_create(actor=request.user, case=case, kind=data["kind"]),
        done=_("Letter written: download it below."), anchor="#letters")


@require_POST
@any_permission_required(WORK)
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _workable(request, pk)
    try:
        services.case_close(actor=request.user, case=case)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Case closed."))
    return _back(case)


def _form_page(request: HttpRequest, case: Case, form: Any, heading: str, *, status: int = 200,
               note: str = "") -> HttpResponse:
    return render(request, "cases/case_form.html", {"case": case, "form": form, "heading": heading, "note": note},
                  status=status)


@require_http_methods(["GET", "POST"])
@any_permission_required(WORK)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the intake: subject, category, severity, confidentiality, location."""
    case = _workable(request, pk)
    form = CaseEditForm(request.POST or None, case=case, initial=CaseEditForm.initial_for(case),
                        locations=selectors_pages.work_locations(actor=request.user, kind=case.kind,
                                                                 current=case.location_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.case_update(
                actor=request.user, case=case, subject=data["subject"], severity=data["severity"],
                confidentiality=data["confidentiality"], category=data["category"], location=data["location"])):
            messages.success(request, _("Case saved."))
            return _back(case)
    return _form_page(request, case, form, _("Correct the intake"), status=400 if form.errors else 200,
                      note=_("The service levels stay as promised when the case was received."))


@require_http_methods(["GET", "POST"])
@any_permission_required(WORK)
def case_links(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient and claim (patient cases), the colleague concerned (staff cases), an incident."""
    case = _workable(request, pk)
    form = LinksForm(request.POST or None, actor=request.user, case=case,
                     initial=selectors_pages.link_numbers(case))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.case_links_set(
                actor=request.user, case=case, patient=data.get("patient"), claim=data.get("claim"),
                respondent=data.get("respondent"), incident=data.get("incident"))):
            messages.success(request, _("Links saved."))
            return _back(case)
    return _form_page(request, case, form, _("Links"), status=400 if form.errors else 200,
                      note=_("Leave a field empty to remove that link."))


# --- letters ---------------------------------------------------------------------------------------------------


@require_GET
@any_permission_required(WORK)
def case_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """A letter as a PDF (pk: the CaseLetter). Each download is an audit event."""
    letter: CaseLetter = get_scoped_or_404(request, selectors.letter_scoped(actor=request.user),
                                           permission=WORK_NAME, pk=pk)
    try:
        pdf = services.letter_pdf(actor=request.user, letter=letter)
    except PermissionDenied as exc:
        raise Http404() from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{letter.case.number}-{letter.kind}-letter.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
