"""The 835 reader: payments with claims, lines, CAS and PLB read from small hand-written files, every balancing
rule checked exactly, every malformed file refused with Remittance835Error naming the segment, and memory that
does not grow with the file. No database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import io
import os
import re
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openpractice.billing.tests.x12_835_text import (
    Claim,
    Line,
    Payment,
    interchange,
    render,
    transaction,
    write_large_835,
)
from openpractice.billing.x12 import (
    Adjustment835,
    Payment835,
    Remittance835Error,
    read_835,
)
from openpractice.billing.x12.reader import X12SyntaxError

D = Decimal


def read(text: str | bytes) -> list[Payment835]:
    return list(read_835(text))


def one(text: str | bytes) -> Payment835:
    payments = read(text)
    assert len(payments) == 1
    return payments[0]


def refusal(text: str | bytes) -> Remittance835Error:
    with pytest.raises(Remittance835Error) as caught:
        read(text)
    return caught.value


def position(text: str, start: str, occurrence: int = 1) -> int:
    """The number (1-based, as the reader counts) of the `occurrence`-th segment starting with `start`."""
    seen = 0
    for number, segment in enumerate(text.split("~"), start=1):
        if segment.startswith(start):
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"no segment {start!r} in the text")


def swap_body(text: str, old: str, new: str) -> str:
    """Replace text that occurs once in a one-transaction file; SE01 follows when segments are added or removed,
    so the envelope still checks out and the 835 reader itself is what judges the change."""
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    added = new.count("~") - old.count("~")
    if added:
        head, count, tail = re.fullmatch(r"(.*~SE\*)(\d+)(\*.*)", text, re.DOTALL).groups()  # type: ignore[union-attr]
        text = f"{head}{int(count) + added}{tail}"
    return text


# --- reading -------------------------------------------------------------------------------------------------------


def test_a_payment_is_read_with_its_claim_lines_and_adjustments():
    payment = Payment(claims=[Claim(
        number="OP0000042", patient_responsibility="25.00", lines=[
            Line(code="99213", modifiers=["25"], charge="150.00", adjustments=[("CO", "45", "30.00"),
                                                                             ("PR", "2", "25.00")],
                 control="OP0000042-1", allowed="120.00", remarks=["N130"]),
            Line(code="36415", charge="20.00", control="OP0000042-2", units="2"),
        ])])
    read_back = one(interchange(payment))
    assert read_back.payment_amount == D("115.00")
    assert read_back.net_amount == D("115.00")
    assert (read_back.credit_debit, read_back.payment_method, read_back.handling_code) == ("C", "ACH", "I")
    assert read_back.payment_date == dt.date(2026, 11, 20)
    assert (read_back.trace_number, read_back.trace_originator) == ("TRACE0001", "1999999999")
    assert read_back.production_date == dt.date(2026, 11, 19)
    assert (read_back.payer_name, read_back.payer_identifier) == ("ACME HEALTH PLAN", "ACME01")
    assert (read_back.payee_name, read_back.payee_npi) == ("RIVERBEND FAMILY MEDICINE", "1234567893")
    assert (read_back.interchange_control_number, read_back.transaction_control_number) == ("000000001", "0001")
    assert read_back.version == "005010X221A1"
    assert read_back.segment_position == 3
    assert read_back.notices == ()
    assert read_back.provider_adjustments == ()
    [claim] = read_back.claims
    assert claim.claim_number == "OP0000042"
    assert (claim.status_code, claim.filing_indicator, claim.payer_claim_number) == ("1", "12", "PAYERICN0001")
    assert (claim.charge_amount, claim.paid_amount, claim.patient_responsibility) == (D("170.00"), D("115.00"),
                                                                                      D("25.00"))
    assert (claim.patient_last_name, claim.patient_first_name, claim.member_id) == ("DOE", "JANE", "MEM123456")
    assert claim.service_date_from == claim.service_date_to == dt.date(2026, 11, 2)
    assert claim.adjustments == ()
    assert claim.adjustment_total == D("55.00")
    first, second = claim.lines
    assert (first.procedure_qualifier, first.procedure_code, first.modifiers) == ("HC", "99213", ("25",))
    assert (first.charge_amount, first.paid_amount, first.allowed_amount) == (D("150.00"), D("95.00"), D("120.00"))
    assert first.adjustments == (Adjustment835("CO", "45", D("30.00")), Adjustment835("PR", "2", D("25.00")))
    assert first.control_number == "OP0000042-1"
    assert first.remark_codes == ("N130",)
    assert first.service_date_from == first.service_date_to == dt.date(2026, 11, 2)
    assert first.units == D("1")
    assert (second.control_number, second.units, second.adjustments, second.allowed_amount) == (
        "OP0000042-2", D("2"), (), None)
    text = interchange(payment)
    assert claim.segment_position == position(text, "CLP")
    assert (first.segment_position, second.segment_position) == (position(text, "SVC"), position(text, "SVC", 2))


def test_what_the_reader_yields_are_the_frozen_dataclasses_with_every_field_set():
    payment = one(interchange(Payment(claims=[Claim(adjustments=[("OA", "23", "1.00")], lines=[
        Line(adjustments=[("CO", "45", "10.00")], remarks=["N1"]), Line(original="HC:99214")])],
        provider_adjustments=[("L6", "", "-1.00")])))
    claim = payment.claims[0]
    objects: list[Any] = [payment, claim, *claim.lines, *claim.adjustments, *claim.lines[0].adjustments,
                          *payment.provider_adjustments]
    assert [type(o).__name__ for o in objects] == ["Payment835", "ClaimPayment835", "ServiceLine835",
                                                   "ServiceLine835", "Adjustment835", "Adjustment835",
                                                   "ProviderAdjustment835"]
    for made in objects:
        # replace() calls the class's own constructor with every field: an unset field would fail here.
        rebuilt = dataclasses.replace(made)
        assert rebuilt == made
        assert hash(rebuilt) == hash(made)
        assert repr(rebuilt) == repr(made)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, dataclasses.fields(made)[0].name, None)
    assert claim.lines[0].adjustments == (Adjustment835("CO", "45", D("10.00")),)


def test_the_reader_works_without_django_being_configured():
    text = interchange(Payment())
    code = ("import sys; from openpractice.billing.x12 import read_835; "
            "payments = list(read_835(sys.stdin.read())); "
            "assert 'django.conf' not in sys.modules or not __import__('django.conf').conf.settings.configured; "
            "print(len(payments), payments[0].claims[0].claim_number)")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parents[3], timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "OP0000001"]


def test_several_interchanges_groups_and_transaction_sets_are_all_read_in_order():
    first = interchange(Payment(trace="T1"), Payment(trace="T2"), Payment(trace="T3"), control=7, groups=[2, 1])
    second = interchange(Payment(trace="T4", claims=[Claim(number="OP9")]), control=8)
    payments = read(first + "\r\n" + second)
    assert [p.trace_number for p in payments] == ["T1", "T2", "T3", "T4"]
    assert [p.interchange_control_number for p in payments] == ["000000007"] * 3 + ["000000008"]
    assert [p.transaction_control_number for p in payments] == ["0001", "0002", "0003", "0001"]
    assert payments[3].claims[0].claim_number == "OP9"


@pytest.mark.parametrize("variant", [
    {"element": "|", "component": ">", "repetition": "!", "terminator": "~"},
    {"element": "*", "component": ":", "repetition": "^", "terminator": "~", "newline": "\n"},
    {"element": "*", "component": ":", "repetition": "^", "terminator": "~", "newline": "\r\n"},
    {"element": "*", "component": ":", "repetition": "^", "terminator": "\n"},
    {"element": "^", "component": "\\", "repetition": "{", "terminator": "'"},
    {"wrap": 80},
    {"newline": "\r\n", "wrap": 80},
], ids=["pipe-and-angle", "newline-after-tilde", "crlf-after-tilde", "newline-terminator", "edifact-like",
        "wrapped-80", "crlf-wrapped-80"])
def test_separators_come_from_the_isa_header_and_line_breaks_do_not_matter(variant):
    payment = Payment(claims=[Claim(lines=[Line(modifiers=["25", "59"], adjustments=[("CO", "45", "20.00")])])],
                      provider_adjustments=[("WO", "OP0000001", "5.00")])
    expected = one(interchange(payment))
    read_back = one(render(interchange(payment), **variant))
    assert read_back == expected
    assert read_back.claims[0].lines[0].modifiers == ("25", "59")
    assert read_back.provider_adjustments[0].reference == "OP0000001"


def test_bytes_paths_and_open_files_read_the_same(tmp_path):
    text = interchange(Payment(claims=[Claim(), Claim(number="OP0000002")]))
    path = tmp_path / "remit.835"
    path.write_text(text)
    expected = read(text)
    assert read(text.encode()) == expected
    assert list(read_835(path)) == expected
    with path.open("rb") as handle:
        assert list(read_835(handle)) == expected
    assert list(read_835(io.StringIO(text))) == expected


class CountingReader(io.RawIOBase):
    """A binary file that says how much of it has been read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) - self.read_so_far if size is None or size < 0 else size
        chunk = self.data[self.read_so_far:self.read_so_far + size]
        self.read_so_far += len(chunk)
        return chunk


