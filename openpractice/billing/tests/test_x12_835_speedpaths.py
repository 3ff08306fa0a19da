"""The fast paths of the X12 tokenizer and the 835 reader read exactly what the careful ones do.

The tokenizer checks a whole chunk of the file at once (control characters, blank segments, segment IDs) and
splits it with str.split; a chunk that fails a check is read again segment by segment, which names the segment
and character in the error. These tests force the careful path (and chunks a few characters long, so that
segments and transaction sets straddle chunks) and compare: the same segments, positions, offsets, payments and
errors. The 835 reader reads a service line whose segments are the usual ones in one quick loop and hands any
other line to its general path: a line sent down the general path reads the same. The tests also pin the order
of errors (the first problem in the file wins, even when a later one sits in the same chunk) and the garbage
collector handling of the 835 reader."""

from __future__ import annotations

import dataclasses
import gc
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from openpractice.billing.tests.x12_835_text import Claim, Line, Payment, interchange, render
from openpractice.billing.x12 import Remittance835Error, read_835
from openpractice.billing.x12 import reader as x12_reader
from openpractice.billing.x12.reader import X12SyntaxError, read_segments

PAYMENT = Payment(
    claims=[Claim(number="OP1", adjustments=[("OA", "23", "5.00")],
                  extra=["NM1*IL*1*KELLER*JORDAN****MI*SUB1", "MOA***MA130", "REF*EA*MRN1", "AMT*AU*90.00"],
                  lines=[Line(charge="100.00", modifiers=["25"], control="OP1-1", allowed="80.00", remarks=["N130"],
                              adjustments=[("CO", "45", "20.00"), ("PR", "2", "30.00", "1")]),
                         Line(code="85025", charge="40.00", original="HC:85027", extra=["QTY*ZK*1"])]),
            Claim(number="OP2", status="4", lines=[], charge="60.00", adjustments=[("CO", "29", "60.00")]),
            # Lines of the usual segments only (DTM*472, CAS, REF*6R, AMT*B6): the reader's quick path.
            Claim(number="OP4", lines=[Line(charge="100.00", control="OP4-1", allowed="70.00",
                                            adjustments=[("CO", "45", "30.00")]),
                                       Line(code="85025", charge="50.00", control="OP4-2", allowed="40.00",
                                            adjustments=[("CO", "45", "10.00"), ("PR", "1", "5.00", "1")])])],
    provider_adjustments=[("WO", "OP9", "12.00"), ("L6", "", "-0.40")])
TEXT = interchange(PAYMENT, Payment(trace="T2", claims=[Claim(number="OP3")]), groups=[1, 1])

# Files that take the fast path, and files that take the careful one for a chunk (or fail in it).
FILES = {
    "plain": TEXT,
    "newline-after-tilde": render(TEXT, newline="\n"),
    "crlf-wrapped-80": render(TEXT, newline="\r\n", wrap=80),
    "newline-terminator": render(TEXT, terminator="\n"),
    "pipe-and-angle": render(TEXT, element="|", component=">", repetition="!", terminator="~"),
    "blank-segments": TEXT.replace("~LX*1~", "~~LX*1~~ \r\n~"),
    "space-before-a-segment": TEXT.replace("~CLP*OP2", "~  CLP*OP2"),
    "latin-1-name": TEXT.replace("KELLER*JORDAN", "M\xdcLLER*J\xd6RG"),
    "control-character": TEXT.replace("MOA***MA130", "MOA***MA\x07130"),
    "lower-case-id": TEXT.replace("MOA***MA130", "moa***MA130"),
    "se-count-wrong": TEXT.replace("SE*51*0001", "SE*50*0001"),
    "cut-short": TEXT[:-40],
    "unterminated": TEXT + "ISA*00",
}


