"""An audit event's location is where the audited object belongs, as the recording service says; never the
location the acting user picked in the switcher."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.audit.selectors import audit_event_list
from openpractice.audit.services import record
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db


def test_the_location_picked_in_the_switcher_is_not_written_into_audit_events(
    make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location, south: Location
) -> None:
    reviewer = make_user(Role.PRIVACY_OFFICER, locations=[north, south])
    client = signed_in(reviewer)
    assert client.post("/accounts/location/", {"location": north.pk}).status_code == 302
    assert client.session["location_id"] == north.pk
    # Exporting the trail is about no location at all, whichever one the reviewer is looking at.
    assert client.get("/audit/export.csv").status_code == 200
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.location_id is None


def test_a_location_limited_reviewer_is_scoped_by_the_objects_location_not_the_actors_switcher(
    make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location, south: Location
) -> None:
    # Someone working with North selected touches an object at South: the event belongs to South.
    worker = make_user(Role.PRIVACY_OFFICER, locations=[north, south])
    client = signed_in(worker)
    client.post("/accounts/location/", {"location": north.pk})
    client.get("/audit/export.csv")
    about_south = record(actor=worker, action="test.south_object_changed", location_id=south.pk)
    north_reviewer = make_user(Role.PRIVACY_OFFICER, locations=[north])
    south_reviewer = make_user(Role.PRIVACY_OFFICER, locations=[south])
    seen_in_north = set(audit_event_list(actor=north_reviewer).values_list("action", flat=True))
    assert seen_in_north.isdisjoint({"test.south_object_changed", "audit.exported"})
    assert list(audit_event_list(actor=south_reviewer).values_list("seq", flat=True)) == [about_south.seq]
