"""Fee schedule CSV import: all rows valid or nothing written, with a report a biller can act on."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import FeeScheduleEntry, ProcedureCode
from openpractice.billing.services import codes as code_services
from openpractice.billing.services.fees import fee_schedule_import_csv
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user):
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def schedule(biller):
    return FeeScheduleFactory(created_by=biller, effective_from=dt.date(2025, 1, 1))


def entries(schedule):
    return sorted(schedule.entries.values_list("procedure_code", "modifier", "amount"))


GOOD = "code,modifier,amount\n99213,,125.00\n99214,,180\n93000,26,20.5\nJ1100,,4.10\n0042T,,300.00\n"


def test_a_good_file_is_imported_with_counts_and_an_audit_event(biller, schedule):
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=GOOD.encode(), replace=False)
    assert report.ok
    assert report.saved
    assert (report.rows, report.created, report.updated, report.unchanged, report.deleted) == (5, 5, 0, 0, 0)
    assert entries(schedule) == [("0042T", "", Decimal("300.00")), ("93000", "26", Decimal("20.50")),
                                 ("99213", "", Decimal("125.00")), ("99214", "", Decimal("180.00")),
                                 ("J1100", "", Decimal("4.10"))]
    assert set(ProcedureCode.objects.values_list("code", "kind")) == {
        ("0042T", "CPT"), ("93000", "CPT"), ("99213", "CPT"), ("99214", "CPT"), ("J1100", "HCPCS")}
    event = AuditEvent.objects.get(action="billing.fee_schedule_imported")
    assert event.object_id == str(schedule.pk)
    assert "5 created" in event.reason


def test_importing_again_updates_changed_amounts_and_keeps_unlisted_fees(biller, schedule):
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("100.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99215", amount=Decimal("250.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99214", amount=Decimal("180.00"))
    report = fee_schedule_import_csv(actor=biller, schedule=schedule,
                                     file="code,amount\n99213,125\n99214,180.00\n", replace=False)
    assert (report.created, report.updated, report.unchanged, report.deleted) == (0, 1, 1, 0)
    assert entries(schedule) == [("99213", "", Decimal("125.00")), ("99214", "", Decimal("180.00")),
                                 ("99215", "", Decimal("250.00"))]


def test_replace_removes_the_fees_the_file_does_not_list(biller, schedule):
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99215", amount=Decimal("250.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", modifier="25", amount=Decimal("1.00"))
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file="code,amount\n99213,125\n", replace=True)
    assert (report.created, report.deleted) == (1, 2)
    assert entries(schedule) == [("99213", "", Decimal("125.00"))]


def test_a_byte_order_mark_header_case_and_spaces_are_fine(biller, schedule):
    content = "\ufeff Code , AMOUNT ,Modifier\r\n 99213 , 125.00 , \r\n93000,20,tc\r\n\r\n".encode()
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=io.BytesIO(content), replace=False)
    assert report.ok, (report.errors, report.problems)
    assert entries(schedule) == [("93000", "TC", Decimal("20.00")), ("99213", "", Decimal("125.00"))]


@pytest.mark.parametrize(("row", "fragment"), [
    ("9921,,10", "CPT codes have exactly 5 digits"),
    ("W1234,,10", "is not a CPT or HCPCS code"),
    ("99213,ZZ,10", "“ZZ” is not a modifier we know"),
    ("99213,,", "enter an amount"),
    ("99213,,0", "the amount must be more than 0"),
    ("99213,,-1", "the amount cannot be negative"),
    ("99213,,$125", "is not an amount like 125.00"),
    ("99213,,1 250.00", "is not an amount like 125.00"),
    ("99213,,\"1,250.00\"", "no currency sign or thousands separator"),
    ("99213,,12.345", "at most two decimals"),
    ("99213,,abc", "is not an amount like 125.00"),
    ("99213,,NaN", "is not an amount like 125.00"),
    ("99213,,1e3", "is not an amount like 125.00"),
    ("99213,,²", "is not an amount like 125.00"),
    ("99213,,100000000", "larger than"),
    (",,10", "The procedure code is missing"),
    ("99213,,10,extra", "the row has 4 values but the header names 3 columns"),
])
def test_each_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_imported(biller, schedule, row, fragment):
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99215", amount=Decimal("250.00"))
    content = f"code,modifier,amount\n99212,,80.00\n{row}\n99214,,180.00\n"
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=content, replace=True)
    assert not report.ok
    assert not report.saved
    assert [problem.line for problem in report.problems] == [3]
    assert any(fragment in reason for reason in report.problems[0].reasons), report.problems[0].reasons
    assert entries(schedule) == [("99215", "", Decimal("250.00"))]
    assert not AuditEvent.objects.filter(action="billing.fee_schedule_imported").exists()


def test_a_code_and_modifier_twice_in_the_file_is_reported_on_the_second_line(biller, schedule):
    content = "code,modifier,amount\n99213,,125\n93000,26,20\n99213,,130\n93000,TC,40\n93000,26,21\n"
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=content, replace=False)
    assert [(p.line, p.reasons) for p in report.problems] == [
        (4, ["99213 is also on line 2"]), (6, ["93000 with modifier 26 is also on line 3"])]
    assert not FeeScheduleEntry.objects.exists()


def test_several_problems_on_one_row_are_all_listed(biller, schedule):
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file="code,modifier,amount\n1,QQ,x\n",
                                     replace=False)
    assert len(report.problems[0].reasons) == 3


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "The file is empty."),
    (b"   \n\n", "The file is empty."),
    (b"code,modifier,amount\n", "no data rows"),
    (b"cpt,fee\n99213,125\n", "missing: code, amount"),
    (b"code,amount,description\n99213,125,Office visit\n", "Unknown column(s) in the header row: “description”"),
    (b"code,code,amount\n99213,99213,125\n", "Column(s) named twice"),
    ("code,amount\n99213,125\n".encode("utf-16"), "binary file"),
    (b"code,amount\n99213,\xe9125\n", "not UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet file"),
    (b"code,amount\n\x00\x01\x02", "binary file"),
])
def test_a_file_that_is_not_a_fee_csv_is_refused_with_a_reason(biller, schedule, content, fragment):
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=content, replace=False)
    assert not report.ok
    assert not report.saved
    assert any(fragment in error for error in report.errors), report.errors
    assert not FeeScheduleEntry.objects.exists()


def test_a_file_over_the_size_limit_is_refused(biller, schedule, monkeypatch):
    monkeypatch.setattr(code_services, "CSV_MAX_BYTES", 100)
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=b"code,amount\n" + b"99213,1\n" * 20,
                                     replace=False)
    assert report.errors
    assert "larger than" in report.errors[0]


def test_a_file_over_the_row_limit_is_refused(biller, schedule, monkeypatch):
    monkeypatch.setattr(code_services, "CSV_MAX_ROWS", 3)
    rows = "".join(f"{99200 + n},1\n" for n in range(5))
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file="code,amount\n" + rows, replace=False)
    assert report.errors
    assert "more than 3 rows" in report.errors[0]
    assert not FeeScheduleEntry.objects.exists()


def test_only_the_first_problems_are_kept_and_the_rest_counted(biller, schedule, monkeypatch):
    monkeypatch.setattr(code_services, "MAX_REPORTED_PROBLEMS", 2)
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file="code,amount\n1,1\n2,2\n3,3\n4,4\n",
                                     replace=False)
    assert len(report.problems) == 2
    assert report.more_problems == 2
    assert report.problem_count == 4


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_roles_without_billing_manage_cannot_import(make_user, schedule, role, tier):
    outsider = make_user(role, tier, username="outsider")
    with pytest.raises(PermissionDenied):
        fee_schedule_import_csv(actor=outsider, schedule=schedule, file=GOOD, replace=True)
    assert not FeeScheduleEntry.objects.exists()
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied",
                                     action="billing.fee_schedule_import").count() == 1


# --- fuzz ---------------------------------------------------------------------------------------------------

_cells = st.one_of(
    st.sampled_from(["99213", "99214", "93000", "J1100", "0042T", "9921", "ZZZZZ", "", "26", "TC", "ZZ", "25",
                     "125.00", "0", "-3", "1e3", "12.345", "NaN", "Infinity", "\"", "\x00", "\ufeff"]),
    st.text(max_size=12),
)
_rows = st.lists(st.lists(_cells, min_size=0, max_size=4), max_size=8)
_headers = st.sampled_from(["code,modifier,amount", "code,amount", "amount,code", "code", "", "code,modifier,amount,x"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_headers, rows=_rows, raw=st.binary(max_size=60), use_raw=st.booleans(), replace=st.booleans())
def test_import_never_raises_and_never_half_imports(biller, schedule, header, rows, raw, use_raw, replace):
    FeeScheduleEntry.objects.filter(schedule=schedule).delete()
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99215", amount=Decimal("250.00"))
    before = entries(schedule)
    if use_raw:
        content: bytes | str = raw
    else:
        content = header + "\n" + "\n".join(",".join(cells) for cells in rows)
    report = fee_schedule_import_csv(actor=biller, schedule=schedule, file=content, replace=replace)
    after = entries(schedule)
    if report.saved:
        assert report.ok
        assert report.rows == report.created + report.updated + report.unchanged
        if replace:
            assert len(after) == report.rows
        else:
            assert len(after) - report.rows in (0, 1)
            assert ("99215", "") in {(code, modifier) for code, modifier, _amount in after}
        assert all(amount > 0 for _code, _modifier, amount in after)
    else:
        assert not report.ok
        assert after == before
