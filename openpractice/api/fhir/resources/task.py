"""Task: facilities work orders (id "wo-<pk>") and front desk messages (id "msg-<pk>"), read and search.

Who sees which kind: facilities.view gives the work orders at the caller's locations (the REST /work-orders
scope); frontdesk.view gives the messages the REST /messages list shows the caller (their locations, practice-wide
ones, and those routed to them). Holding either lets a caller search; they get the kinds they may see, and a
read of the other kind answers 404 (audited).

Messages carry PHI: only what the REST list shows is mapped (subject, queue, assignee id, status, times; the
patient only to roles that see demographics where the message is, never the text or the caller's contact
details). A search records one frontdesk.message_listed event per patient named on the page, a read one
frontdesk.message_viewed event, exactly as /messages does. Work orders hold no patient data (their form says so).

Search across both kinds: each kind's queryset is annotated with the same column names (authored_on, task_kind,
task_status, task_location) so one set of criteria filters both; the page is a UNION of the two key lists
(authoredOn, kind, id) sorted and sliced by the database, then the page's rows are fetched per kind. Cost: two
counts, one sorted union (the database sorts the filtered keys of both kinds, as a single-table search would) and
two fetches by primary key, whatever the page size. Order: authoredOn newest first, then kind, then id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest
from django.utils import timezone

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.web import deny, get_scoped_or_404
from openpractice.facilities import selectors_work_orders
from openpractice.facilities.choices import WorkOrderStatus
from openpractice.facilities.models import WorkOrder
from openpractice.frontdesk import selectors_messages, selectors_queue
from openpractice.frontdesk.choices import MessageStatus
from openpractice.frontdesk.models import Message

from ..base import ResourceType, register
from ..errors import FhirError
from ..mapping import compact, concept, identifier, instant, meta, our_system, period, reference
from ..search import Criteria, choice_token, date, token
from ..search import reference as reference_param

KIND_SYSTEM = our_system("task-kind")
USER_SYSTEM = our_system("user")
WORK_ORDER_NUMBER_SYSTEM = our_system("work-order")
MESSAGE_NUMBER_SYSTEM = our_system("message")
WORK_ORDER_STATUS_SYSTEM = our_system("work-order-status")
MESSAGE_STATUS_SYSTEM = our_system("message-status")
WORK_ORDER, MESSAGE = "wo", "msg"
KIND_CODES = {"work-order": WORK_ORDER, "message": MESSAGE}
KIND_DISPLAY = {WORK_ORDER: "Facilities work order", MESSAGE: "Front desk message"}
KIND_PERMISSION = {WORK_ORDER: Perm.FACILITIES_VIEW, MESSAGE: Perm.FRONTDESK_VIEW}
ID_PATTERN = re.compile(r"^(wo|msg)-([0-9]{1,18})$")

TASK_STATUSES = ("draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress",
                 "on-hold", "failed", "completed", "entered-in-error")
STATUS_OF_WORK_ORDER = {
    WorkOrderStatus.NEW: "requested", WorkOrderStatus.SCHEDULED: "accepted",
    WorkOrderStatus.IN_PROGRESS: "in-progress", WorkOrderStatus.WAITING_FOR_PARTS: "on-hold",
    WorkOrderStatus.DONE: "completed", WorkOrderStatus.VERIFIED: "completed",
    WorkOrderStatus.CANCELLED: "cancelled",
}
STATUS_OF_MESSAGE = {
    MessageStatus.NEW: "requested", MessageStatus.OPEN: "in-progress", MessageStatus.WAITING: "on-hold",
    MessageStatus.CLOSED: "completed",
}
# Both apps keep urgent, high, normal, low; FHIR's request-priority is routine | urgent | asap | stat.
PRIORITY = {"low": "routine", "normal": "routine", "high": "urgent", "urgent": "asap"}
PRIORITIES_OF: dict[str, Sequence[Any]] = {"routine": ["low", "normal"], "urgent": ["high"], "asap": ["urgent"], "stat": []}


def _status_case(mapping: dict[Any, str]) -> Case:
    return Case(*[When(status=ours, then=Value(code)) for ours, code in mapping.items()],
                default=Value("entered-in-error"), output_field=CharField())


def _id_codes(system: str | None, code: str) -> Q:
    match = ID_PATTERN.match(code)
    if match is None:
        raise FhirError(400, "invalid", f"_id: {code!r} is not a Task id (wo-12 or msg-5).", expression=["_id"])
    return Q(task_kind=match.group(1), pk=int(match.group(2)))


def _status_codes(system: str | None, code: str) -> Q:
    if code not in TASK_STATUSES:
        raise FhirError(400, "invalid", f"Unknown status {code!r}; use one of: {', '.join(TASK_STATUSES)}.",
                        expression=["status"])
    return Q(task_status=code)


def _kind_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", KIND_SYSTEM):
        return Q(pk__in=[])
    if code not in KIND_CODES:
        raise FhirError(400, "invalid", "code is work-order or message.", expression=["code"])
    return Q(task_kind=KIND_CODES[code])


@register
class TaskResource(ResourceType):
    name = "Task"
    permissions = (Perm.FACILITIES_VIEW, Perm.FRONTDESK_VIEW)
    documentation = ("Facilities work orders (id wo-<n>, for facilities.view) and front desk messages (id "
                     "msg-<n>, for frontdesk.view), newest first (authoredOn, then kind, then id); a caller gets "
                     f"the kinds they may see. code ({KIND_SYSTEM}) is work-order or message. Reading messages is "
                     "recorded in the audit trail as on the REST API.")
    search_params = {
        "_id": token("_id", "wo-<n> or msg-<n>.", _id_codes),
        "code": token("code", f"The kind ({KIND_SYSTEM}): work-order | message.", _kind_codes),
        "status": token("status", "A FHIR task-status code (requested, accepted, in-progress, on-hold, completed, "
                                  "cancelled occur).", _status_codes),
        "priority": choice_token("priority", "routine (low, normal) | urgent (high) | asap (urgent) | stat.",
                                 "priority", PRIORITIES_OF),
        "authored-on": date("authored-on", "authored_on", "When it was reported or received."),
        "location": reference_param("location", "task_location", "Location", "Where it is."),
    }

    # -- the two kinds ---------------------------------------------------------------------------------------------

    def kinds(self, request: HttpRequest) -> list[str]:
        return [kind for kind, permission in KIND_PERMISSION.items() if can(request.user, permission)]

    def queryset(self, kind: str, request: HttpRequest) -> QuerySet[Any]:
        """The kind's scoped rows with the columns the search parameters name."""
        if kind == WORK_ORDER:
            return selectors_work_orders.work_orders_visible(actor=request.user).annotate(
                authored_on=F("created_at"), task_kind=Value(WORK_ORDER, output_field=CharField()),
                task_status=_status_case(STATUS_OF_WORK_ORDER), task_location=F("location_id"))
        return selectors_messages.messages_visible(actor=request.user).annotate(
            authored_on=F("received_at"), task_kind=Value(MESSAGE, output_field=CharField()),
            task_status=_status_case(STATUS_OF_MESSAGE), task_location=F("location_id"))

    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        filtered = {kind: self.queryset(kind, request).filter(criteria.q()) for kind in self.kinds(request)}
        total = sum(queryset.count() for queryset in filtered.values())
        if not criteria.count or criteria.offset >= total:
            return total, []
        keys = [queryset.order_by().values_list("authored_on", "task_kind", "pk") for queryset in filtered.values()]
        combined = keys[0].union(*keys[1:], all=True) if len(keys) > 1 else keys[0]
        page_keys = list(combined.order_by("-authored_on", "task_kind", "-pk")
                         [criteria.offset:criteria.offset + criteria.count])
        wanted: dict[str, list[int]] = {}
        for _authored, kind, pk in page_keys:
            wanted.setdefault(kind, []).append(pk)
        rows = {(kind, obj.pk): obj for kind, pks in wanted.items()
                for obj in filtered[kind].filter(pk__in=pks)}
        return total, [rows[(kind, pk)] for _authored, kind, pk in page_keys if (kind, pk) in rows]

    def read(self, request: HttpRequest, ident: str) -> Any:
        match = ID_PATTERN.match(ident)
        if match is None:
            raise FhirError(400, "invalid", f"{ident!r} is not a Task id (wo-12 or msg-5).")
        kind, pk = match.group(1), int(match.group(2))
        model = WorkOrder if kind == WORK_ORDER else Message
        if kind not in self.kinds(request):
            if model.objects.filter(pk=pk).exists():
                raise deny(request, permission=KIND_PERMISSION[kind], object_type=model._meta.label_lower,
                           object_id=pk)
            raise Http404()
        found = get_scoped_or_404(request, self.queryset(kind, request), permission=KIND_PERMISSION[kind], pk=pk)
        found.fhir_single_read = True  # a read of one message is audited as a message view, not a list row
        return found

    # -- rendering -------------------------------------------------------------------------------------------------

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        for obj in objects:
            if isinstance(obj, Message):
                setattr(obj, "fhir_patient_shown", selectors_queue.patient_shown(request.user, obj))  # noqa: B010

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        messages = [obj for obj in objects if isinstance(obj, Message)]
        single = [message for message in messages if getattr(message, "fhir_single_read", False)]
        for message in single:
            selectors_queue.message_viewed(actor=request.user, message=message)
        listed = [message for message in messages if message not in single]
        if listed:
            selectors_queue.messages_listed(actor=request.user, rows=selectors_queue.rows_for(
                actor=request.user, messages=listed, now=timezone.now()))

    def to_resource(self, obj: Any, request: HttpRequest) -> dict[str, Any]:
        if isinstance(obj, WorkOrder):
            return self._work_order(obj)
        return self._message(obj)

    def _work_order(self, order: WorkOrder) -> dict[str, Any]:
        if order.vendor_id is not None:
            owner: dict[str, Any] | None = {"display": order.vendor.name}  # type: ignore[union-attr]
        elif order.assigned_to_id is not None:
            owner = {"identifier": identifier(USER_SYSTEM, str(order.assigned_to_id))}
        else:
            owner = None
        return compact({
            "resourceType": "Task",
            "id": f"{WORK_ORDER}-{order.pk}",
            "meta": meta(order.updated_at),
            "identifier": [identifier(WORK_ORDER_NUMBER_SYSTEM, order.number)],
            "status": STATUS_OF_WORK_ORDER.get(order.status, "entered-in-error"),  # type: ignore[call-overload]
            "businessStatus": concept(WORK_ORDER_STATUS_SYSTEM, order.status, order.get_status_display()),
            "intent": "order",
            "priority": PRIORITY.get(order.priority, "routine"),
            "code": concept(KIND_SYSTEM, "work-order", KIND_DISPLAY[WORK_ORDER],
                            text=f"{KIND_DISPLAY[WORK_ORDER]} ({order.get_source_display()})"),
            "description": order.title,
            "for": reference("Device", order.asset_id, order.asset.name) if order.asset_id else None,  # type: ignore[union-attr]
            "executionPeriod": period(order.responded_at or order.scheduled_for, order.completed_at),
            "authoredOn": instant(order.created_at),
            "lastModified": instant(order.updated_at),
            "owner": owner,
            "location": reference("Location", order.location_id, order.location.name),
            "restriction": {"period": period(None, order.resolve_by or order.due_on)}
            if order.resolve_by or order.due_on else None,
        })

    def _message(self, message: Message) -> dict[str, Any]:
        if message.assignee_id is not None:
            owner: dict[str, Any] = {"identifier": identifier(USER_SYSTEM, str(message.assignee_id))}
        else:
            owner = {"display": message.queue.name}
        shown = getattr(message, "fhir_patient_shown", False)
        return compact({
            "resourceType": "Task",
            "id": f"{MESSAGE}-{message.pk}",
            "meta": meta(message.updated_at),
            "identifier": [identifier(MESSAGE_NUMBER_SYSTEM, message.number)],
            "status": STATUS_OF_MESSAGE.get(message.status, "entered-in-error"),  # type: ignore[call-overload]
            "businessStatus": concept(MESSAGE_STATUS_SYSTEM, message.status, message.get_status_display()),
            "intent": "order",
            "priority": PRIORITY.get(message.priority, "routine"),
            "code": concept(KIND_SYSTEM, "message", KIND_DISPLAY[MESSAGE],
                            text=f"{KIND_DISPLAY[MESSAGE]} ({message.get_channel_display()}, "
                                 f"{message.get_category_display()})"),
            "description": message.subject,
            "for": reference("Patient", message.patient_id) if shown and message.patient_id else None,
            "executionPeriod": period(message.first_response_at, message.closed_at),
            "authoredOn": instant(message.received_at),
            "lastModified": instant(message.updated_at),
            "owner": owner,
            "location": reference("Location", message.location_id, message.location.name)  # type: ignore[union-attr]
            if message.location_id else None,
            "restriction": {"period": period(None, message.resolve_due)},
        })
