"""Routing rules (frontdesk.configure): create, change, deactivate, reorder.

A rule at a location is configured by those holding frontdesk.configure there; a practice-wide rule (no location
condition) by those holding it at every location. Anyone else is refused: audited, nothing changes.
`rule_build` checks a rule without saving it (the form's "Test on recent messages" uses it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import Category, Channel
from ..models import RoutingRule
from ..routing import split_words
from ..selectors_rules import may_configure, user_may_take_queue

RULE_FIELDS = ("name", "position", "is_active", "channels", "categories", "subject_words", "body_words",
               "sender_contains", "location", "provider", "hours", "time_from", "time_to", "queue", "assign_to",
               "round_robin", "priority", "first_response_minutes", "resolve_minutes")
POSITION_STEP = 10


def _clean_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"rule fields unknown: {sorted(unknown)}")
    values = dict(fields)
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
    for name in ("subject_words", "body_words"):
        if name in values:
            values[name] = ", ".join(split_words(str(values[name] or "")))
    if "sender_contains" in values:
        values["sender_contains"] = str(values["sender_contains"] or "").strip()
    for name in ("channels", "categories"):
        if name in values:
            values[name] = list(dict.fromkeys(str(item) for item in (values[name] or [])))
    if "priority" in values and values["priority"] is None:
        values["priority"] = ""
    return values


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def rule_check(rule: RoutingRule) -> None:
    """Everything a rule must be, with a message on the field to correct."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    unknown = [item for item in rule.channels or [] if item not in Channel.values]
    if unknown:
        add("channels", _("Unknown channel: %(names)s. Choose from %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(Channel.values)})
    unknown = [item for item in rule.categories or [] if item not in Category.values]
    if unknown:
        add("categories", _("Unknown category: %(names)s. Choose from %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(Category.values)})
    if (rule.time_from is None) != (rule.time_to is None):
        missing = "time_to" if rule.time_to is None else "time_from"
        add(missing, _("Give both ends of the time window, or neither."))
    elif rule.time_from is not None and rule.time_from == rule.time_to:
        add("time_to", _("The window must end at another time than it starts (it may pass midnight)."))
    queue = rule.queue if rule.queue_id else None
    if queue is None:
        add("queue", _("Choose the queue the messages go to."))
    elif not queue.is_active:
        add("queue", _("This queue is no longer in use."))
    if rule.assign_to_id and rule.round_robin:
        add("assign_to", _("Either assign to one person or take turns among the queue's members, not both."))
    elif rule.assign_to_id and queue is not None and not user_may_take_queue(user=rule.assign_to, queue=queue):
        add("assign_to", _("%(person)s is not a member of %(queue)s and does not hold its role.") % {
            "person": _name(rule.assign_to), "queue": queue.name})
    elif rule.round_robin and queue is not None and not queue.role and not queue.memberships.exists():
        add("round_robin", _("%(queue)s has no members to take turns.") % {"queue": queue.name})
    if errors:
        raise ValidationError(errors)
    rule.full_clean()


def rule_build(*, rule: RoutingRule | None = None, **fields: Any) -> RoutingRule:
    """An unsaved rule (a copy of `rule` with `fields` changed), checked; raises ValidationError. Saves nothing."""
    values = _clean_values(fields)
    draft = RoutingRule()
    if rule is not None:  # a copy of its values (not of the instance: that would share its related-object cache)
        for field in RoutingRule._meta.concrete_fields:
            setattr(draft, field.attname, getattr(rule, field.attname))
        draft._state.adding, draft._state.db = False, rule._state.db
    for name, value in values.items():
        setattr(draft, name, value)
    if draft.position is None:
        draft.position = 0
    rule_check(draft)
    return draft


def _refuse_unless_configures(actor: Any, action: str, rule: RoutingRule | None, location: Any) -> None:
    location_id = getattr(location, "pk", location)
    if not may_configure(actor, location_id) or (rule is not None and not may_configure(actor, rule.location_id)):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action=action, target=rule)


def rule_save(*, actor: Any, rule: RoutingRule | None, **fields: Any) -> RoutingRule:
    """Create (rule None) or change a rule. A new rule without a position goes last. Refused (audited, nothing
    changes) unless the actor configures the front desk where the rule applies, before and after the change."""
    action = "frontdesk.rule_create" if rule is None else "frontdesk.rule_change"
    location = fields.get("location", rule.location_id if rule is not None else None)
    _refuse_unless_configures(actor, action, rule, location)
    values = _clean_values(fields)
    with transaction.atomic():
        if rule is None:
            target = RoutingRule()
            if values.get("position") is None:
                # Two rules created at once may share a position: the order falls back to their ids.
                last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
                values["position"] = (last or 0) + POSITION_STEP
            changed = sorted(name for name in values if name in RULE_FIELDS)
        else:
            target = RoutingRule.objects.select_for_update().get(pk=rule.pk)
            if values.get("position") is None:
                values.pop("position", None)
            changed = [name for name, value in values.items() if _differs(target, name, value)]
        for name in changed:
            setattr(target, name, values[name])
        rule_check(target)
        if rule is None:
            target.save(force_insert=True)
        elif changed:
            target.save(update_fields=[*changed, "updated_at"])
        if rule is None or changed:
            record(actor=actor, action="frontdesk.rule_saved", target=target, location_id=target.location_id,
                   changed_fields=changed, reason="created" if rule is None else "changed")
    return target


def _differs(rule: RoutingRule, name: str, value: Any) -> bool:
    field = RoutingRule._meta.get_field(name)
    if field.is_relation:
        return bool(getattr(rule, str(getattr(field, "attname", name))) != getattr(value, "pk", value))
    return bool(getattr(rule, name) != value)


def rule_deactivate(*, actor: Any, rule: RoutingRule) -> RoutingRule:
    return rule_save(actor=actor, rule=rule, is_active=False)


def rule_move(*, actor: Any, rule: RoutingRule, direction: str) -> RoutingRule:
    """Swap the rule with the one before ("up") or after ("down") it in the order rules are tried, renumbering
    the positions 10, 20, 30 …; at either end nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a rule up or down."))
    _refuse_unless_configures(actor, "frontdesk.rule_move", rule, rule.location_id)
    with transaction.atomic():
        ordered = list(RoutingRule.objects.select_for_update().order_by("position", "pk"))
        index = next(i for i, other in enumerate(ordered) if other.pk == rule.pk)
        other_index = index - 1 if direction == "up" else index + 1
        if not 0 <= other_index < len(ordered):
            return ordered[index]
        ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
        renumbered = []
        now = timezone.now()
        for number, item in enumerate(ordered, start=1):
            if item.position != number * POSITION_STEP:
                item.position, item.updated_at = number * POSITION_STEP, now
                renumbered.append(item)
        RoutingRule.objects.bulk_update(renumbered, ["position", "updated_at"])
        moved = ordered[other_index]
        record(actor=actor, action="frontdesk.rule_moved", target=moved, location_id=moved.location_id,
               changed_fields=["position"], reason=direction)
    return moved
