"""Every operation of the OpenAPI document, fuzzed by schemathesis against the demo practice, in process.

Each generated request must not end in a server error, must answer a status code and a body that the document
declares, and must be refused (401) without a valid token. The document is the one /api/v1/openapi.json serves
(test_the_document_under_test_is_the_one_the_api_serves), so routers added later join the run by themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

from .schemathesis_support import (
    PREFIX,
    ExistingIds,
    api_caller,
    discover_ids,
    openapi_document,
    requests_keep_the_test_transaction,
    seed_demo_practice,
)

# One worker seeds the demo practice once for the whole run (under `--dist loadgroup`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("schemathesis")]

DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = application
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(max_examples=6, deterministic=True, no_shrink=True)

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, ignored_auth]

# Filled by the module fixture once the demo practice exists; read by the hooks while examples are generated.
EXISTING = ExistingIds()


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    if not path_parameters:
        return path_parameters
    return EXISTING.pick_path(context.operation.path, path_parameters)


@schema.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if not query:
        return query
    return {name: EXISTING.pick_value(name, value) for name, value in query.items()}


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    if isinstance(body, dict):
        return {name: EXISTING.pick_value(name, value) for name, value in body.items()}
    return body


@pytest.fixture(scope="module")
def demo_api(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo practice and a caller's token, made once for this module inside a transaction that is rolled
    back at its end; every test runs in its own savepoint within it, so no test sees another's writes."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seed_demo_practice()
            _user, secret = api_caller()
            found = discover_ids(DOCUMENT, secret)
            EXISTING.by_path, EXISTING.by_name = found.by_path, found.by_name
            # Rate limits have their own tests; here they would turn later examples into 429s that test nothing.
            with requests_keep_the_test_transaction(), override_settings(
                OPENPRACTICE_API_RATE_LIMIT="off", OPENPRACTICE_API_WRITE_RATE_LIMIT="off"
            ):
                yield {"Authorization": f"Bearer {secret}"}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case: schemathesis.Case, demo_api: dict[str, str]) -> None:
    case.call_and_validate(headers=demo_api, checks=CHECKS)


def test_the_document_under_test_is_the_one_the_api_serves(demo_api: dict[str, str]) -> None:
    served = Client().get(f"{PREFIX}/openapi.json", headers=demo_api)
    assert served.status_code == 200
    assert served.json() == DOCUMENT


def test_no_two_schemas_of_the_document_share_a_name() -> None:
    """django-ninja names a component after its class: two classes of one name silently share one entry, and
    one operation's answers are then checked against (and documented as) the other's."""
    from ninja import Schema

    modules_by_name: dict[str, set[str]] = {}
    pending: list[type] = [Schema]
    while pending:
        subclasses: list[type] = pending.pop().__subclasses__()
        for subclass in subclasses:
            pending.append(subclass)
            if subclass.__module__.startswith("openpractice.api"):
                modules_by_name.setdefault(subclass.__name__, set()).add(subclass.__module__)
    components = DOCUMENT["components"]["schemas"]
    clashes = {name: sorted(modules) for name, modules in modules_by_name.items()
               if len(modules) > 1 and name in components}
    assert clashes == {}


def test_an_id_too_large_for_the_database_is_a_validation_error(demo_api: dict[str, str]) -> None:
    response = Client().post(f"{PREFIX}/providers", {"first_name": "Ada", "last_name": "Byron", "npi": "1234567893",
                                                     "locations": [2**70]},
                             content_type="application/json", headers=demo_api)
    assert response.status_code == 422, response.content


def test_an_offset_past_any_table_is_a_validation_error_not_a_crash(demo_api: dict[str, str]) -> None:
    response = Client().get(f"{PREFIX}/providers", {"offset": 2**70}, headers=demo_api)
    assert response.status_code == 422
    assert Client().get(f"{PREFIX}/providers", {"offset": 2**31 - 1}, headers=demo_api).json()["items"] == []


def test_null_for_a_required_setting_is_a_validation_error(demo_api: dict[str, str]) -> None:
    response = Client().patch(f"{PREFIX}/practice", {"group_npi": None}, content_type="application/json",
                              headers=demo_api)
    assert response.status_code == 422, response.content


def test_null_for_a_required_coverage_field_is_a_validation_error(demo_api: dict[str, str]) -> None:
    coverage = Client().get(f"{PREFIX}/coverages", {"limit": 1}, headers=demo_api).json()["items"][0]
    response = Client().patch(f"{PREFIX}/coverages/{coverage['id']}", {"subscriber_address_line1": None},
                              content_type="application/json", headers=demo_api)
    assert response.status_code == 422, response.content


def test_a_time_with_an_offset_postgresql_cannot_store_still_filters(demo_api: dict[str, str]) -> None:
    response = Client().get(f"{PREFIX}/audit-events", {"since": "2024-04-08T02:27:02.5-23:01"}, headers=demo_api)
    assert response.status_code == 200, response.content


def test_text_with_a_nul_character_is_never_a_server_error(demo_api: dict[str, str]) -> None:
    """SQLite keeps it; PostgreSQL cannot, and the answer is then a validation error."""
    response = Client().post(f"{PREFIX}/incidents", {"title": "Door left open", "kind": "other",
                                                      "description": "a\x00b", "discovered_on": "2026-01-05"},
                             content_type="application/json", headers=demo_api)
    assert response.status_code in (201, 422), response.content
