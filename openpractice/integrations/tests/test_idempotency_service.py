"""The idempotency service: claim, replay, conflict, in progress, release, and the 24-hour purge."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.integrations import idempotency as services
from openpractice.integrations.models import IdempotencyRecord
from openpractice.integrations.tasks_idempotency import purge_idempotency_records

Outcome = services.Outcome


@pytest.fixture
def clerk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="clerk")


def claim(user: User, key: str = "k", path: str = "/api/v1/charges", body: object = None) -> services.Claim:
    return services.claim(user=user, key=key, method="POST", path=path, body=body or {"amount": "10.00"})


@pytest.mark.django_db
def test_the_first_claim_proceeds_and_a_retry_before_the_answer_is_in_progress(clerk: User) -> None:
    first = claim(clerk)
    assert first.outcome is Outcome.PROCEED
    assert claim(clerk).outcome is Outcome.IN_PROGRESS
    services.store(record=first.record, status_code=201, body='{"id": 1}')
    replay = claim(clerk)
    assert (replay.outcome, replay.record.status_code, replay.record.response_body) == (
        Outcome.REPLAY, 201, '{"id": 1}')


@pytest.mark.django_db
def test_another_body_path_or_method_under_the_key_is_a_conflict(clerk: User) -> None:
    services.store(record=claim(clerk).record, status_code=201, body="{}")
    assert claim(clerk, body={"amount": "11.00"}).outcome is Outcome.CONFLICT
    assert claim(clerk, path="/api/v1/remittances/imports").outcome is Outcome.CONFLICT
    assert services.claim(user=clerk, key="k", method="PUT", path="/api/v1/charges",
                          body={"amount": "10.00"}).outcome is Outcome.CONFLICT


@pytest.mark.django_db
def test_a_released_claim_frees_the_key(clerk: User) -> None:
    services.release(record=claim(clerk).record)
    assert claim(clerk, body={"amount": "99.00"}).outcome is Outcome.PROCEED


@pytest.mark.django_db
def test_an_answered_claim_is_not_released(clerk: User) -> None:
    first = claim(clerk).record
    services.store(record=first, status_code=201, body="{}")
    services.release(record=first)
    assert IdempotencyRecord.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_keys_older_than_a_day_are_free_again_and_purged(clerk: User) -> None:
    old = claim(clerk, key="old").record
    services.store(record=old, status_code=201, body="{}")
    services.store(record=claim(clerk, key="new").record, status_code=201, body="{}")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert claim(clerk, key="old", body={"other": True}).outcome is Outcome.PROCEED
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_records.call_local() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize(("key", "problem"), [("", "required"), ("k" * 81, "invalid"), ("a\nb", "invalid"),
                                              ("k" * 80, None), ("3f2b6c1e-8d4a", None)])
def test_a_key_is_printable_and_at_most_80_characters(key: str, problem: str | None) -> None:
    assert services.key_problem(key) == problem


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_let_exactly_one_proceed(clerk: User) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def attempt() -> None:
        try:
            barrier.wait()
            outcomes.append(claim(clerk, key="race").outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.value for outcome in outcomes) == ["in_progress", "proceed"]
    assert IdempotencyRecord.objects.filter(key="race").count() == 1
