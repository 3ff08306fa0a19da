"""/api/v1/fee-schedules: schedules and their fees over the REST API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import FeeSchedule, FeeScheduleEntry
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory
from openpractice.patients.tests.factories import PayerFactory

pytestmark = pytest.mark.django_db
URL = f"{API}/fee-schedules"


@pytest.fixture
def biller(make_user):
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def api(biller) -> TokenClient:
    return token_client_for(biller)


@pytest.fixture
def schedule(biller):
    schedule = FeeScheduleFactory(created_by=biller, name="Standard 2025", effective_from=dt.date(2025, 1, 1))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="93000", modifier="26", amount=Decimal("20.00"))
    return schedule


def put(client: TokenClient, path: str, body: dict) -> object:
    return client.client.put(path, json.dumps(body), content_type="application/json", headers=client.headers)


def delete(client: TokenClient, path: str) -> object:
    return client.client.delete(path, headers=client.headers)


def test_the_list_pages_schedules_with_their_fee_counts(api, biller, schedule):
    payer = PayerFactory(name="Aetna")
    FeeScheduleFactory(created_by=biller, name="Aetna 2025", payer=payer, effective_from=dt.date(2025, 1, 1))
    body = api.get(URL).json()
    assert body["count"] == 2
    rows = {row["name"]: row for row in body["items"]}
    assert rows["Standard 2025"]["is_standard"]
    assert rows["Standard 2025"]["entry_count"] == 2
    assert rows["Aetna 2025"]["payer"] == {"id": payer.pk, "name": "Aetna"}
    assert [r["name"] for r in api.get(URL, {"standard": "false"}).json()["items"]] == ["Aetna 2025"]
    assert [r["name"] for r in api.get(URL, {"payer_id": payer.pk}).json()["items"]] == ["Aetna 2025"]
    assert [r["name"] for r in api.get(URL, {"q": "aetna"}).json()["items"]] == ["Aetna 2025"]


def test_the_list_query_count_does_not_grow_with_the_schedules(api, biller):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL).status_code == 200
        return len(queries)

    FeeScheduleFactory(created_by=biller, payer=PayerFactory(), effective_from=dt.date(2020, 1, 1))
    count()
    few = count()
    for _ in range(10):
        FeeScheduleFactory(created_by=biller, payer=PayerFactory(), effective_from=dt.date(2020, 1, 1))
    assert count() == few


def test_a_schedule_is_created_read_and_changed(api, biller):
    payer = PayerFactory()
    response = api.post(URL, {"name": "Cigna 2026", "payer_id": payer.pk, "effective_from": "2026-01-01"})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["payer"]["id"] == payer.pk
    assert created["entry_count"] == 0
    assert created["effective_to"] is None
    detail = api.get(f"{URL}/{created['id']}").json()
    assert detail["name"] == "Cigna 2026"
    changed = api.patch(f"{URL}/{created['id']}", {"effective_to": "2026-12-31"})
    assert changed.status_code == 200
    assert changed.json()["effective_to"] == "2026-12-31"


def test_an_overlapping_schedule_is_a_422_with_the_reason(api, schedule):
    response = api.post(URL, {"name": "Also standard", "effective_from": "2025-06-01"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert "already covers some of these dates" in body["errors"][0]["msg"]
    assert FeeSchedule.objects.count() == 1


def test_an_unknown_payer_is_a_422(api):
    response = api.post(URL, {"name": "Ghost", "payer_id": 999999, "effective_from": "2026-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "payer_id"]


def test_entries_are_paged_and_filtered_by_code(api, schedule):
    body = api.get(f"{URL}/{schedule.pk}/entries").json()
    assert body["count"] == 2
    assert body["items"][0] == {"id": body["items"][0]["id"], "procedure_code": "93000", "modifier": "26",
                                "amount": "20.00"}
    assert [row["procedure_code"] for row in api.get(f"{URL}/{schedule.pk}/entries", {"code": "992"})
            .json()["items"]] == ["99213"]


def test_a_fee_is_put_by_code_or_code_modifier_and_deleted(api, schedule):
    response = put(api, f"{URL}/{schedule.pk}/entries/99214", {"amount": "180.00"})
    assert response.status_code == 200
    assert response.json()["amount"] == "180.00"
    response = put(api, f"{URL}/{schedule.pk}/entries/93000-tc", {"amount": 40})
    assert response.json()["modifier"] == "TC"
    response = put(api, f"{URL}/{schedule.pk}/entries/99213", {"amount": "130.5"})
    assert response.json()["amount"] == "130.50"
    assert FeeScheduleEntry.objects.get(procedure_code="99213").amount == Decimal("130.50")
    assert delete(api, f"{URL}/{schedule.pk}/entries/93000-26").status_code == 204
    assert delete(api, f"{URL}/{schedule.pk}/entries/93000-26").status_code == 404
    assert sorted(schedule.entries.values_list("procedure_code", "modifier")) == [
        ("93000", "TC"), ("99213", ""), ("99214", "")]


@pytest.mark.parametrize(("entry", "amount"), [("9921", "10"), ("99213-ZZ", "10"), ("99213", "0"),
                                               ("99213", "1.234"), ("99213", "-1")])
def test_a_bad_fee_is_a_422_and_changes_nothing(api, schedule, entry, amount):
    response = put(api, f"{URL}/{schedule.pk}/entries/{entry}", {"amount": amount})
    assert response.status_code == 422
    assert schedule.entries.count() == 2
    assert schedule.entries.get(procedure_code="99213").amount == Decimal("125")


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_roles_without_billing_manage_get_404_and_nothing_changes(make_user, schedule, role, tier):
    outsider = make_user(role, tier, username="outsider")
    client = token_client_for(outsider)
    responses = [
        client.post(URL, {"name": "Mine", "effective_from": "2030-01-01"}),
        client.patch(f"{URL}/{schedule.pk}", {"name": "Renamed"}),
        put(client, f"{URL}/{schedule.pk}/entries/99213", {"amount": "1.00"}),
        delete(client, f"{URL}/{schedule.pk}/entries/99213"),
    ]
    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    schedule.refresh_from_db()
    assert FeeSchedule.objects.count() == 1
    assert schedule.name == "Standard 2025"
    assert schedule.entries.get(procedure_code="99213").amount == Decimal("125.00")
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 4


def test_practice_manager_entry_may_read_but_front_desk_may_not(make_user, schedule):
    reader = token_client_for(make_user(Role.PRACTICE_MANAGER, Tier.ENTRY))
    assert reader.get(f"{URL}/{schedule.pk}/entries").status_code == 200
    desk = token_client_for(make_user(Role.FRONT_DESK))
    assert desk.get(URL).status_code == 404
    assert desk.get(f"{URL}/{schedule.pk}").status_code == 404


def test_a_biller_of_one_location_may_read_but_not_change_the_practice_wide_fees(make_user, north, schedule):
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = token_client_for(north_biller)
    assert client.get(f"{URL}/{schedule.pk}/entries").status_code == 200
    responses = [
        client.post(URL, {"name": "Mine", "effective_from": "2030-01-01"}),
        client.patch(f"{URL}/{schedule.pk}", {"name": "Renamed"}),
        put(client, f"{URL}/{schedule.pk}/entries/99213", {"amount": "1.00"}),
        delete(client, f"{URL}/{schedule.pk}/entries/99213"),
    ]
    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    schedule.refresh_from_db()
    assert FeeSchedule.objects.count() == 1
    assert schedule.name == "Standard 2025"
    assert sorted(schedule.entries.values_list("procedure_code", "amount")) == [
        ("93000", Decimal("20.00")), ("99213", Decimal("125.00"))]
    denials = AuditEvent.objects.filter(actor=north_biller, outcome="denied")
    assert denials.count() == 4
    assert all("at all locations" in reason for reason in denials.values_list("reason", flat=True))


@pytest.mark.parametrize("text", ["\x00", "99\x0013", "²", "x" * 20])
def test_odd_search_text_finds_nothing_rather_than_failing(api, schedule, text):
    response = api.get(URL, {"q": text})
    assert response.status_code == 200
    entries = api.get(f"{URL}/{schedule.pk}/entries", {"code": text})
    assert entries.status_code == 200


@pytest.mark.parametrize("entry", ["99213%00", "%00", "99213-%00", "99213-ZZ", "²", "99213-25-26"])
def test_deleting_a_fee_that_no_one_could_have_set_is_a_404_and_changes_nothing(api, schedule, entry):
    assert delete(api, f"{URL}/{schedule.pk}/entries/{entry}").status_code == 404
    assert schedule.entries.count() == 2
    assert not AuditEvent.objects.filter(action="billing.fee_entry_deleted").exists()
