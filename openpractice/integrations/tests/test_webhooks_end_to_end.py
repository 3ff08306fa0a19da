"""Webhooks end to end: the real domain services announce events, deliveries are queued for the subscriptions
whose owners may see them, and a real HTTP server on 127.0.0.1 receives signed POSTs; failures are retried on the
backoff schedule until delivered or given up."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.billing.choices import ClaimStatus, PaymentMethod
from openpractice.billing.services.claim_status import claim_transition
from openpractice.billing.services.patient_payments import patient_payment_record
from openpractice.billing.tests.factories import make_claim
from openpractice.compliance.choices import IncidentKind
from openpractice.compliance.services.incidents import incident_report
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.integrations import delivery as sender
from openpractice.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from openpractice.integrations.signing import HEADER, verify
from openpractice.integrations.tasks import send_due_webhooks
from openpractice.inventory.services.catalog import par_set
from openpractice.inventory.services.stock import stock_consume, stock_receive
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.services import appointment_book, appointment_cancel
from openpractice.scheduling.tests.factories import AppointmentTypeFactory, ProviderFactory

from .conftest import Subscribe
from .support import Received, http_receiver

pytestmark = pytest.mark.django_db
Run = Callable[[Callable[[], Any]], Any]


def _monday_nine() -> dt.datetime:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(14, 0), tzinfo=dt.UTC)


def _report_incident(actor: User, location: Location | None) -> Any:
    return incident_report(actor=actor, title="Laptop left on the bus", kind=IncidentKind.LOSS_THEFT,
                           location=location, discovered_on=practice_today(),
                           description="The front desk laptop was lost.")


def _checked(request: Received, secret: str, event: str) -> dict[str, Any]:
    """The request is a signed, fresh delivery of `event`; returns its body."""
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "OpenPractice-Webhooks"
    assert request.headers["X-OpenPractice-Event"] == event
    assert verify(secret, request.body, request.headers[HEADER])
    timestamp = int(request.headers[HEADER].split(",")[0].removeprefix("t="))
    assert abs(time.time() - timestamp) < 60
    body: dict[str, Any] = json.loads(request.body)
    assert body["event"] == event
    assert request.headers["X-OpenPractice-Delivery"] == body["id"]
    assert dt.datetime.fromisoformat(body["created_at"])
    return body


def test_each_event_reaches_a_local_receiver_signed_through_the_real_services(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver() as receiver:
        subscription, secret = subscribe(manager, receiver.url)
        patient = PatientFactory(home_location=north, last_name="Zebulon-Quist")
        provider = ProviderFactory(locations=[north])

        appointment = run_on_commit(lambda: appointment_book(
            actor=manager, patient=patient, provider=provider, location=north,
            appointment_type=AppointmentTypeFactory(), starts_at=_monday_nine()))
        run_on_commit(lambda: appointment_cancel(actor=manager, appointment=appointment, reason="Patient is ill"))
        claim = make_claim(location=north, actor=manager)
        run_on_commit(lambda: claim_transition(actor=manager, claim=claim, to_status=ClaimStatus.HELD,
                                               source="scrubber", reason="test"))
        payment = run_on_commit(lambda: patient_payment_record(
            actor=manager, patient=patient, amount="25.00", method=PaymentMethod.CASH, received_on=practice_today()))
        item, place = ItemFactory(), place_at(north)
        stock_receive(actor=manager, item=item, place=place, quantity=10)
        par_set(actor=manager, item=item, place=place, par=8, reorder_point=3)
        run_on_commit(lambda: stock_consume(actor=manager, item=item, place=place, quantity=6))  # 4 left: above
        run_on_commit(lambda: stock_consume(actor=manager, item=item, place=place, quantity=1))  # 3: crosses
        run_on_commit(lambda: stock_consume(actor=manager, item=item, place=place, quantity=1))  # 2: already below
        incident = run_on_commit(lambda: _report_incident(manager, north))

    received = {request.headers["X-OpenPractice-Event"]: request for request in receiver.requests}
    assert [r.headers["X-OpenPractice-Event"] for r in receiver.requests] == [
        "appointment.booked", "appointment.cancelled", "claim.status_changed", "payment.posted",
        "stock.below_par", "incident.logged"]
    assert all(request.path == "/hooks/openpractice?source=test" for request in receiver.requests)
    booked = _checked(received["appointment.booked"], secret, "appointment.booked")["data"]
    assert booked == {"appointment_id": appointment.pk, "patient_id": patient.pk, "provider_id": provider.pk,
                      "location_id": north.pk, "start": appointment.starts_at.isoformat(),
                      "end": appointment.ends_at.isoformat(), "status": "booked"}
    cancelled = _checked(received["appointment.cancelled"], secret, "appointment.cancelled")["data"]
    assert cancelled["appointment_id"] == appointment.pk
    assert cancelled["status"] == "cancelled"
    status = _checked(received["claim.status_changed"], secret, "claim.status_changed")["data"]
    assert (status["claim_id"], status["claim_number"], status["old_status"], status["new_status"]) == (
        claim.pk, claim.claim_number, "draft", "held")
    paid = _checked(received["payment.posted"], secret, "payment.posted")["data"]
    assert (paid["payment_id"], paid["kind"], paid["amount"]) == (payment.pk, "patient", "25.00")
    stock = _checked(received["stock.below_par"], secret, "stock.below_par")["data"]
    assert stock == {"item_id": item.pk, "place_id": place.pk, "location_id": north.pk, "on_hand": 3, "par": 8,
                     "reorder_point": 3}
    logged = _checked(received["incident.logged"], secret, "incident.logged")["data"]
    assert (logged["incident_id"], logged["category"]) == (incident.pk, IncidentKind.LOSS_THEFT)
    # Minimum necessary: ids and facts, never the patient's name, the cancel reason or the incident's text.
    everything = b"".join(request.body for request in receiver.requests)
    for text in (b"Zebulon", b"ill", b"Laptop", b"laptop"):
        assert text not in everything
    assert set(WebhookDelivery.objects.filter(subscription=subscription).values_list("status", "attempts")) == {
        (DeliveryStatus.DELIVERED, 1)}
    assert WebhookDelivery.objects.get(event="incident.logged").last_status_code == 200


def test_a_refused_answer_is_retried_after_the_backoff_and_then_delivered(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver(500, 200) as receiver:
        _subscription, secret = subscribe(manager, receiver.url, [WebhookEvent.INCIDENT_LOGGED])
        run_on_commit(lambda: _report_incident(manager, north))
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
            DeliveryStatus.RETRYING, 1, 500, "HTTP 500")
        assert delivery.next_attempt_at is not None
        assert delivery.last_attempt_at is not None
        assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(minutes=1)

        assert sender.send_due(now=timezone.now()) == 0  # not due yet: nothing sent
        assert len(receiver.requests) == 1
        assert sender.send_due(now=delivery.next_attempt_at + dt.timedelta(seconds=1)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED, 2, 200, "")
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    first, second = (json.loads(request.body) for request in receiver.requests)
    assert first["id"] == second["id"] == str(delivery.event_id)  # the same event, so receivers can de-duplicate
    assert verify(secret, receiver.requests[1].body, receiver.requests[1].headers[HEADER])


def test_the_minute_task_sends_the_retries_that_are_due(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver(503) as receiver:
        subscribe(manager, receiver.url, [WebhookEvent.INCIDENT_LOGGED])
        run_on_commit(lambda: _report_incident(manager, north))
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        send_due_webhooks.call_local()
    assert len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_delivery_is_given_up_after_the_sixth_failed_attempt(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver(*[500] * 10) as receiver:
        subscribe(manager, receiver.url, [WebhookEvent.INCIDENT_LOGGED])
        run_on_commit(lambda: _report_incident(manager, north))
        waits = []
        for _attempt in range(6):
            delivery = WebhookDelivery.objects.get()
            if delivery.next_attempt_at is None:
                break
            assert delivery.last_attempt_at is not None
            waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
            sender.send_due(now=delivery.next_attempt_at)
        assert sender.send_due(now=timezone.now() + dt.timedelta(days=30)) == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 6, None)
    assert len(receiver.requests) == 6
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                     dt.timedelta(hours=2), dt.timedelta(hours=12)]


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver(302) as receiver:
        subscribe(manager, receiver.url, [WebhookEvent.INCIDENT_LOGGED])
        run_on_commit(lambda: _report_incident(manager, north))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.RETRYING, 302)
    assert "redirect" in delivery.last_error
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_recorded_without_the_url_or_secret(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    _subscription, secret = subscribe(manager, "http://127.0.0.1:9/hook?token=abc", [WebhookEvent.INCIDENT_LOGGED])
    run_on_commit(lambda: _report_incident(manager, north))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.RETRYING, 1, None)
    assert delivery.last_error
    assert "token" not in delivery.last_error
    assert secret not in delivery.last_error


def test_one_delivery_is_claimed_by_one_worker_only(
        manager: User, north: Location, subscribe: Subscribe) -> None:
    subscription, _secret = subscribe(manager, "http://127.0.0.1:9/hook", [WebhookEvent.INCIDENT_LOGGED])
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(subscription=subscription, event="incident.logged", payload={},
                                              next_attempt_at=now)
    assert sender.claim(delivery.pk, now=now) is True
    assert sender.claim(delivery.pk, now=now) is False  # the second worker finds it taken
    assert sender.attempt(delivery.pk, now=now) is None
    delivery.refresh_from_db()
    assert delivery.attempts == 0
    assert delivery.next_attempt_at == now + sender.LEASE


@override_settings(OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE=False)
def test_a_url_that_points_at_a_private_address_by_delivery_time_is_not_called(
        manager: User, north: Location, run_on_commit: Run) -> None:
    with http_receiver() as receiver:
        with override_settings(OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE=True):
            from openpractice.integrations.services_webhooks import subscription_create
            subscription_create(actor=manager, name="Was allowed", url=receiver.url,
                                events=[WebhookEvent.INCIDENT_LOGGED])
        run_on_commit(lambda: _report_incident(manager, north))
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error.startswith("refused:")


# --- who hears what ----------------------------------------------------------------------------------------------


def test_an_owner_without_billing_view_at_the_location_gets_no_claim_events(
        make_user: Callable[..., User], manager: User, north: Location, south: Location, subscribe: Subscribe,
        run_on_commit: Run) -> None:
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], username="north-pm")
    mine, _secret = subscribe(north_manager, "http://127.0.0.1:9/hook", [WebhookEvent.CLAIM_STATUS_CHANGED])
    for location in (north, south):
        claim = make_claim(location=location, actor=manager)
        run_on_commit(lambda claim=claim: claim_transition(actor=manager, claim=claim, to_status=ClaimStatus.HELD,
                                                           source="scrubber"))
    sent = list(WebhookDelivery.objects.filter(subscription=mine))
    assert [delivery.payload["data"]["location_id"] for delivery in sent] == [north.pk]


def test_a_deactivated_owner_and_an_inactive_subscription_get_nothing(
        make_user: Callable[..., User], manager: User, north: Location, subscribe: Subscribe,
        run_on_commit: Run) -> None:
    leaver = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="leaver")
    of_leaver, _secret = subscribe(leaver, "http://127.0.0.1:9/a", [WebhookEvent.INCIDENT_LOGGED])
    stopped, _secret = subscribe(manager, "http://127.0.0.1:9/b", [WebhookEvent.INCIDENT_LOGGED], name="Stopped")
    other_event, _secret = subscribe(manager, "http://127.0.0.1:9/c", [WebhookEvent.STOCK_BELOW_PAR], name="Stock")
    listening, _secret = subscribe(manager, "http://127.0.0.1:9/d", [WebhookEvent.INCIDENT_LOGGED], name="Live")
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    stopped.is_active = False
    stopped.save(update_fields=["is_active"])
    run_on_commit(lambda: _report_incident(manager, north))
    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [listening.pk]
    assert not {of_leaver.pk, stopped.pk, other_event.pk} & set(
        WebhookDelivery.objects.values_list("subscription", flat=True))


def test_a_rolled_back_transaction_announces_nothing(
        manager: User, north: Location, subscribe: Subscribe, run_on_commit: Run) -> None:
    with http_receiver() as receiver:
        subscribe(manager, receiver.url)

        def report_then_fail() -> None:
            with transaction.atomic():
                _report_incident(manager, north)
                raise RuntimeError("something else failed")

        with pytest.raises(RuntimeError):
            run_on_commit(report_then_fail)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()
