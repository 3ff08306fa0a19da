"""The pages where staff work messages: the list (Mine / Unassigned in my queues / All I can see), a queue's open
messages, one message with its timeline, and the actions on it.

Anyone signed in may open these pages: a biller or HR specialist works the messages routed to them without any
front-desk permission. Which messages a person sees, selectors_messages decides; a message out of their sight is
not found (404) and the refusal is audited. The actions are for those who may work the message (may_work); the
services check it on the locked row, audit a refusal, and the view answers it with the same 404. Showing a
message is an audit event naming its patient; a list naming patients records one event per patient named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import Table, deny, get_scoped_or_404, login_required, render_table, run_service

from . import selectors_queue, views_desk
from .choices import Category, Channel, EntryKind, MessageStatus, Priority
from .forms_queue import AssignForm, CloseForm, ForwardForm, NoteForm, PriorityForm, ReopenForm, ReplyForm
from .models import Message, Queue, ReplyTemplate
from .selectors_messages import may_work, message_for_actor, message_view_for, messages_visible, queues_of
from .services import replies, work
from .services.templates import template_fill

SEE = "a message routed to the actor or frontdesk.view where it is"
WORK = "frontdesk.manage where the message is, or routed to the actor"
PER_PAGE = 25
# Sort keys -> orderings (priority then due is the default: what needs doing first).
SORTS: dict[str, tuple[str, ...]] = {
    "priority": ("priority_rank", "next_due"), "due": ("next_due",), "received": ("received_at",), "number": ("pk",),
}
TAB_LABELS = {"mine": _("Mine"), "unassigned": _("Unassigned in my queues"), "all": _("All I can see")}


# --- the lists -------------------------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _choice(value: str | None, allowed: Any) -> str:
    return value if value is not None and value in allowed else ""


def _filters(request: HttpRequest) -> selectors_queue.ListFilters:
    params = request.GET
    status = params.get("status") or "open"
    return selectors_queue.ListFilters(
        tab=_choice(params.get("tab"), selectors_queue.TABS) or "mine",
        queue_id=_int(params.get("queue")),
        status=status if status in ("open", "all", *MessageStatus.values) else "open",
        channel=_choice(params.get("channel"), Channel.values),
        priority=_choice(params.get("priority"), Priority.values),
        category=_choice(params.get("category"), Category.values),
        sla=_choice(params.get("sla"), selectors_queue.SLA_STATES),
        text=(params.get("q") or "").replace("\x00", "").strip()[:100],
    )


def _table(request: HttpRequest, queryset: QuerySet[Message], *, element_id: str) -> Table:
    """Sort (allowlisted keys), paginate, and keep the filters in every link."""
    sort = request.GET.get("sort") or "priority"
    key = sort.lstrip("-")
    if key not in SORTS or sort not in (key, f"-{key}"):
        sort, key = "priority", "priority"
    descending = sort.startswith("-")
    ordering = [f"-{field}" if descending else field for field in SORTS[key]]
    ordered = queryset.order_by(*ordering, "pk")
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    search = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    if search:
        params["q"] = search
    else:
        params.pop("q", None)
    params["sort"] = sort
    return Table(page=page, sort=sort, search=search, sort_options=list(SORTS), query_string=params.urlencode(),
                 params=params, element_id=element_id, queryset=ordered)


SLA_LABELS = {"met": gettext_lazy("met"), "breached": gettext_lazy("breached"), "soon": gettext_lazy("due soon"),
              "due": gettext_lazy("due")}


def _sender(message: Message) -> str:
    if message.sender_user is not None:
        return message.sender_user.display_name
    return message.sender_name or message.sender_email or message.sender_phone


def message_export(actor: Any, now: dt.datetime) -> Export:
    """The list's columns for this reader: the patient only where the list shows it (demographics where the
    message is), and each such patient is an audited read."""

    def shown(message: Message) -> bool:
        return selectors_queue.patient_shown(actor, message)

    return Export(name="messages", object_type="frontdesk.message",
                  patient_id=lambda message: message.patient_id if shown(message) else None, columns=[
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Priority"), "get_priority_display"),
        Column(gettext_lazy("Channel"), "get_channel_display"),
        Column(gettext_lazy("Subject"), "subject"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Column(gettext_lazy("Escalated"), lambda message: message.escalated_at is not None),
        Column(gettext_lazy("Patient"), lambda message: message.patient.full_name if shown(message) else ""),
        Column(gettext_lazy("From"), _sender),
        Column(gettext_lazy("Queue"), "queue.name"),
        Column(gettext_lazy("Assignee"), "assignee.display_name"),
        Column(gettext_lazy("Received"), "received_at"),
        Column(gettext_lazy("First response due"), "first_response_due"),
        Column(gettext_lazy("First response"),
               lambda message: SLA_LABELS[selectors_queue.sla_first_response(message, now).state]),
        Column(gettext_lazy("Resolve by"), "resolve_due"),
        Column(gettext_lazy("Resolution"),
               lambda message: SLA_LABELS[selectors_queue.sla_resolution(message, now).state]),
    ])


def _rows(request: HttpRequest, listing: Table) -> list[selectors_queue.Row]:
    rows = selectors_queue.rows_for(actor=request.user, messages=listing.page.object_list, now=timezone.now())
    selectors_queue.messages_listed(actor=request.user, rows=rows)
    return rows


@require_GET
@login_required
def queue_home(request: HttpRequest) -> HttpResponse:
    """Messages: the tabs, the filters, sorted by priority then due."""
    filters = _filters(request)
    now = timezone.now()
    listing = _table(request, selectors_queue.message_rows(actor=request.user, filters=filters, now=now),
                     element_id="message-table")
    export = message_export(request.user, now)
    if export_format(request) and listing.queryset is not None:  # before the page audits the patients it names
        return export_response(request, listing.queryset, export)
    queues = list(queues_of(actor=request.user).order_by("name"))
    return render_table(request, "frontdesk/queue/home.html", {
        "table": listing, "rows": _rows(request, listing), "filters": filters, "export": export,
        "table_template": "frontdesk/queue/_message_table.html", "filter_template": "frontdesk/queue/_filters.html",
        "tabs": [(key, TAB_LABELS[key]) for key in selectors_queue.TABS], "queues": queues,
        "statuses": [("open", _("Open")), ("all", _("Every status")), *MessageStatus.choices],
        "channels": Channel.choices, "priorities": Priority.choices, "categories": Category.choices,
        "sla_states": [("breached", _("Breached")), ("soon", _("Due within an hour")), ("ok", _("On time"))],
    })


@require_GET
@login_required
def queue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One queue's open messages (a queue the actor works)."""
    queue: Queue = get_scoped_or_404(request, selectors_queue.queue_scoped(actor=request.user),
                                     permission="works the queue", pk=pk)
    filters = selectors_queue.ListFilters(tab="all", queue_id=queue.pk, status="open",
                                          text=(request.GET.get("q") or "").replace("\x00", "").strip()[:100])
    now = timezone.now()
    listing = _table(request, selectors_queue.message_rows(actor=request.user, filters=filters, now=now),
                     element_id="queue-table")
    export = message_export(request.user, now)
    if export_format(request) and listing.queryset is not None:
        return export_response(request, listing.queryset, export)
    return render_table(request, "frontdesk/queue/queue_detail.html", {
        "queue": queue, "table": listing, "rows": _rows(request, listing), "export": export,
        "table_template": "frontdesk/queue/_message_table.html",
    })


