"""Where a request came from (address, browser), remembered for the audit rows the request writes."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""


_current: ContextVar[RequestContext] = ContextVar("openpractice_audit_context", default=RequestContext())  # noqa: B039 - frozen, so never mutated


def current() -> RequestContext:
    return _current.get()


def bind(context: RequestContext) -> object:
    return _current.set(context)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
