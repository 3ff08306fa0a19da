"""Persisted counters for claim numbers and X12 control numbers: taken under a row lock, never reused."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..models import ControlNumber

CLAIM_NUMBER = "claim"
INTERCHANGE = "isa"  # ISA13, nine digits
GROUP = "gs"  # GS06
MAX_INTERCHANGE = 999_999_999


@transaction.atomic
def control_number_next(name: str, *, count: int = 1) -> int:
    """Reserve `count` consecutive numbers and return the first. Two callers never get the same number."""
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = ControlNumber.objects.select_for_update().filter(name=name).first()
    if counter is None:
        try:
            with transaction.atomic():
                ControlNumber.objects.create(name=name, last_value=0)
        except IntegrityError:  # created by a concurrent caller in the meantime
            pass
        counter = ControlNumber.objects.select_for_update().get(name=name)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return first


def claim_number_format(value: int) -> str:
    """CLM01 (max 20 characters in 837P; we keep it short for payers that truncate): OP0000123."""
    return f"OP{value:07d}"
