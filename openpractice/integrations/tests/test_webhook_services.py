"""Subscription services: who may make them, what URLs and events they take, the secret, the audit trail, and the
cost of queueing an event."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.integrations import services_webhooks as services
from openpractice.integrations.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from openpractice.integrations.signing import signature, verify
from openpractice.integrations.urlsafety import validate_webhook_url

from .conftest import Subscribe

pytestmark = pytest.mark.django_db


@override_settings(OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", [
    "http://93.184.216.34/hook",  # plain http
    "ftp://93.184.216.34/hook",
    "https://127.0.0.1/hook",  # loopback
    "https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://172.16.5.5/hook",  # private
    "https://169.254.169.254/latest/meta-data",  # link-local: the cloud metadata service
    "https://[::1]/hook", "https://[fe80::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook", "https://100.64.0.1/hook",  # unspecified, carrier-grade NAT
    "https://localhost/hook",  # a name resolving to loopback
    "https://user:pass@93.184.216.34/hook",  # credentials in the URL
    "not a url", "", "https:///nohost",
])
def test_urls_that_are_not_https_to_a_public_address_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


@override_settings(OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE=False)
def test_an_https_url_on_a_public_address_is_accepted() -> None:
    assert validate_webhook_url(" https://93.184.216.34:8443/hooks?x=1 ") == "https://93.184.216.34:8443/hooks?x=1"


def test_with_private_addresses_allowed_http_on_loopback_is_accepted() -> None:
    assert validate_webhook_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"


@override_settings(OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE=False)
def test_create_refuses_an_http_url_and_a_private_address_with_the_setting_off(manager: User) -> None:
    for url in ("http://93.184.216.34/hook", "https://127.0.0.1/hook"):
        with pytest.raises(ValidationError) as error:
            services.subscription_create(actor=manager, name="X", url=url, events=[WebhookEvent.PAYMENT_POSTED])
        assert "url" in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


def test_events_must_be_known_and_at_least_one(manager: User) -> None:
    for events in ([], ["claim.paid"], [WebhookEvent.PAYMENT_POSTED, "ping"]):
        with pytest.raises(ValidationError) as error:
            services.subscription_create(actor=manager, name="X", url="http://127.0.0.1:9/", events=events)
        assert "events" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.subscription_create(actor=manager, name="  ", url="http://127.0.0.1:9/", events=["payment.posted"])
    assert "name" in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


def test_create_returns_a_fresh_secret_and_audits_without_it(manager: User) -> None:
    subscription, secret = services.subscription_create(
        actor=manager, name="Warehouse", url="http://127.0.0.1:9/",
        events=[WebhookEvent.INCIDENT_LOGGED, WebhookEvent.APPOINTMENT_BOOKED, WebhookEvent.INCIDENT_LOGGED])
    assert len(secret) >= 43
    subscription.refresh_from_db()
    assert subscription.secret == secret
    assert subscription.owner == manager
    assert subscription.events == [WebhookEvent.APPOINTMENT_BOOKED, WebhookEvent.INCIDENT_LOGGED]
    _other, other_secret = services.subscription_create(actor=manager, name="Other", url="http://127.0.0.1:9/",
                                                       events=[WebhookEvent.PAYMENT_POSTED])
    assert other_secret != secret
    event = AuditEvent.objects.get(action="integrations.webhook_created", object_id=str(subscription.pk))
    assert secret not in repr(event.__dict__)


def test_rotating_replaces_the_secret_and_is_audited_without_it(manager: User, subscribe: Subscribe) -> None:
    subscription, old = subscribe(manager, "http://127.0.0.1:9/")
    new = services.subscription_rotate_secret(actor=manager, subscription=subscription)
    subscription.refresh_from_db()
    assert new != old
    assert subscription.secret == new
    event = AuditEvent.objects.get(action="integrations.webhook_secret_rotated")
    assert new not in repr(event.__dict__)
    assert old not in repr(event.__dict__)


def test_only_the_owner_with_the_permission_may_change_a_subscription(
        make_user: Callable[..., User], manager: User, subscribe: Subscribe) -> None:
    subscription, secret = subscribe(manager, "http://127.0.0.1:9/")
    other_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="other")
    entry = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="entry")
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=entry, name="X", url="http://127.0.0.1:9/",
                                     events=[WebhookEvent.PAYMENT_POSTED])
    for actor in (other_manager, entry):
        with pytest.raises(PermissionDenied):
            services.subscription_update(actor=actor, subscription=subscription, name="Mine",
                                         url="http://127.0.0.1:9/mine", events=[WebhookEvent.PAYMENT_POSTED])
        with pytest.raises(PermissionDenied):
            services.subscription_rotate_secret(actor=actor, subscription=subscription)
        with pytest.raises(PermissionDenied):
            services.subscription_deactivate(actor=actor, subscription=subscription)
        assert AuditEvent.objects.filter(actor=actor, outcome=Outcome.DENIED).count() >= 3
    fresh = WebhookSubscription.objects.get()
    assert (fresh.name, fresh.url, fresh.secret, fresh.is_active) == ("Warehouse", "http://127.0.0.1:9/", secret, True)


def test_update_changes_the_fields_and_a_deactivated_subscription_stays_so(
        manager: User, subscribe: Subscribe) -> None:
    subscription, _secret = subscribe(manager, "http://127.0.0.1:9/")
    services.subscription_update(actor=manager, subscription=subscription, name="Renamed",
                                 url="http://127.0.0.1:9/new", events=[WebhookEvent.STOCK_BELOW_PAR])
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.events) == (
        "Renamed", "http://127.0.0.1:9/new", ["stock.below_par"])
    assert AuditEvent.objects.get(action="integrations.webhook_updated").changed_fields == "events,name,url"
    services.subscription_deactivate(actor=manager, subscription=subscription)
    with pytest.raises(ValidationError):
        services.subscription_update(actor=manager, subscription=subscription, name="Back",
                                     url="http://127.0.0.1:9/", events=[WebhookEvent.STOCK_BELOW_PAR])
    with pytest.raises(ValidationError):
        services.subscription_ping(actor=manager, subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.name == "Renamed"


def test_the_signature_verifies_only_the_same_body_secret_and_a_fresh_time() -> None:
    body = b'{"id":"1"}'
    header = signature("s3cret", body, 1_700_000_000)
    assert verify("s3cret", body, header, now=1_700_000_100)
    assert not verify("other", body, header, now=1_700_000_100)
    assert not verify("s3cret", body + b" ", header, now=1_700_000_100)
    assert not verify("s3cret", body, header, now=1_700_000_000 + 301)  # replayed later
    assert not verify("s3cret", body, "garbage", now=1_700_000_100)


def _queries_to_queue(location: Location) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.deliveries_queue(event=WebhookEvent.PAYMENT_POSTED, location_id=location.pk, data={"payment_id": 1})
    return len(queries.captured_queries)


def test_queueing_an_event_costs_the_same_queries_for_one_subscription_or_many(
        make_user: Callable[..., User], north: Location, subscribe: Subscribe) -> None:
    def add_owner(n: int) -> None:
        owner = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username=f"owner{n}")
        subscribe(owner, f"http://127.0.0.1:9/{n}", [WebhookEvent.PAYMENT_POSTED])
        subscribe(owner, f"http://127.0.0.1:9/{n}/other", [WebhookEvent.STOCK_BELOW_PAR], name="Other")

    add_owner(0)
    one = _queries_to_queue(north)
    assert WebhookDelivery.objects.count() == 1
    for n in range(1, 6):
        add_owner(n)
    assert _queries_to_queue(north) == one
    assert WebhookDelivery.objects.count() == 1 + 6
    assert one <= 6  # subscriptions, roles, locations, the insert (and, inside the test's transaction, a savepoint)
