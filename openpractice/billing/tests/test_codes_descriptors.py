"""Procedure codes: created as they are used; descriptors only from the practice's licensed file."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import ProcedureCode
from openpractice.billing.selectors.codes import procedure_code_counts, procedure_code_list
from openpractice.billing.services.codes import (
    procedure_code_ensure,
    procedure_codes_ensure,
    procedure_descriptors_import,
)

pytestmark = pytest.mark.django_db

SOURCE = "Practice's licensed CPT data file 2026"


@pytest.fixture
def biller(make_user):
    return make_user(Role.BILLER, username="biller")


def test_a_code_is_created_once_with_its_code_set_and_no_descriptor():
    first = procedure_code_ensure(" j1100")
    assert (first.code, first.kind, first.descriptor) == ("J1100", "HCPCS", "")
    assert procedure_code_ensure("J1100").pk == first.pk


def test_a_malformed_code_is_not_created():
    with pytest.raises(ValidationError, match="exactly 5 digits"):
        procedure_code_ensure("9921")
    assert not ProcedureCode.objects.exists()


def test_many_codes_are_ensured_in_two_queries_skipping_bad_ones(django_assert_num_queries):
    procedure_code_ensure("99213")
    with django_assert_num_queries(2):
        created = procedure_codes_ensure(["99213", "99214", "G0438", "bad", "99214"])
    assert created == 2
    assert sorted(ProcedureCode.objects.values_list("code", flat=True)) == ["99213", "99214", "G0438"]


def test_descriptors_are_imported_with_their_source_and_audited(biller):
    procedure_code_ensure("99213")
    content = "code,descriptor\n99213,Our own words for an office visit\nG0438,  Annual   wellness visit \n"
    report = procedure_descriptors_import(actor=biller, file=content.encode(), source=SOURCE)
    assert report.saved
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert dict(ProcedureCode.objects.values_list("code", "descriptor")) == {
        "99213": "Our own words for an office visit", "G0438": "Annual wellness visit"}
    assert set(ProcedureCode.objects.values_list("descriptor_source", flat=True)) == {SOURCE}
    assert AuditEvent.objects.filter(action="billing.procedure_descriptors_imported").count() == 1
    again = procedure_descriptors_import(actor=biller, file=content, source=SOURCE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(("content", "fragment"), [
    ("code,descriptor\n99213,Visit\n9921,Short code\n", "exactly 5 digits"),
    ("code,descriptor\n99213,Visit\n99214,\n", "the descriptor is empty"),
    ("code,descriptor\n99213,Visit\n99214," + "x" * 301 + "\n", "longer than 300"),
    ("code,descriptor\n99213,Visit\n99213,Again\n", "code 99213 is also on line 2"),
])
def test_a_bad_descriptor_row_imports_nothing(biller, content, fragment):
    report = procedure_descriptors_import(actor=biller, file=content, source=SOURCE)
    assert not report.saved
    assert [problem.line for problem in report.problems] == [3]
    assert any(fragment in reason for reason in report.problems[0].reasons)
    assert not ProcedureCode.objects.exists()


@pytest.mark.parametrize(("source", "fragment"), [("", "Name the source"), ("x" * 121, "at most 120")])
def test_the_source_must_be_named(biller, source, fragment):
    report = procedure_descriptors_import(actor=biller, file="code,descriptor\n99213,Visit\n", source=source)
    assert not report.saved
    assert fragment in report.errors[0]
    assert not ProcedureCode.objects.exists()


def test_a_descriptor_file_with_a_wrong_header_is_refused(biller):
    report = procedure_descriptors_import(actor=biller, file="code,amount\n99213,1\n", source=SOURCE)
    assert any("missing: descriptor" in error for error in report.errors)


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_roles_without_billing_manage_cannot_import_descriptors(make_user, role, tier):
    outsider = make_user(role, tier, username="outsider")
    with pytest.raises(PermissionDenied):
        procedure_descriptors_import(actor=outsider, file="code,descriptor\n99213,Visit\n", source=SOURCE)
    assert not ProcedureCode.objects.exists()
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 1


def test_a_biller_of_one_location_cannot_import_practice_wide_descriptors(make_user, north):
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    with pytest.raises(PermissionDenied, match="every location"):
        procedure_descriptors_import(actor=north_biller, file="code,descriptor\n99213,Visit\n", source=SOURCE)
    assert not ProcedureCode.objects.exists()
    denial = AuditEvent.objects.get(actor=north_biller, outcome="denied")
    assert (denial.action, denial.reason) == ("billing.procedure_descriptors_import",
                                              "billing.manage at all locations required")


def test_counts_and_search_of_procedure_codes(biller, make_user):
    procedure_descriptors_import(actor=biller, file="code,descriptor\n99213,Office visit\n", source=SOURCE)
    procedure_codes_ensure(["J1100", "99214"])
    assert procedure_code_counts(actor=biller) == {"total": 3, "cpt": 2, "hcpcs": 1, "with_descriptor": 1}
    assert [row.code for row in procedure_code_list(actor=biller, search="office")] == ["99213"]
    assert [row.code for row in procedure_code_list(actor=biller, search="j1")] == ["J1100"]
    assert procedure_code_counts(actor=make_user(Role.HR))["total"] == 0
