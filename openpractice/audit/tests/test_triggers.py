"""The database refuses to change or remove audit rows, whatever the application asks."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from openpractice.audit.models import AuditEvent
from openpractice.audit.verify import verify_chain

from .factories import record_events
from .tampering import execute, triggers_suspended

pytestmark = pytest.mark.django_db

def on_postgresql(test: Any) -> Any:
    """The `postgresql` marker, and a skip when the tests run on SQLite."""
    return pytest.mark.postgresql(pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")(test))


@pytest.fixture
def events(practice: Any) -> list[AuditEvent]:
    return record_events(3)


def _trigger_names() -> set[str]:
    if connection.vendor == "postgresql":
        rows = execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                       "AND NOT tgisinternal")
    else:
        rows = execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
    return {name for (name,) in rows}


def test_the_append_only_triggers_are_installed(db: Any) -> None:
    expected = (
        {"audit_auditevent_no_update_delete", "audit_auditevent_no_truncate"}
        if connection.vendor == "postgresql"
        else {"audit_auditevent_no_update", "audit_auditevent_no_delete"}
    )
    assert _trigger_names() == expected


def test_the_application_cannot_update_an_audit_row(events: list[AuditEvent]) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[1].pk).update(reason="covered up")
    assert AuditEvent.objects.get(pk=events[1].pk).reason == ""
    assert verify_chain().ok


def test_the_application_cannot_save_changes_to_an_audit_row(events: list[AuditEvent]) -> None:
    event = events[0]
    event.action = "something.else"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_the_application_cannot_delete_audit_rows(events: list[AuditEvent]) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 3
    assert verify_chain().ok


@on_postgresql
def test_postgresql_refuses_truncate_of_the_audit_table(events: list[AuditEvent]) -> None:
    execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred foreign-key checks
    with pytest.raises(IntegrityError, match="TRUNCATE refused"), transaction.atomic():
        execute("TRUNCATE audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic():
        execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 3


@on_postgresql
def test_postgresql_lets_an_empty_audit_table_be_truncated(db: Any) -> None:
    # Nothing to lose, and it is what a test-database flush does.
    execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 0


def test_the_triggers_come_back_after_being_set_aside(events: list[AuditEvent]) -> None:
    with triggers_suspended():
        AuditEvent.objects.filter(pk=events[0].pk).update(reason="while away")
    assert len(_trigger_names()) == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[1].pk).update(reason="again")


def test_appending_still_works(events: list[AuditEvent]) -> None:
    record_events(2)
    assert verify_chain().rows_checked == 5
