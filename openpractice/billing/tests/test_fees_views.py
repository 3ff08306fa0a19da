"""Fee schedule pages: list, add, detail, edit, single fees and CSV import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import FeeSchedule, FeeScheduleEntry
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory
from openpractice.patients.tests.factories import PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user):
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def schedule(biller):
    schedule = FeeScheduleFactory(created_by=biller, name="Standard 2025", effective_from=dt.date(2025, 1, 1))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="93000", modifier="26", amount=Decimal("20.00"))
    return schedule


def test_the_list_shows_standard_and_payer_schedules_with_fee_counts(signed_in, biller, schedule):
    FeeScheduleFactory(created_by=biller, name="Aetna contract", payer=PayerFactory(name="Aetna"),
                       effective_from=dt.date(2025, 1, 1))
    page = signed_in(biller).get(reverse("billing:fee_schedule_list")).content.decode()
    assert "Standard 2025" in page
    assert "Aetna contract" in page
    assert "Aetna" in page
    assert "Add fee schedule" in page


def test_the_list_query_count_does_not_grow_with_the_schedules(signed_in, biller):
    client = signed_in(biller)
    url = reverse("billing:fee_schedule_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for year in (2001, 2002):
        schedule = FeeScheduleFactory(created_by=biller, payer=PayerFactory(), effective_from=dt.date(year, 1, 1))
        FeeScheduleEntryFactory(schedule=schedule)
    count()  # the first request of a session does one-off work
    few = count()
    for year in range(2003, 2013):
        schedule = FeeScheduleFactory(created_by=biller, payer=PayerFactory(), effective_from=dt.date(year, 1, 1))
        FeeScheduleEntryFactory(schedule=schedule)
    assert count() == few


def test_a_provider_sees_the_list_without_the_add_button(signed_in, make_user, schedule):
    page = signed_in(make_user(Role.PROVIDER)).get(reverse("billing:fee_schedule_list")).content.decode()
    assert "Standard 2025" in page
    assert "Add fee schedule" not in page


def test_a_biller_adds_a_schedule_through_the_form(signed_in, biller):
    response = signed_in(biller).post(reverse("billing:fee_schedule_create"), {
        "form": "schedule", "name": "2026 fees", "payer": "", "effective_from": "2026-01-01", "effective_to": ""})
    schedule = FeeSchedule.objects.get()
    assert response.status_code == 302
    assert response["Location"] == schedule.get_absolute_url()
    assert schedule.payer is None
    assert schedule.created_by == biller


def test_an_overlapping_schedule_is_refused_on_the_form(signed_in, biller, schedule):
    response = signed_in(biller).post(reverse("billing:fee_schedule_create"), {
        "name": "Another", "payer": "", "effective_from": "2025-06-01"})
    assert response.status_code == 400
    assert "already covers some of these dates" in response.content.decode()
    assert FeeSchedule.objects.count() == 1


def test_the_detail_lists_fees_and_searches_them(signed_in, biller, schedule):
    client = signed_in(biller)
    page = client.get(schedule.get_absolute_url()).content.decode()
    assert "99213" in page
    assert "125.00" in page
    assert "93000" in page
    page = client.get(schedule.get_absolute_url(), {"q": "992"}).content.decode()
    assert "99213" in page
    assert "93000" not in page


def test_the_detail_query_count_does_not_grow_with_the_fees(signed_in, biller, schedule):
    client = signed_in(biller)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(schedule.get_absolute_url()).status_code == 200
        return len(queries)

    count()  # the first request of a session does one-off work
    few = count()
    for number in range(20):
        FeeScheduleEntryFactory(schedule=schedule, procedure_code=f"{99100 + number}")
    assert count() == few


def test_editing_renames_the_schedule(signed_in, biller, schedule):
    response = signed_in(biller).post(reverse("billing:fee_schedule_edit", args=[schedule.pk]), {
        "form": "schedule", "name": "Standard fees 2025", "payer": "", "effective_from": "2025-01-01",
        "effective_to": ""})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.name == "Standard fees 2025"


def test_one_fee_is_set_and_removed_from_the_edit_page(signed_in, biller, schedule):
    client = signed_in(biller)
    url = reverse("billing:fee_schedule_edit", args=[schedule.pk])
    response = client.post(url, {"form": "entry", "procedure_code": "g0438", "modifier": "", "amount": "175.5"})
    assert response.status_code == 302
    entry = FeeScheduleEntry.objects.get(procedure_code="G0438")
    assert entry.amount == Decimal("175.50")
    response = client.post(url, {"form": "entry_delete", "entry": str(entry.pk)})
    assert response.status_code == 302
    assert not FeeScheduleEntry.objects.filter(pk=entry.pk).exists()


def test_a_bad_fee_on_the_edit_page_is_explained(signed_in, biller, schedule):
    response = signed_in(biller).post(reverse("billing:fee_schedule_edit", args=[schedule.pk]), {
        "form": "entry", "procedure_code": "99213", "modifier": "QQ", "amount": "10"})
    assert response.status_code == 400
    assert "not a modifier we know" in response.content.decode()


def test_the_import_page_shows_the_report_and_imports_nothing_on_a_bad_row(signed_in, biller, schedule):
    upload = SimpleUploadedFile("fees.csv", b"code,amount\n99214,180\n9921,10\n", content_type="text/csv")
    response = signed_in(biller).post(reverse("billing:fee_schedule_import", args=[schedule.pk]),
                                      {"file": upload, "replace": "on"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 problem found: nothing was saved." in page
    assert "exactly 5 digits" in page
    assert schedule.entries.count() == 2


def test_the_import_page_shows_the_counts_on_success(signed_in, biller, schedule):
    upload = SimpleUploadedFile("fees.csv", b"code,amount\n99213,130\n99214,180\n", content_type="text/csv")
    response = signed_in(biller).post(reverse("billing:fee_schedule_import", args=[schedule.pk]),
                                      {"file": upload, "replace": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 added, 1 changed, 0 unchanged, 1 removed" in page
    assert sorted(schedule.entries.values_list("procedure_code", flat=True)) == ["99213", "99214"]


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_roles_without_billing_manage_are_refused_and_nothing_changes(signed_in, make_user, schedule, role, tier):
    outsider = make_user(role, tier, username="outsider")
    client = signed_in(outsider)
    upload = SimpleUploadedFile("fees.csv", b"code,amount\n99214,180\n", content_type="text/csv")
    responses = [
        client.post(reverse("billing:fee_schedule_create"), {"name": "X", "effective_from": "2030-01-01"}),
        client.post(reverse("billing:fee_schedule_edit", args=[schedule.pk]),
                    {"form": "entry", "procedure_code": "99214", "amount": "1"}),
        client.post(reverse("billing:fee_schedule_import", args=[schedule.pk]), {"file": upload}),
    ]
    assert [response.status_code for response in responses] == [404, 404, 404]
    assert FeeSchedule.objects.count() == 1
    assert schedule.entries.count() == 2
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 3


def test_front_desk_cannot_read_fee_schedules(signed_in, make_user, schedule):
    client = signed_in(make_user(Role.FRONT_DESK))
    assert client.get(reverse("billing:fee_schedule_list")).status_code == 404
    assert client.get(schedule.get_absolute_url()).status_code == 404


def test_a_biller_of_one_location_reads_the_schedules_but_is_refused_every_change(signed_in, make_user, north,
                                                                                   schedule):
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    listing = client.get(reverse("billing:fee_schedule_list")).content.decode()
    assert "Standard 2025" in listing
    assert "Add fee schedule" not in listing
    detail = client.get(schedule.get_absolute_url()).content.decode()
    assert reverse("billing:fee_schedule_edit", args=[schedule.pk]) not in detail
    entry = schedule.entries.get(procedure_code="99213")
    upload = SimpleUploadedFile("fees.csv", b"code,amount\n99214,180\n", content_type="text/csv")
    responses = [
        client.get(reverse("billing:fee_schedule_create")),
        client.post(reverse("billing:fee_schedule_create"), {"name": "X", "effective_from": "2030-01-01"}),
        client.get(reverse("billing:fee_schedule_edit", args=[schedule.pk])),
        client.post(reverse("billing:fee_schedule_edit", args=[schedule.pk]),
                    {"form": "entry", "procedure_code": "99214", "amount": "1"}),
        client.post(reverse("billing:fee_schedule_edit", args=[schedule.pk]),
                    {"form": "entry_delete", "entry": str(entry.pk)}),
        client.post(reverse("billing:fee_schedule_import", args=[schedule.pk]), {"file": upload}),
    ]
    assert [response.status_code for response in responses] == [404] * 6
    assert FeeSchedule.objects.count() == 1
    assert sorted(schedule.entries.values_list("procedure_code", "amount")) == [
        ("93000", Decimal("20.00")), ("99213", Decimal("125.00"))]
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 6


@pytest.mark.parametrize("garbage", ["²", "١٢", "-1", "0", "1.5", "", "99999999999999999999", "x" * 600, "\x00"])
def test_removing_a_fee_that_is_no_id_says_it_is_gone_and_removes_nothing(signed_in, biller, schedule, garbage):
    response = signed_in(biller).post(reverse("billing:fee_schedule_edit", args=[schedule.pk]),
                                      {"form": "entry_delete", "entry": garbage}, follow=True)
    assert response.status_code == 200
    assert "That fee is no longer in the schedule." in response.content.decode()
    assert schedule.entries.count() == 2
    assert not AuditEvent.objects.filter(action="billing.fee_entry_deleted").exists()


@pytest.mark.parametrize(("amount", "fragment"), [
    ("²", "is not an amount like 125.00"), ("1e999", "is not an amount like 125.00"),
    ("NaN", "is not an amount like 125.00"), ("-1", "cannot be negative"), ("0", "more than 0"),
    ("1.005", "at most two decimals"), ("99999999999999999999", "larger than"), ("", "required"),
])
def test_a_fee_amount_that_is_not_money_is_explained_on_the_form(signed_in, biller, schedule, amount, fragment):
    response = signed_in(biller).post(reverse("billing:fee_schedule_edit", args=[schedule.pk]), {
        "form": "entry", "procedure_code": "99214", "modifier": "", "amount": amount})
    assert response.status_code == 400
    assert fragment in response.content.decode()
    assert not schedule.entries.filter(procedure_code="99214").exists()
