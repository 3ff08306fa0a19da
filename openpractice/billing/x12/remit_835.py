"""Reading 835 remittances (005010X221A1): payments with their claims, lines and adjustments, balanced.

INTERFACE (agreed between the reader and the posting code; the reader's author fills in the implementation and
may add fields, never rename or remove these).

`read_835(source)` streams: it yields one `Payment835` per ST-SE transaction set, as soon as its SE is read, and
never holds more than one transaction set in memory. Usable without Django. Every problem with the input raises
`Remittance835Error` (a subclass of X12SyntaxError) naming the segment number and the problem; that includes
failed balancing (BPR02 = sum CLP04 - sum PLB; per claim CLP03 - CLP04 = sum of its claim and line CAS; per line
SVC02 - SVC03 = sum of its CAS).

How the file is read:
- Separators come from each ISA header (the tokenizer, `reader.read_batches`, which also checks the ISA/GS/ST
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

from .reader import Batch, Segment, Source, X12SyntaxError, read_batches

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
# Element text -> Decimal, for amounts that passed the check: a remittance repeats its fee schedule's charges,
# allowances, payments and adjustments (and 0, 1) thousands of times.
_AMOUNTS: dict[str, Decimal] = {}
_MAX_CACHED_AMOUNTS = 4096

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
# The reader works on the tokenizer's batches (reader.Batch): a segment is a list of strings, its ID at [0] and
# element n at [n], and is known by its batch and index there. A Segment object (with the character it starts
# at) is made only for a segment an error names, or one the payment keeps (ST, BPR).


def _error(segment: Segment, message: str) -> Remittance835Error:
    return Remittance835Error(message, segment_position=segment.position, segment_id=segment.id,
                              offset=segment.offset)


def _fail(batch: Batch, index: int, message: str) -> Remittance835Error:
    """An error naming segment `index` of `batch`."""
    return _error(batch.segment(index), message)


def _text(parts: list[str], number: int) -> str:
    return parts[number].strip() if number < len(parts) else ""


def _amount(parts: list[str], number: int, what: str, batch: Batch, index: int) -> Decimal:
    """Required amount element `number` (X12 R type: optional minus, digits, optional point)."""
    value = parts[number] if number < len(parts) else ""
    cached = _AMOUNTS.get(value)
    if cached is not None:
        return cached
    key = value
    if _AMOUNT(value) is None:
        value = value.strip()
        if not value:
            raise _fail(batch, index, f"{parts[0]}{number:02d} ({what}) is missing.")
        if _AMOUNT(value) is None:
            raise _fail(batch, index, f"{parts[0]}{number:02d} ({what}) should be an amount, not {value[:20]!r}.")
    amount = Decimal(value)
    if len(_AMOUNTS) < _MAX_CACHED_AMOUNTS:
        _AMOUNTS[key] = amount
    return amount


def _optional_amount(parts: list[str], number: int, what: str, batch: Batch, index: int) -> Decimal | None:
    if number >= len(parts) or not parts[number].strip():
        return None
    return _amount(parts, number, what, batch, index)


def _date(parts: list[str], number: int, what: str, batch: Batch, index: int) -> dt.date | None:
    """Date element `number` (CCYYMMDD), None when empty."""
    value = parts[number] if number < len(parts) else ""
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
        raise _fail(batch, index, f"{parts[0]}{number:02d} ({what}) should be a date (CCYYMMDD), "
                                  f"not {value[:20]!r}.") from None
    if len(_DATES) < _MAX_CACHED_DATES:
        _DATES[value] = parsed
    return parsed


def _required(parts: list[str], number: int, what: str, batch: Batch, index: int) -> str:
    value = _text(parts, number)
    if not value:
        raise _fail(batch, index, f"{parts[0]}{number:02d} ({what}) is missing.")
    return value


def _adjustments(parts: list[str], batch: Batch, index: int) -> list[Adjustment835]:
    """The reason/amount/quantity triples of a CAS (CAS02-04, CAS05-07, ... CAS17-19)."""
    group = parts[1].strip() if len(parts) > 1 else ""
    if group not in GROUP_CODES:
        raise _fail(batch, index, f"CAS01 {group[:10]!r} is not an adjustment group code (CO, PR, OA, PI or CR).")
    count = len(parts) - 1  # elements
    if count > 19:
        raise _fail(batch, index, f"CAS has {count} elements; it holds at most six adjustments (19 elements).")
    found: list[Adjustment835] = []
    for reason_at in range(2, count + 1, 3):
        reason = parts[reason_at].strip()
        amount_text = parts[reason_at + 1] if reason_at < count else ""
        quantity_text = parts[reason_at + 2] if reason_at + 1 < count else ""
        if not reason:
            if amount_text.strip() or quantity_text.strip():
                raise _fail(batch, index, f"CAS{reason_at + 1:02d} has an amount but CAS{reason_at:02d}, its "
                                          "reason code, is missing.")
            continue
        amount = _amount(parts, reason_at + 1, f"the amount of adjustment {group}-{reason[:10]}", batch, index)
        quantity = (_optional_amount(parts, reason_at + 2, "the adjusted quantity", batch, index) if quantity_text
                    else None)
        found.append(_adjustment(group, reason, amount, quantity))
    if not found:
        raise _fail(batch, index, "CAS holds no adjustment (a reason code with an amount).")
    return found


# --- building one transaction set ------------------------------------------------------------------------------


class _Line:
    """Loop 2110 while the general path (`_Transaction.read`) reads it: a line with a segment that is not one of
    the usual ones (see `_Transaction._service_lines`), or that a batch ends in. Lists of rare segments stay None
    until one arrives."""

    __slots__ = ("adjusted", "adjustments", "allowed", "amounts", "batch", "control", "date_from", "date_to",
                 "index", "quantities", "references", "rejects", "remarks", "svc")

    def __init__(self, svc: list[str], batch: Batch, index: int, date_from: dt.date | None, date_to: dt.date | None,
                 control: str, allowed: Decimal | None, adjustments: list[Adjustment835], adjusted: Decimal) -> None:
        self.svc = svc
        self.batch = batch
        self.index = index
        self.date_from = date_from
        self.date_to = date_to
        self.control = control
        self.allowed = allowed
        self.adjustments = adjustments
        self.adjusted = adjusted
        self.remarks: list[str] | None = None
        self.rejects: list[str] | None = None
        self.references: list[tuple[str, str]] | None = None
        self.amounts: list[tuple[str, Decimal]] | None = None
        self.quantities: list[tuple[str, Decimal]] | None = None

    @property
    def position(self) -> int:
        return self.batch.position + self.index

    def finish(self, component: str) -> ServiceLine835:
        return _service_line(self.svc, self.batch, self.index, component, self.date_from, self.date_to, self.control,
                             self.allowed, self.adjustments, self.adjusted, self)


def _service_line(svc: list[str], batch: Batch, index: int, component: str, date_from: dt.date | None,
                  date_to: dt.date | None, control: str, allowed: Decimal | None, adjustments: list[Adjustment835],
                  adjusted: Decimal, rare: _Line | None) -> ServiceLine835:
    """The ServiceLine835 of the SVC at `index` of `batch`, checked and balanced, from what its loop held (the
    rare segments' lists from `rare`, when the line has any)."""
    count = len(svc)
    procedure = svc[1].split(component) if count > 1 else [""]
    qualifier = procedure[0].strip()
    code = procedure[1].strip() if len(procedure) > 1 else ""
    if not qualifier or not code:
        raise _fail(batch, index, "SVC01 should name the procedure as qualifier and code (for example "
                                  f"HC:99213), not {procedure[0][:30]!r}.")
    amounts = _AMOUNTS
    charge = amounts.get(svc[2]) if count > 2 else None
    if charge is None:
        charge = _amount(svc, 2, "the line's charge", batch, index)
    paid = amounts.get(svc[3]) if count > 3 else None
    if paid is None:
        paid = _amount(svc, 3, "the line's payment", batch, index)
    if charge - paid != adjusted:
        raise _fail(batch, index, f"Service line {qualifier}:{code} does not balance: charged {charge} - paid "
                                  f"{paid} = {charge - paid} but its adjustments (CAS) add up to {adjusted}.")
    units = None
    if count > 5:
        units = amounts.get(svc[5]) or _optional_amount(svc, 5, "the units paid", batch, index)
    original_code = ""
    original_modifiers: tuple[str, ...] = ()
    if count > 6 and svc[6].strip():
        original = svc[6].split(component)
        original_code = original[1].strip() if len(original) > 1 else ""
        if not original_code:
            raise _fail(batch, index, "SVC06 (the procedure as billed) should be qualifier and code, not "
                                      f"{svc[6][:30]!r}.")
        original_modifiers = tuple([m.strip() for m in original[2:6] if m.strip()])
    line: Any = _ServiceLineDraft()  # see _twin()
    line.procedure_qualifier = qualifier
    line.procedure_code = code
    line.modifiers = tuple([m.strip() for m in procedure[2:6] if m.strip()]) if len(procedure) > 2 else ()
    line.charge_amount = charge
    line.paid_amount = paid
    line.units = units
    line.service_date_from = date_from
    line.service_date_to = date_to
    line.control_number = control
    line.allowed_amount = allowed
    line.adjustments = tuple(adjustments)
    line.segment_position = batch.position + index
    line.original_procedure_code = original_code
    line.original_modifiers = original_modifiers
    line.original_units = _optional_amount(svc, 7, "the units billed", batch, index) if count > 7 else None
    line.revenue_code = svc[4].strip() if count > 4 else ""
    line.description = procedure[6].strip() if len(procedure) > 6 else ""
    if rare is None:
        line.remark_codes = line.references = line.amounts = line.quantities = line.reject_codes = ()
    else:
        remarks, rejects, references = rare.remarks, rare.rejects, rare.references
        extra_amounts, quantities = rare.amounts, rare.quantities
        line.remark_codes = tuple(remarks) if remarks else ()
        line.references = tuple(references) if references else ()
        line.amounts = tuple(extra_amounts) if extra_amounts else ()
        line.quantities = tuple(quantities) if quantities else ()
        line.reject_codes = tuple(rejects) if rejects else ()
    line.__class__ = ServiceLine835
    return line


# Segments that end a service line (the next line, the next claim, the provider adjustments, the SE).
_LINE_ENDS = frozenset({"SVC", "CLP", "LX", "PLB", "SE"})
_NO_NAME = ("", "", "")


class _Claim:
    """Loop 2100 while it is being read. Lists of rare segments stay None until one arrives."""

    __slots__ = ("adjusted", "adjustments", "amounts", "batch", "charge", "clp", "date_from", "date_to", "index",
                 "lines", "names", "number", "paid", "quantities", "received", "references", "remarks")

    def __init__(self, clp: list[str], batch: Batch, index: int) -> None:
        count = len(clp)
        self.clp = clp
        self.batch = batch
        self.index = index
        self.number = number = clp[1].strip() if count > 1 else ""
        if not number:
            raise _fail(batch, index, "CLP01 (the claim number) is missing.")
        status = clp[2].strip() if count > 2 else ""
        if status not in CLAIM_STATUS_CODES:
            raise _fail(batch, index, f"CLP02 {status[:10]!r} is not a claim status code "
                                      f"({', '.join(CLAIM_STATUS_CODES)}).")
        amounts = _AMOUNTS
        charge = amounts.get(clp[3]) if count > 3 else None
        self.charge = charge if charge is not None else _amount(clp, 3, "the claim's charge", batch, index)
        paid = amounts.get(clp[4]) if count > 4 else None
        self.paid = paid if paid is not None else _amount(clp, 4, "the claim's payment", batch, index)
        self.names: dict[str, tuple[str, str, str]] = {}
        self.date_from: dt.date | None = None
        self.date_to: dt.date | None = None
        self.received: dt.date | None = None
        self.adjustments: list[Adjustment835] = []
        self.adjusted = _ZERO  # claim-level CAS, and each line's CAS once the line is finished
        self.lines: list[ServiceLine835] = []
        self.remarks: list[str] | None = None
        self.references: list[tuple[str, str]] | None = None
        self.amounts: list[tuple[str, Decimal]] | None = None
        self.quantities: list[tuple[str, Decimal]] | None = None

    def finish(self) -> ClaimPayment835:
        clp, batch, index = self.clp, self.batch, self.index
        charge, paid, adjusted = self.charge, self.paid, self.adjusted
        if charge - paid != adjusted:
            where = (f"its adjustments (CAS, claim and line level) add up to {adjusted}" if self.lines
                     else f"its claim-level adjustments (CAS) add up to {adjusted} and it has no service lines")
            raise _fail(batch, index, f"Claim {self.number} does not balance: charged {charge} - paid {paid} = "
                                      f"{charge - paid} but {where}.")
        count = len(clp)
        responsibility = _AMOUNTS.get(clp[5]) if count > 5 else None
        if responsibility is None:
            responsibility = _optional_amount(clp, 5, "the patient's responsibility", batch, index)
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
        claim.status_code = clp[2].strip()
        claim.charge_amount = charge
        claim.paid_amount = paid
        claim.patient_responsibility = responsibility
        claim.filing_indicator = clp[6].strip() if count > 6 else ""
        claim.payer_claim_number = clp[7].strip() if count > 7 else ""
        claim.patient_last_name = patient[0]
        claim.patient_first_name = patient[1]
        claim.member_id = patient[2] or insured[2]
        claim.service_date_from = self.date_from
        claim.service_date_to = self.date_to
        claim.adjustments = tuple(self.adjustments)
        claim.remark_codes = tuple(remarks) if remarks else ()
        claim.lines = tuple(self.lines)
        claim.segment_position = batch.position + index
        claim.facility_type_code = clp[8].strip() if count > 8 else ""
        claim.frequency_code = clp[9].strip() if count > 9 else ""
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
    """One ST…SE set while it is being read (`read()`, a batch at a time), built into a Payment835 at its SE
    (`finish()`)."""

    __slots__ = ("amount", "bpr", "claim", "claims", "component", "currency", "interchange", "line", "notices",
                 "party", "payee", "payee_tax_id", "payer", "payer_reference", "payment", "payment_date",
                 "production_date", "provider_adjustments", "st", "stage", "trn", "unknown_ids", "version")

    def __init__(self, st: Segment, interchange: str, version: str) -> None:
        self.st = st
        self.component = st.separators.component
        self.interchange = interchange
        self.version = st.element(3).strip() or version
        self.stage = _START
        self.bpr: Segment | None = None  # kept whole: the payment's balancing error names it at the SE
        self.amount = _ZERO  # BPR02
        self.payment_date: dt.date | None = None  # BPR16
        self.trn: list[str] | None = None
        self.currency = ""
        self.production_date: dt.date | None = None
        self.party = ""  # the 1000 loop being read: PR, PE or "" (another entity)
        self.payer: list[str] | None = None
        self.payer_reference = ""
        self.payee: list[str] | None = None
        self.payee_tax_id = ""
        self.claims: list[ClaimPayment835] = []
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.provider_adjustments: list[ProviderAdjustment835] = []
        self.notices: list[str] = []
        self.unknown_ids: set[str] = set()
        self.payment: Payment835 | None = None  # set at the SE

    # -- dispatch

    def read(self, batch: Batch, start: int) -> int:
        """Read the segments of `batch` from index `start` up to this set's SE, or to the end of the batch; return
        the index after the last one read. At the SE, `payment` is set. Service lines go to `_service_lines()`,
        the claim's dates and patient are read here directly; the rest go to their handlers."""
        parts = batch.parts
        count = len(parts)
        index = start
        if self.stage == _START:  # the segment right after ST
            first = parts[index]
            if first[0] == "SE":
                self.payment = self.finish(batch, index)  # refuses it: no BPR
                return index + 1
            if first[0] != "BPR":
                raise _fail(batch, index, f"An 835 starts with BPR (the payment) right after ST; found {first[0]}.")
            self._bpr(first, batch, index)
            index += 1
        handlers, dates = _HANDLERS, _DATES
        while index < count:
            segment = parts[index]
            sid = segment[0]
            if sid == "SVC":
                index = self._service_lines(batch, index)
                continue
            if self.line is None and len(segment) > 2 and self.claim is not None:
                claim = self.claim
                if sid == "DTM":
                    qualifier = segment[1]
                    if qualifier == "232":
                        claim.date_from = dates.get(segment[2]) or _date(
                            segment, 2, "the claim's first date of service", batch, index)
                        index += 1
                        continue
                    if qualifier == "233":
                        claim.date_to = dates.get(segment[2]) or _date(
                            segment, 2, "the claim's last date of service", batch, index)
                        index += 1
                        continue
                elif sid == "NM1" and len(segment) > 9:  # _nm1() inline: the patient's NM1*QC of every claim
                    claim.names.setdefault(segment[1].strip(), (segment[3].strip(), segment[4].strip(),
                                                                segment[9].strip()))
                    index += 1
                    continue
            if sid == "SE":
                self.payment = self.finish(batch, index)
                return index + 1
            handler = handlers.get(sid)
            if handler is not None:
                handler(self, segment, batch, index)
            elif sid not in IGNORED_835_SEGMENTS and sid not in self.unknown_ids:
                self.unknown_ids.add(sid)
                self._notice(f"Segment {batch.position + index} ({sid}) is not part of an 835 remittance; it was "
                             "skipped.")
            index += 1
        return count

    def _service_lines(self, batch: Batch, index: int) -> int:
        """Loop 2110 from the SVC at `index`: service lines whose other segments are the usual ones (DTM*472, a
        CAS of one adjustment, REF*6R, AMT*B6) are read here in one loop, each line in local variables, and a line
        followed by the next SVC is built at once (most of a large file is such lines). Returns the index of the
        first segment that is not one of those; the line still open there is left in `self.line` for the
        general path (LQ, QTY, another DTM, REF or AMT, a CAS of several adjustments, the next claim)."""
        claim = self.claim
        if claim is None:
            raise _fail(batch, index, "A service line (SVC) outside a claim: no CLP before it.")
        line = self.line
        if line is not None:
            claim.lines.append(line.finish(self.component))
            claim.adjusted += line.adjusted
            self.line = None
        parts = batch.parts
        count = len(parts)
        component = self.component
        dates, amounts, valid_amount, draft, group_codes = _DATES, _AMOUNTS, _AMOUNT, _AdjustmentDraft, GROUP_CODES
        line_ends = _LINE_ENDS
        adjustment: Any
        while True:
            svc = parts[index]
            date: dt.date | None = None
            control = ""
            allowed: Decimal | None = None
            adjustments: list[Adjustment835] = []
            adjusted = _ZERO
            at = index + 1
            while at < count:
                segment = parts[at]
                sid = segment[0]
                size = len(segment)
                if sid == "DTM":
                    if size < 3 or segment[1] != "472":
                        break
                    date = dates.get(segment[2]) or _date(segment, 2, "the date of service", batch, at)
                elif sid == "CAS":
                    value = amounts.get(segment[3]) if size == 4 and segment[1] in group_codes else None
                    if value is not None and segment[2].isalnum():
                        adjustment = draft()  # _adjustment() inline: most CAS hold one adjustment
                        adjustment.group_code = segment[1]
                        adjustment.reason_code = segment[2]
                        adjustment.amount = value
                        adjustment.quantity = None
                        adjustment.__class__ = Adjustment835
                        adjustments.append(adjustment)
                        adjusted += value
                    else:
                        found = _adjustments(segment, batch, at)
                        adjustments.extend(found)
                        adjusted += sum([adjustment.amount for adjustment in found], _ZERO)
                elif sid == "REF":
                    if size < 3 or segment[1] != "6R" or control:
                        break
                    control = segment[2].strip()
                elif sid == "AMT":
                    if size != 3 or segment[1] != "B6":
                        break
                    value = amounts.get(segment[2])
                    if value is None:
                        if not valid_amount(segment[2]):
                            break
                        value = _amount(segment, 2, "", batch, at)
                    allowed = value
                else:
                    break
                at += 1
            # The line is complete when the next line or the next claim starts, or the claims end: every one of
            # those segments finishes the line before anything else.
            if at < count and parts[at][0] in line_ends:
                claim.lines.append(_service_line(svc, batch, index, component, date, date, control, allowed,
                                                 adjustments, adjusted, None))
                claim.adjusted += adjusted
                if parts[at][0] != "SVC":
                    return at
                index = at
                continue
            self.line = _Line(svc, batch, index, date, date, control, allowed, adjustments, adjusted)
            return at

    def _notice(self, text: str) -> None:
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(text)

    # -- header and parties

    def _bpr(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage != _START:
            raise _fail(batch, index, "A second BPR: an 835 transaction set holds one payment, right after ST.")
        _required(segment, 1, "the transaction handling code", batch, index)
        amount = _amount(segment, 2, "the payment amount", batch, index)
        if amount < 0:
            raise _fail(batch, index, f"BPR02 (the payment amount) is negative ({amount}); money taken from the "
                                      "provider is written as a positive amount with BPR03 = D.")
        direction = _text(segment, 3)
        if direction not in ("C", "D"):
            raise _fail(batch, index, f"BPR03 should be C (credit) or D (debit), not {direction[:10]!r}.")
        method = _required(segment, 4, "the payment method", batch, index)
        if method not in PAYMENT_METHODS:
            raise _fail(batch, index, f"BPR04 {method[:10]!r} is not a payment method (ACH, BOP, CHK, FWT or "
                                      "NON).")
        self.payment_date = _date(segment, 16, "the payment date", batch, index)
        self.bpr, self.amount, self.stage = batch.segment(index), amount, _HEADER

    def _trn(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage != _HEADER or self.trn is not None:
            raise _fail(batch, index, "TRN (the trace number) belongs once in the header, right after BPR.")
        _required(segment, 2, "the trace number: the check or EFT number", batch, index)
        _required(segment, 3, "the payer's identifier in the trace", batch, index)
        self.trn = segment

    def _cur(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage == _HEADER:
            self.currency = _text(segment, 2)

    def _n1(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage not in (_HEADER, _PARTIES):
            raise _fail(batch, index, "N1 (payer or payee) belongs in the header, before the claims.")
        self._require_trace(batch, index)
        self.stage = _PARTIES
        entity = _text(segment, 1)
        self.party = entity
        if entity == "PR":
            if self.payer is not None:
                raise _fail(batch, index, "A second payer (N1*PR) in one transaction set.")
            _required(segment, 2, "the payer's name", batch, index)
            self.payer = segment
        elif entity == "PE":
            if self.payee is not None:
                raise _fail(batch, index, "A second payee (N1*PE) in one transaction set.")
            _required(segment, 2, "the payee's name", batch, index)
            self.payee = segment
            if _text(segment, 3) == "FI":
                self.payee_tax_id = _text(segment, 4)

    def _n4(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage != _PARTIES:
            return
        state, country = _text(segment, 2), _text(segment, 4)
        if state and country in ("", "US", "CA") and state not in STATE_CODES:
            whose = {"PR": "the payer's", "PE": "the payee's"}.get(self.party, "an")
            self._notice(f"Segment {batch.position + index} (N4): N402 {state[:10]!r} in {whose} address is not a "
                         "US state or Canadian province code. The address is not used for posting.")

    def _require_trace(self, batch: Batch, index: int) -> None:
        if self.trn is None:
            raise _fail(batch, index, "The payment has no TRN (the trace number: check or EFT number); it must "
                                      "follow BPR.")

    def _require_parties(self, batch: Batch, index: int) -> None:
        self._require_trace(batch, index)
        if self.payer is None:
            raise _fail(batch, index, f"The payer (N1*PR, loop 1000A) is missing before this "
                                      f"{batch.parts[index][0]}.")
        if self.payee is None:
            raise _fail(batch, index, f"The payee (N1*PE, loop 1000B) is missing before this "
                                      f"{batch.parts[index][0]}.")

    # -- claims and lines

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is not None:
            if self.line is not None:
                claim.lines.append(self.line.finish(self.component))
                claim.adjusted += self.line.adjusted
                self.line = None
            self.claims.append(claim.finish())
            self.claim = None

    def _lx(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage == _SUMMARY:
            raise _fail(batch, index, "LX after the provider adjustments (PLB): the PLB comes after every claim.")
        if self.stage != _CLAIMS:
            self._require_parties(batch, index)
        self._close_claim()
        self.stage = _CLAIMS

    def _clp(self, segment: list[str], batch: Batch, index: int) -> None:
        stage = self.stage
        if stage != _CLAIMS:
            if stage == _SUMMARY:
                raise _fail(batch, index, "A claim (CLP) after the provider adjustments (PLB): the PLB comes after "
                                          "every claim.")
            self._require_parties(batch, index)
            self.stage = _CLAIMS
        else:
            self._close_claim()
        self.claim = _Claim(segment, batch, index)

    def _cas(self, segment: list[str], batch: Batch, index: int) -> None:
        claim, line = self.claim, self.line
        if claim is None:
            raise _fail(batch, index, "An adjustment (CAS) outside a claim: no CLP before it.")
        found = _adjustments(segment, batch, index)
        total = sum([adjustment.amount for adjustment in found], _ZERO)
        if line is not None:
            line.adjustments.extend(found)
            line.adjusted += total
        else:
            claim.adjustments.extend(found)
            claim.adjusted += total

    def _claim_only(self, segment: list[str], batch: Batch, index: int, what: str) -> _Claim:
        if self.claim is None:
            raise _fail(batch, index, f"{what} ({segment[0]}) outside a claim: no CLP before it.")
        if self.line is not None:
            raise _fail(batch, index, f"{what} ({segment[0]}) belongs to the claim (loop 2100) and cannot come "
                                      f"after its service line at segment {self.line.position}.")
        return self.claim

    def _nm1(self, segment: list[str], batch: Batch, index: int) -> None:
        claim = self._claim_only(segment, batch, index, "A claim's name")
        claim.names.setdefault(_text(segment, 1), (_text(segment, 3), _text(segment, 4), _text(segment, 9)))

    def _mia(self, segment: list[str], batch: Batch, index: int) -> None:
        self._remarks(self._claim_only(segment, batch, index, "Inpatient adjudication"), segment, (5, 20, 21, 22, 23))

    def _moa(self, segment: list[str], batch: Batch, index: int) -> None:
        self._remarks(self._claim_only(segment, batch, index, "Outpatient adjudication"), segment, (3, 4, 5, 6, 7))

    @staticmethod
    def _remarks(claim: _Claim, segment: list[str], numbers: tuple[int, ...]) -> None:
        codes = [code for code in (_text(segment, number) for number in numbers) if code]
        if codes:
            if claim.remarks is None:
                claim.remarks = []
            claim.remarks.extend(codes)

    def _dtm(self, segment: list[str], batch: Batch, index: int) -> None:
        stage = self.stage
        if stage == _CLAIMS:
            qualifier = segment[1] if len(segment) > 1 else ""
            line = self.line
            if line is not None:
                if qualifier == "472":
                    line.date_from = line.date_to = _date(segment, 2, "the date of service", batch, index)
                elif qualifier == "150":
                    line.date_from = _date(segment, 2, "the first date of service", batch, index)
                elif qualifier == "151":
                    line.date_to = _date(segment, 2, "the last date of service", batch, index)
            elif self.claim is not None:
                claim = self.claim
                if qualifier == "232":
                    claim.date_from = _date(segment, 2, "the claim's first date of service", batch, index)
                elif qualifier == "233":
                    claim.date_to = _date(segment, 2, "the claim's last date of service", batch, index)
                elif qualifier == "050":
                    claim.received = _date(segment, 2, "the date the payer received the claim", batch, index)
        elif stage == _HEADER and _text(segment, 1) == "405":
            self.production_date = _date(segment, 2, "the production date", batch, index)

    def _ref(self, segment: list[str], batch: Batch, index: int) -> None:
        stage = self.stage
        if stage == _CLAIMS:
            qualifier, value = _text(segment, 1), _text(segment, 2)
            target = self.line or self.claim
            if isinstance(target, _Line) and qualifier == "6R":
                if not target.control:
                    target.control = value
            elif target is not None:
                if target.references is None:
                    target.references = []
                target.references.append((qualifier, value))
        elif stage == _PARTIES:
            qualifier = _text(segment, 1)
            if self.party == "PR" and qualifier == "2U":
                self.payer_reference = _text(segment, 2)
            elif self.party == "PE" and qualifier == "TJ" and not self.payee_tax_id:
                self.payee_tax_id = _text(segment, 2)

    def _amt(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage != _CLAIMS:
            return
        target = self.line or self.claim
        if target is None:
            return  # an AMT between LX and the first CLP: not in the guide, and nothing to attach it to
        qualifier = _text(segment, 1)
        amount = _amount(segment, 2, "the amount", batch, index)
        if isinstance(target, _Line) and qualifier == "B6":
            target.allowed = amount
        else:
            if target.amounts is None:
                target.amounts = []
            target.amounts.append((qualifier, amount))

    def _qty(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage != _CLAIMS:
            return
        target = self.line or self.claim
        if target is not None:
            if target.quantities is None:
                target.quantities = []
            target.quantities.append((_text(segment, 1), _amount(segment, 2, "the quantity", batch, index)))

    def _lq(self, segment: list[str], batch: Batch, index: int) -> None:
        line = self.line
        if line is None:
            return
        qualifier, code = _text(segment, 1), _text(segment, 2)
        if not code:
            raise _fail(batch, index, "LQ02 (the remark code) is missing.")
        if qualifier == "HE":
            if line.remarks is None:
                line.remarks = []
            line.remarks.append(code)
        elif qualifier == "RX":
            if line.rejects is None:
                line.rejects = []
            line.rejects.append(code)

    # -- summary

    def _plb(self, segment: list[str], batch: Batch, index: int) -> None:
        if self.stage < _CLAIMS:
            self._require_parties(batch, index)
        self._close_claim()
        self.stage = _SUMMARY
        count = len(segment) - 1  # elements
        provider = _required(segment, 1, "the provider identifier", batch, index)
        if count > 14:
            raise _fail(batch, index, f"PLB has {count} elements; it holds at most six adjustments (14 elements).")
        period = _date(segment, 2, "the fiscal period date", batch, index)
        component = self.component
        found = 0
        for reason_at in range(3, count + 1, 2):
            composite = segment[reason_at].strip()
            amount_text = segment[reason_at + 1].strip() if reason_at < count else ""
            if not composite:
                if amount_text:
                    raise _fail(batch, index, f"PLB{reason_at + 1:02d} has an amount but PLB{reason_at:02d}, its "
                                              "reason code, is missing.")
                continue
            pieces = composite.split(component)
            reason = pieces[0].strip()
            if not reason:
                raise _fail(batch, index, f"PLB{reason_at:02d} has no reason code (for example L6 interest or WO "
                                          "overpayment recovery).")
            amount = _amount(segment, reason_at + 1, f"the amount of provider adjustment {reason[:10]}", batch, index)
            self.provider_adjustments.append(ProviderAdjustment835(
                provider_id=provider, fiscal_period_date=period, reason_code=reason,
                reference=pieces[1].strip() if len(pieces) > 1 else "", amount=amount,
                segment_position=batch.position + index))
            found += 1
        if not found:
            raise _fail(batch, index, "PLB holds no adjustment (a reason code with an amount).")

    # -- the end

    def finish(self, batch: Batch, index: int) -> Payment835:
        """The payment, at the SE (segment `index` of `batch`), checked and balanced."""
        bpr = self.bpr
        if bpr is None:
            raise _fail(batch, index, "The 835 transaction set has no BPR (the payment).")
        if self.stage < _CLAIMS:
            self._require_parties(batch, index)
        self._close_claim()
        payer, payee, trn = self.payer, self.payee, self.trn
        # _require_parties() made sure of these when the claims (or the SE) arrived.
        assert payer is not None
        assert payee is not None
        assert trn is not None
        amount = self.amount
        direction = bpr.element(3).strip()
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
        trace_originator = _text(trn, 3)
        bpr_parts = [bpr.id, *bpr.elements]
        return Payment835(
            interchange_control_number=self.interchange, transaction_control_number=self.st.element(2).strip(),
            payment_amount=amount, credit_debit=direction, payment_method=_text(bpr_parts, 4),
            payment_date=self.payment_date, trace_number=_text(trn, 2),
            trace_originator=trace_originator, production_date=self.production_date,
            payer_name=_text(payer, 2),
            payer_identifier=self.payer_reference or _text(payer, 4) or trace_originator,
            payee_name=_text(payee, 2),
            payee_npi=_text(payee, 4) if _text(payee, 3) == "XX" else "",
            claims=tuple(self.claims), provider_adjustments=tuple(self.provider_adjustments),
            segment_position=self.st.position, handling_code=_text(bpr_parts, 1), currency=self.currency,
            version=self.version, payee_tax_id=self.payee_tax_id, notices=tuple(self.notices))


# Handlers of the segments read() does not read itself. Functions, not bound methods kept on the transaction: a
# transaction holding its own bound methods would be a reference cycle, freed only by the garbage collector.
_HANDLERS: dict[str, Callable[[_Transaction, list[str], Batch, int], None]] = {
    "DTM": _Transaction._dtm, "CAS": _Transaction._cas, "REF": _Transaction._ref,
    "AMT": _Transaction._amt, "CLP": _Transaction._clp, "NM1": _Transaction._nm1, "LQ": _Transaction._lq,
    "QTY": _Transaction._qty, "MOA": _Transaction._moa, "MIA": _Transaction._mia, "LX": _Transaction._lx,
    "PLB": _Transaction._plb, "BPR": _Transaction._bpr, "TRN": _Transaction._trn, "N1": _Transaction._n1,
    "N4": _Transaction._n4, "CUR": _Transaction._cur,
}


# --- the file -----------------------------------------------------------------------------------------------------


def _payments(source: Source) -> Iterator[Payment835]:
    interchange = version = ""
    payments = 0
    transaction: _Transaction | None = None
    # The cyclic garbage collector is paused while a transaction set is read: everything built is kept (there is
    # nothing to collect, and no cycles are made), yet the tens of thousands of objects of a large set trigger
    # collections that walk the whole process heap (a third of the reading time, measured). It runs again before
    # the payment is yielded, and whatever goes wrong.
    # Once it runs again, its first collection would walk every object of the payment, all of them young (about
    # 40,000 for 5,000 claims: an eighth of the reading time, measured), and the next one again, only to move
    # them to the oldest generation, where objects that stay alive end up. gc.freeze() then gc.unfreeze() moves
    # every tracked object there at once without walking them. Not in a process that has frozen objects of its
    # own (a pre-fork server keeping its pages shared): unfreeze() would thaw those too.
    paused = False
    promote: bool | None = None  # whether to move the payment to the oldest generation; asked once (an O(n) count)
    try:
        for batch in read_batches(source):
            parts = batch.parts
            count = len(parts)
            index = 0
            while index < count:
                if transaction is not None:
                    index = transaction.read(batch, index)
                    payment = transaction.payment
                    if payment is None:
                        break  # the set goes on in the next batch
                    transaction = None
                    if paused:
                        if promote is None:
                            promote = gc.get_freeze_count() == 0
                        if promote:
                            gc.freeze()
                            gc.unfreeze()
                        gc.enable()
                        paused = False
                    payments += 1
                    yield payment
                    continue
                segment = parts[index]
                sid = segment[0]
                if sid == "ST":
                    set_id = _text(segment, 1)
                    if set_id != "835":
                        raise _fail(batch, index, f"ST01 is {set_id[:10]!r}: this transaction set is not an 835 "
                                                  "remittance.")
                    transaction = _Transaction(batch.segment(index), interchange, version)
                    paused = gc.isenabled()
                    if paused:
                        gc.disable()
                elif sid == "ISA":
                    interchange = _text(segment, 13)
                elif sid == "GS":
                    version = _text(segment, 8)
                index += 1
        if transaction is not None:  # the tokenizer's envelope check refuses a file that ends inside a set first
            raise _error(transaction.st, "The file ends inside this transaction set (no SE).")
    finally:
        if paused:
            gc.enable()
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