def _careful(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk read segment by segment."""
    monkeypatch.setattr(x12_reader._Tokenizer, "fast", lambda self, text, base: None)


def _outcome(read: Callable[[], Any]) -> list[Any]:
    found: list[Any] = []
    try:
        for item in read():
            found.append(item)
    except X12SyntaxError as error:
        found.append((type(error).__name__, error.message, error.segment_position, error.segment_id, error.offset))
    return found


def _segments(data: str | bytes) -> list[Any]:
    return _outcome(lambda: ((s.id, s.elements, s.position, s.offset) for s in read_segments(data)))


def _payments(data: str | bytes) -> list[Any]:
    return _outcome(lambda: read_835(data))


def test_the_sample_files_are_what_their_names_say():
    assert FILES["se-count-wrong"] != TEXT
    assert [p.trace_number for p in read_835(FILES["plain"])] == ["TRACE0001", "T2"]
    assert _payments(FILES["blank-segments"]) == _payments(FILES["plain"])
    assert "control character" in _payments(FILES["control-character"])[-1][1]


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("chunk_size", [x12_reader.CHUNK_SIZE, 7, 200])
def test_segments_are_the_same_on_the_careful_path(name, chunk_size, monkeypatch):
    data = FILES[name]
    monkeypatch.setattr(x12_reader, "CHUNK_SIZE", chunk_size)
    fast = _segments(data), _segments(data.encode("latin-1"))
    _careful(monkeypatch)
    assert (_segments(data), _segments(data.encode("latin-1"))) == fast
    assert len(fast[0]) > 1


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("chunk_size", [x12_reader.CHUNK_SIZE, 7, 200])
def test_payments_and_errors_are_the_same_on_the_careful_path(name, chunk_size, monkeypatch):
    data = FILES[name]
    monkeypatch.setattr(x12_reader, "CHUNK_SIZE", chunk_size)
    fast = _payments(data)
    _careful(monkeypatch)
    assert _payments(data) == fast


def test_offsets_count_the_line_breaks_and_blank_space_between_segments():
    data = FILES["crlf-wrapped-80"]
    for segment in read_segments(data):
        # Each segment starts where its ID does (a wrapped file may break a segment, never before its first
        # character).
        assert data[segment.offset:].startswith(segment.id[0]), segment
    clp = next(s for s in read_segments(FILES["space-before-a-segment"]) if s.element(1) == "OP2")
    assert FILES["space-before-a-segment"][clp.offset:].startswith("CLP*OP2")


def _claim_not_balancing_then(later: str) -> str:
    """Claim OP1 does not balance (which shows when the next CLP arrives), and `later` stands in the last segment
    of the transaction set, all in one chunk."""
    text = interchange(Payment(claims=[Claim(number="OP1", paid="90.00", lines=[Line(charge="100.00")]),
                                       Claim(number="OP2")]))
    assert len(text) < x12_reader.CHUNK_SIZE
    assert text.count("~DTM*472*20261102~SE*") == 1
    return text.replace("~DTM*472*20261102~SE*", f"~DTM*472*20261102{later}~SE*")


def test_the_first_problem_in_the_file_is_the_one_reported_even_with_another_in_the_same_chunk():
    base = _claim_not_balancing_then("")
    error = _payments(base)[-1]
    assert error[:2] == ("Remittance835Error", "Claim OP1 does not balance: charged 100.00 - paid 90.00 = 10.00 "
                                                "but its adjustments (CAS, claim and line level) add up to 0.")
    # A control character, or a count that does not match, further on in the same chunk: still the claim.
    assert _payments(_claim_not_balancing_then("*\x07"))[-1] == error
    assert _payments(base.replace("~SE*", "~SE*9", 1))[-1] == error
    # The other way round: a control character before the claim that does not balance comes first.
    early = base.replace("CLP*OP1*", "CLP*OP\x071*", 1)
    assert "control character" in _payments(early)[-1][1]
    # An envelope count that does not match comes before the payment's balance, which is checked at the SE.
    assert "SE01 says" in _payments(base.replace("~SE*", "~SE*9", 1).replace("*90.00*", "*100.00*"))[-1][1]


def _recount(text: str) -> str:
    """SE01 made right again for every transaction set of a "~"-terminated text."""
    segments = text.split("~")
    start = 0
    for number, segment in enumerate(segments):
        if segment.startswith("ST*"):
            start = number
        elif segment.startswith("SE*"):
            segments[number] = re.sub(r"^SE\*\d+", f"SE*{number - start + 1}", segment)
    return "~".join(segments)


def _without_positions(value: Any) -> Any:
    """A payment as nested dicts, without the segment numbers (which move when a segment is added)."""
    if dataclasses.is_dataclass(value):
        return {field.name: _without_positions(getattr(value, field.name)) for field in dataclasses.fields(value)
                if field.name != "segment_position"}
    if isinstance(value, tuple):
        return tuple(_without_positions(item) for item in value)
    return value


@pytest.mark.parametrize("after", ["SVC*", "DTM*472*", "CAS*", "REF*6R*", "AMT*B6*", "DTM*233*"])
@pytest.mark.parametrize("chunk_size", [x12_reader.CHUNK_SIZE, 23])
def test_a_line_sent_down_the_general_path_reads_the_same(after, chunk_size, monkeypatch):
    # PER is an 835 segment the reader skips without a notice: after it, the rest of the line is not one of the
    # usual segments any more and goes down the general path.
    monkeypatch.setattr(x12_reader, "CHUNK_SIZE", chunk_size)
    text = _recount("~".join(f"{segment}~PER*CX*CLAIMS" if segment.startswith(after) else segment
                             for segment in TEXT.split("~")))
    assert "PER*CX*CLAIMS" in text
    quick, general = list(read_835(TEXT)), list(read_835(text))
    assert [(line.control_number, line.allowed_amount) for line in quick[0].claims[2].lines] == [
        ("OP4-1", Decimal("70.00")), ("OP4-2", Decimal("40.00"))]
    assert [_without_positions(p) for p in general] == [_without_positions(p) for p in quick]


def test_amounts_read_the_same_from_the_cache_and_bad_ones_are_never_cached():
    spaced = TEXT.replace("AMT*AU*90.00", "AMT*AU* 90.00")
    first, again = list(read_835(spaced)), list(read_835(spaced))
    assert first == again
    assert first[0].claims[0].amounts == (("AU", Decimal("90.00")),)
    bad = TEXT.replace("AMT*AU*90.00", "AMT*AU*9E1")
    for _ in range(2):
        with pytest.raises(Remittance835Error, match=r"AMT02 .* should be an amount, not '9E1'"):
            list(read_835(bad))


def test_the_payment_goes_straight_to_the_oldest_garbage_collector_generation():
    gc.collect()
    for payment in read_835(TEXT):
        assert gc.isenabled()
        assert any(o is payment.claims[0] for o in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_objects_the_process_froze_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen
        assert len(list(read_835(TEXT))) == 2
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
