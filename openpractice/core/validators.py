"""Validators for identifiers the practice types in: NPI, EIN, US ZIP, phone."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def npi_is_valid(value: str) -> bool:
    """An NPI is 10 digits whose last digit is the Luhn check digit over the prefix 80840 + the first nine."""
    if not re.fullmatch(r"\d{10}", value or ""):
        return False
    digits = [int(c) for c in "80840" + value]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(_("Enter a valid 10-digit NPI (its check digit does not match)."), code="invalid_npi")


def validate_ein(value: str) -> None:
    if not re.fullmatch(r"\d{2}-\d{7}", value or ""):
        raise ValidationError(_("Enter the EIN as NN-NNNNNNN."), code="invalid_ein")


def validate_zip(value: str) -> None:
    if not re.fullmatch(r"\d{5}(-\d{4})?", value or ""):
        raise ValidationError(_("Enter a ZIP code as 12345 or 12345-6789."), code="invalid_zip")


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValidationError(_("Enter a 10-digit US phone number."), code="invalid_phone")


def validate_timezone(value: str) -> None:
    import zoneinfo

    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone %(tz)s."), params={"tz": value}, code="invalid_timezone")
