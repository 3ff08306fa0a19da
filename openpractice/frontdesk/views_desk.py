"""The desk's pages: log a call (with a patient search that answers as the desk types), write to a colleague or a
queue, "My callbacks", and the actions on a message that link it to other records or open a case or a work order
from it.

- Logging calls: frontdesk.manage. Writing to colleagues, the patient search and "My callbacks": anyone signed in
  (the search shows only patients the person may see, and nothing to those who see none).
- The message actions are for those who may work the message (selectors_messages.may_work): anything else is the
  404 of a message out of scope, audited. Their forms render as partials on the message page
  (frontdesk:message_detail): `link_panels()` builds their context, see templates/frontdesk/desk/_links_panel.html.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import SESSION_LOCATION_KEY, refuse
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import get_scoped_or_404, login_required, permission_required, run_service
from openpractice.facilities.services.work_orders import may_report_at
from openpractice.scheduling.selectors import patient_pick as scheduling_patient_pick

from .forms_desk import (
    CallbackDoneForm,
    CallbackForm,
    CallLogForm,
    CaseOpenForm,
    InternalMessageForm,
    LinkForm,
    WorkOrderOpenForm,
    linkable_kinds,
    may_pick_patients,
)
from .models import CallbackTask, Message
from .selectors_messages import may_work, message_for_actor, messages_visible
from .selectors_queue import assignable_users
from .services import callbacks as callback_services
from .services import calls as call_services
from .services import internal as internal_services
from .services import links as link_services

PATIENT_PICK_LIMIT = 10
MESSAGE_SEEN = "a message the actor may see"


def _to_message(message: Message) -> HttpResponse:
    return redirect(reverse("frontdesk:message_detail", kwargs={"pk": message.pk}))


def _session_location(request: HttpRequest, form: Any) -> int | None:
    selected = request.session.get(SESSION_LOCATION_KEY)
    queryset = form.fields["location"].queryset
    if selected is not None and queryset.filter(pk=selected).exists():
        return int(selected)
    only = list(queryset[:2])
    return only[0].pk if len(only) == 1 else None


def _shown_message(request: HttpRequest, key: str) -> Message | None:
    """The message just saved (?logged=<pk>), if the user may see it: its number and where it went."""
    value = request.GET.get(key) or ""
    if not value.isdigit() or int(value) >= 2**31:
        return None
    return message_for_actor(actor=request.user, pk=int(value))


# --- a call -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_MANAGE)
def call_log(request: HttpRequest) -> HttpResponse:
    """Log a call: who, about what, for which patient; optionally a callback. Then the next call."""
    form = CallLogForm(request.POST or None, actor=request.user)
    if request.method == "GET":
        form.initial["location"] = _session_location(request, form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        logged: list[call_services.CallLogged] = []
        if run_service(form, lambda: logged.append(call_services.call_log(
                actor=request.user, caller_name=data["caller_name"], phone=data["phone"], body=data["body"],
                category=data["category"], location=data["location"], priority=data["priority"],
                patient=data.get("patient"), callback_number=data["callback_number"],
                callback_due_at=data["callback_due_at"], subject=data["subject"], email=data["email"]))):
            message = logged[0].message
            messages.success(request, _("Call logged as %(number)s.") % {"number": message.number})
            return redirect(reverse("frontdesk:call_log") + f"?logged={message.pk}")
    return render(request, "frontdesk/desk/call_log.html", {
        "form": form, "logged": _shown_message(request, "logged") if request.method == "GET" else None,
        "patient_options": form.patient_options(),
    }, status=400 if form.errors else 200)


@require_GET
@login_required
def patient_pick(request: HttpRequest) -> HttpResponse:
    """The patients matching what the desk typed (?patient_q=), as radio options named "patient": only patients the
    person may see (none for those who see no patients). One audit event per search, as on the patient list."""
    text = (request.GET.get("patient_q") or "").replace("\x00", "").strip()[:100]
    allowed = may_pick_patients(request.user)
    matches = (scheduling_patient_pick(actor=request.user, text=text, limit=PATIENT_PICK_LIMIT,
                                       picker="front desk message") if allowed and text else [])
    return render(request, "frontdesk/desk/_patient_results.html", {
        "matches": matches, "search": text, "allowed": allowed, "chosen": None,
    })


# --- a message to a colleague -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def internal_new(request: HttpRequest) -> HttpResponse:
    form = InternalMessageForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = data.get("patient")
        sent: list[Message] = []
        # A message about a patient belongs to the patient's location (the desk there sees it); else practice-wide.
        if run_service(form, lambda: sent.append(internal_services.internal_send(
                actor=request.user, subject=data["subject"], body=data["body"], recipient=data["recipient"],
                queue=data["queue"], patient=patient, priority=data["priority"],
                location=patient.home_location if patient is not None else None))):
            messages.success(request, _("Sent as %(number)s.") % {"number": sent[0].number})
            return redirect(reverse("frontdesk:internal_new") + f"?sent={sent[0].pk}")
    return render(request, "frontdesk/desk/internal_new.html", {
        "form": form, "sent": _shown_message(request, "sent") if request.method == "GET" else None,
        "patient_options": form.patient_options(),
    }, status=400 if form.errors else 200)


# --- callbacks --------------------------------------------------------------------------------------------------


# The list names no patient, but a callback is about a message that may concern one: each such patient is an
# audited read when the list leaves the practice as a file.
CALLBACK_EXPORT = Export(
    name="my callbacks", object_type="frontdesk.callbacktask", patient_id=lambda callback: callback.message.patient_id,
    columns=[
        Column(gettext_lazy("Call back by"), "due_at"),
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Message"), "message.number"),
        Column(gettext_lazy("Subject"), "message.subject"),
        Column(gettext_lazy("Note"), "note"),
    ])


def _callbacks_page(request: HttpRequest, *, status: int = 200, failed: CallbackTask | None = None,
                    failed_form: CallbackDoneForm | None = None) -> HttpResponse:
    now = timezone.now()
    rows = []
    for callback in callback_services.callbacks_open_for(user=request.user):
        form = failed_form if failed is not None and failed.pk == callback.pk else None
        rows.append({"callback": callback, "overdue": callback.due_at < now,
                     "form": form or CallbackDoneForm(auto_id=f"cb{callback.pk}_%s")})
    return render(request, "frontdesk/desk/callback_mine.html", {"rows": rows, "now": now}, status=status)


@require_GET
@login_required
def callback_mine(request: HttpRequest) -> HttpResponse:
    """The open callbacks assigned to the person, the overdue ones first."""
    if export_format(request):
        return export_response(request, callback_services.callbacks_open_for(user=request.user), CALLBACK_EXPORT)
    return _callbacks_page(request)


@require_POST
@login_required
def callback_done(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_scoped_or_404(request, callback_services.callbacks_scoped(actor=request.user),
                                 permission="the callback's assignee", pk=pk)
    form = CallbackDoneForm(request.POST, auto_id=f"cb{callback.pk}_%s")
    if form.is_valid() and run_service(form, lambda: callback_services.callback_done(
            actor=request.user, callback=callback, result=form.cleaned_data["result"])):
        messages.success(request, _("Callback for %(number)s marked done.") % {"number": callback.message.number})
        return redirect("frontdesk:callback_mine")
    return _callbacks_page(request, status=400, failed=callback, failed_form=form)


# --- links from a message ---------------------------------------------------------------------------------------


def _workable(request: HttpRequest, pk: int, action: str) -> Message:
    """A message the actor may see (404, audited, otherwise) and work (the same 404, audited)."""
    message = get_scoped_or_404(request, messages_visible(actor=request.user).select_related(
        "patient", "claim", "case", "work_order", "appointment"), permission=MESSAGE_SEEN, pk=pk)
    if not may_work(actor=request.user, message=message):
        denial = refuse(actor=request.user, permission=Perm.FRONTDESK_MANAGE, action=action, target=message,
                        reason="may not work this message")
        raise Http404() from denial
    return message


def link_panels(request: HttpRequest, message: Message, **bound: Any) -> dict[str, Any]:
    """The context of the link forms on the message page (include "frontdesk/desk/_links_panel.html"): each form
    only for those who may use it, None otherwise. `bound` replaces a form by the one that came back with errors."""
    user = request.user
    works = may_work(actor=user, message=message)
    kinds = linkable_kinds(user) if works else []
    context: dict[str, Any] = {
        "callback_form": (CallbackForm(message=message, actor=user, people=assignable_users(message=message),
                                       auto_id="callback_%s") if works and message.is_open else None),
        "link_form": LinkForm(actor=user, auto_id="link_%s") if kinds else None,
        "case_form": (CaseOpenForm(message=message, auto_id="caseopen_%s")
                      if works and message.case_id is None else None),
        "work_order_form": (WorkOrderOpenForm(actor=user, message=message, auto_id="woopen_%s")
                            if works and message.work_order_id is None
                            and (message.location_id is None or may_report_at(user, message.location_id))
                            else None),
    }
    context.update(bound)
    return context


def _link_page(request: HttpRequest, message: Message, heading: str, **bound: Any) -> HttpResponse:
    return render(request, "frontdesk/desk/link_page.html", {
        "message": message, "heading": heading, **link_panels(request, message, **bound)}, status=400)


@require_POST
@login_required
def message_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the message to a patient, appointment, claim, case or work order (by its number), or remove a link."""
    message = _workable(request, pk, "frontdesk.message_link")
    form = LinkForm(request.POST, actor=request.user, auto_id="link_%s")
    if form.is_valid() and run_service(form, lambda: link_services.message_link_set(
            actor=request.user, message=message, field=form.cleaned_data["kind"],
            target=form.cleaned_data["target"])):
        messages.success(request, _("Link saved."))
        return _to_message(message)
    return _link_page(request, message, _("Link this message"), link_form=form)


