"""The interchange envelope: ISA/IEA around one GS/GE functional group around ST/SE transaction sets.

ISA is fixed-width (every element padded to its size), names our separators (ISA11 repetition '^', ISA16
component ':'; the element separator is the character after "ISA" and the segment terminator the one after
ISA16) and carries the interchange control number (ISA13, nine digits) and the usage indicator (ISA15, T or P).
Control numbers come from services/numbers.py and are passed in: this module only formats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .segments import COMPONENT, REPETITION, date6, date8, ident, pad, segment, time4

ISA_VERSION = "00501"
MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True)
class Envelope:
    """What the envelope segments of one interchange say."""

    sender_id: str  # ISA06 / GS02: the submitter ID the clearinghouse assigned
    receiver_id: str  # ISA08 / GS03
    interchange_number: int  # ISA13 / IEA02
    group_number: int  # GS06 / GE02
    usage_indicator: str  # ISA15: T test, P production
    created: dt.datetime  # ISA09/ISA10, GS04/GS05 (practice-local time)
    functional_id: str = "HC"  # GS01: HC health care claim (837)
    version: str = "005010X222A1"  # GS08 / ST03
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    acknowledgment_requested: str = "0"  # ISA14: no TA1 asked for

    def __post_init__(self) -> None:
        for name in ("interchange_number", "group_number"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_CONTROL_NUMBER:
                raise ValueError(f"{name} must be between 1 and {MAX_CONTROL_NUMBER}, not {value}")
        if self.usage_indicator not in ("T", "P"):
            raise ValueError("usage_indicator must be T or P")
        if not ident(self.sender_id) or not ident(self.receiver_id):
            raise ValueError("the sender and receiver IDs are required")


def isa(envelope: Envelope) -> str:
    return segment(
        "ISA", "00", pad("", 10), "00", pad("", 10),
        envelope.sender_qualifier, pad(ident(envelope.sender_id, 15), 15),
        envelope.receiver_qualifier, pad(ident(envelope.receiver_id, 15), 15),
        date6(envelope.created), time4(envelope.created), REPETITION, ISA_VERSION,
        f"{envelope.interchange_number:09d}", envelope.acknowledgment_requested, envelope.usage_indicator, COMPONENT,
    )


def gs(envelope: Envelope) -> str:
    return segment(
        "GS", envelope.functional_id, ident(envelope.sender_id, 15), ident(envelope.receiver_id, 15),
        date8(envelope.created), time4(envelope.created), str(envelope.group_number), "X", envelope.version,
    )


def st_control(number: int) -> str:
    """ST02/SE02: at least four digits, unique within the functional group."""
    return f"{number:04d}"


def st(transaction_set_id: str, control: str, version: str) -> str:
    return segment("ST", transaction_set_id, control, version)


def se(segment_count: int, control: str) -> str:
    """SE01 counts every segment of the transaction set, ST and SE included."""
    return segment("SE", str(segment_count), control)


def ge(transaction_set_count: int, envelope: Envelope) -> str:
    return segment("GE", str(transaction_set_count), str(envelope.group_number))


def iea(group_count: int, envelope: Envelope) -> str:
    return segment("IEA", str(group_count), f"{envelope.interchange_number:09d}")
