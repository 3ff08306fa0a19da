"""The public contact form: anyone writes without signing in and the message lands in the queues; a filled honeypot
is thanked and forgotten; past the hourly limit a client gets a 429 that says why, and nothing is stored; CSRF
holds; bad input is refused field by field."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.core.tests.factories import LocationFactory
from openpractice.frontdesk.choices import Channel, EntryKind
from openpractice.frontdesk.models import ContactSubmission, Message
from openpractice.frontdesk.services.contact_form import SUBMISSIONS_PER_HOUR, client_hash
from openpractice.frontdesk.tests import factories_desk as fx

pytestmark = pytest.mark.django_db
desk_queue = fx.desk_queue
CONTACT = reverse("contact:form")


def _form(**fields):
    data = {"name": "Ana Diaz", "email": "ana@example.org", "phone": "", "subject": "Parking at the clinic",
            "body": "Is there parking for visitors at the North clinic?", "website": ""}
    data.update(fields)
    return data


def test_anyone_opens_the_form_and_the_honeypot_is_hidden_from_people(client, practice, north):
    response = client.get(CONTACT)

    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in text
    assert '<div hidden aria-hidden="true">' in text
    assert 'name="website"' in text
    assert "North Clinic" in text


def test_a_message_sent_through_the_form_lands_in_the_queues_as_a_web_message(client, practice, north, desk_queue):
    response = client.post(CONTACT, _form(location=north.pk, phone="919-555-0142"), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert response["Location"] == f"{CONTACT}?sent=1"
    message = Message.objects.get()
    assert (message.channel, message.location, message.queue, message.created_by) == (
        Channel.WEB, north, desk_queue, None)
    assert (message.sender_name, message.sender_email, message.sender_phone, message.subject) == (
        "Ana Diaz", "ana@example.org", "919-555-0142", "Parking at the clinic")
    assert message.entries.filter(kind=EntryKind.INBOUND).get().body.startswith("Is there parking")
    submission = ContactSubmission.objects.get()
    assert submission.accepted
    assert submission.client_hash == client_hash("203.0.113.7")
    assert "203.0.113.7" not in submission.client_hash
    assert "Thank you" in client.get(response["Location"]).content.decode()


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(client, practice, north, desk_queue):
    response = client.post(CONTACT, _form(website="http://spam.example"), REMOTE_ADDR="203.0.113.8")

    assert response.status_code == 302
    assert response["Location"] == f"{CONTACT}?sent=1"
    assert Message.objects.count() == 0
    assert ContactSubmission.objects.count() == 0


def test_past_the_hourly_limit_a_client_gets_a_429_and_nothing_more_is_stored(client, practice, desk_queue):
    for number in range(SUBMISSIONS_PER_HOUR):
        assert client.post(CONTACT, _form(subject=f"Question {number}"), REMOTE_ADDR="198.51.100.4").status_code == 302

    refused = client.post(CONTACT, _form(subject="One too many"), REMOTE_ADDR="198.51.100.4")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many messages" in refused.content.decode()
    assert "Please try again in an hour" in refused.content.decode()
    assert Message.objects.count() == SUBMISSIONS_PER_HOUR
    assert not Message.objects.filter(subject="One too many").exists()
    assert ContactSubmission.objects.count() == SUBMISSIONS_PER_HOUR  # the refusal is not stored
    # Another client is not held back.
    assert client.post(CONTACT, _form(subject="Elsewhere"), REMOTE_ADDR="198.51.100.5").status_code == 302


def test_a_message_without_a_way_to_answer_or_too_long_is_refused_and_nothing_is_stored(client, practice,
                                                                                       desk_queue):
    no_contact = client.post(CONTACT, _form(email="", phone=""))
    too_long = client.post(CONTACT, _form(body="x" * 5001))
    bad_phone = client.post(CONTACT, _form(email="", phone="123"))
    bad_email = client.post(CONTACT, _form(email="not-an-address"))

    assert no_contact.status_code == 400
    assert "email" in no_contact.context["form"].errors
    assert too_long.status_code == 400
    assert "body" in too_long.context["form"].errors
    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.context["form"].errors
    assert bad_email.status_code == 400
    assert "email" in bad_email.context["form"].errors
    assert Message.objects.count() == 0
    assert ContactSubmission.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_stored(practice, desk_queue):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(CONTACT, _form())

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_only_active_locations_are_offered(client, practice, north):
    closed = LocationFactory(practice=practice, name="Old Clinic", code="old", is_active=False)

    form = client.get(CONTACT).context["form"]

    assert north in form.fields["location"].queryset
    assert closed not in form.fields["location"].queryset
    refused = client.post(CONTACT, _form(location=closed.pk))
    assert refused.status_code == 400
    assert "location" in refused.context["form"].errors
