"""Acknowledgement campaigns: who is asked (everyone, roles, locations; active people only), emails through a real
SMTP server, progress per campaign and per person, reminders (button and daily, once a day), the self-service
attestation (idempotent, own requests only), a new version asking again, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, give_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import Audience, VersionStatus
from openpractice.compliance.models import Acknowledgement, AcknowledgementRequest
from openpractice.compliance.selectors import policies as selectors
from openpractice.compliance.services import acknowledgements as services
from openpractice.compliance.services import policies as policy_services
from openpractice.core.selectors import practice_today

from .factories_policies import PolicyVersionFactory, campaign_for, published_version

pytestmark = pytest.mark.django_db
DUE = dt.date(2030, 1, 31)


@pytest.fixture
def officer(make_user: Any) -> Any:
    return make_user(Role.PRIVACY_OFFICER, username="officer")


@pytest.fixture
def version(officer: Any) -> Any:
    return published_version(owner=officer, title="Minimum necessary")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def asked(campaign: Any) -> set[str]:
    return set(campaign.requests.values_list("user__username", flat=True))


# --- who is asked -------------------------------------------------------------------------------------------


def test_campaign_by_role_asks_active_holders_of_those_roles(officer: Any, version: Any, make_user: Any) -> None:
    make_user(Role.FRONT_DESK, username="desk")
    make_user(Role.BILLER, username="biller")
    make_user(Role.FRONT_DESK, username="gone", is_active=False)
    result = services.campaign_start(actor=officer, version=version, audience=Audience.ROLES,
                                     roles=[Role.FRONT_DESK], due_on=DUE)
    assert result.asked == 1
    assert asked(result.campaign) == {"desk"}


def test_campaign_by_location_asks_people_with_a_role_there(officer: Any, version: Any, make_user: Any,
                                                            north: Any, south: Any) -> None:
    make_user(Role.FRONT_DESK, username="north-desk", locations=[north])
    make_user(Role.FRONT_DESK, username="south-desk", locations=[south])
    both = make_user(Role.CLINICAL_STAFF, username="both", locations=[south])
    give_role(both, Role.BILLER, locations=[north])
    result = services.campaign_start(actor=officer, version=version, audience=Audience.LOCATIONS,
                                     locations=[north], due_on=DUE)
    # The officer holds their role at all locations: that counts for North too.
    assert asked(result.campaign) == {"north-desk", "both", "officer"}
    assert list(result.campaign.locations.all()) == [north]


def test_campaign_to_everyone_asks_every_active_user_with_a_role(officer: Any, version: Any,
                                                                 make_user: Any) -> None:
    make_user(Role.FRONT_DESK, username="desk")
    UserFactory(username="no-role")
    result = services.campaign_start(actor=officer, version=version, audience=Audience.EVERYONE, due_on=DUE)
    assert asked(result.campaign) == {"desk", "officer"}


def test_a_campaign_needs_a_published_version_and_a_future_date(officer: Any, version: Any) -> None:
    draft = PolicyVersionFactory(policy=version.policy, number=2)
    with pytest.raises(ValidationError):
        services.campaign_start(actor=officer, version=draft, audience=Audience.EVERYONE, due_on=DUE)
    with pytest.raises(ValidationError) as caught:
        services.campaign_start(actor=officer, version=version, audience=Audience.EVERYONE,
                                due_on=practice_today() - dt.timedelta(days=1))
    assert "due_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.campaign_start(actor=officer, version=version, audience=Audience.ROLES, due_on=DUE)
    assert "roles" in caught.value.message_dict
    assert not AcknowledgementRequest.objects.exists()


def test_a_biller_creating_a_campaign_is_refused_and_nothing_changes(version: Any, make_user: Any,
                                                                     signed_in: Any) -> None:
    biller = make_user(Role.BILLER)
    before = snapshot()
    denied = AuditEvent.objects.filter(actor=biller, outcome=Outcome.DENIED).count()
    with pytest.raises(PermissionDenied):
        services.campaign_start(actor=biller, version=version, audience=Audience.EVERYONE, due_on=DUE)
    response = signed_in(biller).post(reverse("compliance:version_campaign", args=[version.pk]),
                                      {"audience": "everyone", "due_on": "2030-01-31"})
    assert response.status_code == 404
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=biller, outcome=Outcome.DENIED).count() == denied + 2


# --- email --------------------------------------------------------------------------------------------------


def test_each_person_asked_gets_an_email_after_commit(smtp_server: Any, officer: Any, version: Any,
                                                      make_user: Any, signed_in: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    make_user(Role.FRONT_DESK, username="desk", email="desk@example.test")
    make_user(Role.FRONT_DESK, username="desk2", email="desk2@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(officer).post(reverse("compliance:version_campaign", args=[version.pk]), {
            "audience": "roles", "roles": [Role.FRONT_DESK], "due_on": "2030-01-31"})
    assert response.status_code == 302
    assert sorted(message["To"] for message in smtp_server.messages) == ["desk2@example.test", "desk@example.test"]
    message = smtp_server.messages[0]
    assert "Minimum necessary" in subject(message)
    request = AcknowledgementRequest.objects.get(user__email=message["To"])
    assert reverse("compliance:ackrequest_detail", args=[request.pk]) in message.get_payload(decode=True).decode()


def test_remind_button_emails_only_those_who_have_not_acknowledged(smtp_server: Any, officer: Any, version: Any,
                                                                   django_capture_on_commit_callbacks: Any) -> None:
    done, pending = UserFactory(email="done@example.test"), UserFactory(email="pending@example.test")
    campaign = campaign_for(version, [done, pending])
    services.acknowledge(actor=done, request=campaign.requests.get(user=done), attested=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaign_remind(actor=officer, campaign=campaign) == 1
    assert [message["To"] for message in smtp_server.messages] == ["pending@example.test"]
    assert "Reminder" in subject(smtp_server.messages[0])
    assert campaign.requests.get(user=pending).reminded_at is not None
    assert campaign.requests.get(user=done).reminded_at is None


def test_overdue_reminders_go_once_a_day(smtp_server: Any, version: Any) -> None:
    today = practice_today()
    late, on_time = UserFactory(email="late@example.test"), UserFactory(email="ontime@example.test")
    campaign_for(version, [late], due_on=today - dt.timedelta(days=10))
    campaign_for(version, [on_time], due_on=today + dt.timedelta(days=10))
    assert services.overdue_reminders_send(today=today) == 1
    assert services.overdue_reminders_send(today=today) == 0  # same day: claimed already
    assert [message["To"] for message in smtp_server.messages] == ["late@example.test"]
    assert services.overdue_reminders_send(today=today + dt.timedelta(days=1)) == 1  # the next day, again
    assert [message["To"] for message in smtp_server.messages] == ["late@example.test"] * 2


# --- acknowledging ------------------------------------------------------------------------------------------


def test_acknowledging_needs_the_attestation_and_is_idempotent(version: Any, make_user: Any,
                                                               signed_in: Any) -> None:
    person = make_user(Role.FRONT_DESK)
    request = campaign_for(version, [person]).requests.get()
    client = signed_in(person)
    url = reverse("compliance:ackrequest_acknowledge", args=[request.pk])
    assert client.post(url, {}).status_code == 400
    assert not Acknowledgement.objects.exists()
    assert client.post(url, {"attested": "on"}).status_code == 302
    first = Acknowledgement.objects.get()
    assert first.version == version
    assert first.user == person
    assert first.attestation
    response = client.post(url, {"attested": "on"}, follow=True)
    assert "already acknowledged" in response.content.decode()
    assert list(Acknowledgement.objects.all()) == [first]


def test_nobody_opens_someone_elses_request(version: Any, officer: Any, make_user: Any, signed_in: Any) -> None:
    person = make_user(Role.FRONT_DESK)
    request = campaign_for(version, [person]).requests.get()
    before = snapshot()
    client = signed_in(officer)  # even the compliance officer: this is the person's own attestation
    assert client.get(reverse("compliance:ackrequest_detail", args=[request.pk])).status_code == 404
    assert client.post(reverse("compliance:ackrequest_acknowledge", args=[request.pk]),
                       {"attested": "on"}).status_code == 404
    assert snapshot() == before
    with pytest.raises(PermissionDenied):
        services.acknowledge(actor=officer, request=request, attested=True)


def test_acknowledgement_of_a_new_version_resets_the_old_one(officer: Any, make_user: Any,
                                                             signed_in: Any) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    person = make_user(Role.FRONT_DESK, username="desk")
    v1 = published_version(owner=officer)
    first = services.campaign_start(actor=officer, version=v1, audience=Audience.ROLES, roles=[Role.FRONT_DESK],
                                    due_on=DUE).campaign
    services.acknowledge(actor=person, request=first.requests.get(), attested=True)
    assert not selectors.my_policies(actor=person).open

    v2 = policy_services.version_new(actor=officer, policy=v1.policy)
    policy_services.version_update(actor=officer, version=v2, data={"effective_on": dt.date(2025, 5, 1)})
    policy_services.version_submit(actor=officer, version=v2)
    policy_services.version_approve(actor=manager, version=v2)
    policy_services.version_publish(actor=officer, version=v2)
    second = services.campaign_start(actor=officer, version=v2, audience=Audience.ROLES, roles=[Role.FRONT_DESK],
                                     due_on=DUE).campaign

    mine = selectors.my_policies(actor=person)
    assert [row.campaign_id for row in mine.open] == [second.pk]  # asked again for v2
    progress = {row.pk: (row.acknowledged, row.asked) for row in selectors.policy_campaigns(actor=officer,
                                                                                          policy=v1.policy)}
    assert progress == {first.pk: (1, 1), second.pk: (0, 1)}
    # The v1 acknowledgement stays as history, and v1 can no longer be acknowledged.
    assert Acknowledgement.objects.filter(user=person, version=v1).exists()
    report = selectors.person_report(person=person)
    assert [(row.campaign_id, row.acknowledged_at is not None) for row in report.requests] == [
        (second.pk, False), (first.pk, True)]
    services.acknowledge(actor=person, request=second.requests.get(), attested=True)
    assert Acknowledgement.objects.filter(user=person).count() == 2


def test_a_request_for_a_replaced_version_cannot_be_acknowledged(version: Any, make_user: Any) -> None:
    person = make_user(Role.FRONT_DESK)
    request = campaign_for(version, [person]).requests.get()
    version.status = VersionStatus.RETIRED
    version.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        services.acknowledge(actor=person, request=request, attested=True)
    assert selectors.my_policies(actor=person).open == []


# --- progress -----------------------------------------------------------------------------------------------


def test_progress_counts_acknowledged_over_asked(officer: Any, version: Any, signed_in: Any) -> None:
    people = [UserFactory() for _ in range(3)]
    campaign = campaign_for(version, people)
    services.acknowledge(actor=people[0], request=campaign.requests.get(user=people[0]), attested=True)
    row = selectors.campaigns_visible(actor=officer).get(pk=campaign.pk)
    assert (row.acknowledged, row.asked, selectors.percent(row.acknowledged, row.asked)) == (1, 3, 33)
    page = signed_in(officer).get(reverse("compliance:campaign_detail", args=[campaign.pk])).content.decode()
    assert "1 of 3 acknowledged (33%)" in page


def test_progress_page_query_count_does_not_grow_with_people(officer: Any, version: Any, signed_in: Any) -> None:
    client = signed_in(officer)
    campaign = campaign_for(version, [UserFactory()])
    url = reverse("compliance:campaign_detail", args=[campaign.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        person = UserFactory()
        request = campaign.requests.create(user=person, due_on=campaign.due_on)
        if person.pk % 2:
            services.acknowledge(actor=person, request=request, attested=True)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    policy_url = reverse("compliance:policy_detail", args=[version.policy_id])
    with CaptureQueriesContext(connection) as policy_page:
        assert client.get(policy_url).status_code == 200
    campaign_for(version, [UserFactory() for _ in range(4)])
    with CaptureQueriesContext(connection) as more_campaigns:
        assert client.get(policy_url).status_code == 200
    assert len(more_campaigns) == len(policy_page)


def test_person_report_follows_the_viewers_locations(officer: Any, version: Any, make_user: Any, north: Any,
                                                     south: Any, signed_in: Any) -> None:
    north_person = make_user(Role.FRONT_DESK, locations=[north])
    south_person = make_user(Role.FRONT_DESK, locations=[south])
    campaign = campaign_for(version, [north_person, south_person])
    services.acknowledge(actor=north_person, request=campaign.requests.get(user=north_person), attested=True)
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    client = signed_in(north_manager)
    page = client.get(reverse("compliance:user_policy_report", args=[north_person.pk]))
    assert page.status_code == 200
    assert "Minimum necessary" in page.content.decode()
    assert client.get(reverse("compliance:user_policy_report", args=[south_person.pk])).status_code == 404


def test_my_policies_lists_open_requests_first_by_due_date(version: Any, make_user: Any, signed_in: Any) -> None:
    person = make_user(Role.FRONT_DESK)
    later = published_version(title="Later policy")
    campaign_for(later, [person], due_on=dt.date(2030, 6, 1))
    campaign_for(version, [person], due_on=dt.date(2030, 2, 1))
    page = signed_in(person).get(reverse("compliance:policy_mine")).content.decode()
    assert page.index("Minimum necessary") < page.index("Later policy")
