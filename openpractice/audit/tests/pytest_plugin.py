"""Lets transactional tests (live_server, transaction=True) flush a database whose audit table refuses
DELETE and TRUNCATE: just before pytest-django's flush, the audit rows are removed with the triggers set aside.
(A TRUNCATE of an empty audit table is allowed; SQLite's flush deletes nothing from an empty table.)

Register it for the whole suite from the root conftest.py: `pytest_plugins = ["openpractice.audit.tests.pytest_plugin"]`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .tampering import empty_audit_trail

_TRANSACTIONAL_FIXTURES = ("transactional_db", "live_server", "django_db_reset_sequences",
                           "django_db_serialized_rollback")


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return any(name in request.fixturenames for name in _TRANSACTIONAL_FIXTURES)


@pytest.fixture(autouse=True)
def _audit_trail_emptied_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _is_transactional(request):
        yield
        return
    # Set up after the database fixture, so this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    empty_audit_trail()