def test_each_payment_is_yielded_when_its_se_arrives_before_the_rest_of_the_file_is_read():
    out = io.StringIO()
    counts = write_large_835(out, claims=6000, claims_per_payment=1000)
    data = out.getvalue().encode()
    source = CountingReader(data)
    payments = read_835(source)
    first = next(payments)
    assert len(first.claims) == 1000
    assert source.read_so_far < len(data) / 2
    assert sum(len(p.claims) for p in payments) == counts["claims"] - 1000


def test_a_claim_without_service_lines_balances_on_its_claim_level_adjustments():
    payment = Payment(claims=[Claim(lines=[], charge="300.00", adjustments=[("CO", "45", "50.00"),
                                                                          ("PR", "1", "40.00")])])
    claim = one(interchange(payment)).claims[0]
    assert claim.lines == ()
    assert claim.paid_amount == D("210.00")
    assert claim.adjustments == (Adjustment835("CO", "45", D("50.00")), Adjustment835("PR", "1", D("40.00")))


def test_claim_and_line_adjustments_together_balance_the_claim():
    payment = Payment(claims=[Claim(adjustments=[("OA", "23", "10.00")],
                                    lines=[Line(charge="100.00", adjustments=[("CO", "45", "20.00")]),
                                           Line(charge="50.00")])])
    claim = one(interchange(payment)).claims[0]
    assert claim.paid_amount == D("120.00")
    assert claim.adjustment_total == D("30.00")


