"""money.parse_money: every billing amount (forms, CSV, API, X12) is read the same way, with two decimals, and a
bad one is refused in words a biller understands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openpractice.billing.money import MAX_MONEY, parse_money


@pytest.mark.parametrize(("value", "expected"), [
    ("125", Decimal("125.00")),
    ("125.5", Decimal("125.50")),
    (" 125.50 ", Decimal("125.50")),
    (".5", Decimal("0.50")),
    ("5.", Decimal("5.00")),
    ("+3", Decimal("3.00")),
    ("12.340", Decimal("12.34")),
    (125, Decimal("125.00")),
    (Decimal("1E+3"), Decimal("1000.00")),
    (0.1, Decimal("0.10")),
    ("0", Decimal("0.00")),
    ("-0.00", Decimal("0.00")),
    ("99999999.99", MAX_MONEY),
])
def test_amounts_are_read_with_two_decimals(value, expected):
    amount = parse_money(value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2
    assert not amount.is_signed()


@pytest.mark.parametrize(("value", "fragment"), [
    (None, "Enter an amount"),
    ("", "Enter an amount"),
    ("   ", "Enter an amount"),
    (True, "is not an amount like 125.00"),
    ("abc", "is not an amount like 125.00"),
    ("$125", "no currency sign"),
    ("1,250.00", "thousands separator"),
    ("1 250", "is not an amount like 125.00"),
    ("1e3", "is not an amount like 125.00"),
    ("NaN", "is not an amount like 125.00"),
    ("inf", "is not an amount like 125.00"),
    ("²", "is not an amount like 125.00"),
    ("١٢", "is not an amount like 125.00"),
    ("\x00", "is not an amount like 125.00"),
    ("1" * 600, "is not an amount like 125.00"),
    (Decimal("NaN"), "dollars and cents"),
    (Decimal("sNaN"), "dollars and cents"),
    (Decimal("-Infinity"), "dollars and cents"),
    (float("nan"), "is not an amount like 125.00"),
    ("1.005", "at most two decimals"),
    (Decimal("0.001"), "at most two decimals"),
    ("100000000", "larger than 99,999,999.99"),
    ("99999999999999999999", "larger than"),
    (Decimal("1E+999999"), "larger than"),
    ("-1", "cannot be negative"),
])
def test_what_is_not_money_is_refused_in_words(value, fragment):
    with pytest.raises(ValueError, match=fragment.replace("$", r"\$")):
        parse_money(value)


def test_a_long_value_is_not_echoed_back_whole():
    with pytest.raises(ValueError) as raised:
        parse_money("x" * 600)
    assert len(str(raised.value)) < 150


def test_negative_amounts_only_where_allowed():
    assert parse_money("-12.50", allow_negative=True) == Decimal("-12.50")
    with pytest.raises(ValueError, match="larger than"):
        parse_money("-100000000", allow_negative=True)


def test_zero_only_where_allowed():
    assert parse_money("0.00") == Decimal("0.00")
    with pytest.raises(ValueError, match="more than 0"):
        parse_money("0.00", allow_zero=False)
    with pytest.raises(ValueError, match="more than 0"):
        parse_money("-0", allow_zero=False, allow_negative=True)
