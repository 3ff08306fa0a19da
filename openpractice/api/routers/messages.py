"""/messages: front desk messages (calls, emails, web-form and internal messages) the caller sees — the front desk
and managers at their locations, and anyone a message was routed to whatever their role
(frontdesk.selectors_messages). A message's patient shows only to roles that see demographics where it is, its
claim only to billing roles. Reading one message is a PHI read: one audit event per message read, and one per
patient named on a list page.

Creating: a phone call logged at the desk (frontdesk.manage where it is) or a message to a colleague or a queue
(anyone on the staff). Changing: priority, category and closing with an outcome, for those who may work the
message (its assignee, the people it was routed to, frontdesk.manage where it is), through the same services as
the web pages. Replies by email, forwarding, assignment and links stay in the web interface. Anything out of sight
answers 404 (audited); refusals change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.permissions import locations_where, reachable_location_ids, refuse
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.frontdesk import selectors_messages, selectors_queue
from openpractice.frontdesk.choices import Category, Channel, MessageStatus, Outcome, Priority
from openpractice.frontdesk.models import Message, Queue
from openpractice.frontdesk.services import calls, internal, work
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import refuse_nulls, unknown

router = Router(tags=["messages"])
MAX_ID = 2_147_483_647
SEEN = "a message the caller may see"


class MessageOut(Schema):
    """A row of the list: who it is from and where it stands; not the text (read one message at a time)."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5127, "number": "MSG-2026-05127", "channel": "phone", "status": "open", "priority": "normal",
         "category": "prescription", "subject": "Refill request: lisinopril 10 mg", "sender_name": "Jordan Sample",
         "sender_user_id": None, "queue_id": 2, "queue": "Clinical – Raleigh", "assignee_id": 31, "location_id": 1,
         "patient_id": 1042, "received_at": "2026-11-23T14:12:00Z", "first_response_due": "2026-11-23T18:12:00Z",
         "resolve_due": "2026-11-24T14:12:00Z", "first_response_at": "2026-11-23T15:40:18Z", "closed_at": None,
         "outcome": "", "first_response_breached": False, "resolve_breached": False}]}}

    id: int
    number: str = Field(description="MSG-000042")
    channel: str = Field(description="phone, email, web or internal")
    status: str = Field(description="new, open, waiting or closed")
    priority: str = Field(description="urgent, high, normal or low")
    category: str
    subject: str
    sender_name: str
    sender_user_id: int | None = Field(description="The staff member who wrote an internal message")
    queue_id: int
    queue: str
    assignee_id: int | None
    location_id: int | None = Field(description="Empty: practice-wide")
    patient_id: int | None = Field(description="Shown only to roles that see demographics where the message is")
    received_at: dt.datetime
    first_response_due: dt.datetime
    resolve_due: dt.datetime
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    first_response_breached: bool
    resolve_breached: bool


class EntryOut(Schema):
    id: int
    kind: str = Field(description="inbound, reply, note, routed, claimed, assigned, forwarded, linked, callback, "
                                  "escalated, status, loop")
    created_at: dt.datetime
    author_id: int | None
    body: str
    to_queue_id: int | None
    to_user_id: int | None


class MessageDetailOut(MessageOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5127, "number": "MSG-2026-05127", "channel": "phone", "status": "open", "priority": "normal",
         "category": "prescription", "subject": "Refill request: lisinopril 10 mg", "sender_name": "Jordan Sample",
         "sender_user_id": None, "queue_id": 2, "queue": "Clinical – Raleigh", "assignee_id": 31, "location_id": 1,
         "patient_id": 1042, "received_at": "2026-11-23T14:12:00Z", "first_response_due": "2026-11-23T18:12:00Z",
         "resolve_due": "2026-11-24T14:12:00Z", "first_response_at": "2026-11-23T15:40:18Z", "closed_at": None,
         "outcome": "", "first_response_breached": False, "resolve_breached": False,
         "body": "Out of lisinopril on Friday; please send to the Walgreens on Glenwood.", "sender_email": "",
         "sender_phone": "919-555-0100", "callback_number": "919-555-0100", "outcome_note": "", "claim_id": None,
         "appointment_id": None, "case_id": None, "work_order_id": None, "may_work": True,
         "timeline": [{"id": 20331, "kind": "inbound", "created_at": "2026-11-23T14:12:00Z", "author_id": 6, "body": "Call logged by the front desk", "to_queue_id": None, "to_user_id": None}, {"id": 20338, "kind": "assigned", "created_at": "2026-11-23T15:40:18Z", "author_id": 31, "body": "", "to_queue_id": None, "to_user_id": 31}]}]}}
    body: str = Field(description="What the sender wrote")
    sender_email: str
    sender_phone: str
    callback_number: str
    outcome_note: str
    claim_id: int | None = Field(description="Shown only to billing roles where the message is")
    appointment_id: int | None
    case_id: int | None
    work_order_id: int | None
    may_work: bool = Field(description="Whether you may change it")
    timeline: list[EntryOut] = Field(description="Oldest first")


