"""Twenty people book the same slot at the same moment: exactly one booking succeeds (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import user_with_role
from openpractice.core.tests.factories import LocationFactory, PracticeFactory
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services
from openpractice.scheduling.models import Appointment

from .factories import AppointmentTypeFactory, ProviderFactory, RoomFactory

ATTEMPTS = 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs concurrent writers; SQLite serialises every writer with BEGIN IMMEDIATE anyway")
def test_twenty_concurrent_bookings_of_one_slot_give_exactly_one_appointment() -> None:
    practice = PracticeFactory()
    location = LocationFactory(practice=practice)
    desk = user_with_role(Role.FRONT_DESK, username="desk")
    provider = ProviderFactory(locations=[location])
    room = RoomFactory(location=location)
    kind = AppointmentTypeFactory(needs_room=True)
    patients = [PatientFactory(home_location=location) for _ in range(ATTEMPTS)]
    # Different providers for half the attempts would hide nothing: all share the provider AND the room.
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            services.appointment_book(actor=desk, patient=patients[index], provider=provider, location=location,
                                      appointment_type=kind, room=room,
                                      starts_at=start + dt.timedelta(minutes=index % 3 * 5))
            outcome = "booked"
        except services.SlotTaken:
            outcome = "taken"
        except Exception as exc:  # noqa: BLE001 - any other failure must show up in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()  # each thread had its own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["taken"] * (ATTEMPTS - 1)
    assert Appointment.objects.count() == 1