def test_a_cas_holds_up_to_six_adjustments_with_quantities():
    segment = "CAS*CO*45*10*1*253*1.5**59*2.5*2*97*1*0*B7*1*3*16*1"
    text = interchange(Payment(claims=[Claim(paid="83.00", lines=[Line(charge="100.00", paid="83.00")])]))
    text = swap_body(text, "DTM*472*20261102~", f"DTM*472*20261102~{segment}~")
    read_back = one(text).claims[0].lines[0]
    assert read_back.adjustments == (
        Adjustment835("CO", "45", D("10"), D("1")), Adjustment835("CO", "253", D("1.5")),
        Adjustment835("CO", "59", D("2.5"), D("2")), Adjustment835("CO", "97", D("1"), D("0")),
        Adjustment835("CO", "B7", D("1"), D("3")), Adjustment835("CO", "16", D("1")))


def test_provider_adjustments_are_read_pair_by_pair_and_reduce_the_payment():
    payment = Payment(claims=[Claim(lines=[Line(charge="500.00")])],
                      provider_adjustments=[("WO", "OP0000007", "120.00"), ("L6", "", "-3.25"), ("FB", "X9", "10")])
    read_back = one(interchange(payment))
    assert read_back.payment_amount == D("373.25")
    assert [(a.reason_code, a.reference, a.amount) for a in read_back.provider_adjustments] == [
        ("WO", "OP0000007", D("120.00")), ("L6", "", D("-3.25")), ("FB", "X9", D("10"))]
    assert read_back.provider_adjustment_total == D("126.75")
    adjustment = read_back.provider_adjustments[0]
    assert (adjustment.provider_id, adjustment.fiscal_period_date) == ("1234567893", dt.date(2026, 12, 31))
    assert adjustment.segment_position == position(interchange(payment), "PLB")


def test_seven_provider_adjustments_take_two_plb_segments():
    adjustments = [("L6", "", "-1.00")] * 7
    read_back = one(interchange(Payment(provider_adjustments=adjustments)))
    assert len(read_back.provider_adjustments) == 7
    assert read_back.payment_amount == D("107.00")


def test_a_debit_payment_takes_money_from_the_provider_and_balances_with_a_negative_sign():
    # A reversal (CLP02 = 22) of an earlier 80.00 payment, nothing paid this time: the payer takes 80.00 back.
    reversal = Claim(number="OP0000042", status="22", charge="-100.00", paid="-80.00",
                     lines=[Line(charge="-100.00", paid="-80.00", adjustments=[("CO", "45", "-20.00")])])
    read_back = one(interchange(Payment(claims=[reversal], amount="80.00", credit_debit="D")))
    assert (read_back.payment_amount, read_back.credit_debit, read_back.net_amount) == (D("80.00"), "D", D("-80.00"))
    assert read_back.claims[0].status_code == "22"
    assert read_back.claims[0].paid_amount == D("-80.00")


def test_a_debit_whose_amount_does_not_match_is_refused():
    reversal = Claim(status="22", charge="-100.00", paid="-80.00",
                     lines=[Line(charge="-100.00", paid="-80.00", adjustments=[("CO", "45", "-20.00")])])
    text = interchange(Payment(claims=[reversal], amount="70.00", credit_debit="D"))
    error = refusal(text)
    assert error.segment_position == position(text, "BPR")
    assert "BPR02 is 70.00 (a debit, BPR03 = D" in error.message
    assert "should come to -70.00" in error.message
    assert "the 1 claim pays -80.00" in error.message


