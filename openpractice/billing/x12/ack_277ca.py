"""The 277CA claim acknowledgement (005010X214): which of our claims the payer took in, and which it turned back.

Its hierarchy runs information source (HL 20, the payer or clearinghouse) > information receiver (HL 21, us)
> billing provider (HL 19) > patient (HL PT). Under each patient, every claim is a 2200D loop that starts with
TRN*2*<our claim number, CLM01> and carries one or more STC status segments (category:status:entity), the
payer's claim control number (REF*1K) and, per service line (2220D, SVC), the line's own STC.

Category codes decide the outcome: A2/A5 (accepted into adjudication, split on acceptance) mean accepted;
A3/A4/A6/A7/A8 (returned, not found, missing information, invalid information, relational error) mean
rejected. A line rejected rejects the claim. Anything else is reported without changing the claim: A1 only
says the file was received (not that the payer took the claim in), A0 forwarded, P1 pending.

`parse_277ca()` returns plain dataclasses and touches no database. The words for codes are our own short
descriptions of the most common codes; other codes are shown as codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .reader import Segment, Source, X12SyntaxError, read_segments

ACCEPTED_CATEGORIES = frozenset({"A2", "A5"})  # A1 is a receipt only: the claim stays submitted
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
CATEGORY_WORDS = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into adjudication",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected for a relational field in error",
    "E0": "response not possible: error in the request",
    "E1": "response not possible: system status",
    "P1": "pending",
}
STATUS_WORDS = {
    "0": "no further status available electronically",
    "19": "receipt acknowledged",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "33": "subscriber and subscriber ID not found",
    "35": "claim not found",
    "97": "patient eligibility not found",
    "116": "sent to the wrong payer",
    "187": "date(s) of service",
    "254": "principal diagnosis code",
    "255": "diagnosis code",
    "400": "claim out of balance",
    "454": "procedure code",
    "562": "National Provider Identifier (NPI)",
    "673": "patient control number",
}
ENTITY_WORDS = {
    "03": "dependent",
    "40": "receiver",
    "41": "submitter",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "DN": "referring provider",
    "IL": "subscriber",
    "PR": "payer",
    "QC": "patient",
}


@dataclass(frozen=True)
class StatusCode:
    category: str  # STC01-1 (code list 507)
    status: str  # STC01-2 (code list 508)
    entity: str = ""  # STC01-3 (98: who the status is about)

    @property
    def accepted(self) -> bool:
        return self.category in ACCEPTED_CATEGORIES

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES

    def describe(self) -> str:
        """A7/562 (85): rejected for invalid information — National Provider Identifier (NPI), billing provider"""
        code = f"{self.category}/{self.status}" if self.status else self.category
        if self.entity:
            code += f" ({self.entity})"
        parts = [CATEGORY_WORDS.get(self.category), STATUS_WORDS.get(self.status)]
        text = " — ".join(part for part in parts if part)
        entity = ENTITY_WORDS.get(self.entity)
        if entity and text:
            text += f", {entity}"
        return f"{code}: {text}" if text else code


@dataclass
class Status:
    """One STC segment: up to three status codes, the action (WQ accept, U reject), the amount and a message."""

    codes: list[StatusCode]
    date: dt.date | None
    action: str
    amount: Decimal | None
    message: str  # STC12, free text from the payer
    position: int

    @property
    def rejected(self) -> bool:
        return any(code.rejected for code in self.codes)

    @property
    def accepted(self) -> bool:
        return any(code.accepted for code in self.codes)

    def describe(self) -> str:
        text = "; ".join(code.describe() for code in self.codes)
        return f"{text} — “{self.message}”" if self.message else text


@dataclass
class LineAck:
    procedure: str  # SVC01 composite as sent (HC:99213)
    line_control_number: str  # REF*FJ
    statuses: list[Status] = field(default_factory=list)


@dataclass
class ClaimAck:
    claim_number: str  # TRN02: our CLM01
    position: int
    payer_claim_number: str = ""  # REF*1K
    clearinghouse_trace: str = ""  # REF*D9
    statuses: list[Status] = field(default_factory=list)
    lines: list[LineAck] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(status.rejected for status in self.statuses) or any(
            status.rejected for line in self.lines for status in line.statuses)

    @property
    def accepted(self) -> bool:
        return not self.rejected and any(status.accepted for status in self.statuses)

    def describe(self) -> str:
        """The payer's reasons: rejecting claim statuses (or all of them), then rejected lines."""
        chosen = [status for status in self.statuses if status.rejected] or self.statuses
        parts = [status.describe() for status in chosen]
        for number, line in enumerate(self.lines, start=1):
            for status in line.statuses:
                if status.rejected:
                    name = line.procedure.split(":")[1] if ":" in line.procedure else line.procedure
                    parts.append(f"line {line.line_control_number or number} {name}: {status.describe()}")
        return "; ".join(parts)


