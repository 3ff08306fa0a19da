"""The audit trail exports from its list, as every list does (?export=csv|xlsx, the list's filters and sort), with
the columns of /audit/export.csv. Exporting takes audit.export and is audited as `audit.exported`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.tests.factories import record_events
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    column,
    exported,
)

pytestmark = pytest.mark.django_db
HEADERS = ["Seq", "Time (America/New_York)", "User", "Action", "Object type", "Object id", "Patient id",
           "Location id", "Outcome", "Changed fields", "Reason", "IP address", "User agent", "Hash"]


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_audit_list_exports_its_filtered_rows_in_its_sort_with_the_csv_columns(
        reviewer: User, signed_in: Callable[[User], Client], practice: object, file_format: str) -> None:
    wanted = record_events(3, action="test.happened", patient_id=41)
    record_events(2, action="test.other")
    rows = exported(signed_in(reviewer), reverse("audit:event_list"), {"action": "test.happened", "sort": "seq"},
                    file_format)
    assert rows[0] == HEADERS
    assert column(rows, "Seq") == [str(event.seq) for event in wanted]
    assert column(rows, "Hash") == [event.hash for event in wanted]
    assert column(rows, "Patient id") == ["41", "41", "41"]
    exported_event = AuditEvent.objects.filter(action="audit.exported").latest("seq")
    assert (exported_event.actor, exported_event.reason) == (reviewer, "filters: action")


def test_the_audit_export_holds_exactly_the_rows_of_the_list(reviewer: User, signed_in: Callable[[User], Client],
                                                              practice: object) -> None:
    record_events(4, action="test.happened")
    assert_export_matches_list(signed_in(reviewer), reverse("audit:event_list"), {"action": "test.happened"},
                               header="Seq", key=lambda event: event.seq)


def test_the_audit_list_offers_an_xlsx_export_beside_the_streamed_csv(reviewer: User,
                                                                      signed_in: Callable[[User], Client],
                                                                      practice: object) -> None:
    record_events(1)
    page = signed_in(reviewer).get(reverse("audit:event_list"), {"action": "test.happened"}).content.decode()
    assert 'href="/audit/export.csv?action=test.happened"' in page
    assert 'href="/audit/?action=test.happened&amp;export=xlsx"' in page


def test_the_audit_export_with_bad_filters_exports_nothing(reviewer: User, signed_in: Callable[[User], Client],
                                                           practice: object) -> None:
    response = signed_in(reviewer).get(reverse("audit:event_list"), {"date_from": "yesterday", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action__in=["audit.exported", "reports.list_exported"]).exists()


@pytest.mark.parametrize("file_format", FORMATS)
def test_someone_who_cannot_review_the_audit_trail_cannot_export_it(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], file_format: str) -> None:
    desk = make_user(Role.FRONT_DESK)
    response = signed_in(desk).get(reverse("audit:event_list"), {"export": file_format})
    assert response.status_code == 404
    assert not getattr(response, "streaming", False)
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED).count() == 1
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_audit_export_costs_the_same_queries_for_more_events(reviewer: User,
                                                                      signed_in: Callable[[User], Client],
                                                                      practice: object) -> None:
    client = signed_in(reviewer)
    record_events(2, action="test.happened")
    assert_export_queries_constant(client, reverse("audit:event_list"),
                                   lambda: record_events(3, action="test.happened"), {"action": "test.happened"})
