"""API test helpers: a client that sends a personal API token, and a way to make a user of any role."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest
from _pytest.nodeid import coerce_node_id
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.services.tokens import token_create
from openpractice.accounts.tests.factories import UserFactory

API = "/api/v1"


class TokenClient:
    """A test client whose every request carries `Authorization: Bearer <token>`."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.secret = secret
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, data: Any = None) -> Any:
        return self.client.get(path, data, headers=self.headers)

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(path, data, content_type="application/json", headers=self.headers)

    def post(self, path: str, data: Any = None) -> Any:
        # A fresh Idempotency-Key on every call, as a well-behaved client sends on POSTs that move money or stock.
        headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4())}
        return self.client.post(path, data or {}, content_type="application/json", headers=headers)


def user_without_roles() -> User:
    """A signed-up person who holds no role at all."""
    return cast(User, UserFactory())


def token_client_for(user: User) -> TokenClient:
    _token, secret = token_create(actor=user, user=user, name="tests")
    return TokenClient(secret)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis names its per-operation tests alike ("test_x"); pytest-xdist keys work by test id, so under
    `-n` all but one operation would silently not run. The operation goes into the id (before xdist adds its
    "@group" suffix, hence tryfirst)."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            # pytest 9 keeps the id as `_id` (schemathesis 4.32 still sets the old `_nodeid`, which is ignored).
            item._id = coerce_node_id(f"{item.nodeid}[{label}]")  # type: ignore[attr-defined]


@pytest.fixture
def api_as() -> Callable[[User], TokenClient]:
    """api_as(user) -> a client calling the API with a fresh token of that user."""
    return token_client_for