def test_a_negative_bpr02_is_refused():
    text = interchange(Payment(claims=[Claim(status="22", charge="-100.00", lines=[Line(charge="-100.00")])]))
    error = refusal(text)
    assert error.segment_id == "BPR"
    assert "BPR02 (the payment amount) is negative (-100.00)" in error.message


def test_a_notification_without_payment_reads():
    read_back = one(interchange(Payment(claims=[Claim(status="4", lines=[
        Line(charge="100.00", adjustments=[("CO", "29", "100.00")], remarks=["N211"])])], method="NON")))
    assert read_back.payment_amount == D("0")
    assert read_back.claims[0].lines[0].remark_codes == ("N211",)


def test_a_transaction_set_with_no_claims_but_a_provider_adjustment_reads():
    read_back = one(interchange(Payment(claims=[], provider_adjustments=[("L6", "", "-12.00")])))
    assert read_back.claims == ()
    assert read_back.payment_amount == D("12.00")


def test_the_claim_loop_segments_are_all_read():
    extra = ["NM1*IL*1*KELLER*JORDAN****MI*SUB998877", "NM1*74*1*DOE*JANET****C*MEM123457",
             "NM1*82*1*SMITH*ANNA****XX*1457395214", "NM1*TT*2*STATE MEDICAID*****PI*SKNC0",
             "NM1*PR*2*OTHER PLAN*****PI*OTH01", "MOA***MA130*N14", "MIA*0***12.5*N381", "REF*EA*MRN0042",
             "REF*1L*GRP77", "DTM*050*20261105", "PER*CX*CLAIMS DEPT*TE*8005550100", "AMT*AU*100.00",
             "QTY*CA*1", "XYZ*SOMETHING*UNKNOWN"]
    payment = Payment(claims=[Claim(extra=extra, lines=[Line(extra=[
        "DTM*150*20261101", "DTM*151*20261103", "REF*LU*11", "AMT*KH*5.00", "QTY*ZK*1", "LQ*RX*70"])])])
    text = interchange(payment)
    read_back = one(text)
    claim = read_back.claims[0]
    assert (claim.insured_last_name, claim.insured_first_name, claim.insured_member_id) == ("KELLER", "JORDAN",
                                                                                           "SUB998877")
    assert claim.member_id == "MEM123456"  # the patient's own ID comes first
    assert (claim.corrected_last_name, claim.corrected_first_name, claim.corrected_member_id) == (
        "DOE", "JANET", "MEM123457")
    assert claim.rendering_provider_id == "1457395214"
    assert (claim.crossover_carrier_name, claim.crossover_carrier_id) == ("STATE MEDICAID", "SKNC0")
    assert (claim.priority_payer_name, claim.priority_payer_id) == ("OTHER PLAN", "OTH01")
    assert claim.remark_codes == ("MA130", "N14", "N381")
    assert claim.references == (("EA", "MRN0042"), ("1L", "GRP77"))
    assert claim.received_date == dt.date(2026, 11, 5)
    assert claim.amounts == (("AU", D("100.00")),)
    assert claim.quantities == (("CA", D("1")),)
    line = claim.lines[0]
    # DTM*472 comes first in the builder's line, then DTM*150/151 narrow the dates.
    assert (line.service_date_from, line.service_date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 3))
    assert line.references == (("LU", "11"),)
    assert line.amounts == (("KH", D("5.00")),)
    assert line.quantities == (("ZK", D("1")),)
    assert line.reject_codes == ("70",)
    # PER is an 835 segment the reader does not need; XYZ is not an 835 segment at all: skipped, with a notice.
    assert read_back.notices == (f"Segment {position(text, 'XYZ')} (XYZ) is not part of an 835 remittance; it was "
                                 "skipped.",)


def test_the_member_id_comes_from_the_insured_when_the_patient_has_none():
    text = swap_body(interchange(Payment()), "NM1*QC*1*DOE*JANE****MI*MEM123456", "NM1*IL*1*DOE*JANE****MI*SUB42")
    claim = one(text).claims[0]
    assert (claim.member_id, claim.insured_member_id, claim.patient_last_name) == ("SUB42", "SUB42", "")


def test_a_line_paid_under_another_code_keeps_the_code_we_billed():
    line = Line(code="99213", original="HC:99214:25", charge="150.00", adjustments=[("CO", "45", "50.00")])
    read_back = one(interchange(Payment(claims=[Claim(lines=[line])]))).claims[0].lines[0]
    assert (read_back.procedure_code, read_back.original_procedure_code, read_back.original_modifiers) == (
        "99213", "99214", ("25",))


