"""Access reviews: each finding kind from hand-built audit events (times set by holding the clock), the default
period, the sign-off rule (the privacy officer only; read-only after), refusals that change nothing, and the
review page in a flat number of queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import Event, record, record_many
from openpractice.compliance.choices import FindingKind
from openpractice.compliance.models import AccessReview, AccessReviewFinding
from openpractice.compliance.services import access_reviews as services
from openpractice.core.selectors import practice_timezone_name
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 4, 1), dt.date(2025, 6, 30)  # a Tuesday .. a Monday
MONDAY = dt.date(2025, 5, 5)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Hold the clock: record() stamps events with timezone.now()."""
    with mock.patch.object(timezone, "now", return_value=moment.astimezone(dt.UTC)):
        yield


def _views(user: User, patient_ids: list[int], moment: dt.datetime, outcome: str = Outcome.ALLOWED) -> None:
    with _at(moment):
        record_many(actor=user, outcome=outcome,
                    events=[Event(action="patients.viewed", object_type="patients.patient", object_id=pk,
                                  patient_id=pk) for pk in patient_ids])


def _sign_in(user: User, moment: dt.datetime) -> None:
    with _at(moment):
        record(actor=user, action="auth.login", target=user)


def _review(actor: User) -> AccessReview:
    with _at(_local(dt.date(2025, 7, 15), 10)):
        return services.access_review_create(actor=actor, period_start=START, period_end=END)


def _findings(review: AccessReview, kind: str) -> list[AccessReviewFinding]:
    return list(AccessReviewFinding.objects.filter(review=review, kind=kind).order_by("user_id", "day"))


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="officer", last_name="Officer")


@pytest.fixture
def desk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="desk", last_name="Nguyen")


def test_default_period_is_the_last_full_quarter() -> None:
    assert services.last_full_quarter(dt.date(2025, 7, 1)) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert services.last_full_quarter(dt.date(2025, 2, 14)) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert services.last_full_quarter(dt.date(2025, 12, 31)) == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))


