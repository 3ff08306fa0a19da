"""Formatting X12 values: free text and identifiers never carry a separator, amounts lose needless zeros, trailing
empty elements and components are dropped, the ISA is fixed-width."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpractice.billing.x12.envelope import Envelope, ge, gs, iea, isa, se, st_control
from openpractice.billing.x12.segments import amount, composite, date6, date8, digits, ident, segment, text, time4

ALLOWED = re.compile(r"""^[A-Za-z0-9 !"&'()+,\-./;?=%@\[\]_{}\\|<>#$`]*$""")


def test_free_text_is_ascii_upper_case_without_separators_and_single_spaced() -> None:
    assert text("  Zoë  Núñez*~:^ O'Brien\t\n") == "ZOE NUNEZ O'BRIEN"
    assert text("Suite 4 ~ Building*B", upper=False) == "Suite 4 Building B"
    assert text("Bartholomew-Featherstonehaugh", 10) == "BARTHOLOME"
    assert text(None) == ""
    assert text("") == ""


def test_text_is_cut_to_the_element_size_without_a_trailing_space() -> None:
    assert text("ANN MARIE SMITH", 9) == "ANN MARIE"
    assert text("ANN MARIE SMITH", 10) == "ANN MARIE"


def test_identifiers_keep_their_characters_but_lose_separators_and_spaces() -> None:
    assert ident("ab*12 ~3:4^5") == "ab12345"
    assert ident("W123-456.7") == "W123-456.7"
    assert ident("ÅB1") == "AB1"
    assert ident("ABCDEFGHIJ", 4) == "ABCD"


def test_digits_keep_only_digits() -> None:
    assert digits("27601-1234") == "276011234"
    assert digits("56-1234567") == "561234567"
    assert digits("(919) 555-0100") == "9195550100"
    assert digits(None) == ""


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("125.00"), "125"), (Decimal("125.50"), "125.5"), (Decimal("0.05"), "0.05"), (Decimal("0"), "0"),
    (Decimal("-3.10"), "-3.1"), (Decimal("1000"), "1000"), (Decimal("2.005"), "2"), (7, "7"),
])
def test_amounts_are_x12_decimals_without_needless_zeros(value: Decimal, expected: str) -> None:
    assert amount(value) == expected


def test_dates_and_times() -> None:
    assert date8(dt.date(2026, 1, 5)) == "20260105"
    assert date6(dt.date(2026, 1, 5)) == "260105"
    assert time4(dt.datetime(2026, 1, 5, 7, 3)) == "0703"


def test_trailing_empty_elements_and_components_are_dropped() -> None:
    assert segment("SBR", "P", "18", "GRP", "", "", "", "", "", "CI") == "SBR*P*18*GRP******CI"
    assert segment("NM1", "QC", "1", "DOE", "JANE", "", "", "", "", "") == "NM1*QC*1*DOE*JANE"
    assert segment("SE") == "SE"
    assert composite("HC", "99213", "", "", "") == "HC:99213"
    assert composite("HC", "99213", "", "59") == "HC:99213::59"


def test_the_envelope_is_fixed_width_and_counts_what_it_closes() -> None:
    envelope = Envelope(sender_id="SENDER", receiver_id="RECEIVER", interchange_number=42, group_number=7,
                        usage_indicator="P", created=dt.datetime(2026, 3, 4, 5, 6))
    header = isa(envelope)
    assert len(header) + 1 == 106
    assert header == ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260304*0506*^*00501*"
                      "000000042*0*P*:")
    assert gs(envelope) == "GS*HC*SENDER*RECEIVER*20260304*0506*7*X*005010X222A1"
    assert se(25, st_control(3)) == "SE*25*0003"
    assert ge(2, envelope) == "GE*2*7"
    assert iea(1, envelope) == "IEA*1*000000042"


@pytest.mark.parametrize("fields", [
    {"interchange_number": 0}, {"interchange_number": 1_000_000_000}, {"group_number": 0},
    {"usage_indicator": "X"}, {"sender_id": "*~"},
])
def test_an_envelope_with_impossible_values_is_refused(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"sender_id": "S", "receiver_id": "R", "interchange_number": 1, "group_number": 1,
                                 "usage_indicator": "T", "created": dt.datetime(2026, 1, 1)}
    values.update(fields)
    with pytest.raises(ValueError):
        Envelope(**values)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_no_free_text_ever_carries_a_separator_or_a_character_outside_the_x12_set(value: str) -> None:
    for upper in (True, False):
        cleaned = text(value, 60, upper=upper)
        assert ALLOWED.match(cleaned)
        assert len(cleaned) <= 60
        assert cleaned == cleaned.strip()
        assert "  " not in cleaned


@given(st.text(max_size=80))
def test_no_identifier_ever_carries_a_separator_or_a_space(value: str) -> None:
    cleaned = ident(value)
    assert ALLOWED.match(cleaned)
    assert " " not in cleaned