@require_POST
@login_required
def message_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask someone who works the message to call the person back by a time."""
    message = _workable(request, pk, "frontdesk.callback_create")
    form = CallbackForm(request.POST, message=message, actor=request.user,
                        people=assignable_users(message=message), auto_id="callback_%s")
    if form.is_valid() and run_service(form, lambda: callback_services.callback_create(
            actor=request.user, message=message, assignee=form.cleaned_data["assignee"],
            number=form.cleaned_data["number"], due_at=form.cleaned_data["due_at"],
            note=form.cleaned_data["note"])):
        messages.success(request, _("Callback booked."))
        return _to_message(message)
    return _link_page(request, message, _("Book a callback"), callback_form=form)


@require_POST
@login_required
def message_case_open(request: HttpRequest, pk: int) -> HttpResponse:
    """File a case with the message's words and link it."""
    message = _workable(request, pk, "frontdesk.message_case_open")
    form = CaseOpenForm(request.POST, message=message, auto_id="caseopen_%s")
    opened: list[Any] = []
    if form.is_valid() and run_service(form, lambda: opened.append(link_services.message_case_open(
            actor=request.user, message=message, category=form.cleaned_data["category"],
            severity=form.cleaned_data["severity"], subject=form.cleaned_data["subject"]))):
        messages.success(request, _("Case %(number)s filed and linked.") % {"number": opened[0].number})
        return _to_message(message)
    return _link_page(request, message, _("Open a case from this message"), case_form=form)


@require_POST
@login_required
def message_work_order_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a work order for the problem the message reports and link it."""
    message = _workable(request, pk, "frontdesk.message_work_order_open")
    form = WorkOrderOpenForm(request.POST, actor=request.user, message=message, auto_id="woopen_%s")
    opened: list[Any] = []
    if form.is_valid() and run_service(form, lambda: opened.append(link_services.message_work_order_open(
            actor=request.user, message=message, location=form.cleaned_data["location"],
            title=form.cleaned_data["title"], description=form.cleaned_data["description"],
            priority=form.cleaned_data["priority"], room=form.cleaned_data["room"]))):
        messages.success(request, _("Work order %(number)s opened and linked.") % {"number": opened[0].number})
        return _to_message(message)
    return _link_page(request, message, _("Open a work order from this message"), work_order_form=form)
