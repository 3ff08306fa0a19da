"""Settings → Integrations → Webhooks, as a practice manager uses it (and as others are refused)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from openpractice.integrations.signing import HEADER, verify

from .conftest import Subscribe
from .support import http_receiver

pytestmark = pytest.mark.django_db
Run = Callable[[Callable[[], Any]], Any]


def test_a_front_desk_user_gets_404_and_the_refusal_is_audited(make_user: Callable[..., User]) -> None:
    desk = make_user(Role.FRONT_DESK, username="desk")
    client = sign_in(Client(), desk)
    for url in (reverse("integrations:webhook_list"), reverse("integrations:webhook_create")):
        assert client.get(url).status_code == 404
    response = client.post(reverse("integrations:webhook_create"),
                           {"name": "Leak", "url": "http://127.0.0.1:9/", "events": ["payment.posted"]})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED).count() == 3
    assert not WebhookSubscription.objects.exists()


def test_another_managers_subscription_is_not_found_and_the_attempt_audited(
        make_user: Callable[..., User], manager: User, subscribe: Subscribe) -> None:
    subscription, secret = subscribe(manager, "http://127.0.0.1:9/")
    other = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="other")
    client = sign_in(Client(), other)
    assert client.get(reverse("integrations:webhook_detail", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("integrations:webhook_rotate", args=[subscription.pk])).status_code == 404
    assert AuditEvent.objects.filter(actor=other, outcome=Outcome.DENIED).count() == 2
    subscription.refresh_from_db()
    assert subscription.secret == secret
    assert "Warehouse" not in client.get(reverse("integrations:webhook_list")).content.decode()


def test_a_manager_adds_a_subscription_and_sees_the_secret_once(manager: User) -> None:
    client = sign_in(Client(), manager)
    form = client.get(reverse("integrations:webhook_create")).content.decode()
    assert 'type="checkbox"' in form
    assert "appointment.booked" in form
    response = client.post(reverse("integrations:webhook_create"), {
        "name": "Data warehouse", "url": "http://127.0.0.1:9/hook",
        "events": [WebhookEvent.APPOINTMENT_BOOKED, WebhookEvent.PAYMENT_POSTED]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.events == ["appointment.booked", "payment.posted"]
    # Never again: not on the subscription's page, not in the list.
    for url in (reverse("integrations:webhook_detail", args=[subscription.pk]), reverse("integrations:webhook_list")):
        page = client.get(url)
        assert page.status_code == 200
        assert subscription.secret not in page.content.decode()
    assert "Data warehouse" in client.get(reverse("integrations:webhook_list")).content.decode()


def test_a_refused_url_is_shown_on_the_form(manager: User, settings: Any) -> None:
    settings.OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE = False
    client = sign_in(Client(), manager)
    response = client.post(reverse("integrations:webhook_create"), {
        "name": "Inside", "url": "https://10.0.0.5/hook", "events": [WebhookEvent.PAYMENT_POSTED]})
    assert response.status_code == 400
    assert "private" in response.content.decode()
    response = client.post(reverse("integrations:webhook_create"), {"name": "None", "url": "https://10.0.0.5/"})
    assert response.status_code == 400
    assert not WebhookSubscription.objects.exists()


def test_rotating_shows_the_new_secret_once(manager: User, subscribe: Subscribe) -> None:
    subscription, old = subscribe(manager, "http://127.0.0.1:9/")
    client = sign_in(Client(), manager)
    assert client.get(reverse("integrations:webhook_rotate", args=[subscription.pk])).status_code == 405
    response = client.post(reverse("integrations:webhook_rotate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert response.status_code == 200
    assert subscription.secret != old
    assert subscription.secret in response.content.decode()
    assert old not in response.content.decode()


def test_edit_and_deactivate(manager: User, subscribe: Subscribe) -> None:
    subscription, _secret = subscribe(manager, "http://127.0.0.1:9/")
    client = sign_in(Client(), manager)
    edit = reverse("integrations:webhook_edit", args=[subscription.pk])
    assert "Warehouse" in client.get(edit).content.decode()
    response = client.post(edit, {"name": "Renamed", "url": "http://127.0.0.1:9/x",
                                  "events": [WebhookEvent.STOCK_BELOW_PAR]})
    assert response.status_code == 302
    response = client.post(reverse("integrations:webhook_deactivate", args=[subscription.pk]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.events, subscription.is_active) == ("Renamed", ["stock.below_par"], False)
    assert "Deactivated" in client.get(reverse("integrations:webhook_list")).content.decode()


def test_the_log_pings_filters_and_redelivers(manager: User, subscribe: Subscribe, run_on_commit: Run) -> None:
    client = sign_in(Client(), manager)
    with http_receiver(500, 200, 200, 200, 200, 200, 200) as receiver:
        subscription, secret = subscribe(manager, receiver.url)
        detail = reverse("integrations:webhook_detail", args=[subscription.pk])
        response = run_on_commit(lambda: client.post(reverse("integrations:webhook_ping", args=[subscription.pk])))
        assert response.status_code == 302
        ping = receiver.requests[0]
        assert ping.headers["X-OpenPractice-Event"] == "ping"
        assert verify(secret, ping.body, ping.headers[HEADER])
        assert json.loads(ping.body)["data"] == {"subscription_id": subscription.pk}
        failed = WebhookDelivery.objects.get()
        assert failed.status == DeliveryStatus.RETRYING
        WebhookDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        run_on_commit(lambda: client.post(reverse("integrations:webhook_ping", args=[subscription.pk])))

        page = client.get(detail).content.decode()
        assert "HTTP 500" in page
        assert "Redeliver" in page
        only_failed = client.get(detail, {"status": "failed"}, HTTP_HX_REQUEST="true",
                                 HTTP_HX_TARGET="delivery-table")
        assert only_failed.status_code == 200
        assert "<html" not in only_failed.content.decode()
        assert only_failed.content.decode().count("<tr>") == 2  # the header row and the failed ping

        response = run_on_commit(lambda: client.post(reverse("integrations:delivery_redeliver", args=[failed.pk])))
        assert response.status_code == 302
    again = WebhookDelivery.objects.exclude(pk=failed.pk).filter(event_id=failed.event_id).get()
    assert (again.status, again.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert json.loads(receiver.requests[-1].body)["id"] == str(failed.event_id)
    assert AuditEvent.objects.filter(action="integrations.webhook_redelivered", actor=manager).count() == 1
    assert AuditEvent.objects.filter(action="integrations.webhook_pinged", actor=manager).count() == 2


def test_a_delivery_still_being_tried_is_not_redelivered(manager: User, subscribe: Subscribe) -> None:
    subscription, _secret = subscribe(manager, "http://127.0.0.1:9/")
    pending = WebhookDelivery.objects.create(subscription=subscription, event="payment.posted", payload={})
    client = sign_in(Client(), manager)
    response = client.post(reverse("integrations:delivery_redeliver", args=[pending.pk]), follow=True)
    assert response.status_code == 200
    assert "still being tried" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


def test_the_menu_shows_integrations_to_managers_only(make_user: Callable[..., User], manager: User) -> None:
    url = reverse("integrations:webhook_list")
    assert f'href="{url}"' in sign_in(Client(), manager).get(reverse("integrations:webhook_list")).content.decode()
    entry = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="entry")
    assert f'href="{url}"' not in sign_in(Client(), entry).get(reverse("core:practice")).content.decode()