@dataclass
class Ack277CA:
    interchange_control_number: str
    sender_id: str
    claims: list[ClaimAck] = field(default_factory=list)
    # Statuses above claim level (the whole submission, or one billing provider), e.g. a rejected NPI.
    other_statuses: list[tuple[str, Status]] = field(default_factory=list)


def _status(segment: Segment) -> Status:
    codes: list[StatusCode] = []
    for index in (1, 10, 11):
        parts = segment.components(index)
        if parts and parts[0].strip():
            codes.append(StatusCode(category=parts[0].strip(), status=parts[1].strip() if len(parts) > 1 else "",
                                    entity=parts[2].strip() if len(parts) > 2 else ""))
    if not codes:
        raise segment.error("STC needs STC01, the claim status category and status code.")
    return Status(codes=codes, date=segment.date(2), action=segment.element(3).strip(),
                  amount=segment.decimal(4), message=segment.element(12).strip(), position=segment.position)


def _segments(source: Source) -> Iterator[Segment]:
    for segment in read_segments(source):
        if segment.id == "ST":
            if segment.element(1) != "277":
                raise segment.error(f"This is a {segment.element(1) or 'unknown'} transaction set, not a 277CA "
                                    "claim acknowledgement.")
            convention = segment.element(3)
            if convention and not convention.startswith("005010X214"):
                raise segment.error(f"This 277 follows {convention}, not the 277CA claim acknowledgement "
                                    "(005010X214); a claim status response (276/277) is not an acknowledgement.")
        yield segment


LEVELS = {"20": "information source", "21": "information receiver", "19": "billing provider", "PT": "patient"}


def parse_277ca(source: Source) -> Ack277CA:
    """Read a 277CA file. Raises X12SyntaxError for a file that is not a well-formed 277CA."""
    ack: Ack277CA | None = None
    level = ""
    claim: ClaimAck | None = None
    line: LineAck | None = None
    seen_st = False
    for segment in _segments(source):
        sid = segment.id
        if sid == "ISA":
            if ack is None:
                ack = Ack277CA(interchange_control_number=segment.element(13).strip(),
                               sender_id=segment.element(6).strip())
        elif sid == "ST":
            seen_st, level, claim, line = True, "", None, None
        elif sid == "HL":
            code = segment.element(3).strip()
            if code not in LEVELS:
                raise segment.error(f"HL03 {code[:10]!r} is not a level of a 277CA (20, 21, 19 or PT).")
            level, claim, line = code, None, None
        elif sid == "TRN" and level == "PT":
            if segment.element(1).strip() != "2" or not segment.element(2).strip():
                raise segment.error("A claim in a 277CA starts with TRN*2 and our claim number.")
            assert ack is not None
            claim = ClaimAck(claim_number=segment.element(2).strip(), position=segment.position)
            ack.claims.append(claim)
            line = None
        elif sid == "SVC" and level == "PT":
            if claim is None:
                raise segment.error("A service line (SVC) before the claim (TRN) it belongs to.")
            line = LineAck(procedure=segment.element(1).strip(), line_control_number="")
            claim.lines.append(line)
        elif sid == "STC":
            status = _status(segment)
            if line is not None:
                line.statuses.append(status)
            elif claim is not None:
                claim.statuses.append(status)
            elif level == "PT":
                raise segment.error("A claim status (STC) before the claim (TRN) it belongs to.")
            else:
                assert ack is not None
                ack.other_statuses.append((LEVELS.get(level, level), status))
        elif sid == "REF" and claim is not None:
            qualifier, value = segment.element(1).strip(), segment.element(2).strip()
            if line is not None and qualifier == "FJ":
                line.line_control_number = value
            elif line is None and qualifier == "1K":
                claim.payer_claim_number = value
            elif line is None and qualifier == "D9":
                claim.clearinghouse_trace = value
    if ack is None or not seen_st:
        raise X12SyntaxError("The file holds no 277CA transaction set.")
    for claim in ack.claims:
        if not claim.statuses:
            raise X12SyntaxError(f"Claim {claim.claim_number[:30]} has no status (STC) in the 277CA.",
                                 segment_position=claim.position, segment_id="TRN")
    return ack