def test_phi_access_lists_holders_with_patients_opened_and_last_sign_in(
        officer: User, desk: User, make_user: Callable[..., User]) -> None:
    make_user(Role.ADMINISTRATOR, username="admin")  # no PHI permission: not listed
    gone = make_user(Role.BILLER, username="gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    _views(desk, [1, 2, 3], _local(MONDAY, 9))
    _views(desk, [3, 4], _local(MONDAY + dt.timedelta(days=1), 9))
    _views(desk, [5], _local(MONDAY, 9), outcome=Outcome.DENIED)  # refused: not opened
    _views(desk, [6], _local(END + dt.timedelta(days=1), 9))  # after the period
    _sign_in(desk, _local(MONDAY, 8))
    _sign_in(desk, _local(END + dt.timedelta(days=3), 8))  # after the period: not the period's last sign-in
    review = _review(officer)
    rows = {f.user_id: f for f in _findings(review, FindingKind.PHI_ACCESS)}
    assert set(rows) == {officer.pk, desk.pk}
    assert rows[desk.pk].patients == 4
    assert rows[desk.pk].last_sign_in == _local(MONDAY, 8)
    assert rows[officer.pk].patients == 0
    event = AuditEvent.objects.get(action="compliance.access_review_created")
    assert event.actor_id == officer.pk
    assert event.object_id == str(review.pk)


def test_volume_counts_distinct_patients_per_local_day(officer: User, desk: User) -> None:
    limit = services.VOLUME_THRESHOLD
    _views(desk, list(range(1, limit + 2)), _local(MONDAY, 10))  # limit + 1 distinct: flagged
    _views(desk, [1, 2], _local(MONDAY, 11))  # repeats do not count twice
    _views(desk, list(range(100, 100 + limit)), _local(MONDAY + dt.timedelta(days=1), 10))  # exactly the limit
    # 23:30 local on the Wednesday is the Thursday in UTC: it belongs to Wednesday's count.
    _views(desk, list(range(200, 200 + limit)), _local(MONDAY + dt.timedelta(days=2), 12))
    _views(desk, [999], _local(MONDAY + dt.timedelta(days=2), 23, 30))
    rows = _findings(_review(officer), FindingKind.VOLUME)
    assert [(f.user_id, f.day, f.patients) for f in rows] == [
        (desk.pk, MONDAY, limit + 1), (desk.pk, MONDAY + dt.timedelta(days=2), limit + 1)]


def test_after_hours_uses_practice_local_time_and_sundays(officer: User, desk: User,
                                                          make_user: Callable[..., User]) -> None:
    daytime = make_user(Role.BILLER, username="daytime")
    _views(daytime, [1], _local(MONDAY, 7))  # 07:00 opens the day
    _views(daytime, [2], _local(MONDAY, 18, 59))
    _views(desk, [3], _local(MONDAY, 6, 59))
    _views(desk, [4], _local(MONDAY, 19))
    _views(desk, [4], _local(MONDAY + dt.timedelta(days=6), 12))  # Sunday noon
    rows = _findings(_review(officer), FindingKind.AFTER_HOURS)
    assert [(f.user_id, f.patients, f.day) for f in rows] == [(desk.pk, 2, MONDAY + dt.timedelta(days=6))]
    assert "3 views on 2 days" in rows[0].detail


def test_surname_matches_ignoring_case_and_names_no_patient(officer: User, desk: User,
                                                            make_user: Callable[..., User]) -> None:
    relative = PatientFactory(last_name="NGUYEN", first_name="Mai")
    stranger = PatientFactory(last_name="Okafor")
    nameless = make_user(Role.BILLER, username="nameless", last_name="")
    _views(desk, [relative.pk, relative.pk, stranger.pk], _local(MONDAY, 10))
    _views(nameless, [relative.pk], _local(MONDAY, 10))
    rows = _findings(_review(officer), FindingKind.SURNAME)
    assert [(f.user_id, f.patients) for f in rows] == [(desk.pk, 1)]
    assert "Mai" not in rows[0].detail
    assert "NGUYEN" not in rows[0].detail.upper().replace("USER", "")


def test_surname_pass_also_counts_every_patient_opened(officer: User, desk: User,
                                                      make_user: Callable[..., User]) -> None:
    """One pass gives both: the namesake's views for SURNAME, and every patient opened (namesake, another name,
    no patient row at all) for PHI_ACCESS; a user without a last name matches nobody but still counts."""
    relative = PatientFactory(last_name="nguyen")
    stranger = PatientFactory(last_name="Okafor")
    nameless = make_user(Role.BILLER, username="nameless", last_name="")
    _views(desk, [relative.pk, stranger.pk, 987654], _local(MONDAY, 10))
    _views(desk, [relative.pk], _local(MONDAY, 20))
    _views(desk, [relative.pk], _local(MONDAY + dt.timedelta(days=1), 10))
    _views(desk, [stranger.pk], _local(MONDAY, 11), outcome=Outcome.DENIED)  # refused: neither opened nor counted
    _views(nameless, [relative.pk, stranger.pk], _local(MONDAY, 10))
    review = _review(officer)
    opened = {f.user_id: f.patients for f in _findings(review, FindingKind.PHI_ACCESS)}
    assert opened == {officer.pk: 0, desk.pk: 3, nameless.pk: 2}
    rows = _findings(review, FindingKind.SURNAME)
    assert [(f.user_id, f.patients) for f in rows] == [(desk.pk, 1)]
    assert "3 view(s)" in rows[0].detail
    late = _findings(review, FindingKind.AFTER_HOURS)
    assert [(f.user_id, f.patients, f.day) for f in late] == [(desk.pk, 1, MONDAY)]
    assert "1 views on 1 days" in late[0].detail


def test_dormant_when_no_sign_in_for_ninety_days_before_the_end(officer: User, desk: User,
                                                                make_user: Callable[..., User]) -> None:
    recent = make_user(Role.BILLER, username="recent")
    _sign_in(recent, _local(END, 12))
    _sign_in(desk, _local(END - dt.timedelta(days=91), 12))
    User.objects.filter(pk=officer.pk).update(last_login=_local(END - dt.timedelta(days=10), 12))
    rows = _findings(_review(officer), FindingKind.DORMANT)
    assert [f.user_id for f in rows] == [desk.pk]
    assert rows[0].last_sign_in == _local(END - dt.timedelta(days=91), 12)


def test_review_creation_queries_do_not_grow_with_events(officer: User, desk: User) -> None:
    _views(desk, [1], _local(MONDAY, 22))
    _review(officer)  # the officer's grants are loaded (and cached) once
    with CaptureQueriesContext(connection) as few:
        _review(officer)
    _views(desk, list(range(1, 200)), _local(MONDAY, 22))
    _views(officer, list(range(1, 80)), _local(MONDAY, 5))
    with CaptureQueriesContext(connection) as many:
        _review(officer)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_period_must_have_ended_and_be_ordered(officer: User) -> None:
    with _at(_local(dt.date(2025, 7, 15), 10)):
        with pytest.raises(ValidationError):
            services.access_review_create(actor=officer, period_start=END, period_end=START)
        with pytest.raises(ValidationError):
            services.access_review_create(actor=officer, period_start=START, period_end=dt.date(2025, 7, 15))
        review = services.access_review_create(actor=officer)
    assert (review.period_start, review.period_end) == (START, END)


def _snapshot() -> tuple[Any, ...]:
    return (list(AccessReview.objects.values()), list(AccessReviewFinding.objects.values()),
            AuditEvent.objects.filter(outcome=Outcome.ALLOWED).count())


def test_refusals_change_nothing(officer: User, desk: User, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="pm")
    review = _review(officer)
    finding = AccessReviewFinding.objects.filter(review=review).first()
    assert finding is not None
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.access_review_create(actor=desk, period_start=START, period_end=END)
    with pytest.raises(PermissionDenied):
        services.access_review_note(actor=desk, review=review, finding_id=finding.pk, note="x")
    with pytest.raises(PermissionDenied):  # compliance.manage, but not the privacy officer
        services.access_review_sign_off(actor=manager, review=review, conclusion="fine")
    assert _snapshot() == before
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, actor=manager,
                                     action="compliance.access_review_sign_off").count() == 1


