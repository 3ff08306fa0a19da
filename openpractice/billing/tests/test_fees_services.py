"""Fee schedules: creating and changing them, single fees, the fee for a code on a date, and who may."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import FeeSchedule, FeeScheduleEntry, ProcedureCode
from openpractice.billing.selectors.fees import fee_entries, fee_lookup, fee_schedule_list
from openpractice.billing.services.fees import (
    fee_entry_delete,
    fee_entry_set,
    fee_schedule_create,
    fee_schedule_update,
)
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory
from openpractice.patients.tests.factories import PayerFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def biller(make_user):
    """Fee schedules are practice-wide: only billing.manage at every location may change them."""
    return make_user(Role.BILLER, username="biller")


START_2025 = D(2025, 1, 1)


def standard(biller, start=START_2025, end=None, **fees):
    schedule = FeeScheduleFactory(created_by=biller, effective_from=start, effective_to=end)
    for key, amount in fees.items():
        code, _sep, modifier = key.partition("_")
        FeeScheduleEntryFactory(schedule=schedule, procedure_code=code, modifier=modifier, amount=Decimal(amount))
    return schedule


# --- fee_lookup ---------------------------------------------------------------------------------------------


def test_the_standard_fee_is_found_for_a_date_in_the_schedule(biller):
    standard(biller, **{"99213": "125.00"})
    assert fee_lookup(procedure_code="99213", on=D(2025, 6, 1)) == Decimal("125.00")


def test_a_code_the_schedule_does_not_list_has_no_fee(biller):
    standard(biller, **{"99213": "125.00"})
    assert fee_lookup(procedure_code="99214", on=D(2025, 6, 1)) is None


def test_the_fee_with_the_first_modifier_wins_over_the_bare_code(biller):
    standard(biller, **{"93000": "60.00", "93000_26": "20.00", "93000_TC": "40.00"})
    assert fee_lookup(procedure_code="93000", modifiers=["26"], on=D(2025, 6, 1)) == Decimal("20.00")
    assert fee_lookup(procedure_code="93000", modifiers=["tc", "59"], on=D(2025, 6, 1)) == Decimal("40.00")
    # Only the first modifier counts; without a fee for it, the bare code's fee applies.
    assert fee_lookup(procedure_code="93000", modifiers=["59", "26"], on=D(2025, 6, 1)) == Decimal("60.00")
    assert fee_lookup(procedure_code="93000", on=D(2025, 6, 1)) == Decimal("60.00")


def test_a_modifier_only_fee_does_not_price_the_bare_code(biller):
    standard(biller, **{"93000_26": "20.00"})
    assert fee_lookup(procedure_code="93000", on=D(2025, 6, 1)) is None


def test_the_schedule_in_force_on_the_date_of_service_is_used(biller):
    standard(biller, D(2024, 1, 1), D(2024, 12, 31), **{"99213": "110.00"})
    standard(biller, D(2025, 1, 1), None, **{"99213": "125.00"})
    assert fee_lookup(procedure_code="99213", on=D(2024, 12, 31)) == Decimal("110.00")
    assert fee_lookup(procedure_code="99213", on=D(2025, 1, 1)) == Decimal("125.00")
    assert fee_lookup(procedure_code="99213", on=D(2023, 12, 31)) is None


def test_a_payer_lookup_uses_only_that_payers_contract(biller):
    aetna, cigna = PayerFactory(name="Aetna"), PayerFactory(name="Cigna")
    standard(biller, **{"99213": "125.00"})
    contract = FeeScheduleFactory(created_by=biller, payer=aetna, effective_from=D(2025, 1, 1))
    FeeScheduleEntryFactory(schedule=contract, procedure_code="99213", amount=Decimal("88.40"))
    assert fee_lookup(procedure_code="99213", on=D(2025, 6, 1), payer=aetna) == Decimal("88.40")
    assert fee_lookup(procedure_code="99213", on=D(2025, 6, 1), payer=cigna) is None
    assert fee_lookup(procedure_code="99213", on=D(2025, 6, 1)) == Decimal("125.00")


def test_fee_lookup_is_one_query(biller, django_assert_num_queries):
    standard(biller, **{"99213": "125.00", "99213_25": "130.00"})
    with django_assert_num_queries(1):
        fee_lookup(procedure_code="99213", modifiers=["25"], on=D(2025, 6, 1))


# --- schedules ------------------------------------------------------------------------------------------------


def test_a_biller_creates_a_standard_schedule_and_it_is_audited(biller):
    schedule = fee_schedule_create(actor=biller, name=" 2025 fees ", effective_from=D(2025, 1, 1))
    assert schedule.name == "2025 fees"
    assert schedule.is_standard
    assert schedule.created_by == biller
    event = AuditEvent.objects.get(action="billing.fee_schedule_created")
    assert event.object_id == str(schedule.pk)
    assert event.actor == biller
    assert event.patient_id is None


def test_two_standard_schedules_may_not_overlap(biller):
    fee_schedule_create(actor=biller, name="2025", effective_from=D(2025, 1, 1), effective_to=D(2025, 12, 31))
    with pytest.raises(ValidationError) as caught:
        fee_schedule_create(actor=biller, name="Mid-year", effective_from=D(2025, 7, 1))
    message = caught.value.message_dict["effective_from"][0]
    assert "standard fee schedule “2025” (2025-01-01 to 2025-12-31) already covers" in message
    assert FeeSchedule.objects.count() == 1


def test_an_open_ended_schedule_overlaps_every_later_one(biller):
    fee_schedule_create(actor=biller, name="Current", effective_from=D(2025, 1, 1))
    with pytest.raises(ValidationError, match="no end date"):
        fee_schedule_create(actor=biller, name="Next", effective_from=D(2030, 1, 1), effective_to=D(2030, 12, 31))
    with pytest.raises(ValidationError):
        fee_schedule_create(actor=biller, name="Earlier", effective_from=D(2024, 1, 1))


def test_adjacent_schedules_and_schedules_of_different_kinds_may_coexist(biller):
    aetna, cigna = PayerFactory(), PayerFactory()
    fee_schedule_create(actor=biller, name="2024", effective_from=D(2024, 1, 1), effective_to=D(2024, 12, 31))
    fee_schedule_create(actor=biller, name="2025", effective_from=D(2025, 1, 1))
    fee_schedule_create(actor=biller, name="Aetna", payer=aetna, effective_from=D(2024, 6, 1))
    fee_schedule_create(actor=biller, name="Cigna", payer=cigna, effective_from=D(2024, 6, 1))
    with pytest.raises(ValidationError, match="This payer's schedule “Aetna”"):
        fee_schedule_create(actor=biller, name="Aetna 2", payer=aetna, effective_from=D(2026, 1, 1))
    assert FeeSchedule.objects.count() == 4


def test_an_end_date_before_the_start_is_refused_in_words(biller):
    with pytest.raises(ValidationError) as caught:
        fee_schedule_create(actor=biller, name="Bad", effective_from=D(2025, 2, 1), effective_to=D(2025, 1, 1))
    assert caught.value.message_dict == {"effective_to": ["The end date must be on or after the start date."]}


def test_updating_a_schedule_checks_overlaps_again_and_audits_the_fields(biller):
    old = fee_schedule_create(actor=biller, name="2024", effective_from=D(2024, 1, 1))
    with pytest.raises(ValidationError):
        fee_schedule_create(actor=biller, name="2025", effective_from=D(2025, 1, 1))
    fee_schedule_update(actor=biller, schedule=old, data={"effective_to": D(2024, 12, 31)})
    new = fee_schedule_create(actor=biller, name="2025", effective_from=D(2025, 1, 1))
    with pytest.raises(ValidationError, match="already covers"):
        fee_schedule_update(actor=biller, schedule=new, data={"effective_from": D(2024, 6, 1)})
    new.refresh_from_db()
    assert new.effective_from == D(2025, 1, 1)
    event = AuditEvent.objects.filter(action="billing.fee_schedule_updated").get()
    assert event.changed_fields == "effective_to"


def test_update_refuses_unknown_fields(biller):
    schedule = fee_schedule_create(actor=biller, name="2025", effective_from=D(2025, 1, 1))
    with pytest.raises(ValidationError, match="created_by"):
        fee_schedule_update(actor=biller, schedule=schedule, data={"created_by": None})


def test_schedule_list_counts_entries_in_one_query(biller, django_assert_num_queries):
    for year in (2020, 2021, 2022):
        standard(biller, D(year, 1, 1), D(year, 12, 31), **{"99213": "1.00", "99214": "2.00"})
    with django_assert_num_queries(4):  # the actor's grants (2), the PHI-block setting (1, then cached), the schedules
        rows = list(fee_schedule_list(actor=biller))
    assert [row.entry_count for row in rows] == [2, 2, 2]


# --- single fees ------------------------------------------------------------------------------------------------


def test_setting_a_fee_adds_it_then_changes_it_and_registers_the_code(biller):
    schedule = standard(biller)
    entry = fee_entry_set(actor=biller, schedule=schedule, procedure_code=" 99213", amount=Decimal("125"))
    assert (entry.procedure_code, entry.modifier, entry.amount) == ("99213", "", Decimal("125"))
    fee_entry_set(actor=biller, schedule=schedule, procedure_code="99213", amount="130.50")
    entry.refresh_from_db()
    assert entry.amount == Decimal("130.50")
    assert FeeScheduleEntry.objects.count() == 1
    assert ProcedureCode.objects.get(code="99213").kind == "CPT"
    assert list(AuditEvent.objects.filter(action__startswith="billing.fee_entry").values_list("action", flat=True)
                .order_by("seq")) == ["billing.fee_entry_created", "billing.fee_entry_updated"]


def test_setting_the_same_amount_again_writes_nothing(biller):
    schedule = standard(biller)
    fee_entry_set(actor=biller, schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    events = AuditEvent.objects.count()
    fee_entry_set(actor=biller, schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("code", "modifier", "amount", "fragment"), [
    ("9921", "", "10", "exactly 5 digits"),
    ("99213", "ZZ", "10", "not a modifier we know"),
    ("99213", "", "0", "more than 0"),
    ("99213", "", "-5", "cannot be negative"),
    ("99213", "", "12.345", "at most two decimals"),
    ("99213", "", Decimal("12.345"), "at most two decimals"),
    ("99213", "", Decimal("NaN"), "dollars and cents"),
    ("99213", "", Decimal("Infinity"), "dollars and cents"),
    ("99213", "", "1e3", "is not an amount like 125.00"),
    ("99213", "", "²", "is not an amount like 125.00"),
    ("99213", "", "$125", "no currency sign"),
    ("99213", "", "100000000", "larger than"),
])
def test_a_bad_fee_is_refused_in_words_and_nothing_is_written(biller, code, modifier, amount, fragment):
    schedule = standard(biller)
    with pytest.raises(ValidationError) as caught:
        fee_entry_set(actor=biller, schedule=schedule, procedure_code=code, modifier=modifier, amount=amount)
    assert any(fragment in message for message in caught.value.messages), caught.value.messages
    assert not FeeScheduleEntry.objects.exists()


def test_deleting_a_fee_removes_it_and_is_audited(biller):
    schedule = standard(biller, **{"99213": "125.00"})
    assert fee_entry_delete(actor=biller, entry=schedule.entries.get()) is True
    assert not FeeScheduleEntry.objects.exists()
    assert AuditEvent.objects.get(action="billing.fee_entry_deleted").reason == "99213"


def test_deleting_a_fee_already_gone_says_so_and_audits_nothing(biller):
    schedule = standard(biller, **{"99213": "125.00"})
    entry = schedule.entries.get()
    FeeScheduleEntry.objects.filter(pk=entry.pk).delete()
    assert fee_entry_delete(actor=biller, entry=entry) is False
    assert not AuditEvent.objects.filter(action="billing.fee_entry_deleted").exists()


def test_a_fee_is_deleted_together_with_its_audit_event_or_not_at_all(biller, monkeypatch):
    schedule = standard(biller, **{"99213": "125.00"})
    import openpractice.billing.services.fees as fees_module

    def audit_down(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(fees_module, "record", audit_down)
    with pytest.raises(RuntimeError):
        fee_entry_delete(actor=biller, entry=schedule.entries.get())
    assert list(schedule.entries.values_list("procedure_code", "amount")) == [("99213", Decimal("125.00"))]


def test_deleting_a_fee_waits_for_the_schedules_lock(biller, monkeypatch):
    schedule = standard(biller, **{"99213": "125.00"})
    import openpractice.billing.services.fees as fees_module

    locked: list[int] = []
    real_lock = fees_module._lock_schedule

    def lock(target):
        locked.append(target.pk)
        real_lock(target)

    monkeypatch.setattr(fees_module, "_lock_schedule", lock)
    fee_entry_delete(actor=biller, entry=schedule.entries.get())
    assert locked == [schedule.pk]


def test_fee_entries_search_by_code_start_and_code_modifier(biller):
    schedule = standard(biller, **{"99213": "1", "99213_25": "2", "99214": "3", "93000": "4"})
    codes = lambda text: [(e.procedure_code, e.modifier) for e in fee_entries(actor=biller, schedule=schedule,  # noqa: E731
                                                                              search=text)]
    assert codes("992") == [("99213", ""), ("99213", "25"), ("99214", "")]
    assert codes("99213-25") == [("99213", "25")]
    assert codes("") == [("93000", ""), ("99213", ""), ("99213", "25"), ("99214", "")]


# --- who may --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY),
                                            (Role.PROVIDER, Tier.STANDARD)])
def test_roles_without_billing_manage_change_nothing_and_the_refusal_is_audited(make_user, biller, role, tier):
    outsider = make_user(role, tier, username="outsider")
    schedule = standard(biller, **{"99213": "125.00"})
    entry = schedule.entries.get()
    attempts = [
        lambda: fee_schedule_create(actor=outsider, name="Mine", effective_from=D(2030, 1, 1)),
        lambda: fee_schedule_update(actor=outsider, schedule=schedule, data={"name": "Renamed"}),
        lambda: fee_entry_set(actor=outsider, schedule=schedule, procedure_code="99213", amount=Decimal("1.00")),
        lambda: fee_entry_delete(actor=outsider, entry=entry),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    schedule.refresh_from_db()
    entry.refresh_from_db()
    assert FeeSchedule.objects.count() == 1
    assert schedule.name != "Renamed"
    assert entry.amount == Decimal("125.00")
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == len(attempts)


def test_a_biller_at_one_location_may_not_change_practice_wide_schedules(make_user, north, biller):
    biller_north = make_user(Role.BILLER, locations=[north], username="north-biller")
    schedule = standard(biller, **{"99213": "125.00"})
    entry = schedule.entries.get()
    attempts = [
        lambda: fee_schedule_create(actor=biller_north, name="Mine", effective_from=D(2030, 1, 1)),
        lambda: fee_schedule_update(actor=biller_north, schedule=schedule, data={"name": "Renamed"}),
        lambda: fee_entry_set(actor=biller_north, schedule=schedule, procedure_code="99213", amount="1.00"),
        lambda: fee_entry_delete(actor=biller_north, entry=entry),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="every location"):
            attempt()
    schedule.refresh_from_db()
    assert FeeSchedule.objects.count() == 1
    assert schedule.name != "Renamed"
    assert list(schedule.entries.values_list("procedure_code", "amount")) == [("99213", Decimal("125.00"))]
    denials = AuditEvent.objects.filter(actor=biller_north, outcome="denied")
    assert denials.count() == len(attempts)
    assert all("at all locations" in reason for reason in denials.values_list("reason", flat=True))
    assert not AuditEvent.objects.filter(actor=biller_north, outcome="allowed").exists()


def test_the_demo_biller_manages_billing_at_every_location():
    from openpractice.accounts.demo import DEMO_PEOPLE

    demo_biller = next(person for person in DEMO_PEOPLE if person.username == "biller")
    assert demo_biller.role == Role.BILLER
    assert demo_biller.locations == ()  # all locations: the demo biller may keep the fee schedules


def test_roles_without_billing_view_see_no_schedules(make_user, biller):
    standard(biller, **{"99213": "125.00"})
    hr = make_user(Role.HR)
    schedule = FeeSchedule.objects.get()
    assert not fee_schedule_list(actor=hr).exists()
    assert not fee_entries(actor=hr, schedule=schedule).exists()
