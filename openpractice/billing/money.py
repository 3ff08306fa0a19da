"""Money as billing reads it: one parser for amounts typed in forms, read from CSV files, sent to the API or
found in X12 files.

`parse_money()` turns "125", "125.5", Decimal("125.50") or 125 into Decimal("125.50") (always two decimals) and
refuses anything else with a ValueError whose message a biller understands: text that is not a plain number
(currency signs, thousands separators, exponents, NaN and infinity are refused), more than two decimals (cents),
a negative amount (unless allowed), zero (when not allowed), or more than MAX_MONEY. Floats are taken through
their shortest text ("0.1" stays 0.10); callers should pass text or Decimal.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
# The smallest money column of billing: a charge line or a fee (10 digits, 2 of them decimals).
MAX_MONEY = Decimal("99999999.99")
MAX_TEXT = 40  # longer text is not an amount; it is not echoed back whole either
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")  # ASCII digits only: "²" or "١" are no amount


def _shown(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def parse_money(value: Any, *, allow_zero: bool = True, allow_negative: bool = False) -> Decimal:
    """The amount `value` stands for, with two decimals. Raises ValueError (a sentence for the biller) for a
    missing or malformed amount, more than two decimals, a negative amount unless `allow_negative`, zero unless
    `allow_zero`, or more than MAX_MONEY either way."""
    if value is None:
        raise ValueError(_("Enter an amount, e.g. 125.00."))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text = (repr(value) if isinstance(value, float) else str(value)).strip()
        if not text:
            raise ValueError(_("Enter an amount, e.g. 125.00."))
        if len(text) > MAX_TEXT or not _NUMBER.match(text):
            raise ValueError(_("“%(value)s” is not an amount like 125.00: use digits and a point, with no "
                               "currency sign or thousands separator.") % {"value": _shown(text)})
        try:
            number = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid decimals
            raise ValueError(_("“%(value)s” is not an amount.") % {"value": _shown(text)}) from error
    if not number.is_finite():
        raise ValueError(_("An amount must be a number of dollars and cents, e.g. 125.00."))
    if abs(number) > MAX_MONEY:
        raise ValueError(_("The amount is larger than %(max)s.") % {"max": f"{MAX_MONEY:,}"})
    if number != number.quantize(CENT):
        raise ValueError(_("An amount has at most two decimals (cents), e.g. 125.50."))
    if number < 0 and not allow_negative:
        raise ValueError(_("The amount cannot be negative."))
    if number == 0 and not allow_zero:
        raise ValueError(_("The amount must be more than 0."))
    return number.quantize(CENT) + Decimal("0.00")  # + 0.00 turns -0.00 into 0.00
