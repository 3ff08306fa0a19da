"""The front desk demo (seeder 93): queues with one default, rules in order, mailboxes and templates, and a
fortnight of traffic through the real entry points on every channel (a threaded email answer, an autoresponder kept
on the thread, calls with callbacks, staff messages, a web form), some answered, closed, forwarded or escalated;
seeding again adds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.core.models import Practice
from openpractice.core.tests.factories import LocationFactory, OpeningHoursFactory
from openpractice.frontdesk.choices import Channel, EntryKind, MessageStatus
from openpractice.frontdesk.demo import seed_frontdesk
from openpractice.frontdesk.models import CallbackTask, Mailbox, Message, Queue, ReplyTemplate, RoutingRule

pytestmark = pytest.mark.django_db


def _context(practice: Practice) -> dict[str, Any]:
    locations = {code: LocationFactory(practice=practice, code=code, name=code.title())
                 for code in ("downtown", "north-hills", "cary")}
    for location in locations.values():
        for weekday in range(5):
            OpeningHoursFactory(location=location, weekday=weekday)
    people = {
        "om_experienced": (Role.OFFICE_MANAGER, Tier.EXPERIENCED, None),
        "om_mid": (Role.OFFICE_MANAGER, Tier.MID, "north-hills"),
        "om_entry": (Role.OFFICE_MANAGER, Tier.ENTRY, "cary"),
        "frontdesk": (Role.FRONT_DESK, Tier.STANDARD, "downtown"),
        "biller": (Role.BILLER, Tier.STANDARD, None),
        "clinical": (Role.CLINICAL_STAFF, Tier.STANDARD, "north-hills"),
        "hr": (Role.HR, Tier.STANDARD, None),
        "privacy": (Role.PRIVACY_OFFICER, Tier.STANDARD, None),
    }
    users = {name: user_with_role(role, tier, username=name,
                                  **({"locations": [locations[code]]} if code else {}))
             for name, (role, tier, code) in people.items()}
    return {"practice": practice, "users": users, "locations": locations, "report": []}


def test_the_demo_fills_every_channel_and_queue_through_the_real_entry_points(
        practice: Practice, django_capture_on_commit_callbacks: Any) -> None:
    context = _context(practice)

    with django_capture_on_commit_callbacks(execute=True):
        seed_frontdesk(context)

    assert Queue.objects.filter(is_default=True).count() == 1
    assert RoutingRule.objects.count() >= 8
    assert (Mailbox.objects.count(), ReplyTemplate.objects.count()) == (2, 3)
    assert set(Message.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert Message.objects.filter(status=MessageStatus.CLOSED).exists()
    assert Message.objects.filter(escalated_at__isnull=False).exists()
    assert CallbackTask.objects.exists()
    # The patient's answer threads onto the message that was replied to, with the autoresponder's mail after it.
    thread = Message.objects.get(subject="Question about my bill")
    kinds = list(thread.entries.values_list("kind", flat=True))
    assert kinds.count(EntryKind.INBOUND) >= 2
    assert EntryKind.REPLY in kinds
    assert thread.status != MessageStatus.CLOSED
    assert not Message.objects.filter(subject="Out of office").exists()
    # The rules did the routing: a payer's mail went to billing, a records request to medical records.
    assert Message.objects.get(subject="Claim 88213 needs records").queue.name == "Billing questions"
    assert Message.objects.get(subject="Copy of my records").queue.name == "Medical records"


def test_seeding_the_front_desk_again_adds_nothing(practice: Practice,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    context = _context(practice)
    with django_capture_on_commit_callbacks(execute=True):
        seed_frontdesk(context)
    before = (Queue.objects.count(), Message.objects.count(), RoutingRule.objects.count())

    seed_frontdesk(context)

    assert (Queue.objects.count(), Message.objects.count(), RoutingRule.objects.count()) == before
