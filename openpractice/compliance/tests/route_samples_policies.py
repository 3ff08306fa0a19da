"""Policy samples for tests/test_routes.py: one function per route kind, `(world, actor) -> (in scope, out of scope)`.

Policies, versions, attachments and campaigns are practice-wide (no out-of-scope object: None). The sample policy
has version 1 in force and version 2 in draft: holders of compliance.view get the draft (and its attachment), so
the manage pages open; everyone else gets what is in force, which every signed-in user may read.
An acknowledgement request is self-service: the actor's own, and someone else's outside their scope.
"""

from __future__ import annotations

from typing import Any

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from .factories_policies import PolicyAttachmentFactory, PolicyVersionFactory, campaign_for, published_version


def _world(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_compliance_policy_samples", {})
    if not cache:
        current = published_version(owner=world.stranger, title="Minimum necessary")
        draft = PolicyVersionFactory(policy=current.policy, number=2, author=world.stranger)
        cache.update(policy=current.policy, current=current, draft=draft,
                     current_file=PolicyAttachmentFactory(version=current),
                     draft_file=PolicyAttachmentFactory(version=draft),
                     campaign=campaign_for(current, [world.stranger], created_by=world.stranger))
    return cache


def _views(actor: Any) -> bool:
    return actor is not None and can(actor, Perm.COMPLIANCE_VIEW)


def policies(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["policy"], None


def versions(world: Any, actor: Any) -> tuple[Any, None]:
    cache = _world(world)
    return (cache["draft"] if _views(actor) else cache["current"]), None


def attachments(world: Any, actor: Any) -> tuple[Any, None]:
    cache = _world(world)
    return (cache["draft_file"] if _views(actor) else cache["current_file"]), None


def campaigns(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["campaign"], None


def ackrequests(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _world(world)
    campaign = cache["campaign"]
    others = campaign.requests.get(user=world.stranger)
    if actor is None or actor.pk == world.stranger.pk:
        return others, None
    key = f"request-{actor.pk}"
    if key not in cache:
        cache[key] = campaign.requests.create(user=actor, due_on=campaign.due_on)
    return cache[key], others
