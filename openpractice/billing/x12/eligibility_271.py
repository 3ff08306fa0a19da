"""The 271 eligibility response (005010X279A1): is the coverage active, what is the copay, what is left of
the deductible.

Hierarchy: information source (HL 20, the payer: NM1*PR) > information receiver (HL 21, us) > subscriber
(HL 22: TRN, NM1*IL with the member ID, DMG, EB benefits, MSG) > dependent (HL 23, when the patient is not the
subscriber). Our 270 trace comes back as TRN*2. The payer says what it could not answer with AAA segments
(at the payer, receiver, subscriber or dependent level).

Benefits read:
- EB01 1-5 active coverage, 6-8 inactive;
- EB01 B co-payment (service type 98 office visit, else 30 plan coverage), amount in EB07;
- EB01 C deductible: EB06 23 (calendar year; 22 service year) is the year's total, 29 what remains.
In-network amounts (EB12 Y) come before out-of-network ones, individual before family.

`parse_271()` returns plain dataclasses and touches no database. Words for reject codes are our own short
descriptions; the codes are always shown beside them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .reader import Segment, Source, X12SyntaxError, read_segments

ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
COPAY_SERVICE_TYPES = ("98", "30")
YEAR_TOTAL_PERIODS = ("23", "22")
REMAINING_PERIOD = "29"
LEVELS = {"20": "payer", "21": "receiver", "22": "subscriber", "23": "dependent"}
REJECT_WORDS = {
    "15": "required information missing",
    "41": "authorisation or access restriction",
    "42": "the payer cannot answer right now",
    "43": "provider identifier invalid or missing",
    "44": "provider name invalid or missing",
    "45": "provider specialty invalid or missing",
    "51": "provider not on file",
    "52": "service dates not within the provider's plan enrolment",
    "56": "inappropriate date",
    "57": "date of service invalid or missing",
    "58": "date of birth invalid or missing",
    "60": "date of birth after the date of service",
    "62": "date of death before the date of service",
    "63": "date of service outside the period the payer answers for",
    "64": "patient ID invalid or missing",
    "65": "patient name invalid or missing",
    "66": "patient sex invalid or missing",
    "67": "patient not found",
    "68": "duplicate patient ID",
    "71": "date of birth does not match the payer's record",
    "72": "member ID invalid or missing",
    "73": "subscriber name invalid or missing",
    "74": "subscriber sex invalid or missing",
    "75": "subscriber not found",
    "76": "duplicate subscriber ID",
    "78": "subscriber not in the group or plan",
}
FOLLOW_UP_WORDS = {
    "C": "correct the request and send it again",
    "N": "do not send it again",
    "R": "it may be sent again",
    "W": "wait and send it again",
    "X": "wait and send it again",
    "Y": "do not send it again; the payer will answer later",
}


@dataclass(frozen=True)
class Benefit:
    code: str  # EB01
    coverage_level: str  # EB02: IND, FAM, ...
    service_types: tuple[str, ...]  # EB03 (repeating)
    insurance_type: str  # EB04
    plan_description: str  # EB05
    time_period: str  # EB06
    amount: Decimal | None  # EB07
    percent: Decimal | None  # EB08
    in_network: str  # EB12: Y, N, U, W or ""


@dataclass(frozen=True)
class Rejection:
    level: str  # payer, receiver, subscriber, dependent
    valid: str  # AAA01: Y or N
    code: str  # AAA03
    follow_up: str  # AAA04

    def describe(self) -> str:
        reason = REJECT_WORDS.get(self.code, "")
        text = f"{reason} (AAA {self.code})" if reason else f"AAA {self.code}"
        follow = FOLLOW_UP_WORDS.get(self.follow_up)
        return f"{text}; {follow}" if follow else text


@dataclass
class EligibilityAnswer:
    """What the payer said about one member (the subscriber, or a dependent under them)."""

    level: str  # subscriber or dependent
    position: int
    payer_id: str = ""
    payer_name: str = ""
    member_id: str = ""
    last_name: str = ""
    first_name: str = ""
    date_of_birth: dt.date | None = None
    trace_numbers: list[str] = field(default_factory=list)  # TRN*2: our 270's traces echoed back
    payer_traces: list[str] = field(default_factory=list)  # TRN*1: the payer's own
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    has_dependents: bool = False

    @property
    def rejected(self) -> bool:
        """An AAA means the payer gave no eligibility answer, whether it found the request valid (AAA01 Y, e.g.
        "cannot answer now") or not (N)."""
        return bool(self.rejections)

    @property
    def says_something(self) -> bool:
        return bool(self.benefits or self.rejections or self.messages)

    @property
    def is_active(self) -> bool:
        if self.rejected:
            return False
        return any(benefit.code in ACTIVE_CODES for benefit in self.benefits)

    @property
    def is_inactive(self) -> bool:
        return any(benefit.code in INACTIVE_CODES for benefit in self.benefits)

    @property
    def plan_description(self) -> str:
        for benefit in self.benefits:
            if benefit.code in ACTIVE_CODES and benefit.plan_description:
                return benefit.plan_description
        return ""

    @property
    def copay(self) -> Decimal | None:
        return _pick(self.benefits, "B", periods=None, service_types=COPAY_SERVICE_TYPES)

    @property
    def deductible(self) -> Decimal | None:
        return _pick(self.benefits, "C", periods=YEAR_TOTAL_PERIODS, service_types=("30",), allow_untyped=True)

    @property
    def deductible_remaining(self) -> Decimal | None:
        return _pick(self.benefits, "C", periods=(REMAINING_PERIOD,), service_types=("30",), allow_untyped=True)

    @property
    def message(self) -> str:
        parts: list[str] = []
        if self.rejections:
            parts.append("The payer could not answer: " + "; ".join(r.describe() for r in self.rejections) + ".")
        elif not self.is_active and self.is_inactive:
            parts.append("The payer reports the coverage inactive.")
        elif not self.is_active:
            parts.append("The response does not say the coverage is active.")
        parts.extend(self.messages)
        return " ".join(parts)


def _pick(benefits: list[Benefit], code: str, *, periods: tuple[str, ...] | None, service_types: tuple[str, ...],
          allow_untyped: bool = False) -> Decimal | None:
    """The amount of the best-fitting benefit: in network first, then the preferred service type (in
    `service_types` order), then individual before family."""
    network_rank = {"Y": 0, "": 1, "W": 1, "U": 2, "N": 3}
    best: tuple[tuple[int, int, int], Decimal] | None = None
    for benefit in benefits:
        if benefit.code != code or benefit.amount is None:
            continue
        if periods is not None and benefit.time_period not in periods:
            continue
        matching = [service_types.index(s) for s in benefit.service_types if s in service_types]
        if matching:
            service_rank = min(matching)
        elif allow_untyped and not benefit.service_types:
            service_rank = len(service_types)
        else:
            continue
        rank = (network_rank.get(benefit.in_network, 2), service_rank,
                0 if benefit.coverage_level in ("IND", "") else 1)
        if best is None or rank < best[0]:
            best = (rank, benefit.amount)
    return best[1] if best is not None else None


@dataclass
class Eligibility271:
    interchange_control_number: str
    answers: list[EligibilityAnswer] = field(default_factory=list)
    # AAA at the payer or receiver level: the whole request was turned back (no member answers may follow).
    rejections: list[Rejection] = field(default_factory=list)


def _benefit(segment: Segment) -> Benefit:
    code = segment.element(1).strip()
    if not code:
        raise segment.error("EB needs EB01, the eligibility or benefit code.")
    amount = segment.decimal(7)
    if amount is not None and amount < 0:
        raise segment.error("EB07 (a benefit amount) cannot be negative.")
    return Benefit(
        code=code, coverage_level=segment.element(2).strip(),
        service_types=tuple(value.strip() for value in segment.repetitions(3) if value.strip()),
        insurance_type=segment.element(4).strip(), plan_description=segment.element(5).strip()[:120],
        time_period=segment.element(6).strip(), amount=amount, percent=segment.decimal(8),
        in_network=segment.element(12).strip(),
    )


def _segments(source: Source) -> Iterator[Segment]:
    for segment in read_segments(source):
        if segment.id == "ST" and segment.element(1) != "271":
            raise segment.error(f"This is a {segment.element(1) or 'unknown'} transaction set, not a 271 "
                                "eligibility response.")
        yield segment


def parse_271(source: Source) -> Eligibility271:
    """Read a 271 file. Raises X12SyntaxError for a file that is not a well-formed 271."""
    result: Eligibility271 | None = None
    level = ""
    payer_id = payer_name = ""
    subscriber: EligibilityAnswer | None = None
    current: EligibilityAnswer | None = None
    in_benefit = False
    seen_st = False
    for segment in _segments(source):
        sid = segment.id
        if sid == "ISA":
            if result is None:
                result = Eligibility271(interchange_control_number=segment.element(13).strip())
        elif sid == "ST":
            seen_st, level, subscriber, current, payer_id, payer_name = True, "", None, None, "", ""
        elif sid == "HL":
            code = segment.element(3).strip()
            if code not in LEVELS:
                raise segment.error(f"HL03 {code[:10]!r} is not a level of a 271 (20, 21, 22 or 23).")
            level, in_benefit = code, False
            assert result is not None
            if code == "22":
                subscriber = current = EligibilityAnswer(level="subscriber", position=segment.position,
                                                         payer_id=payer_id, payer_name=payer_name,
                                                         has_dependents=segment.element(4).strip() == "1")
                result.answers.append(current)
            elif code == "23":
                if subscriber is None:
                    raise segment.error("A dependent (HL 23) without the subscriber (HL 22) it belongs to.")
                current = EligibilityAnswer(level="dependent", position=segment.position, payer_id=payer_id,
                                            payer_name=payer_name, member_id=subscriber.member_id,
                                            trace_numbers=list(subscriber.trace_numbers))
                result.answers.append(current)
            else:
                subscriber = current = None
        elif sid == "EB":
            if current is None:
                raise segment.error("A benefit (EB) outside a subscriber or dependent.")
            current.benefits.append(_benefit(segment))
            in_benefit = True
        elif sid == "AAA":
            rejection = Rejection(level=LEVELS.get(level, level), valid=segment.element(1).strip(),
                                  code=segment.element(3).strip(), follow_up=segment.element(4).strip())
            if current is not None:
                current.rejections.append(rejection)
            else:
                assert result is not None
                result.rejections.append(rejection)
        elif sid == "MSG" and current is not None and segment.element(1).strip():
            current.messages.append(segment.element(1).strip()[:264])
        elif sid == "TRN" and current is not None:
            value = segment.element(2).strip()
            if value:
                (current.trace_numbers if segment.element(1).strip() == "2" else current.payer_traces).append(value)
        elif sid == "NM1" and not in_benefit:
            qualifier = segment.element(1).strip()
            if qualifier == "PR" and level == "20":
                payer_name, payer_id = segment.element(3).strip(), segment.element(9).strip()
            elif qualifier in ("IL", "03") and current is not None:
                current.last_name, current.first_name = segment.element(3).strip(), segment.element(4).strip()
                if qualifier == "IL" and segment.element(9).strip():
                    current.member_id = segment.element(9).strip()
        elif sid == "DMG" and current is not None and not in_benefit and segment.element(1).strip() == "D8":
            current.date_of_birth = segment.date(2)
    if result is None or not seen_st:
        raise X12SyntaxError("The file holds no 271 transaction set.")
    # A subscriber loop that only leads to its dependents (and says nothing itself) is not an answer.
    result.answers = [answer for answer in result.answers
                      if answer.says_something or not answer.has_dependents]
    if not result.answers and not result.rejections:
        raise X12SyntaxError("The 271 holds no answer about any member.")
    return result
