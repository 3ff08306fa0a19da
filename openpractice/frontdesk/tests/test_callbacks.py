"""Callbacks: asked for on a message, listed on the assignee's "My callbacks" (overdue first) until done; done with a
result, it answers the message (first response) and lands on its timeline. Someone else's callback elsewhere is
a 404, audited, and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.audit.models import AuditEvent
from openpractice.frontdesk.choices import EntryKind
from openpractice.frontdesk.models import CallbackTask
from openpractice.frontdesk.services.callbacks import callback_create, callback_done
from openpractice.frontdesk.tests import factories_desk as fx

pytestmark = pytest.mark.django_db
desk_north, desk_south, biller, desk_queue = fx.desk_north, fx.desk_south, fx.biller, fx.desk_queue
MINE = reverse("frontdesk:callback_mine")


def _done(callback):
    return reverse("frontdesk:callback_done", kwargs={"pk": callback.pk})


def test_asking_for_a_callback_puts_it_on_the_message_and_in_the_audit_trail(desk_north, biller, north, desk_queue):
    message = fx.make_message(location=north)
    due = timezone.now() + dt.timedelta(hours=3)

    callback = callback_create(actor=desk_north, message=message, assignee=biller, number="919-555-0100",
                               due_at=due, note="Ask about the EOB")

    assert (callback.assignee, callback.created_by, callback.due_at, callback.done_at) == (biller, desk_north, due,
                                                                                         None)
    entry = message.entries.get(kind=EntryKind.CALLBACK)
    assert entry.to_user == biller
    assert entry.author == desk_north
    assert AuditEvent.objects.filter(action="frontdesk.callback_created", object_id=str(callback.pk)).count() == 1


def test_a_callback_due_in_the_past_or_for_nobody_is_refused(desk_north, north, desk_queue):
    message = fx.make_message(location=north)

    with pytest.raises(ValidationError) as caught:
        callback_create(actor=desk_north, message=message, assignee=None, number="919-555-0100",
                        due_at=timezone.now() - dt.timedelta(hours=2))

    assert set(caught.value.message_dict) == {"assignee", "due_at"}
    assert CallbackTask.objects.count() == 0


def test_someone_who_may_not_work_the_message_cannot_ask_for_a_callback(desk_south, north, desk_queue):
    message = fx.make_message(location=north)

    with pytest.raises(PermissionDenied):
        callback_create(actor=desk_south, message=message, assignee=desk_south, number="919-555-0100",
                        due_at=timezone.now() + dt.timedelta(hours=1))

    assert CallbackTask.objects.count() == 0
    assert fx.denials(desk_south) == 1


def test_my_callbacks_lists_my_open_ones_overdue_first_in_constant_queries(signed_in, desk_north, biller, north,
                                                                          desk_queue):
    message = fx.make_message(location=north)
    later = fx.make_callback(message, desk_north, due_in=dt.timedelta(hours=4))
    overdue = fx.make_callback(message, desk_north, due_in=-dt.timedelta(hours=1))
    done = fx.make_callback(message, desk_north)
    CallbackTask.objects.filter(pk=done.pk).update(done_at=timezone.now(), done_by=desk_north, result="Reached")
    fx.make_callback(message, biller)  # someone else's
    client = signed_in(desk_north)

    response = client.get(MINE)

    rows = response.context["rows"]
    assert [row["callback"].pk for row in rows] == [overdue.pk, later.pk]
    assert [row["overdue"] for row in rows] == [True, False]
    assert "Overdue" in response.content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get(MINE)
    for _ in range(6):
        fx.make_callback(fx.make_message(location=north), desk_north)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(MINE).context["rows"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_marking_a_callback_done_records_the_result_and_answers_the_message(signed_in, desk_north, north,
                                                                           desk_queue):
    message = fx.make_message(location=north)
    callback = fx.make_callback(message, desk_north)

    response = signed_in(desk_north).post(_done(callback), {"result": "Moved her visit to Friday"})

    assert response.status_code == 302
    assert response["Location"] == MINE
    callback.refresh_from_db()
    message.refresh_from_db()
    assert (callback.done_by, callback.result) == (desk_north, "Moved her visit to Friday")
    assert callback.done_at is not None
    assert message.first_response_at == callback.done_at
    assert message.entries.filter(kind=EntryKind.CALLBACK, body__contains="Moved her visit").exists()
    assert AuditEvent.objects.filter(action="frontdesk.callback_done", object_id=str(callback.pk)).count() == 1


def test_a_callback_done_without_a_result_is_refused_and_nothing_changes(signed_in, desk_north, north, desk_queue):
    callback = fx.make_callback(fx.make_message(location=north), desk_north)
    before = fx.snapshot()

    response = signed_in(desk_north).post(_done(callback), {"result": "  "})

    assert response.status_code == 400
    assert fx.snapshot() == before


def test_a_callback_is_done_only_once(desk_north, north, desk_queue):
    callback = fx.make_callback(fx.make_message(location=north), desk_north)
    callback_done(actor=desk_north, callback=callback, result="Reached her")

    with pytest.raises(ValidationError):
        callback_done(actor=desk_north, callback=CallbackTask.objects.get(pk=callback.pk), result="Again")

    assert CallbackTask.objects.get(pk=callback.pk).result == "Reached her"


def test_someone_elses_callback_on_a_message_out_of_sight_is_not_found_audited_and_unchanged(
        signed_in, desk_north, desk_south, south, desk_queue):
    callback = fx.make_callback(fx.make_message(location=south), desk_south)
    before = fx.snapshot()

    response = signed_in(desk_north).post(_done(callback), {"result": "Reached"})

    assert response.status_code == 404
    assert fx.denials(desk_north) == 1
    assert fx.snapshot() == before


def test_a_colleague_who_may_work_the_message_may_close_its_callback(signed_in, desk_north, biller, north,
                                                                    desk_queue):
    callback = fx.make_callback(fx.make_message(location=north), biller)

    response = signed_in(desk_north).post(_done(callback), {"result": "Called on her behalf"})

    assert response.status_code == 302
    assert CallbackTask.objects.get(pk=callback.pk).done_by == desk_north


def _book(message):
    return reverse("frontdesk:message_callback", kwargs={"pk": message.pk})


def test_a_callback_is_booked_from_the_message_page(signed_in, desk_north, north, desk_queue):
    message = fx.make_message(location=north, sender_phone="(919) 555-0142")
    client = signed_in(desk_north)

    page = client.get(reverse("frontdesk:message_detail", kwargs={"pk": message.pk}))
    assert 'action="' + _book(message) + '"' in page.content.decode()
    due = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_book(message), {"assignee": desk_north.pk, "number": "(919) 555-0142", "due_at": due,
                                             "note": "About the referral"})

    assert response.status_code == 302
    callback = CallbackTask.objects.get(message=message)
    assert (callback.assignee, callback.number, callback.note) == (desk_north, "(919) 555-0142", "About the referral")


def test_a_callback_booked_without_a_time_is_shown_again_with_the_error(signed_in, desk_north, north, desk_queue):
    message = fx.make_message(location=north)

    response = signed_in(desk_north).post(_book(message), {"assignee": desk_north.pk, "number": "(919) 555-0142"})

    assert response.status_code == 400
    assert "callback_due_at" in response.content.decode()
    assert CallbackTask.objects.count() == 0


def test_booking_a_callback_on_a_message_out_of_reach_is_not_found_and_changes_nothing(signed_in, desk_south, north,
                                                                                         desk_queue):
    message = fx.make_message(location=north)

    response = signed_in(desk_south).post(_book(message), {"assignee": desk_south.pk, "number": "(919) 555-0142",
                                                           "due_at": "2030-01-01T10:00"})

    assert response.status_code == 404
    assert CallbackTask.objects.count() == 0
    assert AuditEvent.objects.filter(actor=desk_south, outcome="denied").exists()
