"""Who sees which audit events, and how the filters narrow them."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from typing import Any

import pytest
from django.db.models import QuerySet

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.audit.selectors import audit_action_names, audit_event_list, audit_user_choices
from openpractice.audit.services import record, record_denied

from .tampering import triggers_suspended

pytestmark = pytest.mark.django_db


def seqs(events: QuerySet[AuditEvent]) -> list[int]:
    return list(events.values_list("seq", flat=True))


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "auditor": make_user(Role.AUDITOR, username="auditor"),
        "privacy": make_user(Role.PRIVACY_OFFICER, username="privacy"),
        "frontdesk": make_user(Role.FRONT_DESK, username="frontdesk"),
        "admin": make_user(Role.ADMINISTRATOR, username="admin"),
    }


def _at(event: AuditEvent, when: datetime) -> None:
    """Move an event in time (tests only: the triggers are set aside, the chain check is not the point here)."""
    with triggers_suspended():
        AuditEvent.objects.filter(pk=event.pk).update(occurred_at=when)


def test_only_audit_reviewers_see_events(people: dict[str, Any]) -> None:
    record(actor=people["frontdesk"], action="patients.viewed", patient_id=7)
    assert audit_event_list(actor=people["auditor"]).count() == 1
    assert audit_event_list(actor=people["privacy"]).count() == 1
    for name in ("frontdesk", "admin"):
        assert audit_event_list(actor=people[name]).count() == 0
        assert audit_action_names(actor=people[name]) == []
        assert audit_user_choices(actor=people[name]) == []
    assert audit_event_list(actor=None).count() == 0


def test_filters_by_user_patient_action_and_outcome(people: dict[str, Any]) -> None:
    desk, admin = people["frontdesk"], people["admin"]
    first = record(actor=desk, action="patients.viewed", patient_id=7)
    second = record(actor=desk, action="patients.updated", patient_id=8, changed_fields=["phone"])
    third = record(actor=admin, action="users.invited")
    fourth = record_denied(actor=admin, action="access.denied", reason="patients.view GET /patients/7/")
    auditor = people["auditor"]
    assert seqs(audit_event_list(actor=auditor)) == [fourth.seq, third.seq, second.seq, first.seq]
    assert seqs(audit_event_list(actor=auditor, user_id=desk.pk)) == [second.seq, first.seq]
    assert seqs(audit_event_list(actor=auditor, patient_id=7)) == [first.seq]
    assert seqs(audit_event_list(actor=auditor, action="users.invited")) == [third.seq]
    assert seqs(audit_event_list(actor=auditor, action="patients.*")) == [second.seq, first.seq]
    assert seqs(audit_event_list(actor=auditor, action="patients")) == []
    assert seqs(audit_event_list(actor=auditor, outcome="denied")) == [fourth.seq]
    assert seqs(audit_event_list(actor=auditor, user_id=desk.pk, patient_id=8)) == [second.seq]


def test_dates_are_whole_days_in_the_practice_time_zone(people: dict[str, Any], practice: Any) -> None:
    assert practice.timezone == "America/New_York"
    new_york = zoneinfo.ZoneInfo("America/New_York")
    late_evening = record(actor=None, action="a.late")  # 23:30 on March 3rd in New York = 04:30 UTC March 4th
    _at(late_evening, datetime(2026, 3, 3, 23, 30, tzinfo=new_york))
    early_morning = record(actor=None, action="a.early")
    _at(early_morning, datetime(2026, 3, 4, 0, 15, tzinfo=new_york))
    auditor = people["auditor"]
    assert seqs(audit_event_list(actor=auditor, date_from=date(2026, 3, 3), date_to=date(2026, 3, 3))) \
        == [late_evening.seq]
    assert seqs(audit_event_list(actor=auditor, date_from=date(2026, 3, 4))) == [early_morning.seq]
    assert seqs(audit_event_list(actor=auditor, date_to=date(2026, 3, 3))) == [late_evening.seq]
    assert seqs(audit_event_list(actor=auditor, since=datetime(2026, 3, 4, 5, 0, tzinfo=zoneinfo.ZoneInfo("UTC")))) \
        == [early_morning.seq]


def test_a_reviewer_limited_to_some_locations_sees_only_events_recorded_there(
    make_user: Any, north: Any, south: Any
) -> None:
    at_north = record(actor=None, action="a.north", location_id=north.pk)
    record(actor=None, action="a.south", location_id=south.pk)
    record(actor=None, action="a.nowhere")
    reviewer = make_user(Role.PRIVACY_OFFICER, locations=[north])
    assert seqs(audit_event_list(actor=reviewer)) == [at_north.seq]


def test_events_come_with_their_actor_in_one_query(people: dict[str, Any], django_assert_num_queries: Any) -> None:
    for _ in range(5):
        record(actor=people["frontdesk"], action="patients.viewed")
    events = audit_event_list(actor=people["auditor"])
    with django_assert_num_queries(1):
        assert {event.actor.username for event in events if event.actor} == {"frontdesk"}


def test_the_action_names_and_users_offered_in_the_filters(people: dict[str, Any]) -> None:
    record(actor=None, action="b.second")
    record(actor=None, action="a.first")
    record(actor=None, action="a.first")
    assert audit_action_names(actor=people["auditor"]) == ["a.first", "b.second"]
    names = [name for _pk, name in audit_user_choices(actor=people["auditor"])]
    assert names == sorted(names)
    assert "frontdesk" in names
