"""Many posts of the contact form from one client at the same moment: no more get through than the hourly limit
(PostgreSQL; SQLite serialises every writer anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from openpractice.core.tests.factories import PracticeFactory
from openpractice.frontdesk.models import ContactSubmission, Message
from openpractice.frontdesk.services.contact_form import SUBMISSIONS_PER_HOUR, ContactData, Result, contact_submit

from .factories_routing import QueueFactory

ATTEMPTS = SUBMISSIONS_PER_HOUR * 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs concurrent writers; SQLite serialises every writer with BEGIN IMMEDIATE anyway")
def test_parallel_posts_from_one_client_never_pass_the_hourly_limit() -> None:
    PracticeFactory()
    QueueFactory(is_default=True)
    barrier = threading.Barrier(ATTEMPTS)
    results: list[Result] = []
    errors: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            outcome = contact_submit(remote_addr="203.0.113.9", data=ContactData(
                name="Pat Public", email="pat@example.org", phone="", subject=f"Question {index}",
                body="Do you take new patients?", location=None))
            with lock:
                results.append(outcome.result)
        except Exception as exc:  # noqa: BLE001 - any failure must show up in the assertion
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results.count(Result.ACCEPTED) == SUBMISSIONS_PER_HOUR
    assert Message.objects.count() == ContactSubmission.objects.count() == SUBMISSIONS_PER_HOUR
