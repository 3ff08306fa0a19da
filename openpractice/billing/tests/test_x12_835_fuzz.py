"""Fuzzing the 835 reader: whatever arrives (random bytes, a valid remittance with segments deleted, duplicated,
swapped or garbled, bytes flipped), the only failure is Remittance835Error with a readable message; never an
IndexError, a decimal.InvalidOperation, a bare X12SyntaxError. And whatever the reader does yield balances."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.billing.tests.x12_835_text import Claim, Line, Payment, interchange
from openpractice.billing.x12 import Payment835, Remittance835Error, read_835

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "x12-samples"


def _base_files() -> dict[str, str]:
    rich = Payment(
        claims=[
            Claim(number="OP1", adjustments=[("OA", "23", "5.00")], patient_responsibility="30.00",
                  extra=["NM1*IL*1*KELLER*JORDAN****MI*SUB1", "MOA***MA130", "REF*EA*MRN1", "DTM*050*20261105",
                         "AMT*AU*90.00"],
                  lines=[Line(charge="100.00", modifiers=["25"], control="OP1-1", allowed="80.00", remarks=["N130"],
                              adjustments=[("CO", "45", "20.00"), ("PR", "2", "30.00")]),
                         Line(code="85025", charge="40.00", original="HC:85027", control="OP1-2",
                              extra=["DTM*150*20261101", "DTM*151*20261102", "QTY*ZK*1", "LQ*RX*70"])]),
            Claim(number="OP2", status="4", lines=[], charge="60.00", adjustments=[("CO", "29", "60.00")]),
            Claim(number="OP3", status="22", charge="-50.00", paid="-40.00",
                  lines=[Line(charge="-50.00", paid="-40.00", adjustments=[("CO", "45", "-10.00")])]),
        ],
        provider_adjustments=[("WO", "OP9", "12.00"), ("L6", "", "-0.40")])
    files = {"rich": interchange(rich, Payment(trace="T2", claims=[Claim(number="OP4")]), groups=[1, 1])}
    for name in ("835-emedny.txt", "835-uhc-legacy-invalid-N402.txt"):
        if (SHARED / name).exists():
            files[name] = (SHARED / name).read_text()
    try:
        from x12sdk.generate import generate_835
    except ImportError:
        pass
    else:
        files["x12sdk"] = generate_835(seed=5, claims=6, provider_adjustments=2)
    return files


FILES = _base_files()
# Values that matter to an 835: amounts good and bad, dates good and bad, codes, separators, empties.
GARBAGE = st.sampled_from(["", " ", "-", "0", "-0", ".5", "1.", "1.2.3", "1e3", "NaN", "Infinity", "９", "12,50",
                           "99999999999999999", "20261340", "20260229", "20240229", "CO", "PR", "XX", "22", "4",
                           "D", "C", "HC:", ":", "HC:99213:25:::::X", "*", "**", "^", "ABC", "\x00", "é"])
INTERESTING = st.sampled_from([b"*", b":", b"^", b"~", b"\r\n", b"\n", b"0", b"9", b"-", b".", b"CAS", b"SVC",
                               b"CLP", b"PLB", b"SE", b"\x00", b"\xff", b" "])


def assert_balanced(payment: Payment835) -> None:
    """What the reader yields obeys the 835's balancing rules, exactly."""
    claims_paid = sum((claim.paid_amount for claim in payment.claims), Decimal(0))
    assert claims_paid - payment.provider_adjustment_total == payment.net_amount
    assert payment.payment_amount >= 0
    for claim in payment.claims:
        assert claim.charge_amount - claim.paid_amount == claim.adjustment_total
        for line in claim.lines:
            assert line.charge_amount - line.paid_amount == sum((a.amount for a in line.adjustments), Decimal(0))