def test_institutional_lines_keep_their_revenue_code_and_billed_units():
    text = interchange(Payment(claims=[Claim(lines=[Line(code="99284", charge="400.00")])]))
    text = swap_body(text, "SVC*HC:99284*400.00*400.00**1", "SVC*HC:99284:::::ER VISIT*400.00*400.00*0450*1**2")
    line = one(text).claims[0].lines[0]
    assert (line.revenue_code, line.units, line.original_units, line.description) == ("0450", D("1"), D("2"),
                                                                                     "ER VISIT")


def test_the_payer_identifier_falls_back_to_n104_then_to_trn03():
    text = interchange(Payment(leave_out=["REF*2U"]))
    assert one(text).payer_identifier == "1999999999"
    text = swap_body(text, "N1*PR*ACME HEALTH PLAN~", "N1*PR*ACME HEALTH PLAN*XV*ACME-PAYER-ID~")
    assert one(text).payer_identifier == "ACME-PAYER-ID"


def test_a_payee_named_by_tax_id_has_no_npi():
    text = interchange(Payment())
    text = swap_body(text, "N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893",
                     "N1*PE*RIVERBEND FAMILY MEDICINE*FI*561234567")
    read_back = one(text)
    assert (read_back.payee_npi, read_back.payee_tax_id) == ("", "561234567")


def test_a_payment_without_bpr16_or_dates_reads_with_none():
    text = interchange(Payment(claims=[Claim(period=None, lines=[Line(date=None)])]))
    text = swap_body(text, "*DA*98765*20261120~", "*DA*98765~")
    text = swap_body(text, "DTM*405*20261119~", "")
    read_back = one(text)
    assert (read_back.payment_date, read_back.production_date) == (None, None)
    assert read_back.claims[0].service_date_from is None
    assert read_back.claims[0].lines[0].service_date_from is None


def test_an_address_code_no_post_office_knows_is_a_notice_not_an_error():
    text = swap_body(interchange(Payment()), "N4*ATLANTA*GA*30301", "N4*NORTH POLE*NP*00000")
    read_back = one(text)
    assert read_back.notices == (f"Segment {position(text, 'N4')} (N4): N402 'NP' in the payer's address is not a "
                                 "US state or Canadian province code. The address is not used for posting.",)
    abroad = swap_body(interchange(Payment()), "N4*ATLANTA*GA*30301", "N4*MUNICH*BY*80331*DE")
    assert one(abroad).notices == ()


# --- balancing ----------------------------------------------------------------------------------------------------


def test_a_line_that_does_not_balance_is_refused_naming_its_svc():
    text = interchange(Payment(claims=[Claim(number="OP77", lines=[
        Line(charge="100.00"), Line(code="85025", charge="100.00", paid="80.00", adjustments=[("CO", "45", "15.00")])],
        paid="180.00", charge="200.00")]))
    error = refusal(text)
    assert (error.segment_position, error.segment_id) == (position(text, "SVC", 2), "SVC")
    assert error.message == ("Service line HC:85025 does not balance: charged 100.00 - paid 80.00 = 20.00 but its "
                             "adjustments (CAS) add up to 15.00.")
    assert str(error).startswith(error.message + f" (segment {error.segment_position} (SVC), character ")


def test_a_claim_that_does_not_balance_is_refused_naming_its_clp():
    text = interchange(Payment(claims=[Claim(), Claim(number="1234", charge="100.00", paid="80.00", lines=[
        Line(charge="100.00", paid="85.00", adjustments=[("CO", "45", "15.00")])])]))
    error = refusal(text)
    assert (error.segment_position, error.segment_id) == (position(text, "CLP", 2), "CLP")
    assert error.message == ("Claim 1234 does not balance: charged 100.00 - paid 80.00 = 20.00 but its adjustments "
                             "(CAS, claim and line level) add up to 15.00.")


def test_a_claim_without_lines_that_does_not_balance_says_it_has_no_lines():
    text = interchange(Payment(claims=[Claim(number="1234", lines=[], charge="100.00", paid="80.00",
                                             adjustments=[("CO", "45", "15.00")])]))
    error = refusal(text)
    assert error.segment_position == position(text, "CLP")
    assert error.message == ("Claim 1234 does not balance: charged 100.00 - paid 80.00 = 20.00 but its claim-level "
                             "adjustments (CAS) add up to 15.00 and it has no service lines.")


def test_a_payment_that_does_not_match_its_claims_and_plb_is_refused_naming_the_bpr():
    text = interchange(Payment(claims=[Claim(), Claim(number="OP2")], provider_adjustments=[("WO", "OP1", "20.00")],
                               amount="190.00"))
    error = refusal(text)
    assert (error.segment_position, error.segment_id) == (4, "BPR")
    assert error.message == ("The payment does not balance: BPR02 is 190.00, but the 2 claims pay 200.00 and the "
                             "provider adjustments (PLB) take 20.00, which leaves 180.00.")


