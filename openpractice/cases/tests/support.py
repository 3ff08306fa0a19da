"""Helpers the cases tests share: the state a refused call must leave untouched, and audit counts."""

from __future__ import annotations

from typing import Any

from django.db import connection

from openpractice.audit.models import AuditEvent, Outcome
from openpractice.cases.models import Case, CaseCategory, CaseEntry, CaseLetter
from openpractice.compliance.models import Incident


def state() -> list[list[Any]]:
    """Every row of the cases tables (decrypted) and of the incident log."""
    return [list(model.objects.order_by("pk").values_list())
            for model in (Case, CaseEntry, CaseLetter, CaseCategory, Incident)]


def denials(user: Any, action: str = "") -> int:
    events = AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED)
    return (events.filter(action=action) if action else events).count()


def events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome=Outcome.ALLOWED, **filters).order_by("seq"))


def raw(table: str, column: str, pk: int) -> str:
    """What the database column holds, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)} "
                       "WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])