def only_remittance_errors(data: str | bytes) -> None:
    refusal: Remittance835Error | None = None
    try:
        payments = list(read_835(data))
    except Remittance835Error as error:
        refusal = error
    if refusal is not None:
        assert refusal.message  # a sentence a biller can pass on
        assert str(refusal).startswith(refusal.message)
        return
    for payment in payments:
        assert_balanced(payment)


def _recount(segments: list[str]) -> list[str]:
    """SE01 made right again for every transaction set, so the mutation reaches the 835 reader rather than
    stopping at the envelope check."""
    out: list[str] = []
    start = None
    for segment in segments:
        if segment.startswith("ST*"):
            start = len(out)
        if segment.startswith("SE*") and start is not None:
            parts = segment.split("*")
            if len(parts) > 1:
                parts[1] = str(len(out) - start + 1)
            segment = "*".join(parts)
            start = None
        out.append(segment)
    return out


@st.composite
def segment_mutations(draw: Any) -> str:
    """A valid file with 1-4 segment-level changes inside its transaction sets, counts fixed up."""
    name = draw(st.sampled_from(sorted(FILES)))
    text = FILES[name].replace("\n", "").replace("\r", "")
    separator = text[3]
    segments = [s.replace(separator, "*") if separator != "*" else s for s in text.split("~")[:-1]]
    inside = [i for i, s in enumerate(segments) if not s.startswith(("ISA", "GS*", "GE*", "IEA", "ST*", "SE*"))]
    for _ in range(draw(st.integers(1, 4))):
        if not inside:
            break
        at = draw(st.sampled_from(inside))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "garble", "truncate", "extend"]))
        if kind == "delete":
            segments[at] = ""
        elif kind == "duplicate":
            segments.insert(at, segments[at])
        elif kind == "swap":
            other = draw(st.sampled_from(inside))
            segments[at], segments[other] = segments[other], segments[at]
        elif kind == "garble":
            parts = segments[at].split("*")
            index = draw(st.integers(1, max(1, len(parts))))
            if index < len(parts):
                parts[index] = draw(GARBAGE)
            else:
                parts.append(draw(GARBAGE))
            segments[at] = "*".join(parts)
        elif kind == "truncate":
            parts = segments[at].split("*")
            segments[at] = "*".join(parts[:draw(st.integers(1, max(1, len(parts))))])
        elif kind == "extend":
            segments[at] += "*" + draw(GARBAGE)
        inside = [i for i, s in enumerate(segments) if s and not s.startswith(("ISA", "GS*", "GE*", "IEA", "ST*",
                                                                                "SE*"))]
    kept = _recount([s for s in segments if s])
    body = "~".join(kept) + "~"
    return body.replace("*", separator) if separator != "*" else body


@st.composite
def byte_mutations(draw: Any) -> bytes:
    """A valid file with 1-4 random byte-level changes: replaced, inserted, deleted, repeated, cut short."""
    data = bytearray(FILES[draw(st.sampled_from(sorted(FILES)))].encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "repeat", "truncate"]))
        piece = draw(st.one_of(INTERESTING, st.binary(min_size=1, max_size=6)))
        if kind == "replace" and at < len(data):
            data[at:at + len(piece)] = piece
        elif kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "repeat":
            end = min(len(data), at + draw(st.integers(1, 120)))
            data[end:end] = data[at:end]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


def test_the_unmutated_files_read_and_balance():
    for text in FILES.values():
        payments = list(read_835(text))
        assert payments
        for payment in payments:
            assert_balanced(payment)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segment_mutations())
def test_segments_deleted_duplicated_swapped_or_garbled_only_raise_remittance_errors(text):
    only_remittance_errors(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(byte_mutations())
def test_damaged_bytes_only_raise_remittance_errors(data):
    only_remittance_errors(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_remittance_errors(data):
    only_remittance_errors(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(INTERESTING, max_size=60).map(b"".join))
def test_an_isa_header_followed_by_835_like_noise_only_raises_remittance_errors(noise):
    only_remittance_errors(FILES["rich"].encode()[:106] + noise)