def test_balancing_is_exact_to_a_thousandth():
    text = interchange(Payment(claims=[Claim(paid="80.00", lines=[Line(charge="100.005", paid="80.00",
                                                                       adjustments=[("CO", "45", "20.004")])])]))
    assert refusal(text).message == ("Service line HC:99213 does not balance: charged 100.005 - paid 80.00 = 20.005 "
                                     "but its adjustments (CAS) add up to 20.004.")


def test_amounts_are_decimals_read_without_rounding():
    payment = Payment(claims=[Claim(lines=[Line(charge="0.10", adjustments=[("CO", "45", "0.07")]),
                                           Line(charge="0.20", adjustments=[("PR", "2", "0.13")])])])
    read_back = one(interchange(payment))
    assert read_back.payment_amount == D("0.10")
    assert [line.paid_amount for line in read_back.claims[0].lines] == [D("0.03"), D("0.07")]


# --- refusals ----------------------------------------------------------------------------------------------------


def test_a_file_without_an_isa_envelope_is_refused_plainly():
    text = "~".join(transaction(Payment())) + "~"
    error = refusal(text)
    assert "no ISA interchange header: it has no envelope" in error.message
    assert error.segment_position == 1


def test_a_transaction_set_that_is_not_an_835_is_refused():
    text = interchange(Payment()).replace("ST*835*0001", "ST*837*0001")
    error = refusal(text)
    assert (error.segment_position, error.segment_id) == (3, "ST")
    assert error.message == "ST01 is '837': this transaction set is not an 835 remittance."


def test_an_interchange_without_any_transaction_set_is_refused():
    isa = interchange(Payment()).split("~")[0]
    text = f"{isa}~GS*HP*A*B*20261120*0900*1*X*005010X221A1~GE*0*1~IEA*1*000000001~"
    assert refusal(text).message == "The file holds no 835 transaction set (no ST*835)."


def test_envelope_errors_of_the_tokenizer_come_out_as_remittance_errors():
    text = interchange(Payment())
    assert "~SE*17*0001~" in text
    error = refusal(text.replace("SE*17*0001", "SE*16*0001"))
    assert isinstance(error, X12SyntaxError)
    assert error.segment_id == "SE"
    assert "SE01 says the transaction set has 16 segments; it has 17" in error.message
    assert isinstance(error.__cause__, X12SyntaxError)
    assert refusal("").message == "The file is empty."


@pytest.mark.parametrize(("leave_out", "at", "message"), [
    ("TRN", "N1*PR", "The payment has no TRN (the trace number: check or EFT number); it must follow BPR."),
    ("N1*PR", "LX", "The payer (N1*PR, loop 1000A) is missing before this LX."),
    ("N1*PE", "LX", "The payee (N1*PE, loop 1000B) is missing before this LX."),
])
def test_a_missing_required_header_segment_is_refused_where_it_was_due(leave_out, at, message):
    text = interchange(Payment(leave_out=[leave_out]))
    error = refusal(text)
    assert error.message == message
    assert error.segment_position == position(text, at)


def test_a_missing_bpr_is_refused():
    text = interchange(Payment(leave_out=["BPR"]))
    error = refusal(text)
    assert error.message == "An 835 starts with BPR (the payment) right after ST; found TRN."
    assert error.segment_position == 4
    empty = interchange(["X"]).replace("~X~", "~").replace("SE*3*0001", "SE*2*0001")
    assert refusal(empty).message == "The 835 transaction set has no BPR (the payment)."


def test_missing_parties_are_refused_at_the_se_when_there_are_no_claims():
    text = interchange(Payment(claims=[], leave_out=["N1*PE"]))
    error = refusal(text)
    assert (error.segment_id, error.message) == ("SE", "The payee (N1*PE, loop 1000B) is missing before this SE.")


CLP = "CLP*OP0000001*1*100.00*100.00**12*PAYERICN0001"