# --- one message -----------------------------------------------------------------------------------------------


def _message(request: HttpRequest, pk: int) -> Message:
    """A message the actor sees; any other is not found, and the refusal of one that exists is audited."""
    message = message_for_actor(actor=request.user, pk=pk)
    if message is None:
        # Not seen: answers 404, auditing the denial when the message exists.
        get_scoped_or_404(request, messages_visible(actor=request.user), permission=SEE, pk=pk)
        raise Http404()
    return message


def _back(message: Message, anchor: str = "") -> HttpResponse:
    return redirect(reverse("frontdesk:message_detail", args=[message.pk]) + anchor)


def _fill_url(message: Message) -> str:
    return reverse("frontdesk:message_reply_fill", args=[message.pk])


def _detail(request: HttpRequest, message: Message, *, status: int = 200, **bound: Any) -> HttpResponse:
    """The message page; `bound` replaces an action form by the one just submitted (with its errors)."""
    selectors_queue.message_viewed(actor=request.user, message=message)
    view = message_view_for(actor=request.user, message=message)
    now = timezone.now()
    entries = selectors_queue.timeline(message)
    context: dict[str, Any] = {
        "message": message, "view": view, "entries": entries,
        "has_inbound": any(entry.kind == EntryKind.INBOUND for entry in entries),
        "first_response": selectors_queue.sla_first_response(message, now),
        "resolution": selectors_queue.sla_resolution(message, now),
        "may_claim": view.may_work and message.is_open and message.assignee_id != request.user.pk,
    }
    if view.may_work:
        if message.is_open:
            context.update({
                "assign_form": AssignForm(users=selectors_queue.assignable_users(message=message),
                                          initial={"assignee": message.assignee_id}, auto_id="assign_%s"),
                "forward_form": ForwardForm(queues=selectors_queue.forward_queues(message=message),
                                            users=selectors_queue.forward_people(message=message),
                                            auto_id="forward_%s"),
                "note_form": NoteForm(auto_id="note_%s"),
                "priority_form": PriorityForm(initial={"priority": message.priority}, auto_id="priority_%s"),
                "close_form": CloseForm(auto_id="close_%s"),
                "reply_form": ReplyForm(templates=selectors_queue.reply_templates_active(),
                                        fill_url=_fill_url(message)) if message.sender_email else None,
            })
            context.update(views_desk.link_panels(request, message))
        else:
            context["reopen_form"] = ReopenForm(auto_id="reopen_%s")
        context.update(bound)
    return render(request, "frontdesk/queue/message_detail.html", context, status=status)


