"""The operations brief's pages: settings (schedule, recipients), the history, one brief (from its snapshot), its PDF,
and "send now". All need reports.manage; opening a past brief also needs the permissions its figures needed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import deny, permission_required, render_table, run_service, table

from . import selectors_brief, services_brief
from .brief import BriefCompileError, check_compiler, is_due, last_complete_period
from .choices import BriefStatus
from .forms_brief import BriefSettingsForm
from .models import Brief, BriefSettings

HISTORY_EXPORT = Export(name="operations-briefs", object_type="reporting.brief", columns=[
    Column(_("From"), "period_start"), Column(_("To"), "period_end"), Column(_("Status"), "get_status_display"),
    Column(_("Produced"), "created_at"), Column(_("Sent"), "sent_at"),
    Column(_("Sent by"), lambda brief: (brief.created_by.get_full_name() or brief.created_by.username)
           if brief.created_by else _("Schedule")),
    Column(_("Recipients"), lambda brief: len(brief.recipients or [])),
    Column(_("Error"), "error"),
])


def _next_run(row: BriefSettings | None, now: dt.datetime) -> dt.datetime | None:
    """When the hourly run will next send (practice time), for the settings page; None when it is off."""
    if row is None or not row.enabled:
        return None
    zone = selectors_brief.practice_zone()
    first = (timezone.localtime(now, zone) + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    for offset in range(70):
        day = first.date() + dt.timedelta(days=offset)
        at = max(dt.datetime.combine(day, dt.time(row.hour), tzinfo=zone), first)
        if at.date() != day or not is_due(frequency=row.frequency, weekday=row.weekday, hour=row.hour,
                                          local_now=at):
            continue
        period = last_complete_period(row.frequency, day)
        if not selectors_brief.brief_period_taken(start=period.start, end=period.end):
            return at
    return None


def _settings_context(row: BriefSettings | None) -> dict[str, Any]:
    compiler = row.updated_by if row is not None else None
    try:
        check_compiler(compiler)
        compiler_problem = ""
    except BriefCompileError as exc:
        compiler_problem = str(exc)
    latest = selectors_brief.latest_brief()
    return {"settings": row, "compiler": compiler, "compiler_problem": compiler_problem, "latest": latest,
            "next_run": _next_run(row, timezone.now()),
            "latest_problem": latest is not None and latest.status in (BriefStatus.FAILED, BriefStatus.PARTLY_SENT)}


@require_http_methods(["GET", "POST"])
@permission_required(Perm.REPORTS_MANAGE)
def brief_settings(request: HttpRequest) -> HttpResponse:
    row = selectors_brief.brief_settings_current()
    form = BriefSettingsForm(request.POST if request.method == "POST" else None, instance=row)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services_brief.brief_settings_save(
                actor=request.user, enabled=data["enabled"], frequency=data["frequency"], weekday=data["weekday"],
                hour=data["hour"], recipients=list(data["recipients"]), extra_recipients=data["extra_recipients"])):
            messages.success(request, _("Brief settings saved. The brief is now compiled with your permissions."))
            return redirect("reporting:brief_settings")
    context = {"form": form, **_settings_context(row)}
    return render(request, "reporting/brief/settings.html", context, status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.REPORTS_MANAGE)
def brief_list(request: HttpRequest) -> HttpResponse:
    state = table(request, selectors_brief.brief_history(actor=request.user),
                  sorts={"period": "period_end", "created": "created_at", "status": "status"}, default_sort="-period",
                  search_fields=("status", "error"))
    openable = {brief.pk for brief in state.page.object_list if selectors_brief.may_open(request.user, brief)}
    return render_table(request, "reporting/brief/list.html", {
        "table": state, "table_template": "reporting/brief/_table.html", "openable": openable,
        "export": HISTORY_EXPORT})


def _brief(request: HttpRequest, pk: int) -> Brief:
    """The brief if the actor may open it; 404 (audited when it exists) otherwise."""
    brief = selectors_brief.brief_history(actor=request.user).filter(pk=pk).first()
    if brief is None:
        raise Http404()
    if not selectors_brief.may_open(request.user, brief):
        raise deny(request, permission=" ".join(brief.snapshot.get("permissions", [])) or Perm.REPORTS_MANAGE,
                   object_type="reporting.brief", object_id=brief.pk)
    return brief


@require_GET
@permission_required(Perm.REPORTS_MANAGE)
def brief_detail(request: HttpRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    return render(request, "reporting/brief/detail.html", {
        "brief": brief, "document": selectors_brief.brief_document(brief) if selectors_brief.has_document(brief) else None})


@require_GET
@permission_required(Perm.REPORTS_MANAGE)
def brief_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    brief = _brief(request, pk)
    if not selectors_brief.has_document(brief):
        raise Http404()  # a brief that could not be compiled has no PDF
    response = HttpResponse(services_brief.brief_pdf_read(actor=request.user, brief=brief),
                            content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"operations-brief-{brief.period_start}-{brief.period_end}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(Perm.REPORTS_MANAGE)
def brief_send_now(request: HttpRequest) -> HttpResponse:
    brief = services_brief.brief_send_now(actor=request.user)
    if brief.status == BriefStatus.SENT:
        messages.success(request, _("The brief was sent to %(count)s recipients.") % {"count": len(brief.recipients)})
    elif brief.status == BriefStatus.GENERATED:
        messages.warning(request, brief.error or _("The brief was produced but not sent."))
    elif brief.status == BriefStatus.PARTLY_SENT:
        messages.warning(request, _("The brief was sent to some recipients only; see below."))
    else:
        messages.error(request, _("The brief could not be produced or sent; see below."))
    if not selectors_brief.has_document(brief):
        return redirect("reporting:brief_settings")
    return redirect("reporting:brief_detail", pk=brief.pk)
