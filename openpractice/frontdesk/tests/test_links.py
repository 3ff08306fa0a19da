"""Links from a message to a patient, appointment, claim, case or work order: only by someone who may work the
message, and only to records they may see themselves (each app's own selectors). A refusal is audited and changes
nothing. A case or a work order opened from a message gets the message's words and is linked back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from openpractice.audit.models import AuditEvent
from openpractice.billing.tests.factories import make_claim
from openpractice.cases.models import Case
from openpractice.cases.tests.factories import category
from openpractice.facilities.models import WorkOrder
from openpractice.frontdesk.choices import EntryKind
from openpractice.frontdesk.models import Message
from openpractice.frontdesk.services.links import message_case_open, message_link_set, message_work_order_open
from openpractice.frontdesk.tests import factories_desk as fx
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

pytestmark = pytest.mark.django_db
desk_north, desk_south, biller, nurse, patient_north, patient_south, desk_queue = (
    fx.desk_north, fx.desk_south, fx.biller, fx.nurse, fx.patient_north, fx.patient_south, fx.desk_queue)


def _url(name, message):
    return reverse(f"frontdesk:{name}", kwargs={"pk": message.pk})


@pytest.fixture
def message(north, desk_queue):
    return fx.make_message(location=north, subject="Charged twice for one visit",
                           body="She says her card was charged twice for the March visit.", sender_name="Ana Diaz",
                           sender_phone="919-555-0142")


def test_the_desk_links_a_patient_it_sees_by_account_number(signed_in, desk_north, message, patient_north):
    response = signed_in(desk_north).post(_url("message_link", message),
                                          {"kind": "patient", "number": patient_north.account_number.lower()})

    assert response.status_code == 302
    assert response["Location"] == _url("message_detail", message)
    message.refresh_from_db()
    assert message.patient == patient_north
    entry = message.entries.get(kind=EntryKind.LINKED)
    assert entry.author == desk_north
    assert patient_north.account_number not in entry.body
    event = AuditEvent.objects.get(action="frontdesk.message_linked")
    assert (event.patient_id, event.object_id, event.changed_fields) == (patient_north.pk, str(message.pk),
                                                                         "patient")


def test_a_patient_of_another_location_is_refused_audited_and_nothing_changes(signed_in, desk_north, message,
                                                                              patient_south):
    before = fx.snapshot()

    response = signed_in(desk_north).post(_url("message_link", message),
                                          {"kind": "patient", "number": patient_south.account_number})

    assert response.status_code == 400
    assert "number" in response.context["link_form"].errors
    assert fx.snapshot() == before
    denied = AuditEvent.objects.get(actor=desk_north, outcome="denied")
    assert (denied.object_type, denied.object_id) == ("patients.patient", str(patient_south.pk))


def test_an_unknown_number_is_refused_the_same_way_without_a_denial(signed_in, desk_north, message):
    response = signed_in(desk_north).post(_url("message_link", message), {"kind": "patient", "number": "P9999999"})

    assert response.status_code == 400
    assert "number" in response.context["link_form"].errors
    assert fx.denials(desk_north) == 0


def test_the_service_refuses_a_patient_out_of_scope_audits_it_and_changes_nothing(desk_north, message,
                                                                                  patient_south):
    before = fx.snapshot()

    with pytest.raises(PermissionDenied):
        message_link_set(actor=desk_north, message=message, field="patient", target=patient_south)

    assert fx.snapshot() == before
    assert fx.denials(desk_north) == 1


def test_claims_are_linked_only_by_those_who_see_billing(signed_in, desk_north, biller, message, north, south):
    claim = make_claim(location=north, actor=biller)
    elsewhere = make_claim(location=south, actor=biller)
    message.assignee = biller  # routed to the biller, who holds no front-desk rights
    message.save(update_fields=["assignee"])

    desk_try = signed_in(desk_north).post(_url("message_link", message), {"kind": "claim", "number": claim.claim_number})
    assert desk_try.status_code == 400
    assert "kind" in desk_try.context["link_form"].errors
    with pytest.raises(PermissionDenied):
        message_link_set(actor=desk_north, message=message, field="claim", target=claim)
    with pytest.raises(PermissionDenied):
        message_link_set(actor=biller, message=message, field="claim", target=elsewhere)
    message.refresh_from_db()
    assert message.claim is None

    message_link_set(actor=biller, message=message, field="claim", target=claim)
    message.refresh_from_db()
    assert message.claim == claim
    # Removing the claim link needs sight of the claim too.
    with pytest.raises(PermissionDenied):
        message_link_set(actor=desk_north, message=message, field="claim", target=None)
    message.refresh_from_db()
    assert message.claim == claim


def test_an_appointment_at_the_desks_location_is_linked(desk_north, message, north, south, patient_north):
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    visit = AppointmentFactory(patient=patient_north, provider=ProviderFactory(locations=[north]), location=north,
                               starts_at=start)
    other = AppointmentFactory(patient=patient_north, provider=ProviderFactory(locations=[south]), location=south,
                               starts_at=start)

    with pytest.raises(PermissionDenied):
        message_link_set(actor=desk_north, message=message, field="appointment", target=other)
    message_link_set(actor=desk_north, message=message, field="appointment", target=visit)

    message.refresh_from_db()
    assert message.appointment == visit


def test_someone_who_may_not_work_the_message_gets_a_404_and_nothing_changes(signed_in, desk_south, message,
                                                                             patient_north):
    before = fx.snapshot()

    response = signed_in(desk_south).post(_url("message_link", message),
                                          {"kind": "patient", "number": patient_north.account_number})

    assert response.status_code == 404
    assert fx.denials(desk_south) == 1
    assert fx.snapshot() == before


def test_a_case_opened_from_a_message_carries_its_words_and_patient_and_is_linked(signed_in, desk_north, message,
                                                                                 patient_north, north):
    message.patient = patient_north
    message.save(update_fields=["patient"])

    response = signed_in(desk_north).post(_url("message_case_open", message), {
        "category": category(name="Billing dispute").pk, "severity": "high", "subject": "Charged twice"})

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.subject, case.narrative, case.patient, case.location, case.severity) == (
        "Charged twice", message.body, patient_north, north, "high")
    assert (case.complainant_name, case.complainant_contact, case.filed_by) == ("Ana Diaz", "919-555-0142",
                                                                              desk_north)
    message.refresh_from_db()
    assert message.case == case
    assert message.entries.filter(kind=EntryKind.LINKED, body__contains=case.number).exists()


def test_a_message_already_linked_to_a_case_opens_no_second_one(desk_north, message):
    message_case_open(actor=desk_north, message=message, category=category(name="Billing dispute"))

    with pytest.raises(ValidationError):
        message_case_open(actor=desk_north, message=message, category=category(name="Billing dispute"))

    assert Case.objects.count() == 1


def test_a_work_order_opened_from_a_message_is_linked_and_audited(signed_in, desk_north, message, north):
    response = signed_in(desk_north).post(_url("message_work_order_open", message), {
        "location": north.pk, "title": "Waiting room door sticks", "description": "Caller could not get in.",
        "room": "Lobby", "priority": "high"})

    assert response.status_code == 302
    work_order = WorkOrder.objects.get()
    assert (work_order.location, work_order.title, work_order.priority, work_order.room, work_order.reported_by) == (
        north, "Waiting room door sticks", "high", "Lobby", desk_north)
    message.refresh_from_db()
    assert message.work_order == work_order
    assert AuditEvent.objects.filter(action="facilities.work_order_opened").count() == 1
    assert AuditEvent.objects.filter(action="frontdesk.message_linked", changed_fields="work_order").count() == 1


def test_a_work_order_at_a_location_the_actor_does_not_work_is_refused_and_nothing_changes(signed_in, desk_north,
                                                                                            message, south):
    before = fx.snapshot()

    response = signed_in(desk_north).post(_url("message_work_order_open", message), {
        "location": south.pk, "title": "Roof leak", "priority": "normal"})
    with pytest.raises(PermissionDenied):
        message_work_order_open(actor=desk_north, message=message, location=south, title="Roof leak")

    assert response.status_code == 400
    assert "location" in response.context["work_order_form"].errors
    assert WorkOrder.objects.count() == 0
    assert fx.snapshot() == before
    assert fx.denials(desk_north) == 1


def test_the_link_forms_are_offered_only_to_those_who_may_use_them(rf, desk_north, desk_south, message):
    from openpractice.frontdesk.views_desk import link_panels

    request = rf.get("/")
    request.user = desk_north
    panels = link_panels(request, message)
    assert [kind for kind, _label in panels["link_form"].fields["kind"].choices] == ["patient", "appointment"]
    assert panels["case_form"] is not None
    assert panels["work_order_form"] is not None
    assert panels["callback_form"] is not None
    request.user = desk_south
    assert link_panels(request, message) == {"link_form": None, "case_form": None, "work_order_form": None,
                                             "callback_form": None}


def test_a_closed_message_takes_no_new_link_until_it_is_reopened(desk_north, message, patient_north):
    Message.objects.filter(pk=message.pk).update(status="closed", closed_at=timezone.now(), outcome="resolved")
    message.refresh_from_db()

    with pytest.raises(ValidationError):
        message_link_set(actor=desk_north, message=message, field="patient", target=patient_north)

    assert Message.objects.get(pk=message.pk).patient_id is None