@pytest.mark.parametrize(("old", "new", "at", "message"), [
    (CLP, "CLP*OP0000001*1*100.00", "CLP", "CLP04 (the claim's payment) is missing."),
    (CLP, "CLP**1*100.00*100.00**12", "CLP", "CLP01 (the claim number) is missing."),
    (CLP, "CLP*OP0000001*7*100.00*100.00**12", "CLP",
     "CLP02 '7' is not a claim status code (1, 2, 3, 4, 19, 20, 21, 22, 23, 25)."),
    (CLP, "CLP*OP0000001*1*1,00.00*100.00**12", "CLP",
     "CLP03 (the claim's charge) should be an amount, not '1,00.00'."),
    (CLP, "CLP*OP0000001*1*1E2*100.00**12", "CLP",
     "CLP03 (the claim's charge) should be an amount, not '1E2'."),
    ("SVC*HC:99213*100.00*100.00**1", "SVC*HC:99213*100.00*NaN**1", "SVC",
     "SVC03 (the line's payment) should be an amount, not 'NaN'."),
    ("SVC*HC:99213*100.00*100.00**1", "SVC*99213*100.00*100.00**1", "SVC",
     "SVC01 should name the procedure as qualifier and code (for example HC:99213), not '99213'."),
    ("SVC*HC:99213*100.00*100.00**1", "SVC*HC:99213*100.00*100.00**one", "SVC",
     "SVC05 (the units paid) should be an amount, not 'one'."),
    ("DTM*472*20261102", "DTM*472*20261340", "DTM*472",
     "DTM02 (the date of service) should be a date (CCYYMMDD), not '20261340'."),
    ("DTM*232*20261102", "DTM*232*2026-11-02", "DTM*232",
     "DTM02 (the claim's first date of service) should be a date (CCYYMMDD), not '2026-11-02'."),
    ("BPR*I*100.00*C*ACH", "BPR*I*100.00*X*ACH", "BPR", "BPR03 should be C (credit) or D (debit), not 'X'."),
    ("BPR*I*100.00*C*ACH", "BPR*I*100.00*C*WIRE", "BPR",
     "BPR04 'WIRE' is not a payment method (ACH, BOP, CHK, FWT or NON)."),
    ("BPR*I*100.00*C*ACH", "BPR*I**C*ACH", "BPR", "BPR02 (the payment amount) is missing."),
    ("*DA*98765*20261120", "*DA*98765*20261131", "BPR",
     "BPR16 (the payment date) should be a date (CCYYMMDD), not '20261131'."),
    ("TRN*1*TRACE0001*1999999999", "TRN*1**1999999999", "TRN",
     "TRN02 (the trace number: the check or EFT number) is missing."),
    ("N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893", "N1*PE**XX*1234567893", "N1*PE",
     "N102 (the payee's name) is missing."),
    ("AMT*B6*90.00", "AMT*B6*ninety", "AMT", "AMT02 (the amount) should be an amount, not 'ninety'."),
])
def test_bad_elements_are_refused_with_the_element_and_the_value(old, new, at, message):
    text = interchange(Payment(claims=[Claim(lines=[Line(allowed="90.00")])]))
    text = swap_body(text, old, new)
    error = refusal(text)
    assert error.message == message
    assert error.segment_position == position(text, at)


@pytest.mark.parametrize(("cas", "message"), [
    ("CAS*XX*45*10.00", "CAS01 'XX' is not an adjustment group code (CO, PR, OA, PI or CR)."),
    ("CAS*CO*45", "CAS03 (the amount of adjustment CO-45) is missing."),
    ("CAS*CO**10.00", "CAS03 has an amount but CAS02, its reason code, is missing."),
    ("CAS*CO", "CAS holds no adjustment (a reason code with an amount)."),
    ("CAS*CO*45*10.00*x", "CAS04 (the adjusted quantity) should be an amount, not 'x'."),
    ("CAS*CO" + "*45*1*1" * 7, "CAS has 22 elements; it holds at most six adjustments (19 elements)."),
])
def test_bad_cas_segments_are_refused(cas, message):
    text = interchange(Payment(claims=[Claim(lines=[Line(charge="100.00", adjustments=[("CO", "45", "10.00")])])]))
    text = swap_body(text, "CAS*CO*45*10.00", cas)
    error = refusal(text)
    assert error.message == message
    assert error.segment_id == "CAS"


@pytest.mark.parametrize(("plb", "message"), [
    ("PLB*1234567893*20261231", "PLB holds no adjustment (a reason code with an amount)."),
    ("PLB**20261231*WO:1*5", "PLB01 (the provider identifier) is missing."),
    ("PLB*1234567893*20261231*WO:1", "PLB04 (the amount of provider adjustment WO) is missing."),
    ("PLB*1234567893*20261231**5", "PLB04 has an amount but PLB03, its reason code, is missing."),
    ("PLB*1234567893*20261231*:REF*5", "PLB03 has no reason code (for example L6 interest or WO overpayment "
                                       "recovery)."),
    ("PLB*1234567893*2026*WO:1*5", "PLB02 (the fiscal period date) should be a date (CCYYMMDD), not '2026'."),
])
def test_bad_plb_segments_are_refused(plb, message):
    text = interchange(Payment(provider_adjustments=[("WO", "1", "5")]))
    text = swap_body(text, "PLB*1234567893*20261231*WO:1*5", plb)
    error = refusal(text)
    assert error.message == message
    assert error.segment_id == "PLB"


