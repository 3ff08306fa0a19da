"""Reply templates: those who configure the front desk list, write and change them (audited); anyone else is not
found (audited) and nothing changes; unknown placeholders are caught when saving; the reply form offers only the
templates in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.frontdesk.models import ReplyTemplate
from openpractice.frontdesk.services.templates import reply_template_save

from .factories_queue import EmailMessageFactory, ReplyTemplateFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def rows() -> list[Any]:
    return list(ReplyTemplate.objects.order_by("pk").values_list())


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


def test_an_office_manager_writes_and_changes_a_template(manager: User) -> None:
    client = client_for(manager)
    assert client.get(reverse("frontdesk:template_create")).status_code == 200
    response = client.post(reverse("frontdesk:template_create"), {
        "name": "Billing answer", "category": "billing", "subject": "", "is_active": "on",
        "body": "Dear {first_name},\n\nYour statement {number} is correct.\n\n{practice_name}"})
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.name, template.category, template.is_active) == ("Billing answer", "billing", True)
    [created] = AuditEvent.objects.filter(action="frontdesk.reply_template_created")
    assert created.actor == manager
    page = client.get(reverse("frontdesk:template_list"))
    assert "Billing answer" in page.content.decode()
    response = client.post(reverse("frontdesk:template_edit", args=[template.pk]), {
        "name": "Billing answer", "category": "billing", "subject": "About {number}", "body": template.body})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.is_active) == ("About {number}", False)
    [changed] = AuditEvent.objects.filter(action="frontdesk.reply_template_changed")
    assert changed.changed_field_list == ["is_active", "subject"]


def test_an_unknown_placeholder_or_a_taken_name_is_refused_on_the_form(manager: User) -> None:
    ReplyTemplateFactory(name="Taken")
    before = rows()
    client = client_for(manager)
    response = client.post(reverse("frontdesk:template_create"), {
        "name": "Typo", "body": "Dear {firstname}, {number.__class__}", "is_active": "on"})
    assert response.status_code == 400
    assert "{firstname}" in str(response.context["form"].errors["body"])
    response = client.post(reverse("frontdesk:template_create"), {"name": "Taken", "body": "Hi", "is_active": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert rows() == before


def test_the_front_desk_may_not_open_or_change_templates(desk: User) -> None:
    template = ReplyTemplateFactory()
    before = rows()
    client = client_for(desk)
    for response in (client.get(reverse("frontdesk:template_list")),
                     client.get(reverse("frontdesk:template_create")),
                     client.post(reverse("frontdesk:template_create"), {"name": "Mine", "body": "Hi"}),
                     client.post(reverse("frontdesk:template_edit", args=[template.pk]),
                                 {"name": "Changed", "body": "Hi"})):
        assert response.status_code == 404
    assert rows() == before
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED).count() == 4
    with pytest.raises(PermissionDenied):
        reply_template_save(actor=desk, template=template, name="Changed", body="Hi")
    assert rows() == before
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED,
                                     action="frontdesk.reply_template_change").count() == 1


def test_the_reply_form_offers_only_the_templates_in_use(desk: User, north: Location) -> None:
    active = ReplyTemplateFactory(name="In use")
    ReplyTemplateFactory(name="Retired", is_active=False)
    message = EmailMessageFactory(location=north)
    page = client_for(desk).get(reverse("frontdesk:message_detail", args=[message.pk]))
    assert list(page.context["reply_form"].fields["template"].queryset) == [active]


def test_the_template_list_query_count_does_not_grow_with_rows(manager: User) -> None:
    client = client_for(manager)
    ReplyTemplateFactory.create_batch(3)
    client.get(reverse("frontdesk:template_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("frontdesk:template_list"))
    ReplyTemplateFactory.create_batch(20)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("frontdesk:template_list"))
    assert len(many) == len(few)
