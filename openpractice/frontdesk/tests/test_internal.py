"""Messages between staff: any signed-in staff member writes to a colleague or a queue; the message is an INTERNAL
one routed like the others; a patient may be named only by someone who may see that patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from openpractice.frontdesk.choices import Channel, EntryKind
from openpractice.frontdesk.models import Message
from openpractice.frontdesk.selectors_messages import message_for_actor
from openpractice.frontdesk.services.internal import internal_send
from openpractice.frontdesk.tests import factories_desk as fx
from openpractice.frontdesk.tests.factories_routing import QueueFactory

pytestmark = pytest.mark.django_db
desk_north, office_manager, biller, nurse, patient_north, patient_south, desk_queue = (
    fx.desk_north, fx.office_manager, fx.biller, fx.nurse, fx.patient_north, fx.patient_south, fx.desk_queue)
NEW = reverse("frontdesk:internal_new")


def test_a_nurse_writes_to_a_colleague_who_then_sees_and_holds_the_message(signed_in, nurse, biller, desk_queue):
    response = signed_in(nurse).post(NEW, {"recipient": biller.pk, "subject": "Patient asked about a bill",
                                           "body": "Mrs. D. says she was charged twice.", "priority": ""})

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{NEW}?sent={message.pk}"
    assert (message.channel, message.sender_user, message.assignee, message.created_by) == (
        Channel.INTERNAL, nurse, biller, nurse)
    assert message_for_actor(actor=biller, pk=message.pk) == message
    assert message_for_actor(actor=nurse, pk=message.pk) == message


def test_a_message_to_a_queue_goes_there_with_that_queues_service_levels(signed_in, nurse, desk_queue):
    lab = QueueFactory(name="Lab team", first_response_minutes=30, resolve_minutes=120)

    signed_in(nurse).post(NEW, {"queue": lab.pk, "subject": "Courier is here", "body": "Lab box pick-up."})

    message = Message.objects.get()
    assert (message.queue, message.assignee) == (lab, None)
    assert message.first_response_due == message.received_at + dt.timedelta(minutes=30)
    assert message.resolve_due == message.received_at + dt.timedelta(minutes=120)
    assert message.entries.filter(kind=EntryKind.ROUTED, to_queue=lab, author=nurse).exists()


def test_a_message_to_nobody_or_to_both_a_person_and_a_queue_is_refused_and_nothing_is_saved(signed_in, nurse,
                                                                                           biller, desk_queue):
    client = signed_in(nurse)

    nobody = client.post(NEW, {"subject": "Hello", "body": "Hi"})
    both = client.post(NEW, {"recipient": biller.pk, "queue": desk_queue.pk, "subject": "Hello", "body": "Hi"})
    empty = client.post(NEW, {"recipient": biller.pk, "subject": "", "body": ""})

    assert nobody.status_code == both.status_code == empty.status_code == 400
    assert "recipient" in nobody.context["form"].errors
    assert "recipient" in both.context["form"].errors
    assert {"subject", "body"} <= set(empty.context["form"].errors)
    assert Message.objects.count() == 0


def test_the_desk_names_a_patient_it_sees_and_the_message_belongs_to_the_patients_location(
        signed_in, desk_north, biller, north, patient_north, desk_queue):
    signed_in(desk_north).post(NEW, {"recipient": biller.pk, "subject": "Billing question",
                                     "body": "Please call her.", "patient": patient_north.pk})

    message = Message.objects.get()
    assert (message.patient, message.location) == (patient_north, north)


def test_a_patient_of_another_location_cannot_be_named(signed_in, desk_north, biller, patient_south, desk_queue):
    response = signed_in(desk_north).post(NEW, {"recipient": biller.pk, "subject": "Billing question",
                                                "body": "Please call her.", "patient": patient_south.pk})

    assert response.status_code == 400
    assert "patient" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_someone_who_sees_no_patients_is_offered_no_patient_field(signed_in, office_manager, biller, patient_north,
                                                                   desk_queue):
    client = signed_in(office_manager)

    assert "patient" not in client.get(NEW).context["form"].fields
    client.post(NEW, {"recipient": biller.pk, "subject": "Supplies", "body": "Order more gloves.",
                      "patient": patient_north.pk})
    assert Message.objects.get().patient is None


def test_the_service_refuses_a_patient_out_of_scope_audits_it_and_saves_nothing(desk_north, biller, patient_south,
                                                                                desk_queue):
    with pytest.raises(PermissionDenied):
        internal_send(actor=desk_north, subject="Hi", body="Hi", recipient=biller, patient=patient_south)

    assert Message.objects.count() == 0
    assert fx.denials(desk_north) == 1


def test_signing_in_is_needed(client):
    response = client.get(NEW)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