def test_notes_then_sign_off_then_read_only(officer: User, desk: User, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="pm")
    review = _review(manager)  # a manager may create; the officer signs off
    finding = AccessReviewFinding.objects.filter(review=review, user=desk).first()
    assert finding is not None
    services.access_review_note(actor=manager, review=review, finding_id=finding.pk, note=" Spoke to her. ")
    finding.refresh_from_db()
    assert finding.reviewer_note == "Spoke to her."
    with pytest.raises(ValidationError):
        services.access_review_sign_off(actor=officer, review=review, conclusion="  ")
    signed = services.access_review_sign_off(actor=officer, review=review, conclusion="Access is appropriate.")
    assert signed.signed_off_by == officer
    assert signed.signed_off_at is not None
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.access_review_note(actor=manager, review=review, finding_id=finding.pk, note="later")
    with pytest.raises(ValidationError):
        services.access_review_sign_off(actor=officer, review=review, conclusion="again")
    assert _snapshot() == before


# --- pages -----------------------------------------------------------------------------------------------------


def test_page_groups_findings_in_flat_queries_and_shows_no_patient(
        officer: User, desk: User, signed_in: Callable[[User], Client], make_user: Callable[..., User]) -> None:
    relative = PatientFactory(last_name="Nguyen", first_name="Zephyrine")
    _views(desk, [relative.pk], _local(MONDAY, 22))
    review = _review(officer)
    client = signed_in(officer)
    url = reverse("compliance:accessreview_detail", args=[review.pk])
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Zephyrine" not in body
    assert str(FindingKind.SURNAME.label) in body
    for n in range(6):
        extra = make_user(Role.BILLER, username=f"extra{n}")
        _views(extra, [relative.pk], _local(MONDAY, 22))
    second = _review(officer)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("compliance:accessreview_detail", args=[second.pk])).status_code == 200
    assert AccessReviewFinding.objects.filter(review=second).count() > AccessReviewFinding.objects.filter(
        review=review).count()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_pages_for_officer_and_denials_for_others(
        officer: User, desk: User, signed_in: Callable[[User], Client], make_user: Callable[..., User]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="pm")
    review = _review(officer)
    finding = AccessReviewFinding.objects.filter(review=review).first()
    assert finding is not None
    client = signed_in(desk)
    before = _snapshot()
    assert client.get(reverse("compliance:accessreview_list")).status_code == 404
    assert client.get(reverse("compliance:accessreview_detail", args=[review.pk])).status_code == 404
    assert client.post(reverse("compliance:accessreview_new"),
                       {"period_start": START, "period_end": END}).status_code == 404
    assert client.post(reverse("compliance:accessreview_note", args=[review.pk]),
                       {"finding": finding.pk, "note": "x"}).status_code == 404
    client = signed_in(manager)
    page = client.get(reverse("compliance:accessreview_detail", args=[review.pk]))
    assert page.status_code == 200
    assert "conclusion" not in page.content.decode()
    assert client.post(reverse("compliance:accessreview_sign_off", args=[review.pk]),
                       {"conclusion": "ok"}).status_code == 404
    assert _snapshot() == before
    client = signed_in(officer)
    assert client.get(reverse("compliance:accessreview_list")).status_code == 200
    assert client.get(reverse("compliance:accessreview_new")).status_code == 200
    response = client.post(reverse("compliance:accessreview_note", args=[review.pk]),
                           {"finding": finding.pk, "note": "checked"})
    assert response.status_code == 302
    response = client.post(reverse("compliance:accessreview_sign_off", args=[review.pk]), {"conclusion": "Fine."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.signed_off_by == officer
    body = client.get(reverse("compliance:accessreview_detail", args=[review.pk])).content.decode()
    assert "checked" in body
    assert 'name="note"' not in body
    assert "Fine." in body
