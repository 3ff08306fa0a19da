"""/routing-rules: the front desk's routing rules, in the order they are tried (frontdesk.configure). The first
active rule whose conditions all hold decides a new message's queue, assignee, priority and service levels; none
matching sends it to the default queue.

Reading: every rule, for those who configure the front desk anywhere (rules are practice configuration). Creating
and changing: a rule at a location needs frontdesk.configure there; a practice-wide one (no location) needs it at
every location. A rule out of reach answers 404 (audited) and nothing changes; mistakes (an unknown channel, half a
time window, an assignee who does not work the queue, assign-to together with round-robin) answer 422 naming the
field. Reordering by moving up or down stays in the web interface; `position` sets the order here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.frontdesk import selectors_rules
from openpractice.frontdesk.choices import Priority, RuleHours
from openpractice.frontdesk.models import Queue, RoutingRule
from openpractice.frontdesk.services import rules as services
from openpractice.scheduling.models import Provider

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.common import LocalTime
from ..schemas.supply import referenced, refuse_nulls

router = Router(tags=["routing-rules"])
MAX_ID = 2_147_483_647
CONFIGURE = Perm.FRONTDESK_CONFIGURE


class RuleOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 8, "name": "Refill requests to clinical", "position": 2, "is_active": True, "channels": ["phone", "web"],
         "categories": ["prescription"], "subject_words": "refill, prescription", "body_words": "",
         "sender_contains": "", "location_id": 1, "provider_id": None, "hours": "any", "time_from": None,
         "time_to": None, "queue_id": 2, "queue": "Clinical – Raleigh", "assign_to_id": None, "round_robin": True,
         "priority": "normal", "first_response_minutes": 240, "resolve_minutes": 1440, "matched_count": 318,
         "created_at": "2025-02-03T15:10:00Z", "updated_at": "2026-05-12T12:00:00Z"}]}}
    id: int
    name: str
    position: int = Field(description="Rules are tried by position, then id")
    is_active: bool
    channels: list[str] = Field(description="phone, email, web, internal; empty: every channel")
    categories: list[str] = Field(description="Empty: every category")
    subject_words: str = Field(description="Comma-separated words or phrases, whole words, any case")
    body_words: str = Field(description="As subject_words, over the subject and the text")
    sender_contains: str
    location_id: int | None = Field(description="Only messages at this location; empty: practice-wide")
    provider_id: int | None = Field(description="Only messages whose patient's next (else last) visit is with them")
    hours: str = Field(description="any, open (while the location is open) or closed (out of hours)")
    time_from: LocalTime | None = Field(description="Practice-local; a window may pass midnight")
    time_to: LocalTime | None
    queue_id: int
    queue: str
    assign_to_id: int | None
    round_robin: bool
    priority: str = Field(description="Empty: keep (normal unless the caller chose)")
    first_response_minutes: int | None = Field(description="Empty: the queue's")
    resolve_minutes: int | None
    matched_count: int = Field(description="Messages this rule has decided")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_queue(obj: RoutingRule) -> str:
        return obj.queue.name


class RulePatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=MAX_ID)
    is_active: bool | None = None
    channels: list[str] | None = Field(None, max_length=10, examples=[["email", "web"]])
    categories: list[str] | None = Field(None, max_length=20, examples=[["billing"]])
    subject_words: str | None = Field(None, max_length=500, examples=["refill, prior auth"])
    body_words: str | None = Field(None, max_length=500)
    sender_contains: str | None = Field(None, max_length=200, examples=["@bcbs.com"])
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: practice-wide")
    provider_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: any provider")
    hours: RuleHours | None = None
    time_from: LocalTime | None = Field(None, description="Give both ends or neither; null clears")
    time_to: LocalTime | None = None
    queue_id: int | None = Field(None, ge=1, le=MAX_ID)
    assign_to_id: int | None = Field(None, ge=1, le=MAX_ID, description="A member of the queue or a holder of its "
                                                                        "role; null: nobody")
    round_robin: bool | None = Field(None, description="Not together with assign_to_id")
    priority: Priority | None = Field(None, description="null: keep")
    first_response_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30, description="null: the queue's")
    resolve_minutes: int | None = Field(None, ge=1, le=60 * 24 * 90, description="null: the queue's")


class RuleIn(RulePatchIn):
    name: str = Field(min_length=1, max_length=100, examples=["Billing questions"])  # type: ignore[assignment]
    queue_id: int = Field(ge=1, le=MAX_ID, examples=[3])  # type: ignore[assignment]
    position: int | None = Field(None, ge=0, le=MAX_ID, description="Empty: after the last rule")


class RuleFilter(PageIn):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) rules")
    queue_id: int | None = Field(None, ge=1, le=MAX_ID)


_NULLABLE = ("location_id", "provider_id", "time_from", "time_to", "assign_to_id", "priority",
             "first_response_minutes", "resolve_minutes", "position")


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from a request body: ids become the objects (unknown ids: 422)."""
    fields: dict[str, Any] = {}
    references = {"queue_id": ("queue", Queue.objects.all(), "queue"),
                  "location_id": ("location", Location.objects.all(), "location"),
                  "provider_id": ("provider", Provider.objects.all(), "provider"),
                  "assign_to_id": ("assign_to", User.objects.filter(is_active=True), "active user")}
    for key, value in data.items():
        if key in references:
            name, queryset, what = references[key]
            fields[name] = referenced(queryset, key, value, what)
        elif key == "priority":
            fields[key] = value or ""
        elif key == "hours":
            fields[key] = str(value)
        else:
            fields[key] = value
    return fields


