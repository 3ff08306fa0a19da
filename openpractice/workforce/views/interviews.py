"""Interview pages: scheduling one for an applicant, the interview page (criteria, scorecards), moving,
cancelling and closing it, sending the invitations again, "my interviews", the scorecard form and the criteria
admin. Scope comes from hiring_scope through the selectors; anything out of scope is a 404 (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.models import Location
from openpractice.core.web import add_service_errors, deny, get_scoped_or_404, login_required, permission_required

from ..choices import InterviewStatus
from ..forms_interviews import CancelForm, CriterionForm, InterviewForm, ScorecardForm
from ..models import Applicant, Interview, ScorecardCriterion
from ..selectors import interviews as selectors
from ..services import interviews as services
from ..services import scorecards as scorecard_services


def _locations(user: Any) -> list[int]:
    return [location.pk for location in Location.objects.all() if services.may_schedule_location(user, location.pk)]


def _location_choices(user: Any) -> QuerySet[Location]:
    return Location.objects.filter(pk__in=_locations(user))


def _applicant(request: HttpRequest, applicant_id: int) -> Applicant:
    return get_scoped_or_404(request, selectors.applicants_schedulable(actor=request.user),
                             permission=Perm.WORKFORCE_SCHEDULE, pk=applicant_id)


def _interview(request: HttpRequest, interview_id: int, *, managed: bool = False) -> Interview:
    scoped = (selectors.interviews_managed(actor=request.user) if managed
              else selectors.interviews_visible(actor=request.user))
    return get_scoped_or_404(request, scoped, permission=Perm.WORKFORCE_SCHEDULE if managed else "interview scope",
                             pk=interview_id)


def _sent_message(request: HttpRequest, interview: Interview, what: str) -> None:
    interview.refresh_from_db(fields=["invitations_sent_at"])
    if interview.invitations_sent_at is None:
        messages.warning(request, _("%(what)s, but the email could not be sent: the mail server did not answer. "
                                    "Use “send again” on the interview page.") % {"what": what})
    else:
        messages.success(request, _("%(what)s; the invitations have been sent.") % {"what": what})


# --- scheduling ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_SCHEDULE)
def applicant_interview_schedule(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = _applicant(request, applicant_id)
    form = InterviewForm(request.POST or None, locations=_location_choices(request.user),
                         initial={"location": applicant.requisition.location_id,
                                  "invite_applicant": bool(applicant.email)})
    stage_open = applicant.stage in selectors.SCHEDULABLE_STAGES
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_schedule(
                actor=request.user, applicant=applicant, plan=form.plan(),
                invite_applicant=form.cleaned_data["invite_applicant"],
                confirm_conflicts=form.cleaned_data["confirm_conflicts"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _sent_message(request, interview, _("Interview scheduled"))
            return redirect("workforce:interview_detail", interview_id=interview.pk)
    return render(request, "workforce/interviews/interview_form.html", {
        "form": form, "applicant": applicant, "interview": None, "stage_open": stage_open},
        status=400 if form.errors else 200)


# --- one interview -------------------------------------------------------------------------------------------


@require_GET
@login_required
def interview_detail(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id)
    criteria = selectors.criteria_for(interview)
    view = selectors.scorecard_view(actor=request.user, interview=interview, criteria=criteria)
    may_manage = selectors.may_manage(request.user, interview)
    return render(request, "workforce/interviews/interview_detail.html", {
        "interview": interview, "applicant": interview.applicant, "criteria": criteria, "cards": view,
        "may_manage": may_manage, "is_interviewer": selectors.is_interviewer(request.user, interview),
        "may_write": scorecard_services.may_write(request.user, interview),
        "is_scheduled": interview.status == InterviewStatus.SCHEDULED,
        "not_sent": may_manage and interview.invitations_sent_at is None
        and interview.status in (InterviewStatus.SCHEDULED, InterviewStatus.CANCELLED),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_SCHEDULE)
def interview_reschedule(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id, managed=True)
    form = InterviewForm(request.POST or None, locations=_location_choices(request.user),
                         interview=interview)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.interview_reschedule(
                actor=request.user, interview=interview, plan=form.plan(),
                invite_applicant=form.cleaned_data["invite_applicant"],
                confirm_conflicts=form.cleaned_data["confirm_conflicts"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if updated.ical_sequence != interview.ical_sequence:
                _sent_message(request, updated, _("Interview moved"))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("workforce:interview_detail", interview_id=interview.pk)
    return render(request, "workforce/interviews/interview_form.html", {
        "form": form, "applicant": interview.applicant, "interview": interview,
        "stage_open": interview.status == InterviewStatus.SCHEDULED}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_SCHEDULE)
def interview_cancel(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id, managed=True)
    form = CancelForm(request.POST or None, initial={"notify_applicant": bool(interview.applicant.email)})
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.interview_cancel(actor=request.user, interview=interview,
                                                  reason=form.cleaned_data["reason"],
                                                  notify_applicant=form.cleaned_data["notify_applicant"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _sent_message(request, cancelled, _("Interview cancelled"))
            return redirect("workforce:interview_detail", interview_id=interview.pk)
    return render(request, "workforce/interviews/interview_cancel.html",
                  {"form": form, "interview": interview, "applicant": interview.applicant},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.WORKFORCE_SCHEDULE)
def interview_close(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id, managed=True)
    try:
        services.interview_close(actor=request.user, interview=interview, status=request.POST.get("status", ""))
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Interview outcome recorded."))
    return redirect("workforce:interview_detail", interview_id=interview.pk)


@require_POST
@permission_required(Perm.WORKFORCE_SCHEDULE)
def interview_resend(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id, managed=True)
    try:
        services.interview_invitations_resend(actor=request.user, interview=interview,
                                              invite_applicant=request.POST.get("invite_applicant") == "on")
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        _sent_message(request, interview, _("Sent again"))
    return redirect("workforce:interview_detail", interview_id=interview.pk)


# --- scorecards ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def interview_scorecard(request: HttpRequest, interview_id: int) -> HttpResponse:
    """The actor's own scorecard: only the people on the interview (anyone else: 404, audited)."""
    interview = _interview(request, interview_id)
    if not selectors.is_interviewer(request.user, interview):
        raise deny(request, permission="interviewer", object_type="workforce.interview", object_id=interview.pk)
    criteria = selectors.criteria_for(interview)
    own = interview.scorecards.filter(interviewer_id=request.user.pk).prefetch_related("ratings").first()
    may_write = scorecard_services.may_write(request.user, interview)
    form = ScorecardForm(request.POST or None, criteria=criteria,
                         initial=ScorecardForm.initial_from(own) if own else None)
    if request.method == "POST" and form.is_valid():
        try:
            scorecard_services.scorecard_submit(
                actor=request.user, interview=interview, ratings=form.ratings(),
                recommendation=form.cleaned_data["recommendation"], summary=form.cleaned_data["summary"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Scorecard saved."))
            return redirect("workforce:interview_detail", interview_id=interview.pk)
    return render(request, "workforce/interviews/scorecard_form.html", {
        "form": form, "interview": interview, "applicant": interview.applicant, "own": own,
        "may_write": may_write}, status=400 if form.errors else 200)


@require_GET
@login_required
def my_interviews(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.my_interviews(actor=request.user)
    return render(request, "workforce/interviews/mine.html", {"upcoming": upcoming, "past": past})


# --- criteria ------------------------------------------------------------------------------------------------


CRITERION_EXPORT = Export(name="scorecard criteria", object_type="workforce.scorecardcriterion", columns=[
    Column(gettext_lazy("Criterion"), "name"),
    Column(gettext_lazy("Guidance"), "guidance"),
    Column(gettext_lazy("Applies to"), lambda criterion: criterion.position.title if criterion.position
           else _("Every position")),
    Column(gettext_lazy("Order"), "order"),
    Column(gettext_lazy("Active"), "is_active"),
])


@require_GET
@permission_required(Perm.WORKFORCE_MANAGE)
def criterion_list(request: HttpRequest) -> HttpResponse:
    criteria = selectors.criteria_all()
    if export_format(request):
        return export_response(request, criteria, CRITERION_EXPORT)
    return render(request, "workforce/interviews/criterion_list.html", {"criteria": criteria})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def criterion_create(request: HttpRequest) -> HttpResponse:
    return _criterion_form(request, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    criterion = get_scoped_or_404(request, ScorecardCriterion.objects.all(), permission=Perm.WORKFORCE_MANAGE,
                                  pk=pk)
    return _criterion_form(request, criterion)


def _criterion_form(request: HttpRequest, criterion: ScorecardCriterion | None) -> HttpResponse:
    form = CriterionForm(request.POST or None, instance=criterion or ScorecardCriterion())
    if request.method == "POST" and form.is_valid():
        try:
            if criterion is None:
                scorecard_services.criterion_create(actor=request.user, data=form.data_for_service())
            else:
                scorecard_services.criterion_update(actor=request.user, criterion=criterion,
                                                    data=form.data_for_service())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Criterion saved."))
            return redirect("workforce:criterion_list")
    return render(request, "workforce/interviews/criterion_form.html", {"form": form, "criterion": criterion},
                  status=400 if form.errors else 200)