class MessageIn(Schema):
    channel: Literal["phone", "internal"] = Field(description="phone: a call logged at the desk "
                                                              f"(needs `{Perm.FRONTDESK_MANAGE}` there); internal: "
                                                              "a message to a colleague or a queue")
    subject: str = Field("", max_length=200, description="Calls: empty gives the reason and the caller")
    body: str = Field(min_length=1, max_length=5000, examples=["Wants to move Tuesday's visit to Friday."])
    category: Category = Category.OTHER
    priority: Priority | None = Field(None, description="Empty: as routing decides")
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="Calls: where you log calls (empty only "
                                    "if you do so everywhere); internal: a location you work at, or none")
    patient_id: int | None = Field(None, ge=1, le=MAX_ID, description="A patient you may see")
    caller_name: str = Field("", max_length=120, description="Calls")
    phone: str = Field("", max_length=20, description="Calls: the number the call came from")
    callback_number: str = Field("", max_length=20, description="Calls: empty calls back the caller's number")
    callback_due_at: dt.datetime | None = Field(None, description="Calls: a callback is needed by then")
    recipient_id: int | None = Field(None, ge=1, le=MAX_ID, description="Internal: an active colleague")
    queue_id: int | None = Field(None, ge=1, le=MAX_ID, description="Internal: an active queue (or a colleague)")


class MessagePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"outcome_note": "Called back; refill request sent to the provider"}]}}
    priority: Priority | None = None
    category: Category | None = None
    status: Literal["closed"] | None = Field(None, description="closed: close it (needs outcome)")
    outcome: Outcome | None = Field(None, description="How it ended (with status closed)")
    outcome_note: str = Field("", max_length=500)


class MessageFilter(PageIn):
    status: str = Field("", pattern=f"^(|all|{'|'.join(MessageStatus.values)})$",
                        description="new, open (in progress), waiting, closed; empty or all: any status")
    open: bool = Field(False, description="Every status but closed")
    queue_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: Channel | None = None
    assignee: str = Field("", pattern=r"^(|me|none|\d{1,10})$", description="me, none, or a user id")
    location_id: int | None = Field(None, ge=1, le=MAX_ID)


# --- reading --------------------------------------------------------------------------------------------------


def _row(message: Message, actor: Any, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": message.pk, "number": message.number, "channel": message.channel, "status": message.status,
        "priority": message.priority, "category": message.category, "subject": message.subject,
        "sender_name": message.sender_name, "sender_user_id": message.sender_user_id, "queue_id": message.queue_id,
        "queue": message.queue.name, "assignee_id": message.assignee_id, "location_id": message.location_id,
        "patient_id": message.patient_id if selectors_queue.patient_shown(actor, message) else None,
        "received_at": message.received_at, "first_response_due": message.first_response_due,
        "resolve_due": message.resolve_due, "first_response_at": message.first_response_at,
        "closed_at": message.closed_at, "outcome": message.outcome,
        "first_response_breached": message.first_response_breached(now),
        "resolve_breached": message.resolve_breached(now),
    }


def _detail(message: Message, actor: Any) -> dict[str, Any]:
    view = selectors_messages.message_view_for(actor=actor, message=message)
    return {
        **_row(message, actor, timezone.now()),
        "patient_id": message.patient_id if view.patient else None,
        "body": message.body, "sender_email": message.sender_email, "sender_phone": message.sender_phone,
        "callback_number": message.callback_number, "outcome_note": message.outcome_note,
        "claim_id": message.claim_id if view.claim else None,
        "appointment_id": message.appointment_id if view.patient else None,
        "case_id": message.case_id, "work_order_id": message.work_order_id, "may_work": view.may_work,
        "timeline": selectors_queue.timeline(message),
    }


def _message(request: HttpRequest, message_id: int) -> Message:
    return get_scoped_or_404(request, selectors_messages.messages_visible(actor=request.user), permission=SEEN,
                             pk=message_id)


def _read(request: HttpRequest, message: Message) -> dict[str, Any]:
    selectors_queue.message_viewed(actor=request.user, message=message)
    return _detail(message, request.user)


@router.get("", response={200: Page[MessageOut], **COMMON_RESPONSES}, url_name="message_list",
            summary="Messages you see",
            description="The messages at the locations where you hold `frontdesk.view`, and those routed to you "
                        "(assigned, in a queue you work, written by you), newest first.")
def message_list(request: HttpRequest, filters: Query[MessageFilter]) -> Any:
    actor = request.user
    queryset: QuerySet[Message] = selectors_messages.messages_visible(actor=actor)
    if filters.open:
        queryset = queryset.exclude(status=MessageStatus.CLOSED)
    if filters.status and filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.queue_id is not None:
        queryset = queryset.filter(queue_id=filters.queue_id)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee_id=actor.pk)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    now = timezone.now()
    page = paginate(queryset.order_by("-received_at", "-pk"), filters)
    messages: list[Message] = page["items"]
    selectors_queue.messages_listed(actor=actor, rows=selectors_queue.rows_for(actor=actor, messages=messages,
                                                                                 now=now))
    page["items"] = [_row(message, actor, now) for message in messages]
    return page


