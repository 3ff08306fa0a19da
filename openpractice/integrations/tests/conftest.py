from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.integrations.models import WebhookEvent, WebhookSubscription
from openpractice.integrations.services_webhooks import subscription_create


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    """A senior practice manager at every location: may manage webhooks and do every domain action here."""
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="manager")


Subscribe = Callable[..., tuple[WebhookSubscription, str]]


@pytest.fixture
def subscribe() -> Subscribe:
    def make(owner: User, url: str, events: Iterable[str] = tuple(WebhookEvent.values),
             name: str = "Warehouse") -> tuple[WebhookSubscription, str]:
        return subscription_create(actor=owner, name=name, url=url, events=list(events))

    return make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run `call()` as if its transaction committed: the domain event, the queueing and the first attempt (the
    tests' huey runs tasks at once) happen before this returns."""

    def run(call: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run
