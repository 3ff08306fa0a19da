"""insert_rows() with columns that need preparing: booleans, date-times and JSON vary per row, and constants of
any type, stored as the ORM would store them on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.core.bulk_insert import insert_rows
from openpractice.core.models import Department, Location, OpeningHours, OutboxMessage, Practice

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")


def test_booleans_datetimes_and_relations_vary_per_row(practice: Practice, north: Location) -> None:
    moments = [dt.datetime(2026, 3, 8, 1, 59, 59, 999999, tzinfo=EASTERN),  # the night clocks move
               dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC),
               dt.datetime(2024, 2, 29, 0, 0, 0, 1, tzinfo=dt.UTC)]
    rows = [(f"Team {n}", north.pk if n % 2 else None, n != 1, moment, moment)
            for n, moment in enumerate(moments)]
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_rows(Department, ("name", "location", "is_active", "created_at", "updated_at"), rows,
                               constants={"practice": practice.pk, "email": "", "phone": ""})
    assert inserted == 3
    assert len(queries) == 1
    stored = list(Department.objects.order_by("name").values_list(
        "name", "location_id", "is_active", "created_at", "updated_at", "practice_id"))
    assert stored == [(name, location, active, created, updated, practice.pk)
                      for name, location, active, created, updated in rows]


def test_json_and_text_go_through_unchanged() -> None:
    when = dt.datetime(2026, 11, 2, 8, 0, 0, 123456, tzinfo=dt.UTC)
    awkward = 'quote " backslash \\ percent %s %% brace {a,b} newline\n tab\t é ü 漢 NULL'
    rows = [
        (["front@example.test", awkward], awkward, when),
        ([], "empty list", when + dt.timedelta(seconds=1)),
        ([{"nested": [1, 2.5, None, True]}, "x"], "nested", when + dt.timedelta(seconds=2)),
    ]
    insert_rows(OutboxMessage, ("recipients", "subject", "created_at"), rows,
                constants={"from_email": "app@example.test", "body": awkward, "html_body": ""})
    stored = list(OutboxMessage.objects.order_by("created_at").values_list("recipients", "subject", "created_at",
                                                                          "body", "from_email"))
    assert stored == [(recipients, subject, created, awkward, "app@example.test")
                      for recipients, subject, created in rows]


def test_constants_of_typed_columns(practice: Practice) -> None:
    when = dt.datetime(2026, 1, 1, 12, 0, tzinfo=EASTERN)
    insert_rows(OutboxMessage, ("subject",), [("one",), ("two",)],
                constants={"recipients": ["a@example.test", 'b "quoted"'], "created_at": when,
                           "from_email": "app@example.test", "body": "", "html_body": ""})
    assert list(OutboxMessage.objects.order_by("subject").values_list("subject", "recipients", "created_at")) == [
        ("one", ["a@example.test", 'b "quoted"'], when), ("two", ["a@example.test", 'b "quoted"'], when)]


def test_a_field_it_does_not_prepare_is_refused_before_anything_is_written(north: Location) -> None:
    with pytest.raises(TypeError, match="only integer, text"):
        insert_rows(OpeningHours, ("location", "weekday", "opens_at", "closes_at"),
                    [(north.pk, 1, dt.time(8), dt.time(12))])
    assert not OpeningHours.objects.exists()


def test_rows_keep_their_order_and_count(practice: Practice) -> None:
    rows: list[tuple[Any, ...]] = [(f"Dept {n:04d}", n % 3 == 0) for n in range(2500)]
    now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert insert_rows(Department, ("name", "is_active"), rows,
                       constants={"practice": practice.pk, "email": "", "phone": "", "created_at": now,
                                  "updated_at": now}) == 2500
    stored = list(Department.objects.order_by("pk").values_list("name", "is_active"))
    assert stored == rows