@router.get("/{int:message_id}", response={200: MessageDetailOut, **COMMON_RESPONSES}, url_name="message_detail",
            summary="One message with its timeline",
            description="A message you see. Each read is an audit event naming the patient it is about.")
def message_detail(request: HttpRequest, message_id: int) -> Any:
    return _read(request, _message(request, message_id))


# --- creating -------------------------------------------------------------------------------------------------


def _patient(request: HttpRequest, patient_id: int | None) -> Patient | None:
    if patient_id is None:
        return None
    patient = patient_scoped(actor=request.user).filter(pk=patient_id).first()
    if patient is None:
        raise unknown("patient_id", patient_id, "patient")
    return patient


def _log_call(request: HttpRequest, payload: MessageIn) -> Message:
    require(request, Perm.FRONTDESK_MANAGE)
    location = None
    if payload.location_id is not None:
        location = locations_where(request.user, Perm.FRONTDESK_MANAGE).filter(pk=payload.location_id).first()
        if location is None:
            raise unknown("location_id", payload.location_id, "location where you log calls")
    logged = calls.call_log(actor=request.user, caller_name=payload.caller_name, phone=payload.phone,
                            body=payload.body, category=payload.category, location=location,
                            priority=payload.priority or "", patient=_patient(request, payload.patient_id),
                            callback_number=payload.callback_number, callback_due_at=payload.callback_due_at,
                            subject=payload.subject)
    return logged.message


def _send_internal(request: HttpRequest, payload: MessageIn) -> Message:
    recipient = queue = location = None
    if payload.recipient_id is not None:
        recipient = internal.staff_colleagues(actor=request.user).filter(pk=payload.recipient_id).first()
        if recipient is None:
            raise unknown("recipient_id", payload.recipient_id, "active colleague")
    if payload.queue_id is not None:
        queue = Queue.objects.filter(pk=payload.queue_id, is_active=True).first()
        if queue is None:
            raise unknown("queue_id", payload.queue_id, "active queue")
    if payload.location_id is not None:
        reachable = reachable_location_ids(request.user)
        location = Location.objects.filter(pk=payload.location_id).first()
        if location is None or (reachable is not None and location.pk not in reachable):
            raise unknown("location_id", payload.location_id, "location you work at")
    return internal.internal_send(actor=request.user, subject=payload.subject, body=payload.body,
                                  recipient=recipient, queue=queue, patient=_patient(request, payload.patient_id),
                                  location=location, priority=payload.priority or "", category=payload.category)


@router.post("", response={201: MessageDetailOut, **WRITE_RESPONSES}, url_name="message_create",
             summary="Log a call or write to a colleague",
             description=f"channel phone: a call logged at the desk (`{Perm.FRONTDESK_MANAGE}` at location_id; "
                         "optionally a callback by callback_due_at, for the person it is routed to or you). channel "
                         "internal: anyone on the staff, to recipient_id or queue_id (one of them). A patient must "
                         "be one you may see. The message is routed like any other.")
def message_create(request: HttpRequest, payload: MessageIn) -> Any:
    message = _log_call(request, payload) if payload.channel == Channel.PHONE else _send_internal(request, payload)
    return Status(201, _detail(_message(request, message.pk), request.user))


# --- changing -------------------------------------------------------------------------------------------------


@router.patch("/{int:message_id}", response={200: MessageDetailOut, **WRITE_RESPONSES},
              url_name="message_update", summary="Change priority or category, or close a message",
              description="For those who may work the message. All or nothing. Closing needs an outcome; a closed "
                          "message refuses every change (reopen it in the web interface).")
def message_update(request: HttpRequest, message_id: int, payload: MessagePatchIn) -> Any:
    message = _message(request, message_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls({key: value for key, value in data.items() if key != "outcome_note"})
    if data.get("status") == "closed" and not data.get("outcome"):
        raise ValidationError({"outcome": _("Say how the message ended to close it.")})
    if "outcome" in data and data.get("status") != "closed":
        raise ValidationError({"outcome": _("An outcome goes with status closed.")})
    if not selectors_messages.may_work(actor=request.user, message=message):
        # Before any transaction: the refusal stays on record.
        raise refuse(actor=request.user, permission=work.WORK_PERMISSION, action="frontdesk.message_update",
                     target=message)
    with transaction.atomic():
        if "priority" in data:
            work.message_priority_set(actor=request.user, message=message, priority=data["priority"])
        if "category" in data:
            work.message_category_set(actor=request.user, message=message, category=data["category"])
        if data.get("status") == "closed":
            work.message_close(actor=request.user, message=message, outcome=data["outcome"],
                               note=data.get("outcome_note", ""))
    return _read(request, _message(request, message.pk))
