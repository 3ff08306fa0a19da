"""Reading 835 remittances (005010X221A1): payments with their claims, lines and adjustments, balanced.

INTERFACE (agreed between the reader and the posting code; the reader's author fills in the implementation and
may add fields, never rename or remove these).

`read_835(source)` streams: it yields one `Payment835` per ST-SE transaction set, as soon as its SE is read, and
never holds more than one transaction set in memory. Usable without Django. Every problem with the input raises
`Remittance835Error` (a subclass of X12SyntaxError) naming the segment number and the problem; that includes
failed balancing (BPR02 = sum CLP04 - sum PLB; per claim CLP03 - CLP04 = sum of its claim and line CAS; per line
SVC02 - SVC03 = sum of its CAS).

How the file is read:
- Separators come from each ISA header (the tokenizer, `reader.read_segments`, which also checks the ISA/GS/ST
  envelopes and their counts). A file may hold several interchanges, groups and transaction sets; a set whose
  ST01 is not 835 is refused, and so is a file without an ISA envelope.
- Loops: header (BPR, TRN, CUR, REF, DTM*405), 1000A payer (N1*PR, N3, N4, REF*2U, PER), 1000B payee (N1*PE,
  N3, N4, REF, RDM), 2000 (LX, TS3, TS2), 2100 claim (CLP, CAS, NM1*QC/IL/74/82/TT/PR, MIA, MOA, REF, DTM*050/
  232/233, PER, AMT, QTY), 2110 line (SVC, DTM*472/150/151, CAS, REF, AMT, QTY, LQ), summary (PLB). Segments the
  835 does not define are skipped with a notice on the payment; 835 segments in an impossible place (a second
  BPR, an SVC without a CLP, a claim after the PLB, a patient NM1 after a service line) are errors.
- Amounts are Decimal and the balancing is exact. Dates are CCYYMMDD.
- Debits: BPR02 is never negative (the guide says so, and a negative BPR02 is refused). BPR03 = C is money to
  the provider: BPR02 = sum CLP04 - sum PLB. BPR03 = D is money taken from the provider (reversals and
  recoupments larger than what is paid): BPR02 is the amount taken, so -BPR02 = sum CLP04 - sum PLB.
  `Payment835.net_amount` is BPR02 signed that way (negative for a debit); `payment_amount` is BPR02 as written.
- Claims without service lines (claim-level CAS only) balance on their claim-level CAS alone.
- Memory: the file is read in chunks, and a payment is built only from its own transaction set, so memory is
  that of the largest transaction set (about 3 KB a claim), however large the file.
- Things worth a look that do not stop posting go into `Payment835.notices` (a segment the 835 does not define,
  a state code no post office knows).
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .reader import Segment, Source, X12SyntaxError, read_segments

GROUP_CODES = frozenset({"CO", "PR", "OA", "PI", "CR"})
CLAIM_STATUS_CODES = ("1", "2", "3", "4", "19", "20", "21", "22", "23", "25")
PAYMENT_METHODS = frozenset({"ACH", "BOP", "CHK", "FWT", "NON"})
# N402 when the address is in the US (or its territories and military post offices) or Canada.
STATE_CODES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "UM",
    "FM", "MH", "PW", "AA", "AE", "AP", "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})
# Segment IDs the 835 defines that the reader accepts without using them.
IGNORED_835_SEGMENTS = frozenset({"N3", "PER", "RDM", "TS3", "TS2"})
MAX_NOTICES = 20
_AMOUNT = re.compile(r"-?(?:[0-9]{1,15}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})").fullmatch
_ZERO = Decimal("0")
_DATES: dict[str, dt.date] = {}  # CCYYMMDD -> date: a remittance repeats a few dates thousands of times
_MAX_CACHED_DATES = 4096

# Stages of a transaction set, in the order the guide puts them.
_START, _HEADER, _PARTIES, _CLAIMS, _SUMMARY = range(5)


class Remittance835Error(X12SyntaxError):
    """The 835 is malformed or does not balance. `str()` names the segment number and the problem."""


@dataclass(frozen=True, slots=True)
class Adjustment835:
    """One CAS reason/amount triple (a CAS segment holds up to six)."""

    group_code: str  # CO, PR, OA, PI, CR
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceLine835:
    """Loop 2110: one SVC with its dates, adjustments, references and remarks."""

    procedure_qualifier: str  # SVC01-1: HC, AD, ...
    procedure_code: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3..6
    charge_amount: Decimal  # SVC02
    paid_amount: Decimal  # SVC03
    units: Decimal | None  # SVC05 (default 1 when absent is the posting code's decision)
    service_date_from: dt.date | None  # DTM*472 or DTM*150
    service_date_to: dt.date | None  # DTM*472 or DTM*151
    control_number: str  # REF*6R, our line item control number ("" when absent)
    allowed_amount: Decimal | None  # AMT*B6
    adjustments: tuple[Adjustment835, ...]
    remark_codes: tuple[str, ...]  # LQ*HE
    segment_position: int  # the SVC's segment number in the file
    # When the payer paid under another code than we billed (bundling, recoding), SVC06 holds what we billed:
    # match our line on these, not on SVC01.
    original_procedure_code: str = ""  # SVC06-2
    original_modifiers: tuple[str, ...] = ()  # SVC06-3..6
    original_units: Decimal | None = None  # SVC07
    revenue_code: str = ""  # SVC04
    description: str = ""  # SVC01-7
    references: tuple[tuple[str, str], ...] = ()  # other REF: (qualifier, value)
    amounts: tuple[tuple[str, Decimal], ...] = ()  # other AMT: (qualifier, amount)
    quantities: tuple[tuple[str, Decimal], ...] = ()  # QTY: (qualifier, quantity)
    reject_codes: tuple[str, ...] = ()  # LQ*RX (NCPDP reject reasons)


@dataclass(frozen=True, slots=True)
class ClaimPayment835:
    """Loop 2100: one CLP with the patient, dates, adjustments, remarks and service lines."""

    claim_number: str  # CLP01, our patient control number
    status_code: str  # CLP02
    charge_amount: Decimal  # CLP03
    paid_amount: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_number: str  # CLP07
    patient_last_name: str  # NM1*QC NM103
    patient_first_name: str  # NM1*QC NM104
    member_id: str  # NM1*QC NM109 (or NM1*IL)
    service_date_from: dt.date | None  # DTM*232 (claim statement period start)
    service_date_to: dt.date | None  # DTM*233
    adjustments: tuple[Adjustment835, ...]  # claim-level CAS
    remark_codes: tuple[str, ...]  # MOA/MIA remark codes
    lines: tuple[ServiceLine835, ...]
    segment_position: int  # the CLP's segment number in the file
    facility_type_code: str = ""  # CLP08
    frequency_code: str = ""  # CLP09
    received_date: dt.date | None = None  # DTM*050
    insured_last_name: str = ""  # NM1*IL NM103
    insured_first_name: str = ""  # NM1*IL NM104
    insured_member_id: str = ""  # NM1*IL NM109
    corrected_last_name: str = ""  # NM1*74 NM103 (the payer's correction of the patient's name)
    corrected_first_name: str = ""  # NM1*74 NM104
    corrected_member_id: str = ""  # NM1*74 NM109
    rendering_provider_id: str = ""  # NM1*82 NM109
    crossover_carrier_name: str = ""  # NM1*TT NM103: the claim was forwarded to this payer
    crossover_carrier_id: str = ""  # NM1*TT NM109
    priority_payer_name: str = ""  # NM1*PR NM103: the payer this claim should have gone to first
    priority_payer_id: str = ""  # NM1*PR NM109
    references: tuple[tuple[str, str], ...] = ()  # REF: (qualifier, value)
    amounts: tuple[tuple[str, Decimal], ...] = ()  # AMT: (qualifier, amount), e.g. AU coverage amount
    quantities: tuple[tuple[str, Decimal], ...] = ()  # QTY: (qualifier, quantity)

    @property
    def adjustment_total(self) -> Decimal:
        """Every CAS amount of the claim, claim level and line level: CLP03 - CLP04 on a balanced claim."""
        return sum((a.amount for a in self.adjustments), _ZERO) + sum(
            (a.amount for line in self.lines for a in line.adjustments), _ZERO)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment835:
    """One PLB adjustment (a PLB holds up to six). Positive amounts reduce the payment (BPR02)."""

    provider_id: str  # PLB01
    fiscal_period_date: dt.date | None  # PLB02
    reason_code: str  # PLB03-1 (L6 interest, WO overpayment recovery, FB forward balance, ...)
    reference: str  # PLB03-2
    amount: Decimal
    segment_position: int = 0  # the PLB's segment number in the file


@dataclass(frozen=True, slots=True)
class Payment835:
    """One ST-SE transaction set: the payment (BPR/TRN), payer and payee, claim payments and PLB."""

    interchange_control_number: str  # ISA13
    transaction_control_number: str  # ST02
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03: C or D
    payment_method: str  # BPR04: ACH, CHK, NON, BOP, FWT
    payment_date: dt.date | None  # BPR16
    trace_number: str  # TRN02
    trace_originator: str  # TRN03 (the payer's identifier: with TRN02, unique)
    production_date: dt.date | None  # DTM*405
    payer_name: str  # N1*PR N102
    payer_identifier: str  # REF*2U, or N1*PR N104, or TRN03
    payee_name: str  # N1*PE N102
    payee_npi: str  # N1*PE N104 when N103 = XX
    claims: tuple[ClaimPayment835, ...]
    provider_adjustments: tuple[ProviderAdjustment835, ...] = field(default=())
    segment_position: int = 0  # the ST's segment number in the file
    handling_code: str = ""  # BPR01: I remittance with payment, H notification only, ...
    currency: str = ""  # CUR02 (absent: US dollars)
    version: str = ""  # ST03, or GS08 when ST03 is absent: 005010X221A1
    payee_tax_id: str = ""  # N1*PE N104 when N103 = FI, or REF*TJ
    # Things worth a biller's look that do not stop the file from posting (a segment the 835 does not define,
    # an address code no post office knows), each naming its segment.
    notices: tuple[str, ...] = ()

    @property
    def net_amount(self) -> Decimal:
        """BPR02 signed: what the provider receives (negative when BPR03 = D, money taken back)."""
        return -self.payment_amount if self.credit_debit == "D" else self.payment_amount

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((adjustment.amount for adjustment in self.provider_adjustments), _ZERO)


# --- building the frozen results quickly ------------------------------------------------------------------------
# A frozen dataclass's __init__ sets every field through object.__setattr__: on a large 835 (10,000 lines, 5,000
# claims, 12,000 adjustments) that alone was a third of the reading time. The reader fills an unfrozen twin with
# the very same slots and then hands it the frozen class (CPython allows __class__ assignment between classes
# whose slot layouts are identical). The object is exactly what the constructor makes: same class, fields,
# equality, hash and immutability (test_x12_835_reader compares them).


def _twin(cls: type) -> type:
    return type(f"_{cls.__name__}Draft", (), {"__slots__": cls.__dict__["__slots__"], "__module__": __name__})


_AdjustmentDraft = _twin(Adjustment835)
_ServiceLineDraft = _twin(ServiceLine835)
_ClaimDraft = _twin(ClaimPayment835)


def _adjustment(group: str, reason: str, amount: Decimal, quantity: Decimal | None) -> Adjustment835:
    draft: Any = _AdjustmentDraft()
    draft.group_code = group
    draft.reason_code = reason
    draft.amount = amount
    draft.quantity = quantity
    draft.__class__ = Adjustment835
    return draft


# --- element helpers ----------------------------------------------------------------------------------------------


def _error(segment: Segment, message: str) -> Remittance835Error:
    return Remittance835Error(message, segment_position=segment.position, segment_id=segment.id,
                              offset=segment.offset)


def _text(elements: tuple[str, ...], number: int) -> str:
    return elements[number - 1].strip() if number <= len(elements) else ""


def _amount(segment: Segment, number: int, what: str) -> Decimal:
    """Required amount element `number` of `segment` (X12 R type: optional minus, digits, optional point)."""
    elements = segment.elements
    value = elements[number - 1] if number <= len(elements) else ""
    if _AMOUNT(value) is None:
        value = value.strip()
        if not value:
            raise _error(segment, f"{segment.id}{number:02d} ({what}) is missing.")
        if _AMOUNT(value) is None:
            raise _error(segment, f"{segment.id}{number:02d} ({what}) should be an amount, not {value[:20]!r}.")
    return Decimal(value)


def _optional_amount(segment: Segment, number: int, what: str) -> Decimal | None:
    elements = segment.elements
    if number > len(elements) or not elements[number - 1].strip():
        return None
    return _amount(segment, number, what)


def _date(segment: Segment, number: int, what: str) -> dt.date | None:
    """Date element `number` (CCYYMMDD), None when empty."""
    elements = segment.elements
    value = elements[number - 1] if number <= len(elements) else ""
    cached = _DATES.get(value)
    if cached is not None:
        return cached
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) != 8 or not value.isdigit() or not value.isascii():
            raise ValueError(value)
        parsed = dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _error(segment, f"{segment.id}{number:02d} ({what}) should be a date (CCYYMMDD), "
                              f"not {value[:20]!r}.") from None
    if len(_DATES) < _MAX_CACHED_DATES:
        _DATES[value] = parsed
    return parsed


def _required(segment: Segment, number: int, what: str) -> str:
    value = _text(segment.elements, number)
    if not value:
        raise _error(segment, f"{segment.id}{number:02d} ({what}) is missing.")
    return value


def _adjustments(segment: Segment) -> list[Adjustment835]:
    """The reason/amount/quantity triples of a CAS (CAS02-04, CAS05-07, ... CAS17-19)."""
    elements = segment.elements
    group = elements[0].strip() if elements else ""
    if group not in GROUP_CODES:
        raise _error(segment, f"CAS01 {group[:10]!r} is not an adjustment group code (CO, PR, OA, PI or CR).")
    count = len(elements)
    if count > 19:
        raise _error(segment, f"CAS has {count} elements; it holds at most six adjustments (19 elements).")
    found: list[Adjustment835] = []
    for reason_at in range(2, count + 1, 3):
        reason = elements[reason_at - 1].strip()
        amount_text = elements[reason_at] if reason_at < count else ""
        quantity_text = elements[reason_at + 1] if reason_at + 1 < count else ""
        if not reason:
            if amount_text.strip() or quantity_text.strip():
                raise _error(segment, f"CAS{reason_at + 1:02d} has an amount but CAS{reason_at:02d}, its reason "
                                      "code, is missing.")
            continue
        amount = _amount(segment, reason_at + 1, f"the amount of adjustment {group}-{reason[:10]}")
        quantity = _optional_amount(segment, reason_at + 2, "the adjusted quantity") if quantity_text else None
        found.append(_adjustment(group, reason, amount, quantity))
    if not found:
        raise _error(segment, "CAS holds no adjustment (a reason code with an amount).")
    return found


# --- building one transaction set ------------------------------------------------------------------------------


class _Line:
    """Loop 2110 while it is being read. Lists of rare segments stay None until one arrives."""

    __slots__ = ("adjusted", "adjustments", "allowed", "amounts", "control", "date_from", "date_to", "quantities",
                 "references", "rejects", "remarks", "svc")

    def __init__(self, svc: Segment) -> None:
        self.svc = svc
        self.date_from: dt.date | None = None
        self.date_to: dt.date | None = None
        self.control = ""
        self.allowed: Decimal | None = None
        self.adjustments: list[Adjustment835] = []
        self.adjusted = _ZERO
        self.remarks: list[str] | None = None
        self.rejects: list[str] | None = None
        self.references: list[tuple[str, str]] | None = None
        self.amounts: list[tuple[str, Decimal]] | None = None
        self.quantities: list[tuple[str, Decimal]] | None = None

    def finish(self, component: str) -> ServiceLine835:
        svc = self.svc
        elements = svc.elements
        count = len(elements)
        procedure = elements[0].split(component) if count else [""]
        qualifier = procedure[0].strip()
        code = procedure[1].strip() if len(procedure) > 1 else ""
        if not qualifier or not code:
            raise _error(svc, "SVC01 should name the procedure as qualifier and code (for example HC:99213), "
                              f"not {procedure[0][:30]!r}.")
        text = elements[1] if count > 1 else ""
        charge = Decimal(text) if _AMOUNT(text) else _amount(svc, 2, "the line's charge")
        text = elements[2] if count > 2 else ""
        paid = Decimal(text) if _AMOUNT(text) else _amount(svc, 3, "the line's payment")
        if charge - paid != self.adjusted:
            raise _error(svc, f"Service line {qualifier}:{code} does not balance: charged {charge} - paid {paid} = "
                              f"{charge - paid} but its adjustments (CAS) add up to {self.adjusted}.")
        units = None
        if count > 4:
            text = elements[4]
            units = Decimal(text) if _AMOUNT(text) else _optional_amount(svc, 5, "the units paid")
        original_code = ""
        original_modifiers: tuple[str, ...] = ()
        if count > 5 and elements[5].strip():
            original = elements[5].split(component)
            original_code = original[1].strip() if len(original) > 1 else ""
            if not original_code:
                raise _error(svc, "SVC06 (the procedure as billed) should be qualifier and code, not "
                                  f"{elements[5][:30]!r}.")
            original_modifiers = tuple([m.strip() for m in original[2:6] if m.strip()])
        remarks, rejects, references = self.remarks, self.rejects, self.references
        amounts, quantities = self.amounts, self.quantities
        line: Any = _ServiceLineDraft()  # see _twin()
        line.procedure_qualifier = qualifier
        line.procedure_code = code
        line.modifiers = tuple([m.strip() for m in procedure[2:6] if m.strip()]) if len(procedure) > 2 else ()
        line.charge_amount = charge
        line.paid_amount = paid
        line.units = units
        line.service_date_from = self.date_from
        line.service_date_to = self.date_to
        line.control_number = self.control
        line.allowed_amount = self.allowed
        line.adjustments = tuple(self.adjustments)
        line.remark_codes = tuple(remarks) if remarks else ()
        line.segment_position = svc.position
        line.original_procedure_code = original_code
        line.original_modifiers = original_modifiers
        line.original_units = _optional_amount(svc, 7, "the units billed") if count > 6 else None
        line.revenue_code = elements[3].strip() if count > 3 else ""
        line.description = procedure[6].strip() if len(procedure) > 6 else ""
        line.references = tuple(references) if references else ()
        line.amounts = tuple(amounts) if amounts else ()
        line.quantities = tuple(quantities) if quantities else ()
        line.reject_codes = tuple(rejects) if rejects else ()
        line.__class__ = ServiceLine835
        return line


_NO_NAME = ("", "", "")


class _Claim:
    """Loop 2100 while it is being read. Lists of rare segments stay None until one arrives."""

    __slots__ = ("adjusted", "adjustments", "amounts", "charge", "clp", "date_from", "date_to", "lines", "names",
                 "number", "paid", "quantities", "received", "references", "remarks")

    def __init__(self, clp: Segment) -> None:
        elements = clp.elements
        count = len(elements)
        self.clp = clp
        self.number = number = elements[0].strip() if count else ""
        if not number:
            raise _error(clp, "CLP01 (the claim number) is missing.")
        status = elements[1].strip() if count > 1 else ""
        if status not in CLAIM_STATUS_CODES:
            raise _error(clp, f"CLP02 {status[:10]!r} is not a claim status code ({', '.join(CLAIM_STATUS_CODES)}).")
        text = elements[2] if count > 2 else ""
        self.charge = Decimal(text) if _AMOUNT(text) else _amount(clp, 3, "the claim's charge")
        text = elements[3] if count > 3 else ""
        self.paid = Decimal(text) if _AMOUNT(text) else _amount(clp, 4, "the claim's payment")
        self.names: dict[str, tuple[str, str, str]] = {}
        self.date_from: dt.date | None = None
        self.date_to: dt.date | None = None
        self.received: dt.date | None = None
        self.adjustments: list[Adjustment835] = []
        self.adjusted = _ZERO  # claim-level and line-level CAS
        self.lines: list[ServiceLine835] = []
        self.remarks: list[str] | None = None
        self.references: list[tuple[str, str]] | None = None
        self.amounts: list[tuple[str, Decimal]] | None = None
        self.quantities: list[tuple[str, Decimal]] | None = None

    def finish(self) -> ClaimPayment835:
        clp = self.clp
        elements = clp.elements
        charge, paid, adjusted = self.charge, self.paid, self.adjusted
        if charge - paid != adjusted:
            where = (f"its adjustments (CAS, claim and line level) add up to {adjusted}" if self.lines
                     else f"its claim-level adjustments (CAS) add up to {adjusted} and it has no service lines")
            raise _error(clp, f"Claim {self.number} does not balance: charged {charge} - paid {paid} = "
                              f"{charge - paid} but {where}.")
        count = len(elements)
        text = elements[4] if count > 4 else ""
        responsibility = Decimal(text) if _AMOUNT(text) else _optional_amount(clp, 5, "the patient's responsibility")
        names = self.names
        patient = names.get("QC", _NO_NAME)
        if len(names) > 1 or patient is _NO_NAME:
            insured = names.get("IL", _NO_NAME)
            corrected = names.get("74", _NO_NAME)
            crossover = names.get("TT", _NO_NAME)
            priority = names.get("PR", _NO_NAME)
            rendering = names.get("82", _NO_NAME)[2]
        else:
            insured = corrected = crossover = priority = _NO_NAME
            rendering = ""
        remarks, references, amounts, quantities = self.remarks, self.references, self.amounts, self.quantities
        claim: Any = _ClaimDraft()  # see _twin()
        claim.claim_number = self.number
        claim.status_code = elements[1].strip()
        claim.charge_amount = charge
        claim.paid_amount = paid
        claim.patient_responsibility = responsibility
        claim.filing_indicator = elements[5].strip() if count > 5 else ""
        claim.payer_claim_number = elements[6].strip() if count > 6 else ""
        claim.patient_last_name = patient[0]
        claim.patient_first_name = patient[1]
        claim.member_id = patient[2] or insured[2]
        claim.service_date_from = self.date_from
        claim.service_date_to = self.date_to
        claim.adjustments = tuple(self.adjustments)
        claim.remark_codes = tuple(remarks) if remarks else ()
        claim.lines = tuple(self.lines)
        claim.segment_position = clp.position
        claim.facility_type_code = elements[7].strip() if count > 7 else ""
        claim.frequency_code = elements[8].strip() if count > 8 else ""
        claim.received_date = self.received
        claim.insured_last_name, claim.insured_first_name, claim.insured_member_id = insured
        claim.corrected_last_name, claim.corrected_first_name, claim.corrected_member_id = corrected
        claim.rendering_provider_id = rendering
        claim.crossover_carrier_name = crossover[0]
        claim.crossover_carrier_id = crossover[2]
        claim.priority_payer_name = priority[0]
        claim.priority_payer_id = priority[2]
        claim.references = tuple(references) if references else ()
        claim.amounts = tuple(amounts) if amounts else ()
        claim.quantities = tuple(quantities) if quantities else ()
        claim.__class__ = ClaimPayment835
        return claim


class _Transaction:
    """One ST…SE set while it is being read (`read()`), built into a Payment835 at its SE (`finish()`)."""

    def __init__(self, st: Segment, interchange: str, version: str) -> None:
        self.st = st
        self.component = st.separators.component
        self.interchange = interchange
        self.version = _text(st.elements, 3) or version
        self.stage = _START
        self.bpr: Segment | None = None
        self.trn: Segment | None = None
        self.currency = ""
        self.production_date: dt.date | None = None
        self.party = ""  # the 1000 loop being read: PR, PE or "" (another entity)
        self.payer: Segment | None = None
        self.payer_reference = ""
        self.payee: Segment | None = None
        self.payee_tax_id = ""
        self.claims: list[ClaimPayment835] = []
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.provider_adjustments: list[ProviderAdjustment835] = []
        self.notices: list[str] = []
        self.unknown_ids: set[str] = set()

    # -- dispatch

    def read(self, segments: Iterator[Segment]) -> Payment835:
        """Read the segments after the ST up to its SE and return the payment. The common segments of a service
        line are read here directly, in one loop (most of a large file is service lines); the rest go to their
        handlers."""
        first = next(segments, None)
        if first is None:  # the tokenizer's envelope check refuses a file that ends inside a transaction set
            raise _error(self.st, "The file ends inside this transaction set (no SE).")
        if first.id == "SE":
            return self.finish(first)  # refuses it: no BPR
        if first.id != "BPR":
            raise _error(first, f"An 835 starts with BPR (the payment) right after ST; found {first.id}.")
        self._bpr(first)
        handlers, dates, amount, draft = _HANDLERS, _DATES, _AMOUNT, _AdjustmentDraft
        for segment in segments:
            sid = segment.id
            if sid == "SE":
                return self.finish(segment)
            line = self.line
            elements = segment.elements
            if line is not None and elements:
                if sid == "DTM":
                    if elements[0] == "472" and len(elements) > 1:
                        line.date_from = line.date_to = dates.get(elements[1]) or _date(segment, 2,
                                                                                        "the date of service")
                        continue
                elif sid == "CAS":
                    if len(elements) == 3 and elements[0] in GROUP_CODES and elements[1].isalnum() and amount(
                            elements[2]):
                        value = Decimal(elements[2])
                        adjustment: Any = draft()  # _adjustment() inline: there is a CAS for most lines
                        adjustment.group_code = elements[0]
                        adjustment.reason_code = elements[1]
                        adjustment.amount = value
                        adjustment.quantity = None
                        adjustment.__class__ = Adjustment835
                        line.adjustments.append(adjustment)
                        line.adjusted += value
                        self.claim.adjusted += value  # type: ignore[union-attr]  # a line always has its claim
                        continue
                elif sid == "REF":
                    if elements[0] == "6R" and len(elements) > 1 and not line.control:
                        line.control = elements[1].strip()
                        continue
                elif sid == "AMT":
                    if elements[0] == "B6" and len(elements) == 2 and amount(elements[1]):
                        line.allowed = Decimal(elements[1])
                        continue
                elif sid == "SVC":
                    self._svc(segment)
                    continue
            elif sid == "DTM" and elements and self.claim is not None:
                qualifier = elements[0]
                if qualifier == "232" and len(elements) > 1:
                    self.claim.date_from = dates.get(elements[1]) or _date(segment, 2, "the claim's first date of "
                                                                                       "service")
                    continue
                if qualifier == "233" and len(elements) > 1:
                    self.claim.date_to = dates.get(elements[1]) or _date(segment, 2, "the claim's last date of "
                                                                                     "service")
                    continue
            handler = handlers.get(sid)
            if handler is not None:
                handler(self, segment)
            elif sid not in IGNORED_835_SEGMENTS and sid not in self.unknown_ids:
                self.unknown_ids.add(sid)
                self._notice(f"Segment {segment.position} ({sid}) is not part of an 835 remittance; it was skipped.")
        raise _error(self.st, "The file ends inside this transaction set (no SE).")

    def _notice(self, text: str) -> None:
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(text)

    # -- header and parties

    def _bpr(self, segment: Segment) -> None:
        if self.stage != _START:
            raise _error(segment, "A second BPR: an 835 transaction set holds one payment, right after ST.")
        _required(segment, 1, "the transaction handling code")
        amount = _amount(segment, 2, "the payment amount")
        if amount < 0:
            raise _error(segment, f"BPR02 (the payment amount) is negative ({amount}); money taken from the "
                                  "provider is written as a positive amount with BPR03 = D.")
        direction = _text(segment.elements, 3)
        if direction not in ("C", "D"):
            raise _error(segment, f"BPR03 should be C (credit) or D (debit), not {direction[:10]!r}.")
        method = _required(segment, 4, "the payment method")
        if method not in PAYMENT_METHODS:
            raise _error(segment, f"BPR04 {method[:10]!r} is not a payment method (ACH, BOP, CHK, FWT or NON).")
        _date(segment, 16, "the payment date")
        self.bpr, self.stage = segment, _HEADER

    def _trn(self, segment: Segment) -> None:
        if self.stage != _HEADER or self.trn is not None:
            raise _error(segment, "TRN (the trace number) belongs once in the header, right after BPR.")
        _required(segment, 2, "the trace number: the check or EFT number")
        _required(segment, 3, "the payer's identifier in the trace")
        self.trn = segment

    def _cur(self, segment: Segment) -> None:
        if self.stage == _HEADER:
            self.currency = _text(segment.elements, 2)

    def _n1(self, segment: Segment) -> None:
        if self.stage not in (_HEADER, _PARTIES):
            raise _error(segment, "N1 (payer or payee) belongs in the header, before the claims.")
        self._require_trace(segment)
        self.stage = _PARTIES
        entity = _text(segment.elements, 1)
        self.party = entity
        if entity == "PR":
            if self.payer is not None:
                raise _error(segment, "A second payer (N1*PR) in one transaction set.")
            _required(segment, 2, "the payer's name")
            self.payer = segment
        elif entity == "PE":
            if self.payee is not None:
                raise _error(segment, "A second payee (N1*PE) in one transaction set.")
            _required(segment, 2, "the payee's name")
            self.payee = segment
            if _text(segment.elements, 3) == "FI":
                self.payee_tax_id = _text(segment.elements, 4)

    def _n4(self, segment: Segment) -> None:
        if self.stage != _PARTIES:
            return
        elements = segment.elements
        state, country = _text(elements, 2), _text(elements, 4)
        if state and country in ("", "US", "CA") and state not in STATE_CODES:
            whose = {"PR": "the payer's", "PE": "the payee's"}.get(self.party, "an")
            self._notice(f"Segment {segment.position} (N4): N402 {state[:10]!r} in {whose} address is not a US "
                         "state or Canadian province code. The address is not used for posting.")

    def _require_trace(self, segment: Segment) -> None:
        if self.trn is None:
            raise _error(segment, "The payment has no TRN (the trace number: check or EFT number); it must follow "
                                  "BPR.")

    def _require_parties(self, segment: Segment) -> None:
        self._require_trace(segment)
        if self.payer is None:
            raise _error(segment, f"The payer (N1*PR, loop 1000A) is missing before this {segment.id}.")
        if self.payee is None:
            raise _error(segment, f"The payee (N1*PE, loop 1000B) is missing before this {segment.id}.")

    # -- claims and lines

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is not None:
            if self.line is not None:
                claim.lines.append(self.line.finish(self.component))
                self.line = None
            self.claims.append(claim.finish())
            self.claim = None

    def _lx(self, segment: Segment) -> None:
        if self.stage == _SUMMARY:
            raise _error(segment, "LX after the provider adjustments (PLB): the PLB comes after every claim.")
        if self.stage != _CLAIMS:
            self._require_parties(segment)
        self._close_claim()
        self.stage = _CLAIMS

    def _clp(self, segment: Segment) -> None:
        stage = self.stage
        if stage != _CLAIMS:
            if stage == _SUMMARY:
                raise _error(segment, "A claim (CLP) after the provider adjustments (PLB): the PLB comes after "
                                      "every claim.")
            self._require_parties(segment)
            self.stage = _CLAIMS
        else:
            self._close_claim()
        self.claim = _Claim(segment)

    def _svc(self, segment: Segment) -> None:
        claim = self.claim
        if claim is None:
            raise _error(segment, "A service line (SVC) outside a claim: no CLP before it.")
        if self.line is not None:
            claim.lines.append(self.line.finish(self.component))
        self.line = _Line(segment)

    def _cas(self, segment: Segment) -> None:
        claim, line = self.claim, self.line
        if claim is None:
            raise _error(segment, "An adjustment (CAS) outside a claim: no CLP before it.")
        found = _adjustments(segment)
        total = sum([adjustment.amount for adjustment in found], _ZERO)
        if line is not None:
            line.adjustments.extend(found)
            line.adjusted += total
        else:
            claim.adjustments.extend(found)
        claim.adjusted += total

    def _claim_only(self, segment: Segment, what: str) -> _Claim:
        if self.claim is None:
            raise _error(segment, f"{what} ({segment.id}) outside a claim: no CLP before it.")
        if self.line is not None:
            raise _error(segment, f"{what} ({segment.id}) belongs to the claim (loop 2100) and cannot come after "
                                  f"its service line at segment {self.line.svc.position}.")
        return self.claim

    def _nm1(self, segment: Segment) -> None:
        claim = self._claim_only(segment, "A claim's name")
        elements = segment.elements
        entity = _text(elements, 1)
        claim.names.setdefault(entity, (_text(elements, 3), _text(elements, 4), _text(elements, 9)))

    def _mia(self, segment: Segment) -> None:
        self._remarks(self._claim_only(segment, "Inpatient adjudication"), segment, (5, 20, 21, 22, 23))

    def _moa(self, segment: Segment) -> None:
        self._remarks(self._claim_only(segment, "Outpatient adjudication"), segment, (3, 4, 5, 6, 7))

    @staticmethod
    def _remarks(claim: _Claim, segment: Segment, numbers: tuple[int, ...]) -> None:
        codes = [code for code in (_text(segment.elements, number) for number in numbers) if code]
        if codes:
            if claim.remarks is None:
                claim.remarks = []
            claim.remarks.extend(codes)

    def _dtm(self, segment: Segment) -> None:
        stage = self.stage
        if stage == _CLAIMS:
            elements = segment.elements
            qualifier = elements[0] if elements else ""
            line = self.line
            if line is not None:
                if qualifier == "472":
                    line.date_from = line.date_to = _date(segment, 2, "the date of service")
                elif qualifier == "150":
                    line.date_from = _date(segment, 2, "the first date of service")
                elif qualifier == "151":
                    line.date_to = _date(segment, 2, "the last date of service")
            elif self.claim is not None:
                claim = self.claim
                if qualifier == "232":
                    claim.date_from = _date(segment, 2, "the claim's first date of service")
                elif qualifier == "233":
                    claim.date_to = _date(segment, 2, "the claim's last date of service")
                elif qualifier == "050":
                    claim.received = _date(segment, 2, "the date the payer received the claim")
        elif stage == _HEADER and _text(segment.elements, 1) == "405":
            self.production_date = _date(segment, 2, "the production date")

    def _ref(self, segment: Segment) -> None:
        stage = self.stage
        elements = segment.elements
        if stage == _CLAIMS:
            qualifier, value = _text(elements, 1), _text(elements, 2)
            target = self.line or self.claim
            if isinstance(target, _Line) and qualifier == "6R":
                if not target.control:
                    target.control = value
            elif target is not None:
                if target.references is None:
                    target.references = []
                target.references.append((qualifier, value))
        elif stage == _PARTIES:
            qualifier = _text(elements, 1)
            if self.party == "PR" and qualifier == "2U":
                self.payer_reference = _text(elements, 2)
            elif self.party == "PE" and qualifier == "TJ" and not self.payee_tax_id:
                self.payee_tax_id = _text(elements, 2)

    def _amt(self, segment: Segment) -> None:
        if self.stage != _CLAIMS:
            return
        target = self.line or self.claim
        if target is None:
            return  # an AMT between LX and the first CLP: not in the guide, and nothing to attach it to
        qualifier = _text(segment.elements, 1)
        amount = _amount(segment, 2, "the amount")
        if isinstance(target, _Line) and qualifier == "B6":
            target.allowed = amount
        else:
            if target.amounts is None:
                target.amounts = []
            target.amounts.append((qualifier, amount))

    def _qty(self, segment: Segment) -> None:
        if self.stage != _CLAIMS:
            return
        target = self.line or self.claim
        if target is not None:
            if target.quantities is None:
                target.quantities = []
            target.quantities.append((_text(segment.elements, 1), _amount(segment, 2, "the quantity")))

    def _lq(self, segment: Segment) -> None:
        line = self.line
        if line is None:
            return
        qualifier, code = _text(segment.elements, 1), _text(segment.elements, 2)
        if not code:
            raise _error(segment, "LQ02 (the remark code) is missing.")
        if qualifier == "HE":
            if line.remarks is None:
                line.remarks = []
            line.remarks.append(code)
        elif qualifier == "RX":
            if line.rejects is None:
                line.rejects = []
            line.rejects.append(code)

    # -- summary

    def _plb(self, segment: Segment) -> None:
        if self.stage < _CLAIMS:
            self._require_parties(segment)
        self._close_claim()
        self.stage = _SUMMARY
        elements = segment.elements
        count = len(elements)
        provider = _required(segment, 1, "the provider identifier")
        if count > 14:
            raise _error(segment, f"PLB has {count} elements; it holds at most six adjustments (14 elements).")
        period = _date(segment, 2, "the fiscal period date")
        component = segment.separators.component
        found = 0
        for reason_at in range(3, count + 1, 2):
            composite = elements[reason_at - 1].strip()
            amount_text = elements[reason_at].strip() if reason_at < count else ""
            if not composite:
                if amount_text:
                    raise _error(segment, f"PLB{reason_at + 1:02d} has an amount but PLB{reason_at:02d}, its reason "
                                          "code, is missing.")
                continue
            parts = composite.split(component)
            reason = parts[0].strip()
            if not reason:
                raise _error(segment, f"PLB{reason_at:02d} has no reason code (for example L6 interest or WO "
                                      "overpayment recovery).")
            amount = _amount(segment, reason_at + 1, f"the amount of provider adjustment {reason[:10]}")
            self.provider_adjustments.append(ProviderAdjustment835(
                provider_id=provider, fiscal_period_date=period, reason_code=reason,
                reference=parts[1].strip() if len(parts) > 1 else "", amount=amount,
                segment_position=segment.position))
            found += 1
        if not found:
            raise _error(segment, "PLB holds no adjustment (a reason code with an amount).")

    # -- the end

    def finish(self, se: Segment) -> Payment835:
        bpr = self.bpr
        if bpr is None:
            raise _error(se, "The 835 transaction set has no BPR (the payment).")
        if self.stage < _CLAIMS:
            self._require_parties(se)
        self._close_claim()
        payer, payee, trn = self.payer, self.payee, self.trn
        # _require_parties() made sure of these when the claims (or the SE) arrived.
        assert payer is not None
        assert payee is not None
        assert trn is not None
        amount = _amount(bpr, 2, "the payment amount")
        direction = _text(bpr.elements, 3)
        claims_paid = sum([claim.paid_amount for claim in self.claims], _ZERO)
        provider_total = sum([adjustment.amount for adjustment in self.provider_adjustments], _ZERO)
        expected = claims_paid - provider_total
        signed = -amount if direction == "D" else amount
        if signed != expected:
            debit = (" (a debit, BPR03 = D: money taken from the provider, so the claims less the provider "
                     f"adjustments should come to -{amount})") if direction == "D" else ""
            claims = "the 1 claim pays" if len(self.claims) == 1 else f"the {len(self.claims)} claims pay"
            raise _error(bpr, f"The payment does not balance: BPR02 is {amount}{debit}, but {claims} {claims_paid} "
                              f"and the provider adjustments (PLB) take {provider_total}, which leaves {expected}.")
        payee_elements = payee.elements
        trace_originator = _text(trn.elements, 3)
        return Payment835(
            interchange_control_number=self.interchange, transaction_control_number=_text(self.st.elements, 2),
            payment_amount=amount, credit_debit=direction, payment_method=_text(bpr.elements, 4),
            payment_date=_date(bpr, 16, "the payment date"), trace_number=_text(trn.elements, 2),
            trace_originator=trace_originator, production_date=self.production_date,
            payer_name=_text(payer.elements, 2),
            payer_identifier=self.payer_reference or _text(payer.elements, 4) or trace_originator,
            payee_name=_text(payee_elements, 2),
            payee_npi=_text(payee_elements, 4) if _text(payee_elements, 3) == "XX" else "",
            claims=tuple(self.claims), provider_adjustments=tuple(self.provider_adjustments),
            segment_position=self.st.position, handling_code=_text(bpr.elements, 1), currency=self.currency,
            version=self.version, payee_tax_id=self.payee_tax_id, notices=tuple(self.notices))


# Handlers of the segments read() does not read itself. Functions, not bound methods kept on the transaction: a
# transaction holding its own bound methods would be a reference cycle, freed only by the garbage collector.
_HANDLERS: dict[str, Callable[[_Transaction, Segment], None]] = {
    "SVC": _Transaction._svc, "DTM": _Transaction._dtm, "CAS": _Transaction._cas, "REF": _Transaction._ref,
    "AMT": _Transaction._amt, "CLP": _Transaction._clp, "NM1": _Transaction._nm1, "LQ": _Transaction._lq,
    "QTY": _Transaction._qty, "MOA": _Transaction._moa, "MIA": _Transaction._mia, "LX": _Transaction._lx,
    "PLB": _Transaction._plb, "BPR": _Transaction._bpr, "TRN": _Transaction._trn, "N1": _Transaction._n1,
    "N4": _Transaction._n4, "CUR": _Transaction._cur,
}


# --- the file -----------------------------------------------------------------------------------------------------


def _payments(source: Source) -> Iterator[Payment835]:
    interchange = version = ""
    payments = 0
    segments = read_segments(source)
    for segment in segments:
        sid = segment.id
        if sid == "ST":
            set_id = _text(segment.elements, 1)
            if set_id != "835":
                raise _error(segment, f"ST01 is {set_id[:10]!r}: this transaction set is not an 835 remittance.")
            transaction = _Transaction(segment, interchange, version)
            # The cyclic garbage collector is paused while a transaction set is read: everything built is kept
            # (there is nothing to collect, and no cycles are made), yet the tens of thousands of objects of a
            # large set trigger collections that walk the whole process heap (a third of the reading time,
            # measured). It runs again before the payment is yielded, and whatever goes wrong.
            paused = gc.isenabled()
            if paused:
                gc.disable()
            try:
                payment = transaction.read(segments)
            finally:
                if paused:
                    gc.enable()
            payments += 1
            yield payment
        elif sid == "ISA":
            interchange = _text(segment.elements, 13)
        elif sid == "GS":
            version = _text(segment.elements, 8)
    if not payments:
        raise Remittance835Error("The file holds no 835 transaction set (no ST*835).")


def read_835(source: Source) -> Iterator[Payment835]:
    """Yield each payment of an 835 file (path, bytes, str or binary/text stream), checked and balanced."""
    try:
        yield from _payments(source)
    except Remittance835Error:
        raise
    except X12SyntaxError as error:
        # The tokenizer's complaint (envelope, separators, counts), in the one error type this reader raises.
        raise Remittance835Error(error.message, segment_position=error.segment_position,
                                 segment_id=error.segment_id, offset=error.offset) from error
