"""Many messages arrive at the same moment for one round-robin queue: each member gets an equal share, never two
at once by mistake (PostgreSQL; SQLite serialises every writer anyway)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import user_with_role
from openpractice.core.tests.factories import PracticeFactory
from openpractice.frontdesk.models import Message, QueueMember

from .factories_routing import QueueFactory, QueueMemberFactory, RoutingRuleFactory, receive

MEMBERS = 4
ROUNDS = 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs concurrent writers; SQLite serialises every writer with BEGIN IMMEDIATE anyway")
def test_parallel_intakes_to_a_round_robin_queue_share_the_messages_out_evenly() -> None:
    PracticeFactory()
    queue = QueueFactory()
    members = [user_with_role(Role.FRONT_DESK) for _ in range(MEMBERS)]
    for member in members:
        QueueMemberFactory(queue=queue, user=member)
    attempts = MEMBERS * ROUNDS
    # One rule per message, so that nothing but the round-robin itself (no shared rule row) orders the intakes.
    for index in range(attempts):
        RoutingRuleFactory(queue=queue, round_robin=True, subject_words=f"call{index}")
    barrier = threading.Barrier(attempts)
    errors: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            receive(subject=f"Call{index}")
        except Exception as exc:  # noqa: BLE001 - any failure must show up in the assertion
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    shares = Counter(Message.objects.values_list("assignee_id", flat=True))
    # Had two intakes read the same "who waited longest", someone would have more than their share.
    assert shares == {member.pk: ROUNDS for member in members}
    assert QueueMember.objects.filter(queue=queue, last_assigned_at__isnull=True).count() == 0