def _rule(request: HttpRequest, rule_id: int) -> RoutingRule:
    return get_scoped_or_404(request, selectors_rules.rules_in_order(), permission=CONFIGURE, pk=rule_id)


@router.get("", response={200: Page[RuleOut], **COMMON_RESPONSES}, url_name="routing_rule_list",
            summary="Routing rules in the order they are tried",
            description=f"Needs `{CONFIGURE}`.")
def routing_rule_list(request: HttpRequest, filters: Query[RuleFilter]) -> Any:
    require(request, CONFIGURE)
    queryset = selectors_rules.rules_in_order()
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.queue_id is not None:
        queryset = queryset.filter(queue_id=filters.queue_id)
    return paginate(queryset, filters)


@router.get("/{int:rule_id}", response={200: RuleOut, **COMMON_RESPONSES}, url_name="routing_rule_detail",
            summary="One routing rule", description=f"Needs `{CONFIGURE}`.")
def routing_rule_detail(request: HttpRequest, rule_id: int) -> Any:
    require(request, CONFIGURE)
    return _rule(request, rule_id)


@router.post("", response={201: RuleOut, **WRITE_RESPONSES}, url_name="routing_rule_create",
             summary="Create a routing rule",
             description=f"Needs `{CONFIGURE}` where the rule applies (its location; practice-wide: every "
                         "location). Without a position it goes after the last rule.")
def routing_rule_create(request: HttpRequest, payload: RuleIn) -> Any:
    require(request, CONFIGURE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, _NULLABLE)
    rule = services.rule_save(actor=request.user, rule=None, **_fields(data))
    return Status(201, selectors_rules.rules_in_order().get(pk=rule.pk))


@router.patch("/{int:rule_id}", response={200: RuleOut, **WRITE_RESPONSES}, url_name="routing_rule_update",
              summary="Change a routing rule",
              description=f"Needs `{CONFIGURE}` where the rule applies, before and after the change. Only the "
                          "fields sent change; null clears the fields that may be empty. `is_active: false` "
                          "deactivates it. All or nothing.")
def routing_rule_update(request: HttpRequest, rule_id: int, payload: RulePatchIn) -> Any:
    require(request, CONFIGURE)
    rule = get_scoped_or_404(request, selectors_rules.rules_configurable(actor=request.user), permission=CONFIGURE,
                             pk=rule_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, _NULLABLE)
    services.rule_save(actor=request.user, rule=rule, **_fields(data))
    return selectors_rules.rules_in_order().get(pk=rule.pk)
