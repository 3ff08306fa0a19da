"""Small 835 texts for the reader's tests, and large ones for the memory test and the benchmark.

A test describes a payment (claims, lines, CAS, PLB) with `Payment`, `Claim` and `Line`; amounts left out are
derived so the file balances (a line pays its charge less its adjustments, a claim charges what its lines
charge and pays its charge less every adjustment, BPR02 is what the claims pay less the PLB amounts). A test of
a balancing failure gives the wrong amount explicitly. `interchange()` wraps payments in ISA/GS/ST…SE/GE/IEA
with correct counts; `render()` swaps in other separators, line breaks after each segment, or a file wrapped
at a fixed width.

`write_large_835()` streams a big, balanced file into an open text file without holding it in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

# (group, reason, amount) or (group, reason, amount, quantity)
Cas = tuple[str, ...]
ISA_TEMPLATE = ("ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*261120*0900*^*00501*"
                "{control:09d}*0*P*:~")


def _total(values: Iterable[str]) -> Decimal:
    return sum((Decimal(value) for value in values), Decimal("0.00"))


def cas_segments(adjustments: Sequence[Cas]) -> list[str]:
    """One CAS per group code, its triples in the order given (a CAS holds up to six; more start another)."""
    segments: list[str] = []
    by_group: dict[str, list[Cas]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment[0], []).append(adjustment)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements = [group]
            for item in items[start:start + 6]:
                elements += [item[1], item[2], item[3] if len(item) > 3 else ""]
            segments.append("*".join(["CAS", *elements]).rstrip("*"))
    return segments


@dataclass
class Line:
    code: str = "99213"
    charge: str = "100.00"
    paid: str | None = None  # default: the charge less the adjustments
    adjustments: Sequence[Cas] = ()
    modifiers: Sequence[str] = ()
    qualifier: str = "HC"
    units: str = "1"
    date: str | None = "20261102"  # DTM*472
    control: str = ""  # REF*6R
    allowed: str | None = None  # AMT*B6
    remarks: Sequence[str] = ()  # LQ*HE
    original: str = ""  # SVC06, e.g. "HC:99214"
    extra: Sequence[str] = ()  # raw segments at the end of the loop

    @property
    def paid_amount(self) -> Decimal:
        return Decimal(self.paid) if self.paid is not None else Decimal(self.charge) - _total(
            a[2] for a in self.adjustments)

    @property
    def adjustment_total(self) -> Decimal:
        return _total(a[2] for a in self.adjustments)

    def segments(self) -> list[str]:
        procedure = ":".join([self.qualifier, self.code, *self.modifiers])
        svc = f"SVC*{procedure}*{self.charge}*{self.paid_amount}**{self.units}"
        if self.original:
            svc += f"*{self.original}"
        out = [svc]
        if self.date:
            out.append(f"DTM*472*{self.date}")
        out += cas_segments(self.adjustments)
        if self.control:
            out.append(f"REF*6R*{self.control}")
        if self.allowed is not None:
            out.append(f"AMT*B6*{self.allowed}")
        out += [f"LQ*HE*{remark}" for remark in self.remarks]
        return out + list(self.extra)


@dataclass
class Claim:
    number: str = "OP0000001"
    lines: Sequence[Line] = field(default_factory=lambda: [Line()])
    adjustments: Sequence[Cas] = ()  # claim-level CAS
    status: str = "1"
    charge: str | None = None  # default: what the lines charge
    paid: str | None = None  # default: the charge less every adjustment
    patient_responsibility: str = ""
    filing: str = "12"
    payer_claim_number: str = "PAYERICN0001"
    patient: tuple[str, str, str] = ("DOE", "JANE", "MEM123456")
    period: tuple[str, str] | None = ("20261102", "20261102")  # DTM*232 / DTM*233
    extra: Sequence[str] = ()  # raw segments after NM1*QC, before the lines

    @property
    def charge_amount(self) -> Decimal:
        return Decimal(self.charge) if self.charge is not None else _total(line.charge for line in self.lines)

    @property
    def paid_amount(self) -> Decimal:
        if self.paid is not None:
            return Decimal(self.paid)
        adjusted = _total(a[2] for a in self.adjustments) + sum(
            (line.adjustment_total for line in self.lines), Decimal("0.00"))
        return self.charge_amount - adjusted

    def segments(self) -> list[str]:
        last, first, member = self.patient
        out = [f"CLP*{self.number}*{self.status}*{self.charge_amount}*{self.paid_amount}*"
               f"{self.patient_responsibility}*{self.filing}*{self.payer_claim_number}"]
        out += cas_segments(self.adjustments)
        out.append(f"NM1*QC*1*{last}*{first}****MI*{member}")
        out += list(self.extra)
        if self.period:
            out += [f"DTM*232*{self.period[0]}", f"DTM*233*{self.period[1]}"]
        for line in self.lines:
            out += line.segments()
        return out


@dataclass
class Payment:
    claims: Sequence[Claim] = field(default_factory=lambda: [Claim()])
    provider_adjustments: Sequence[tuple[str, str, str]] = ()  # (reason, reference, amount): PLB pairs
    amount: str | None = None  # BPR02; default: the claims' payments less the PLB amounts
    credit_debit: str = "C"
    method: str = "ACH"
    date: str = "20261120"  # BPR16
    trace: str = "TRACE0001"
    originator: str = "1999999999"
    payer: str = "ACME HEALTH PLAN"
    payer_id: str = "ACME01"  # REF*2U
    payee: str = "RIVERBEND FAMILY MEDICINE"
    payee_npi: str = "1234567893"
    production_date: str = "20261119"
    header_extra: Sequence[str] = ()  # raw segments after DTM*405
    leave_out: Sequence[str] = ()  # segment IDs (or "N1*PR", "N1*PE") to drop from the header

    @property
    def bpr_amount(self) -> Decimal:
        if self.amount is not None:
            return Decimal(self.amount)
        paid = sum((claim.paid_amount for claim in self.claims), Decimal("0.00"))
        return paid - _total(adjustment[2] for adjustment in self.provider_adjustments)

    def body(self) -> list[str]:
        """The segments between ST and SE."""
        header = [
            ("BPR", f"BPR*I*{self.bpr_amount}*{self.credit_debit}*{self.method}*CCP*01*999999999*DA*123456*"
                    f"1999999999**01*999988880*DA*98765*{self.date}"),
            ("TRN", f"TRN*1*{self.trace}*{self.originator}"),
            ("DTM", f"DTM*405*{self.production_date}"),
            *(("", segment) for segment in self.header_extra),
            ("N1*PR", f"N1*PR*{self.payer}"),
            ("N3", "N3*PO BOX 1000"),
            ("N4", "N4*ATLANTA*GA*30301"),
            ("REF*2U", f"REF*2U*{self.payer_id}"),
            ("N1*PE", f"N1*PE*{self.payee}*XX*{self.payee_npi}"),
        ]
        out = [segment for key, segment in header if key not in self.leave_out]
        for number, claim in enumerate(self.claims, start=1):
            if number == 1:
                out.append("LX*1")
            out += claim.segments()
        for start in range(0, len(self.provider_adjustments), 6):
            pairs = "*".join(f"{reason}:{reference}*{amount}" if reference else f"{reason}*{amount}"
                             for reason, reference, amount in self.provider_adjustments[start:start + 6])
            out.append(f"PLB*{self.payee_npi}*20261231*{pairs}")
        return out


def transaction(payment: Payment | Sequence[str], control: str = "0001", set_id: str = "835") -> list[str]:
    """ST…SE around a payment (or around raw body segments), SE01 counted."""
    body = payment.body() if isinstance(payment, Payment) else list(payment)
    return [f"ST*{set_id}*{control}*005010X221A1", *body, f"SE*{len(body) + 2}*{control}"]


def interchange(*payments: Payment | Sequence[str], control: int = 1, groups: Sequence[int] | None = None) -> str:
    """ISA…IEA with one functional group holding one transaction set per payment (or, with `groups`, that many
    transaction sets in each group in turn: groups=[2, 1] puts two sets in the first group, one in the second).
    Separators are * : ^ ~ (see `render()`)."""
    sizes = list(groups) if groups is not None else [len(payments)]
    assert sum(sizes) == len(payments), "groups must add up to the number of payments"
    segments: list[str] = []
    queue = list(payments)
    set_number = 0
    for group_number, size in enumerate(sizes, start=1):
        gs = control * 100 + group_number
        segments.append(f"GS*HP*ACMEPAYER*RIVERBEND*20261120*0900*{gs}*X*005010X221A1")
        for _ in range(size):
            set_number += 1
            segments += transaction(queue.pop(0), control=f"{set_number:04d}")
        segments += [f"GE*{size}*{gs}"]
    segments.append(f"IEA*{len(sizes)}*{control:09d}")
    isa = ISA_TEMPLATE.format(sender="ACMEPAYER", receiver="RIVERBEND", control=control)
    return isa + "~".join(segments) + "~"


def render(text: str, *, element: str = "*", component: str = ":", repetition: str = "^", terminator: str = "~",
           newline: str = "", wrap: int = 0) -> str:
    """`text` (written with * : ^ ~) with other separators, `newline` after each terminator, or cut into lines
    of `wrap` characters (a file wrapped at 80 columns)."""
    table = str.maketrans({"*": element, ":": component, "^": repetition, "~": terminator + newline})
    out = text.translate(table)
    if wrap:
        out = "\n".join(out[start:start + wrap] for start in range(0, len(out), wrap)) + "\n"
    return out


# --- large files ------------------------------------------------------------------------------------------------


def _large_claim(n: int, lines: int) -> tuple[str, Decimal]:
    """One claim (its segments, ~~-terminated) and what it pays. Every tenth claim is denied, every seventh has
    a coinsurance and a deductible, the rest a contractual adjustment on each line."""
    denied = n % 10 == 9
    segments = []
    charge_total = paid_total = Decimal(0)
    for line in range(lines):
        charge = Decimal(100 + (n * 7 + line * 13) % 150)
        if denied:
            paid, cas = Decimal(0), f"CAS*CO*50*{charge}"
        elif n % 7 == 3:
            paid = (charge * Decimal("0.6")).quantize(Decimal("0.01"))
            coinsurance = (charge * Decimal("0.15")).quantize(Decimal("0.01"))
            cas = f"CAS*CO*45*{charge - paid - coinsurance - 10}~CAS*PR*1*10**2*{coinsurance}"
        else:
            paid = (charge * Decimal("0.8")).quantize(Decimal("0.01"))
            cas = f"CAS*CO*45*{charge - paid}"
        charge_total += charge
        paid_total += paid
        code = ("99213", "85025", "36415", "93000")[(n + line) % 4]
        segments.append(f"SVC*HC:{code}*{charge}*{paid}**1~DTM*472*20261102~{cas}~REF*6R*{n:07d}{line + 1:02d}~"
                        f"AMT*B6*{charge if denied else paid}~")
    status = "4" if denied else "1"
    head = (f"CLP*OP{n:07d}*{status}*{charge_total}*{paid_total}**12*26110200{n:08d}*11*1~"
            f"NM1*QC*1*LASTNAME{n % 1009}*FIRSTNAME{n % 997}*Q***MI*M{n:09d}~DTM*232*20261102~DTM*233*20261102~")
    return head + "".join(segments), paid_total


def _large_payment(first: int, claims: int, lines: int, control: int, segment_counts: list[int]) -> str:
    body: list[str] = []
    total = Decimal(0)
    for n in range(first, first + claims):
        text, paid = _large_claim(n, lines)
        body.append(text)
        total += paid
    header = (f"BPR*I*{total}*C*ACH*CCP*01*999999999*DA*123456*1999999999**01*999988880*DA*98765*20261120~"
              f"TRN*1*BIG{control:07d}*1999999999~DTM*405*20261119~N1*PR*ACME HEALTH PLAN~N3*PO BOX 1000~"
              "N4*ATLANTA*GA*30301~REF*2U*ACME01~N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893~LX*1~")
    text = header + "".join(body)
    count = text.count("~") + 2
    segment_counts.append(count)
    return f"ST*835*{control:04d}*005010X221A1~{text}SE*{count}*{control:04d}~"


def write_large_835(out: TextIO, *, claims: int, lines_per_claim: int = 2, claims_per_payment: int = 5000,
                    target_bytes: int = 0) -> dict[str, int]:
    """Write a balanced 835 of `claims` claims (or, with `target_bytes`, as many as it takes to reach that size),
    `claims_per_payment` per transaction set, in one interchange, to `out`. Returns counts for checking."""
    isa = ISA_TEMPLATE.format(sender="ACMEPAYER", receiver="RIVERBEND", control=1)
    gs = "GS*HP*ACMEPAYER*RIVERBEND*20261120*0900*1*X*005010X221A1~"
    out.write(isa + gs)
    written = len(isa) + len(gs)
    made = payments = 0
    segment_counts: list[int] = []
    while (made < claims) if not target_bytes else (written < target_bytes):
        size = claims_per_payment if target_bytes else min(claims_per_payment, claims - made)
        payments += 1
        text = _large_payment(made + 1, size, lines_per_claim, payments, segment_counts)
        out.write(text)
        written += len(text)
        made += size
    out.write(f"GE*{payments}*1~IEA*1*000000001~")
    return {"claims": made, "lines": made * lines_per_claim, "payments": payments, "characters": written + 30,
            "segments": sum(segment_counts) + 4}
