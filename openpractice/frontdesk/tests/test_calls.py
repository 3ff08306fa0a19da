"""Logging a call at the desk: the call becomes a routed PHONE message (with a callback when one is asked for), the
desk sees where it went and is ready for the next call; bad input saves nothing; the patient search offers only
patients the desk may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.accounts.permissions import SESSION_LOCATION_KEY
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_now
from openpractice.frontdesk.choices import Category, Channel, EntryKind, Priority
from openpractice.frontdesk.models import CallbackTask, Message
from openpractice.frontdesk.services.calls import call_log
from openpractice.frontdesk.tests import factories_desk as fx
from openpractice.frontdesk.tests.factories_routing import QueueFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db
desk_north, office_manager, biller, patient_north, patient_south, desk_queue = (
    fx.desk_north, fx.office_manager, fx.biller, fx.patient_north, fx.patient_south, fx.desk_queue)
CALL = reverse("frontdesk:call_log")
PICK = reverse("frontdesk:patient_pick")


def _call(location, **fields):
    data = {"caller_name": "Ana Diaz", "phone": "(919) 555-0142", "category": Category.APPOINTMENT,
            "body": "Wants to move Tuesday's visit to Friday.", "priority": "", "location": location.pk,
            "callback_number": ""}
    data.update(fields)
    return data


def test_the_desk_logs_a_call_that_is_routed_and_gets_a_callback(signed_in, desk_north, north, patient_north,
                                                                   desk_queue):
    client = signed_in(desk_north)
    due = (practice_now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(CALL, _call(north, patient=patient_north.pk, priority=Priority.HIGH,
                                       callback_needed="on", callback_due_at=due))

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{CALL}?logged={message.pk}"
    assert (message.channel, message.location, message.patient, message.priority, message.category) == (
        Channel.PHONE, north, patient_north, Priority.HIGH, Category.APPOINTMENT)
    assert (message.sender_name, message.sender_phone, message.callback_number) == (
        "Ana Diaz", "(919) 555-0142", "(919) 555-0142")
    assert message.created_by == desk_north
    assert message.queue == desk_queue
    callback = CallbackTask.objects.get()
    assert (callback.message, callback.assignee, callback.number) == (message, desk_north, "(919) 555-0142")
    assert message.entries.filter(kind=EntryKind.CALLBACK).count() == 1
    page = client.get(response["Location"])
    assert message.number in page.content.decode()
    assert desk_queue.name in page.content.decode()
    assert "Ready for the next call" in page.content.decode()


def test_the_page_says_which_queue_and_person_a_routed_call_went_to(signed_in, desk_north, north, desk_queue):
    billing = QueueFactory(name="Billing office")
    RoutingRuleFactory(queue=billing, categories=[Category.BILLING], assign_to=desk_north)
    client = signed_in(desk_north)

    response = client.post(CALL, _call(north, category=Category.BILLING, body="Question about a bill."),
                           follow=True)

    message = Message.objects.get()
    assert message.queue == billing
    assert message.assignee == desk_north
    text = response.content.decode()
    assert "Billing office" in text
    assert desk_north.display_name in text


def test_a_call_without_a_message_or_with_a_bad_number_is_refused_and_nothing_is_saved(signed_in, desk_north,
                                                                                         north, desk_queue):
    client = signed_in(desk_north)

    response = client.post(CALL, _call(north, body="", phone="555-12"))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"body"}
    assert Message.objects.count() == 0
    assert CallbackTask.objects.count() == 0
    bad_phone = client.post(CALL, _call(north, phone="555-12"))
    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.context["form"].errors
    assert Message.objects.count() == 0


def test_a_callback_needs_a_time_and_nothing_is_saved_without_one(signed_in, desk_north, north, desk_queue):
    response = signed_in(desk_north).post(CALL, _call(north, callback_needed="on", callback_due_at=""))

    assert response.status_code == 400
    assert "callback_due_at" in response.context["form"].errors
    assert Message.objects.count() == 0
    assert CallbackTask.objects.count() == 0


def test_a_callback_time_in_the_past_is_refused_and_nothing_is_saved(signed_in, desk_north, north, desk_queue):
    past = (practice_now() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    response = signed_in(desk_north).post(CALL, _call(north, callback_needed="on", callback_due_at=past))

    assert response.status_code == 400
    assert "callback_due_at" in response.context["form"].errors
    assert Message.objects.count() == 0
    assert CallbackTask.objects.count() == 0


def test_a_patient_of_another_location_cannot_be_picked_and_nothing_is_saved(signed_in, desk_north, north,
                                                                             patient_south, desk_queue):
    response = signed_in(desk_north).post(CALL, _call(north, patient=patient_south.pk))

    assert response.status_code == 400
    assert "patient" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_the_call_location_defaults_to_the_location_the_desk_works_at_now(signed_in, desk_north, north, south,
                                                                          desk_queue, make_user):
    both = make_user("front_desk", locations=[north, south])
    client = signed_in(both)
    session = client.session
    session[SESSION_LOCATION_KEY] = south.pk
    session.save()

    form = client.get(CALL).context["form"]

    assert form.initial["location"] == south.pk
    assert list(form.fields["location"].queryset) == [north, south]


def test_the_patient_search_shows_only_patients_the_desk_may_see(signed_in, desk_north, patient_north,
                                                                 patient_south):
    client = signed_in(desk_north)

    by_name = client.get(PICK, {"patient_q": "Alma"})
    by_phone = client.get(PICK, {"patient_q": "919-555-0142"})
    by_birth = client.get(PICK, {"patient_q": "06/14/1975"})
    other_phone = client.get(PICK, {"patient_q": "919-555-0143"})

    for response in (by_name, by_phone, by_birth):
        assert [patient.pk for patient in response.context["matches"]] == [patient_north.pk]
        assert patient_north.account_number in response.content.decode()
        assert patient_south.account_number not in response.content.decode()
    assert list(other_phone.context["matches"]) == []
    # Each search that showed patients is on record, without the words searched.
    assert AuditEvent.objects.filter(actor=desk_north, action="patients.searched").count() == 4


def test_someone_who_sees_no_patients_gets_no_patient_search_results(signed_in, office_manager, patient_north):
    response = signed_in(office_manager).get(PICK, {"patient_q": "Alma"})

    assert response.status_code == 200
    assert list(response.context["matches"]) == []
    assert response.context["allowed"] is False
    assert patient_north.last_name not in response.content.decode()


def test_staff_without_front_desk_rights_cannot_open_the_call_log(signed_in, biller):
    response = signed_in(biller).get(CALL)

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=biller, outcome="denied").count() == 1


def test_the_service_refuses_a_call_at_a_location_the_desk_does_not_work_and_saves_nothing(desk_north, south,
                                                                                           desk_queue):
    with pytest.raises(PermissionDenied):
        call_log(actor=desk_north, caller_name="Ana", phone="919-555-0142", body="Hello", location=south)

    assert Message.objects.count() == 0
    assert fx.denials(desk_north) == 1


def test_the_service_refuses_a_patient_out_of_scope_audits_it_and_saves_nothing(desk_north, north, patient_south,
                                                                                desk_queue):
    with pytest.raises(PermissionDenied):
        call_log(actor=desk_north, caller_name="Ana", phone="919-555-0142", body="Hello", location=north,
                 patient=patient_south)

    assert Message.objects.count() == 0
    assert fx.denials(desk_north) == 1


def test_the_service_names_each_bad_field(desk_north, north, desk_queue):
    with pytest.raises(ValidationError) as caught:
        call_log(actor=desk_north, caller_name="", phone="", body="", location=north, category="nonsense",
                 priority="asap")

    assert set(caught.value.message_dict) == {"caller_name", "body", "category", "priority"}
    assert Message.objects.count() == 0
