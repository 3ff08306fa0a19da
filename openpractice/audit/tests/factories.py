from __future__ import annotations

from typing import Any

from openpractice.audit import context
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record


def record_events(count: int, *, actor: Any = None, action: str = "test.happened", **fields: Any) -> list[AuditEvent]:
    """Append `count` real chained events through the service (the chain must stay valid)."""
    return [record(actor=actor, action=action, object_type="test.thing", object_id=str(i), **fields)
            for i in range(count)]


def bound_request_context(ip_address: str | None = None, user_agent: str = "") -> object:
    return context.bind(context.RequestContext(ip_address=ip_address, user_agent=user_agent))
