"""POST and PATCH /providers: the same rules as the provider pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.scheduling.models import Provider
from openpractice.scheduling.tests.factories import ProviderFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

NEW = {"first_name": "Amara", "last_name": "Osei", "credential": "MD", "kind": "physician", "npi": "1234567893",
       "taxonomy_code": "207Q00000X", "is_billing": True}


def test_an_administrator_adds_a_provider_and_it_is_audited(
    north: Location, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).post(f"{API}/providers", {**NEW, "locations": [north.pk]})
    assert response.status_code == 201, response.json()
    assert response.json()["npi"] == "1234567893"
    assert [loc["code"] for loc in response.json()["locations"]] == ["north"]
    assert AuditEvent.objects.filter(action="provider.created", actor=administrator).count() == 1


def test_a_wrong_npi_check_digit_is_a_field_error_and_nothing_is_saved(
    north: Location, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).post(f"{API}/providers", {**NEW, "npi": "1234567890", "locations": [north.pk]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "npi"
    assert not Provider.objects.exists()


def test_an_unknown_location_is_a_field_error(
    north: Location, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).post(f"{API}/providers", {**NEW, "locations": [north.pk, 999_999]})
    assert response.status_code == 422
    assert "999999" in response.json()["errors"][0]["msg"]
    assert not Provider.objects.exists()


def test_front_desk_may_not_add_or_change_providers_and_nothing_changes(
    north: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    provider = ProviderFactory(locations=[north], last_name="Before")
    client = api_as(desk)
    assert client.post(f"{API}/providers", {**NEW, "locations": [north.pk]}).status_code == 404
    assert client.patch(f"{API}/providers/{provider.pk}", {"last_name": "After"}).status_code == 404
    provider.refresh_from_db()
    assert provider.last_name == "Before"
    assert Provider.objects.count() == 1
    assert AuditEvent.objects.filter(actor=desk, outcome="denied").count() == 2


def test_a_manager_of_one_location_cannot_change_a_provider_of_another(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    elsewhere = ProviderFactory(locations=[south], last_name="Before")
    response = api_as(manager).patch(f"{API}/providers/{elsewhere.pk}", {"last_name": "After"})
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.last_name == "Before"


def test_patch_changes_only_the_fields_sent_and_names_them_in_the_audit(
    north: Location, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    provider = ProviderFactory(locations=[north], first_name="Kim", last_name="Lee")
    response = api_as(administrator).patch(f"{API}/providers/{provider.pk}", {"last_name": "Lee-Park"})
    assert response.status_code == 200, response.json()
    provider.refresh_from_db()
    assert (provider.first_name, provider.last_name) == ("Kim", "Lee-Park")
    event = AuditEvent.objects.get(action="provider.updated")
    assert event.changed_field_list == ["last_name"]
