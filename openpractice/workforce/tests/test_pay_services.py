"""Pay: amounts parsed as Decimal and encrypted at rest, who may set and see pay (each view audited), benchmarks
and the compa-ratio arithmetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.models import Employee, PayBenchmark, PayRate
from openpractice.workforce.selectors import pay as selectors
from openpractice.workforce.services import pay as services

from .factories import EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


@pytest.mark.parametrize(("text", "expected"), [("23.5", "23.50"), ("61000", "61000.00"), (" 0.01 ", "0.01")])
def test_amounts_are_read_as_decimals_with_two_places(text: str, expected: str) -> None:
    assert services.parse_pay_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "0", "0.00", "-5", "12.345", "$20", "61,000", "1e3", "NaN", "100000000"])
def test_bad_amounts_get_a_clear_error(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.parse_pay_amount(text)
    assert caught.value.message_dict["amount"]


def _rate(employee: Employee, actor: User, amount: str, basis: str = "hourly", hours: str = "40",
          day: dt.date = dt.date(2025, 1, 1)) -> PayRate:
    return PayRate.objects.create(employee=employee, effective_from=day, basis=basis, amount=amount,
                                  hours_per_week=Decimal(hours), created_by=actor)


def test_a_pay_rate_is_stored_encrypted_and_audited(hr: User, north: Location) -> None:
    employee = EmployeeFactory(location=north)
    rate = services.pay_rate_add(actor=hr, employee=employee, effective_from=dt.date(2025, 1, 1), basis="hourly",
                                 amount="23.5", hours_per_week=Decimal("32"), reason="Hire")
    with connection.cursor() as cursor:
        cursor.execute("SELECT amount FROM workforce_payrate WHERE id = %s", [rate.pk])
        stored = cursor.fetchone()[0]
    assert "23.50" not in stored
    assert stored
    assert PayRate.objects.get(pk=rate.pk).amount == "23.50"
    event = AuditEvent.objects.get(action="workforce.pay_rate_added")
    assert event.object_id == str(employee.pk)
    assert event.location_id == north.pk
    assert "23" not in event.reason


def test_nobody_sets_their_own_pay_and_viewers_without_pay_cannot_set_any(
        make_user: Callable[..., User], hr: User, north: Location) -> None:
    own = EmployeeFactory(user=hr, location=north)
    other = EmployeeFactory(location=north)
    payroll = make_user(Role.OFFICE_MANAGER, Tier.MID)  # view + payroll, no pay
    for actor, employee in ((hr, own), (payroll, other)):
        with pytest.raises(PermissionDenied):
            services.pay_rate_add(actor=actor, employee=employee, effective_from=dt.date(2025, 1, 1),
                                  basis="annual", amount="90000")
    assert not PayRate.objects.exists()
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, action="workforce.pay_rate_add").count() == 2


def test_one_rate_per_day_and_hours_in_range(hr: User) -> None:
    employee = EmployeeFactory()
    services.pay_rate_add(actor=hr, employee=employee, effective_from=dt.date(2025, 1, 1), basis="hourly",
                          amount="20")
    with pytest.raises(ValidationError) as caught:
        services.pay_rate_add(actor=hr, employee=employee, effective_from=dt.date(2025, 1, 1), basis="hourly",
                              amount="21")
    assert "effective_from" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.pay_rate_add(actor=hr, employee=employee, effective_from=dt.date(2025, 2, 1), basis="hourly",
                              amount="21", hours_per_week=Decimal("81"))
    assert "hours_per_week" in caught.value.message_dict
    assert PayRate.objects.count() == 1


def test_pay_history_marks_current_and_scheduled_and_is_audited(hr: User) -> None:
    employee = EmployeeFactory()
    _rate(employee, hr, "20.00", day=dt.date(2024, 1, 1))
    _rate(employee, hr, "22.00", day=dt.date(2025, 1, 1))
    _rate(employee, hr, "24.00", day=dt.date(2026, 6, 1))
    rows = selectors.pay_history(actor=hr, employee=employee, today=TODAY)
    assert [(row.amount, row.is_current, row.is_scheduled) for row in rows] == [
        (Decimal("24.00"), False, True), (Decimal("22.00"), True, False), (Decimal("20.00"), False, False)]
    assert rows[1].annual == Decimal("45760.00")  # 22 x 40 x 52
    assert AuditEvent.objects.filter(action="workforce.pay_viewed", object_id=str(employee.pk)).count() == 1


def test_annualise_and_ratios() -> None:
    assert selectors.annualise(Decimal("25.00"), "hourly", Decimal("40")) == Decimal("52000.00")
    assert selectors.annualise(Decimal("25.00"), "hourly", Decimal("30")) == Decimal("39000.00")
    assert selectors.annualise(Decimal("61000.00"), "annual", Decimal("40")) == Decimal("61000.00")
    assert selectors.ratio(Decimal("52000"), Decimal("50000")) == Decimal("1.04")
    assert selectors.ratio(Decimal("1"), None) is None
    assert selectors.on_position_basis(Decimal("41600.00"), "annual", Decimal("40"), "hourly") == Decimal("20.00")


def test_compa_ratio_report_arithmetic(hr: User, north: Location) -> None:
    office = PositionFactory(title="Office manager", role=Role.OFFICE_MANAGER, tier=Tier.MID,
                             pay_min=Decimal("40000"), pay_max=Decimal("60000"))
    hourly = PositionFactory(title="Receptionist", pay_basis="hourly", pay_min=Decimal("16"),
                             pay_max=Decimal("20"))
    pm = PositionFactory(title="Practice manager", role=Role.PRACTICE_MANAGER, tier=Tier.ENTRY,
                         pay_min=None, pay_max=None)
    alice = EmployeeFactory(first_name="Alice", position=office, location=north)
    bob = EmployeeFactory(first_name="Bob", position=hourly, location=north)
    cara = EmployeeFactory(first_name="Cara", position=pm, location=north)
    _rate(alice, hr, "20.00", day=dt.date(2024, 1, 1))
    _rate(alice, hr, "25.00", day=dt.date(2025, 1, 1))  # the current one: 25 x 40 x 52 = 52000
    _rate(alice, hr, "99.00", day=dt.date(2027, 1, 1))  # future: ignored
    _rate(bob, hr, "35360.00", basis="annual", hours="34")  # 35360 / (34 x 52) = 20.00 an hour
    _rate(cara, hr, "63100.00", basis="annual")
    EmployeeFactory(first_name="Dan", position=office, location=north)  # no rate: not in the report
    # A tier-specific figure beats the seeded role-wide one; a regional one loses to a national one.
    PayBenchmark.objects.create(title="OM mid", role=Role.OFFICE_MANAGER, tier=Tier.MID, percentile_10=30000,
                                median=40000, percentile_90=60000, source="Survey", as_of=dt.date(2020, 1, 1))
    PayBenchmark.objects.create(title="OM mid TX", role=Role.OFFICE_MANAGER, tier=Tier.MID, region="TX",
                                percentile_10=30000, median=45000, percentile_90=60000, source="Survey",
                                as_of=dt.date(2024, 1, 1))
    groups = {group.position.title: group for group in selectors.compa_ratio_report(actor=hr, today=TODAY)}
    alice_row = groups["Office manager"].rows[0]
    assert (alice_row.annual, alice_row.position_ratio, alice_row.benchmark_ratio) == (
        Decimal("52000.00"), Decimal("1.04"), Decimal("1.30"))  # 52000/50000, 52000/40000
    assert groups["Office manager"].midpoint == Decimal("50000.00")
    assert len(groups["Office manager"].rows) == 1
    bob_row = groups["Receptionist"].rows[0]
    assert (bob_row.compared, bob_row.position_ratio, bob_row.benchmark_ratio) == (
        Decimal("20.00"), Decimal("1.11"), None)  # 20 / 18; no role, no benchmark
    cara_row = groups["Practice manager"].rows[0]
    assert (cara_row.position_ratio, cara_row.benchmark_ratio) == (None, Decimal("1.00"))  # seeded 63,100
    assert AuditEvent.objects.filter(action="workforce.pay_viewed", reason="compa-ratio report").count() == 3


def test_compa_ratio_report_needs_pay_and_keeps_to_scope(
        make_user: Callable[..., User], hr: User, north: Location, south: Location) -> None:
    position = PositionFactory()
    for location in (north, south):
        _rate(EmployeeFactory(position=position, location=location), hr, "30.00")
    with pytest.raises(PermissionDenied):
        selectors.compa_ratio_report(actor=make_user(Role.OFFICE_MANAGER, Tier.MID))
    northern = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    groups = selectors.compa_ratio_report(actor=northern, today=TODAY)
    assert [row.employee.location_id for row in groups[0].rows] == [north.pk]


def test_benchmarks_need_pay_and_manage_everywhere_with_source_and_date(
        make_user: Callable[..., User], hr: User, north: Location) -> None:
    data = {"title": "Medical biller", "role": Role.BILLER, "percentile_10": "35000", "median": "45000",
            "percentile_90": "60000", "source": "BLS OES", "as_of": dt.date(2024, 5, 1)}
    for actor in (make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north]),
                  make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)):  # one site only; no pay
        with pytest.raises(PermissionDenied):
            services.pay_benchmark_create(actor=actor, data=data)
    assert not PayBenchmark.objects.filter(title="Medical biller").exists()
    with pytest.raises(ValidationError) as caught:
        services.pay_benchmark_create(actor=hr, data={**data, "source": " ", "median": "70000"})
    assert {"source", "median"} <= set(caught.value.message_dict)
    benchmark = services.pay_benchmark_create(actor=hr, data=data)
    assert benchmark.median == Decimal("45000.00")
    services.pay_benchmark_update(actor=hr, benchmark=benchmark, data={"median": "46000.00"})
    benchmark.refresh_from_db()
    assert benchmark.median == Decimal("46000.00")
    assert AuditEvent.objects.filter(action="workforce.pay_benchmark_updated",
                                     changed_fields="median").exists()


# --- pages ----------------------------------------------------------------------------------------------------


def test_pay_history_page_for_hr_for_oneself_and_404_for_others(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], hr: User, north: Location) -> None:
    staff = make_user(Role.FRONT_DESK)
    own = EmployeeFactory(user=staff, location=north)
    colleague = EmployeeFactory(location=north)
    _rate(own, hr, "19.00")
    _rate(colleague, hr, "21.00")
    client = signed_in(staff)
    page = client.get(reverse("workforce:pay_history", args=[own.pk]))
    assert page.status_code == 200
    assert "19.00" in page.content.decode()
    assert "New pay rate" not in page.content.decode()
    assert client.get(reverse("workforce:pay_history", args=[colleague.pk])).status_code == 404
    response = client.post(reverse("workforce:pay_history", args=[own.pk]),
                           {"effective_from": "2025-06-01", "basis": "hourly", "amount": "50", "hours_per_week": "40"})
    assert response.status_code == 404
    assert PayRate.objects.filter(employee=own).count() == 1
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID))  # sees HR records, not pay
    assert client.get(reverse("workforce:pay_history", args=[colleague.pk])).status_code == 404
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() >= 3


def test_a_bad_amount_on_the_form_is_a_field_error_and_a_good_one_saves(
        signed_in: Callable[[User], Client], hr: User) -> None:
    employee = EmployeeFactory()
    client = signed_in(hr)
    url = reverse("workforce:pay_history", args=[employee.pk])
    form = {"effective_from": "2025-06-01", "basis": "hourly", "amount": "21.999", "hours_per_week": "40"}
    response = client.post(url, form)
    assert response.status_code == 400
    assert "at most two decimals" in response.content.decode()
    assert not PayRate.objects.exists()
    assert client.post(url, {**form, "amount": "22"}).status_code == 302
    assert PayRate.objects.get().amount == "22.00"


def test_benchmark_pages(make_user: Callable[..., User], signed_in: Callable[[User], Client], hr: User,
                         north: Location) -> None:
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north]))
    assert "63100" in client.get(reverse("workforce:benchmark_list")).content.decode()
    assert client.get(reverse("workforce:benchmark_create")).status_code == 404
    seeded = PayBenchmark.objects.get(title="Office manager")
    assert client.post(reverse("workforce:benchmark_edit", args=[seeded.pk]), {"median": "1"}).status_code == 404
    seeded.refresh_from_db()
    assert seeded.median == Decimal("38800.00")
    client = signed_in(hr)
    form = {"title": "Office manager", "role": Role.OFFICE_MANAGER, "percentile_10": "28200",
            "median": "38,800", "percentile_90": "55000", "source": "Payscale", "as_of": "2022-06-01"}
    response = client.post(reverse("workforce:benchmark_edit", args=[seeded.pk]), form)
    assert response.status_code == 400
    assert "thousands separator" in response.content.decode()
    form["median"] = "40000"
    assert client.post(reverse("workforce:benchmark_edit", args=[seeded.pk]), form).status_code == 302
    seeded.refresh_from_db()
    assert seeded.median == Decimal("40000.00")


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_compa_ratio_page_takes_the_same_number_of_queries_for_3_or_30_employees(
        signed_in: Callable[[User], Client], hr: User, make_user: Callable[..., User]) -> None:
    client = signed_in(hr)
    url = reverse("workforce:compa_ratio_report")

    def add(count: int) -> None:
        for _index in range(count):
            _rate(EmployeeFactory(position=PositionFactory(role=Role.OFFICE_MANAGER, tier=Tier.MID)), hr, "25.00")

    add(3)
    _count(client, url)
    few = _count(client, url)
    add(27)
    assert _count(client, url) == few
    assert signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID)).get(url).status_code == 404