@require_GET
@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _message(request, pk))


def _act(request: HttpRequest, pk: int, *, form_name: str, make_form: Callable[[Message], Any],
         call: Callable[[Message, dict[str, Any], Any], Any], done: str, anchor: str = "") -> HttpResponse:
    """One action: a form posted to its own URL, the service called, back to the message (or to the list when
    the actor no longer sees it, e.g. after forwarding it away)."""
    message = _message(request, pk)
    form = make_form(message)
    if form.is_valid() and run_service(form, lambda: call(message, form.cleaned_data, form)):
        messages.success(request, done)
        if message_for_actor(actor=request.user, pk=message.pk) is None:
            return redirect("frontdesk:queue_home")
        return _back(message, anchor)
    return _detail(request, message, status=400, **{form_name: form})


@require_POST
@login_required
def message_claim(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    try:
        work.message_claim(actor=request.user, message=message)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message is yours."))
    return _back(message)


@require_POST
@login_required
def message_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="assign_form",
        make_form=lambda message: AssignForm(request.POST, users=selectors_queue.assignable_users(message=message),
                                             auto_id="assign_%s"),
        call=lambda message, data, form: work.message_assign(actor=request.user, message=message,
                                                             assignee=form.chosen()),
        done=_("Assignment saved."))


@require_POST
@login_required
def message_forward(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="forward_form",
        make_form=lambda message: ForwardForm(request.POST, queues=selectors_queue.forward_queues(message=message),
                                              users=selectors_queue.forward_people(message=message),
                                              auto_id="forward_%s"),
        call=lambda message, data, form: work.message_forward(actor=request.user, message=message,
                                                              queue=data.get("queue"), assignee=form.chosen(),
                                                              note=data["note"]),
        done=_("Message forwarded."))


@require_POST
@login_required
def message_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="note_form", make_form=lambda message: NoteForm(request.POST, auto_id="note_%s"),
        call=lambda message, data, form: work.message_note_add(actor=request.user, message=message,
                                                               body=data["body"]),
        done=_("Note added."), anchor="#timeline")


@require_POST
@login_required
def message_priority(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="priority_form",
        make_form=lambda message: PriorityForm(request.POST, auto_id="priority_%s"),
        call=lambda message, data, form: work.message_priority_set(actor=request.user, message=message,
                                                                   priority=data["priority"]),
        done=_("Priority saved."))


@require_POST
@login_required
def message_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="close_form", make_form=lambda message: CloseForm(request.POST, auto_id="close_%s"),
        call=lambda message, data, form: work.message_close(actor=request.user, message=message,
                                                            outcome=data["outcome"], note=data["note"]),
        done=_("Message closed."))


@require_POST
@login_required
def message_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="reopen_form", make_form=lambda message: ReopenForm(request.POST, auto_id="reopen_%s"),
        call=lambda message, data, form: work.message_reopen(actor=request.user, message=message,
                                                             reason=data["reason"]),
        done=_("Message reopened."))


@require_POST
@login_required
def message_reply(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, form_name="reply_form",
        make_form=lambda message: ReplyForm(request.POST, templates=selectors_queue.reply_templates_active(),
                                            fill_url=_fill_url(message)),
        call=lambda message, data, form: replies.message_reply(
            actor=request.user, message=message, body=data["body"], template=data.get("template"),
            close_with=data.get("close_with") or None, waiting=data["waiting"]),
        done=_("Reply sent."), anchor="#timeline")


@require_GET
@login_required
def message_reply_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the reply text filled from the chosen template (?template=pk) for this message."""
    message = _message(request, pk)
    if not may_work(actor=request.user, message=message):
        raise deny(request, permission=WORK, object_type="frontdesk.message", object_id=message.pk)
    template_id = _int(request.GET.get("template"))
    template = (selectors_queue.reply_templates_active().filter(pk=template_id).first()
                if template_id is not None else None)
    body = template_fill(template=template, message=message, actor=request.user)[1] if template else ""
    form = ReplyForm(templates=ReplyTemplate.objects.none(), initial={"body": body})
    return render(request, "frontdesk/queue/_reply_body.html", {"form": form})
