"""835 text for tests: a payer's remittance paying, denying or reversing given claims, balanced as the reader
checks it. Written here segment by segment (not with our own reader's knowledge), so posting tests exercise the
reader too.

    era_for(claims)                                   # pays 80% of every line, CO-45 for the rest
    era_for(claims, patient=Decimal("0.20"))          # 80% paid, 20% coinsurance (PR-2), nothing written off
    era_for(claims, status="4")                       # denied: CO-50 for every line
    era_for(claims, status="22", trace="T2")          # takes back what era_for(claims) paid
    era_for(claims, adjustments=[("CO", "45", Decimal("20")), ("PR", "1", Decimal("30"))])  # each line
    era_for([secondary], status="2", adjustments=lambda line: [("OA", "23", line.amount * Decimal("0.7"))])
    era([claim_payment(a, status="22"), claim_payment(a)], trace="T3")  # reversal and new payment in one
    interchange([transaction_set([...], trace="T4"), transaction_set([...], trace="T5")])  # two payments

Lines carry REF*6R with the claim line's id (what posting matches first); `control_numbers=False` leaves it out
so posting falls back to code, date and charge. `charge_ledger(claims, actor)` posts the claims' charges (claims
made with factories.make_claim have none in the ledger).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpractice.billing.models import Claim, ClaimLine
from openpractice.billing.services.claims import claim_post_charge

PAYER_KEY = "1999999999"  # TRN03: "1" and the payer's tax ID, as payers write it
PAYMENT_DATE = dt.date(2026, 11, 20)
PAYEE_NPI = "1234567893"
CENT = Decimal("0.01")
Adjustment = tuple[str, str, Decimal]


def _amount(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ClaimPart:
    """The segments of one claim payment (loop 2100 with its lines) and what it pays (CLP04)."""

    segments: list[str]
    paid: Decimal


def _cas(adjustments: Sequence[Adjustment]) -> list[str]:
    return [f"CAS*{group}*{reason}*{_amount(amount)}" for group, reason, amount in adjustments if amount]


def claim_payment(claim: Claim, *, status: str = "1", paid: Decimal = Decimal("0.80"),
                  patient: Decimal = Decimal("0"), patient_reason: str = "2",
                  adjustments: Sequence[Adjustment] | Callable[[ClaimLine], Sequence[Adjustment]] | None = None,
                  denial_reason: str = "50",
                  remarks: Sequence[str] = (), number: str | None = None, payer_claim_number: str | None = None,
                  control_numbers: bool = True, lines: bool = True) -> ClaimPart:
    """One claim payment for `claim`. Per line: `paid` and `patient` are shares of the line's charge (the rest
    CO-45), or `adjustments` are the line's CAS (paid = charge - their sum): a list for every line, or a function
    of the claim line. status "4" denies every line with
    CO-`denial_reason`; "22" is the reversal (every amount negated) of the payment these arguments describe.
    `lines=False` gives claim-level adjustments only, without service lines."""
    sign = Decimal(-1) if status == "22" else Decimal(1)
    claim_lines = list(claim.lines.order_by("line_number"))
    rows: list[list[str]] = []
    claim_adjustments: list[Adjustment] = []
    paid_total = Decimal(0)
    responsibility = Decimal(0)
    for line in claim_lines:
        amount = line.amount
        if status == "4":
            cas: list[Adjustment] = [("CO", denial_reason, amount)]
        elif callable(adjustments):
            cas = [(group, reason, _cents(value)) for group, reason, value in adjustments(line)]
        elif adjustments is not None:
            cas = list(adjustments)
        else:
            paid_part, patient_part = _cents(amount * paid), _cents(amount * patient)
            cas = [("CO", "45", amount - paid_part - patient_part), ("PR", patient_reason, patient_part)]
        line_paid = amount - sum((a for _g, _r, a in cas), Decimal(0))
        cas = [(group, reason, sign * value) for group, reason, value in cas if value]
        paid_total += sign * line_paid
        responsibility += sum((value for group, _r, value in cas if group == "PR"), Decimal(0))
        allowed = amount - sum((value for group, _r, value in cas if group != "PR"), Decimal(0)) * sign
        procedure = ":".join(["HC", line.procedure_code, *line.modifiers])
        segments = [f"SVC*{procedure}*{_amount(sign * amount)}*{_amount(sign * line_paid)}**{line.units.normalize():f}",
                    f"DTM*472*{_date(line.service_date_from)}", *_cas(cas)]
        if control_numbers:
            segments.append(f"REF*6R*{line.pk}")
        if status != "4":
            segments.append(f"AMT*B6*{_amount(sign * allowed)}")
        segments += [f"LQ*HE*{code}" for code in remarks]
        rows.append(segments)
        claim_adjustments += cas
    charge = sign * claim.total_charge
    patient_name = claim.patient
    clp = (f"CLP*{number or claim.claim_number}*{status}*{_amount(charge)}*{_amount(paid_total)}*"
           f"{_amount(responsibility)}*12*{payer_claim_number or f'ICN{claim.pk:08d}'}*11*1")
    segments = [clp]
    if not lines:
        totals: dict[tuple[str, str], Decimal] = {}
        for group, reason, value in claim_adjustments:
            totals[(group, reason)] = totals.get((group, reason), Decimal(0)) + value
        segments += _cas([(group, reason, value) for (group, reason), value in totals.items()])
    segments += [f"NM1*QC*1*{patient_name.last_name.upper()}*{patient_name.first_name.upper()}****MI*"
                 f"{claim.coverage.member_id}",
                 f"DTM*232*{_date(claim.date_of_service)}", f"DTM*233*{_date(claim.date_of_service)}"]
    if lines:
        for row in rows:
            segments += row
    return ClaimPart(segments=segments, paid=paid_total)


def transaction_set(parts: Sequence[ClaimPart], *, trace: str = "T1", payer_key: str = PAYER_KEY,
                    payer_name: str = "DEMO HEALTH PLAN", payer_id: str = "PAYER01",
                    payment_date: dt.date = PAYMENT_DATE, plb: Sequence[tuple[str, str, Decimal]] = (),
                    control: int = 1) -> list[str]:
    """ST…SE of one payment: BPR02 = sum of CLP04 - sum of PLB (BPR03 D when that is negative). `plb` holds
    (reason, reference, amount) adjustments; a positive amount reduces the payment."""
    net = sum((part.paid for part in parts), Decimal(0)) - sum((amount for _r, _ref, amount in plb), Decimal(0))
    method = "ACH" if net else "NON"
    body = [
        f"BPR*I*{_amount(abs(net))}*{'D' if net < 0 else 'C'}*{method}*CCP*01*011000015*DA*123456789*{payer_key}**01*"
        f"011000015*DA*987654321*{_date(payment_date)}",
        f"TRN*1*{trace}*{payer_key}",
        f"DTM*405*{_date(payment_date)}",
        f"N1*PR*{payer_name}",
        "N3*PO BOX 1000",
        "N4*ATLANTA*GA*30301",
        f"REF*2U*{payer_id}",
        f"N1*PE*RIVERBEND FAMILY MEDICINE*XX*{PAYEE_NPI}",
        "LX*1",
    ]
    for part in parts:
        body += part.segments
    body += [f"PLB*{PAYEE_NPI}*{_date(payment_date.replace(month=12, day=31))}*{reason}:{reference}*{_amount(amount)}"
             if reference else f"PLB*{PAYEE_NPI}*{_date(payment_date.replace(month=12, day=31))}*{reason}*"
             f"{_amount(amount)}" for reason, reference, amount in plb]
    number = f"{control:04d}"
    return [f"ST*835*{number}*005010X221A1", *body, f"SE*{len(body) + 2}*{number}"]


def interchange(sets: Sequence[list[str]], *, control: int = 1, created: dt.datetime | None = None) -> str:
    """ISA/GS … GE/IEA around the transaction sets (their ST02 must differ)."""
    moment = created or dt.datetime(2026, 11, 20, 12, 0)
    isa = (f"ISA*00*{'':10}*00*{'':10}*ZZ*{'DEMOPAYER':15}*ZZ*{'RIVERBEND01':15}*{moment:%y%m%d}*{moment:%H%M}*^*"
           f"00501*{control:09d}*0*T*:")
    segments = [isa, f"GS*HP*DEMOPAYER*RIVERBEND01*{moment:%Y%m%d}*{moment:%H%M}*{control}*X*005010X221A1"]
    for part in sets:
        segments += part
    segments += [f"GE*{len(sets)}*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(segments) + "~\n"


def era(parts: Sequence[ClaimPart], **options: Any) -> str:
    """One payment holding `parts`, as a whole file. `options` go to transaction_set()."""
    return interchange([transaction_set(parts, **options)])


def era_for(claims: Sequence[Claim], *, trace: str = "T1", payer_key: str = PAYER_KEY,
            payer_id: str | None = None, payment_date: dt.date = PAYMENT_DATE,
            plb: Sequence[tuple[str, str, Decimal]] = (), **claim_options: Any) -> str:
    """A file with one payment for `claims` (see claim_payment() for `claim_options`: status, paid, patient,
    adjustments, denial_reason, remarks, control_numbers, lines). The payer ID (REF*2U) is the first claim's
    payer's electronic ID, so the remittance names our payer."""
    if payer_id is None:
        payer_id = (claims[0].payer.payer_id if claims else "") or "PAYER01"
    return era([claim_payment(claim, **claim_options) for claim in claims], trace=trace, payer_key=payer_key,
               payer_id=payer_id, payment_date=payment_date, plb=plb)


def charge_ledger(claims: Sequence[Claim], actor: Any) -> None:
    """Post the charges of claims made without the services (factories.make_claim), as claim_build would."""
    for claim in claims:
        claim_post_charge(actor=actor, claim=claim)
