"""Procedure code formats, modifiers and taxonomy codes."""

from __future__ import annotations

import pytest

from openpractice.billing.codes.modifiers import MODIFIERS, is_modifier, modifier_conflicts, modifier_kind
from openpractice.billing.codes.procedures import (
    is_procedure_code,
    normalize_procedure_code,
    procedure_code_problem,
    procedure_kind,
)
from openpractice.billing.codes.taxonomy import (
    is_taxonomy_code,
    is_taxonomy_format,
    taxonomy_codes,
    taxonomy_description,
)


@pytest.mark.parametrize(("code", "kind"), [
    ("99213", "CPT"), ("00100", "CPT"), ("3008F", "CPT"), ("0042T", "CPT"), ("0001U", "CPT"),
    ("J1100", "HCPCS"), ("G0438", "HCPCS"), ("A0425", "HCPCS"), ("V2020", "HCPCS"),
])
def test_cpt_and_hcpcs_codes_are_recognized_with_their_code_set(code, kind):
    assert is_procedure_code(code)
    assert procedure_kind(code) == kind
    assert procedure_code_problem(code) == ""


@pytest.mark.parametrize("code", ["9921", "992134", "W1234", "Z1234", "3008X", "j1100", "99 213", "", "ABCDE"])
def test_malformed_procedure_codes_are_refused(code):
    assert not is_procedure_code(code)
    assert procedure_code_problem(code)
    with pytest.raises(ValueError):
        procedure_kind(code)


def test_procedure_codes_are_normalized_before_checking():
    assert normalize_procedure_code(" j1100 ") == "J1100"
    assert is_procedure_code(normalize_procedure_code("g 0438"))


def test_a_short_numeric_code_gets_a_cpt_explanation():
    assert "exactly 5 digits" in procedure_code_problem("9921")


def test_modifiers_come_from_the_data_file_with_descriptions():
    assert len(MODIFIERS) > 100
    assert is_modifier("25")
    assert is_modifier("TC")
    assert is_modifier("XU")
    assert not is_modifier("ZZ")
    assert not is_modifier("tc")
    assert MODIFIERS["26"].startswith("Professional component")
    assert modifier_kind("25") == "CPT"
    assert modifier_kind("GA") == "HCPCS"
    assert modifier_kind("ZZ") == ""
    assert all(code == code.upper() and len(code) == 2 for code in MODIFIERS)


def test_compatible_modifiers_have_no_conflicts():
    assert modifier_conflicts(["25"]) == []
    assert modifier_conflicts(["26", "59", "GA", "KX"]) == []
    assert modifier_conflicts([]) == []
    assert modifier_conflicts(["", " "]) == []


@pytest.mark.parametrize(("modifiers", "fragment"), [
    (["26", "TC"], "Modifiers 26 and TC cannot be on the same line"),
    (["LT", "RT"], "Modifiers LT and RT cannot be on the same line"),
    (["50", "LT"], "Modifiers 50 and LT"),
    (["RT", "50"], "Modifiers 50 and RT"),
    (["59", "XS"], "Modifiers 59 and XS"),
    (["GA", "GZ"], "Modifiers GA and GZ"),
    (["25", "25"], "Modifier 25 is listed more than once"),
    (["25", "59", "GA", "KX", "QW"], "at most 4 modifiers; this one has 5"),
])
def test_conflicting_modifiers_are_explained(modifiers, fragment):
    problems = modifier_conflicts(modifiers)
    assert any(fragment in problem for problem in problems), problems


def test_modifier_conflicts_ignore_case_and_report_a_duplicate_once():
    assert modifier_conflicts(["lt", "RT"]) == [
        "Modifiers LT and RT cannot be on the same line: a line is either the left or the right side; "
        "for both sides use 50 or two lines."]
    assert modifier_conflicts(["25", "25", "25"]) == ["Modifier 25 is listed more than once on the line."]


def test_taxonomy_codes_cover_common_outpatient_specialties():
    for code in ["207Q00000X", "207R00000X", "208000000X", "363LF0000X", "363A00000X", "1041C0700X",
                 "1223G0001X", "225100000X", "261QP2300X", "193400000X"]:
        assert is_taxonomy_code(code), code
    assert taxonomy_description("363LF0000X") == "Nurse Practitioner — Family"
    assert taxonomy_description("207Q00000X") == "Family Medicine"
    assert taxonomy_description("999999999X") == ""
    assert all(is_taxonomy_format(code) for code in taxonomy_codes())
    assert not is_taxonomy_format("207Q0000X")
    assert not is_taxonomy_format("207Q00000Y")
