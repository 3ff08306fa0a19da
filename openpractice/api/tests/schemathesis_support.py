"""What the schemathesis run needs: the API's own OpenAPI document, the demo practice with a caller who may do
nearly everything, and the ids that exist in it, so that generated requests reach real objects.

Nothing here is hard-coded per endpoint: the ids for a path such as `/api/v1/fee-schedules/{fee_schedule_id}/
entries/{entry_code}` come from the list operation at the path's prefix (`/api/v1/fee-schedules`, then
`/api/v1/fee-schedules/<id>/entries`), so routers added later are covered without touching this file.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.roles import TIERS_BY_ROLE
from openpractice.accounts.services.tokens import token_create
from openpractice.accounts.services.users import RoleSpec, user_provision

PREFIX = "/api/v1"
_PARAM = re.compile(r"\{([^}]+)\}")


def openapi_document() -> dict[str, Any]:
    """The document /api/v1/openapi.json serves, as JSON (string status codes), built from the live API object
    so that every router registered on it is in the run."""
    from openpractice.api.urls import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=f"{PREFIX}/")))


def api_caller() -> tuple[User, str]:
    """A person holding every role at its top tier at every location, and their API token. The demo's senior
    practice manager lacks a few permissions (posting payments, clinical and audit reads); with all of them
    nearly every operation gets past the permission check into its real code path."""
    specs = [RoleSpec(role=role, tier=tiers[-1], all_locations=True, location_ids=frozenset())
             for role, tiers in TIERS_BY_ROLE.items()]
    user = user_provision(email="api.fuzzer@riverbend.example", username="api_fuzzer", first_name="Api",
                          last_name="Fuzzer", job_title="Schema tester", password="fuzzing-the-api-1234",
                          roles=specs, reason="schemathesis run")
    _token, secret = token_create(actor=user, user=user, name="schemathesis")
    return user, secret


def seed_demo_practice() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())


@contextmanager
def requests_keep_the_test_transaction() -> Iterator[None]:
    """Django closes "old" connections at the start and end of every request; inside a test's transaction that
    would poison it. Django's test client unhooks this per request; the raw WSGI app needs it done here."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _key_field(param: str) -> str:
    """The field of a list item that a path parameter names: `provider_id` -> `id`, `entry_code` -> `code`."""
    if param.endswith("_id"):
        return "id"
    if "_" in param:
        return param.rsplit("_", 1)[1]
    return param


@dataclass
class ExistingIds:
    """Path parameter values that exist, per path template, and ids per parameter name (for bodies/queries)."""

    by_path: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_name: dict[str, list[Any]] = field(default_factory=dict)

    def pick_path(self, path: str, generated: dict[str, Any]) -> dict[str, Any]:
        choices = self.by_path.get(path)
        if not choices:
            return generated
        seed = _stable(generated)
        if seed % 8 == 0:  # now and then keep the generated value: odd ids must answer 404, not 500
            return generated
        return {**generated, **choices[seed % len(choices)]}

    def pick_value(self, name: str, generated: Any) -> Any:
        choices = self.by_name.get(name)
        if not choices:
            return generated
        seed = _stable(generated)
        if seed % 8 == 0:
            return generated
        return choices[seed % len(choices)]


def _stable(value: Any) -> int:
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))


def discover_ids(document: dict[str, Any], secret: str, *, per_list: int = 20) -> ExistingIds:
    """Ask each list operation (the path's prefix before a parameter) what exists, as the caller sees it."""
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}
    found = ExistingIds()
    listed: dict[str, list[dict[str, Any]]] = {}

    def items_at(list_path: str) -> list[dict[str, Any]]:
        if list_path not in listed:
            response = client.get(list_path, {"limit": per_list}, headers=headers)
            body = response.json() if response.status_code == 200 else None
            if isinstance(body, dict) and isinstance(body.get("items"), list):
                listed[list_path] = [item for item in body["items"] if isinstance(item, dict)]
            elif isinstance(body, list):
                listed[list_path] = [item for item in body if isinstance(item, dict)]
            else:
                listed[list_path] = []
        return listed[list_path]

    def combos(template: str) -> list[dict[str, Any]]:
        """Every existing assignment of the template's parameters, parents first."""
        params = _PARAM.findall(template)
        assignments: list[dict[str, Any]] = [{}]
        for param in params:
            head = template.split("{" + param + "}", 1)[0].rstrip("/")
            key = _key_field(param)
            extended: list[dict[str, Any]] = []
            for assignment in assignments[:5]:  # a few parents are enough for nested lists
                list_path = head
                for name, value in assignment.items():
                    list_path = list_path.replace("{" + name + "}", str(value))
                for item in items_at(list_path):
                    if key in item:
                        extended.append({**assignment, param: item[key]})
            assignments = extended
            if not assignments:
                return []
        return assignments

    for template in document["paths"]:
        if "{" not in template:
            continue
        values = combos(template)
        if values:
            found.by_path[template] = values
            for assignment in values:
                for name, value in assignment.items():
                    bucket = found.by_name.setdefault(name, [])
                    if value not in bucket:
                        bucket.append(value)
    return found
