"""The 999 implementation acknowledgement (005010X231A1): did the clearinghouse or payer accept our 837 files?

One 999 answers one or more functional groups (AK1 names our GS06), transaction set by transaction set (AK2
names our ST02; IK5 says accepted or rejected), pointing at each bad segment (IK3: segment ID, its position in
our transaction set, the loop) and element (IK4: position, data element number, error code, the bad value).
A CTX segment in the IK3 loop may name the claim (CLM01) the error sits in.

`parse_999()` returns plain dataclasses and touches no database. The error-code words below are our own short
descriptions for billers; the code itself is always kept beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .reader import Segment, Source, X12SyntaxError, read_segments

REJECTED_CODES = frozenset({"R", "M", "W", "X"})
ACCEPTED_CODES = frozenset({"A", "E"})
ACK_CODE_WORDS = {
    "A": "accepted",
    "E": "accepted with errors noted",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected: message authentication failed",
    "W": "rejected: failed validity tests",
    "X": "rejected: content could not be analysed after decryption",
}
SEGMENT_ERROR_WORDS = {
    "1": "unrecognised segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment used more often than allowed",
    "6": "segment not in this transaction set",
    "7": "segment out of sequence",
    "8": "segment has data element errors",
    "I4": "segment the guide says not to use is present",
    "I6": "segment required in this situation is missing",
    "I7": "loop occurs fewer times than required",
    "I8": "segment used fewer times than required",
    "I9": "segment the guide says not to use in this situation is present",
}
ELEMENT_ERROR_WORDS = {
    "1": "required element missing",
    "2": "conditionally required element missing",
    "3": "too many elements",
    "4": "element too short",
    "5": "element too long",
    "6": "invalid character in element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "element must not be sent together with another one",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in this implementation",
    "I9": "element required in this situation is missing",
    "I10": "element the guide says not to use is present",
    "I11": "too few repetitions",
    "I12": "value does not match the required pattern",
    "I13": "element the guide says not to use in this situation is present",
}
TRANSACTION_ERROR_WORDS = {
    "1": "transaction set not supported",
    "2": "transaction set trailer (SE) missing",
    "3": "control numbers in ST and SE do not match",
    "4": "segment count in SE does not match the segments sent",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set ID",
    "7": "missing or invalid transaction set control number",
    "18": "transaction set not inside a functional group",
    "19": "invalid implementation convention reference",
    "23": "transaction set control number not unique within the group",
    "I5": "one or more segments in error",
    "I6": "implementation convention not supported",
}
GROUP_ERROR_WORDS = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer (GE) missing",
    "4": "group control numbers in GS and GE do not match",
    "5": "number of transaction sets in GE does not match",
    "6": "group control number violates the syntax",
    "19": "functional group control number not unique within the interchange",
}


def words(table: dict[str, str], code: str) -> str:
    """"required element missing (code 1)"; an unknown code is shown as the code alone."""
    text = table.get(code)
    return f"{text} (code {code})" if text else f"code {code}"


@dataclass
class ElementError:
    position: str  # IK401: element position, maybe with component/repetition ("9", "1:2")
    element_number: str  # IK402: data element reference number
    code: str  # IK403
    bad_value: str  # IK404

    @property
    def element_position(self) -> int | None:
        head = self.position.split(":")[0].strip()
        return int(head) if head.isdigit() and head.isascii() else None


@dataclass
class SegmentError:
    segment_id: str  # IK301
    position: int | None  # IK302: the segment's position in our transaction set (ST is 1)
    loop: str  # IK303
    code: str  # IK304
    element_errors: list[ElementError] = field(default_factory=list)
    claim_numbers: list[str] = field(default_factory=list)  # CTX*CLM01:<claim number>

    def describe(self) -> str:
        """segment NM1 (line 12, loop 2010BA), element NM109: required element missing (code 1)"""
        where = f"line {self.position}" if self.position is not None else "position unknown"
        if self.loop:
            where += f", loop {self.loop}"
        head = f"segment {self.segment_id or '?'} ({where})"
        if not self.element_errors:
            return f"{head}: {words(SEGMENT_ERROR_WORDS, self.code)}" if self.code else head
        parts = []
        for error in self.element_errors:
            number = error.element_position
            name = f"{self.segment_id}{number:02d}" if number is not None and self.segment_id else error.position
            text = f"element {name}: {words(ELEMENT_ERROR_WORDS, error.code)}"
            if error.bad_value:
                text += f", value “{error.bad_value}”"
            parts.append(text)
        return f"{head}, " + "; ".join(parts)


@dataclass
class TransactionSetAck:
    transaction_set_id: str  # AK201: 837
    control_number: str  # AK202: our ST02
    convention: str  # AK203
    code: str = ""  # IK501
    syntax_codes: list[str] = field(default_factory=list)  # IK502..IK506
    errors: list[SegmentError] = field(default_factory=list)
    position: int = 0

    @property
    def accepted(self) -> bool:
        return self.code in ACCEPTED_CODES

    @property
    def rejected(self) -> bool:
        return self.code in REJECTED_CODES

    def describe(self) -> str:
        """Why: the segment errors, else the transaction-level codes, else the acknowledgement code."""
        if self.errors:
            return "; ".join(error.describe() for error in self.errors)
        if self.syntax_codes:
            return "; ".join(words(TRANSACTION_ERROR_WORDS, code) for code in self.syntax_codes)
        return words(ACK_CODE_WORDS, self.code)


@dataclass
class FunctionalGroupAck:
    functional_id: str  # AK101: HC for 837 claims
    group_control_number: int  # AK102: our GS06
    version: str  # AK103
    transaction_sets: list[TransactionSetAck] = field(default_factory=list)
    code: str = ""  # AK901
    included: int | None = None  # AK902
    received: int | None = None  # AK903
    accepted_count: int | None = None  # AK904
    syntax_codes: list[str] = field(default_factory=list)  # AK905..AK909
    position: int = 0

    @property
    def rejected(self) -> bool:
        return self.code in REJECTED_CODES

    def describe(self) -> str:
        if self.syntax_codes:
            return "; ".join(words(GROUP_ERROR_WORDS, code) for code in self.syntax_codes)
        return words(ACK_CODE_WORDS, self.code)


@dataclass
class Ack999:
    interchange_control_number: str
    sender_id: str
    groups: list[FunctionalGroupAck] = field(default_factory=list)


def _number(segment: Segment, index: int, name: str, *, required: bool = True) -> int | None:
    value = segment.element(index).strip()
    if not value and not required:
        return None
    if not value.isdigit() or not value.isascii() or len(value) > 9:
        raise segment.error(f"{name} should be a number, not {value[:20]!r}.")
    return int(value)


def _codes(segment: Segment, first: int, last: int) -> list[str]:
    return [segment.element(index).strip() for index in range(first, last + 1) if segment.element(index).strip()]


def _segments(source: Source) -> Iterator[Segment]:
    in_999 = False
    for segment in read_segments(source):
        if segment.id == "ST":
            in_999 = segment.element(1) == "999"
            if not in_999:
                raise segment.error(f"This is a {segment.element(1) or 'unknown'} transaction set, not a 999 "
                                    "acknowledgement.")
        yield segment


def parse_999(source: Source) -> Ack999:
    """Read a 999 file. Raises X12SyntaxError for a file that is not a well-formed 999."""
    ack: Ack999 | None = None
    group: FunctionalGroupAck | None = None
    transaction: TransactionSetAck | None = None
    segment_error: SegmentError | None = None
    element_error: ElementError | None = None
    for segment in _segments(source):
        sid = segment.id
        if sid == "ISA":
            if ack is None:
                ack = Ack999(interchange_control_number=segment.element(13).strip(),
                             sender_id=segment.element(6).strip())
        elif sid == "ST":
            group = transaction = None
        elif sid == "AK1":
            if group is not None:
                raise segment.error("A second AK1 inside one 999 transaction set.")
            number = _number(segment, 2, "AK102 (the group control number of the acknowledged file)")
            assert number is not None
            assert ack is not None
            group = FunctionalGroupAck(functional_id=segment.element(1), group_control_number=number,
                                       version=segment.element(3), position=segment.position)
            ack.groups.append(group)
        elif sid == "AK2":
            if group is None:
                raise segment.error("AK2 before the AK1 it belongs to.")
            if not segment.element(2).strip():
                raise segment.error("AK2 needs AK202, the control number of the acknowledged transaction set.")
            transaction = TransactionSetAck(transaction_set_id=segment.element(1), control_number=segment.element(2)
                                            .strip(), convention=segment.element(3), position=segment.position)
            group.transaction_sets.append(transaction)
            segment_error = element_error = None
        elif sid == "IK3":
            if transaction is None:
                raise segment.error("IK3 outside an AK2 transaction set response.")
            segment_error = SegmentError(segment_id=segment.element(1).strip(),
                                         position=_number(segment, 2, "IK302 (segment position)", required=False),
                                         loop=segment.element(3).strip(), code=segment.element(4).strip())
            transaction.errors.append(segment_error)
            element_error = None
        elif sid == "CTX":
            context = segment.components(1)
            if segment_error is not None and context and context[0].strip() == "CLM01" and len(context) > 1:
                segment_error.claim_numbers.append(context[1].strip())
        elif sid == "IK4":
            if segment_error is None:
                raise segment.error("IK4 outside an IK3 segment error.")
            element_error = ElementError(position=segment.element(1).strip(), element_number=segment.element(2)
                                         .strip(), code=segment.element(3).strip(), bad_value=segment.element(4))
            segment_error.element_errors.append(element_error)
        elif sid == "IK5":
            if transaction is None:
                raise segment.error("IK5 outside an AK2 transaction set response.")
            transaction.code = segment.element(1).strip()
            transaction.syntax_codes = _codes(segment, 2, 6)
            if not transaction.code:
                raise segment.error("IK5 needs IK501, the acknowledgement code (A, E, M, R, W or X).")
            transaction = segment_error = element_error = None
        elif sid == "AK9":
            if group is None:
                raise segment.error("AK9 before the AK1 it closes.")
            group.code = segment.element(1).strip()
            if not group.code:
                raise segment.error("AK9 needs AK901, the group acknowledgement code.")
            group.included = _number(segment, 2, "AK902", required=False)
            group.received = _number(segment, 3, "AK903", required=False)
            group.accepted_count = _number(segment, 4, "AK904", required=False)
            group.syntax_codes = _codes(segment, 5, 9)
            for open_set in group.transaction_sets:
                if not open_set.code:
                    raise segment.error(f"The response for transaction set {open_set.control_number} has no IK5.")
        elif sid == "SE":
            if group is not None and not group.code:
                raise segment.error("The 999 transaction set ends without its AK9 group response.")
            if group is None:
                raise segment.error("The 999 transaction set holds no AK1 group response.")
    if ack is None or not ack.groups:
        raise X12SyntaxError("The file holds no 999 acknowledgement.")
    return ack