@pytest.mark.parametrize(("old", "new", "at", "message"), [
    ("LX*1~CLP*OP0000001", "LX*1~SVC*HC:99213*1*1~CLP*OP0000001", "SVC",
     "A service line (SVC) outside a claim: no CLP before it."),
    ("LX*1~CLP*OP0000001", "LX*1~CAS*CO*45*1~CLP*OP0000001", "CAS",
     "An adjustment (CAS) outside a claim: no CLP before it."),
    ("DTM*472*20261102~", "DTM*472*20261102~NM1*QC*1*LATE*NAME~", "NM1*QC*1*LATE",
     "A claim's name (NM1) belongs to the claim (loop 2100) and cannot come after its service line at segment 17."),
    ("DTM*472*20261102~", "DTM*472*20261102~MOA***MA01~", "MOA",
     "Outpatient adjudication (MOA) belongs to the claim (loop 2100) and cannot come after its service line at "
     "segment 17."),
    ("TRN*1*TRACE0001*1999999999~", "TRN*1*TRACE0001*1999999999~BPR*I*1*C*ACH~", "BPR*I*1*",
     "A second BPR: an 835 transaction set holds one payment, right after ST."),
    ("DTM*405*20261119~", "DTM*405*20261119~TRN*1*AGAIN*1~", "TRN*1*AGAIN",
     "TRN (the trace number) belongs once in the header, right after BPR."),
    ("N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893~", "N1*PE*RIVERBEND FAMILY MEDICINE*XX*1234567893~N1*PR*AGAIN~",
     "N1*PR*AGAIN", "A second payer (N1*PR) in one transaction set."),
    ("LX*1~", "LX*1~N1*PE*LATE~", "N1*PE*LATE", "N1 (payer or payee) belongs in the header, before the claims."),
])
def test_segments_out_of_place_are_refused(old, new, at, message):
    text = interchange(Payment())
    assert position(text, "SVC") == 17
    text = swap_body(text, old, new)
    error = refusal(text)
    assert error.message == message
    assert error.segment_position == position(text, at)


def test_a_claim_after_the_plb_is_refused():
    text = interchange(Payment(provider_adjustments=[("L6", "", "-1.00")]))
    text = swap_body(text, "~SE*", "~CLP*OP2*1*10*10**12*X~NM1*QC*1*A*B~SE*")
    error = refusal(text)
    assert error.segment_id == "CLP"
    assert error.message == ("A claim (CLP) after the provider adjustments (PLB): the PLB comes after every "
                             "claim.")


def test_the_garbage_collector_is_running_whenever_the_caller_has_control():
    """The reader pauses the cyclic garbage collector while it builds a transaction set, never beyond."""
    assert gc.isenabled()
    text = interchange(Payment(), Payment(trace="T2"))
    assert [gc.isenabled() for _ in read_835(text)] == [True, True]
    assert gc.isenabled()
    refusal(swap_body(interchange(Payment()), "CLP*OP0000001*1*100.00*100.00", "CLP*OP0000001*1*100.00*90.00"))
    assert gc.isenabled()
    gc.disable()
    try:
        assert [gc.isenabled() for _ in read_835(text)] == [False, False]
        assert not gc.isenabled()  # a caller that had paused it finds it paused
    finally:
        gc.enable()


# --- memory -------------------------------------------------------------------------------------------------------
# tracemalloc makes this reader about ten times slower (it hooks every allocation), so the test compares a file of
# 2 transaction sets with one of 24 (about 3.9 MB) rather than reading 100 MB: the peak must not grow with the
# file. About two sets of 500 claims are alive at once (the one the caller holds and the one being read), under
# 2 MB each. The 100 MB figures (peak RSS, and tracemalloc) come from benchmarks/bench_835_read.py.

CLAIMS_PER_SET = 500
PEAK_BOUND = 6 * 1024 * 1024


def _traced_peak(path: Path, counts: dict[str, int]) -> int:
    claims = payments = 0
    tracemalloc.start()
    try:
        for payment in read_835(path):
            payments += 1
            claims += len(payment.claims)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (payments, claims) == (counts["payments"], counts["claims"])
    return peak


def _write(path: Path, payments: int) -> dict[str, int]:
    with path.open("w", encoding="ascii", newline="", buffering=1 << 20) as out:
        return write_large_835(out, claims=payments * CLAIMS_PER_SET, claims_per_payment=CLAIMS_PER_SET)


def test_memory_stays_flat_reading_a_large_835_file(tmp_path):
    small, large = tmp_path / "small.835", tmp_path / "large.835"
    small_peak = _traced_peak(small, _write(small, 2))
    large_peak = _traced_peak(large, _write(large, 24))
    assert large.stat().st_size > 3_500_000
    assert large_peak < small_peak * 1.25 + 256 * 1024, (small_peak, large_peak)
    assert large_peak < PEAK_BOUND, large_peak
