"""The X12 tokenizer: separators from the ISA header, line breaks tolerated, segments yielded lazily, and one
clear X12SyntaxError (with the segment and character) for anything malformed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from openpractice.billing.x12.reader import (
    MAX_SEGMENT_LENGTH,
    Segment,
    X12SyntaxError,
    detect_separators,
    read_segments,
    transaction_set_ids,
)

SAMPLES = Path(__file__).parent / "x12"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "x12-samples"

ISA = "ISA*00*          *00*          *ZZ*CLEARHOUSE01   *ZZ*RIVERBEND01    *261103*0930*^*00501*000004501*0*T*:~"


def interchange(*body: str, isa: str = ISA, terminator: str = "~", element: str = "*") -> str:
    """An interchange around one transaction set made of `body` (ST and SE added, counts right)."""
    segments = ["GS*FA*CLEARHOUSE01*RIVERBEND01*20261103*0930*4501*X*005010X231A1", "ST*999*0001*005010X231A1",
                *body, f"SE*{len(body) + 2}*0001", "GE*1*4501", "IEA*1*000004501"]
    text = terminator.join(segments) + terminator
    return isa + text.replace("*", element) if element != "*" else isa + text


def ids(segments: Iterator[Segment]) -> list[str]:
    return [segment.id for segment in segments]


def test_the_separators_come_from_the_isa_header():
    separators = detect_separators(ISA)
    assert (separators.element, separators.component, separators.repetition, separators.segment) == (
        "*", ":", "^", "~")


def test_a_4010_header_has_no_repetition_separator():
    old = ISA.replace("*^*00501*", "*U*00401*")
    assert detect_separators(old).repetition is None


def test_segments_come_with_their_elements_position_and_offset():
    segments = list(read_segments(interchange("AK1*HC*101*005010X222A1", "AK9*A*1*1*1")))
    assert ids(iter(segments)) == ["ISA", "GS", "ST", "AK1", "AK9", "SE", "GE", "IEA"]
    ak1 = segments[3]
    assert ak1.element(1) == "HC"
    assert ak1.element(2) == "101"
    assert ak1.element(9) == ""
    assert ak1.position == 4
    assert ak1.offset == len(ISA) + len("GS*FA*CLEARHOUSE01*RIVERBEND01*20261103*0930*4501*X*005010X231A1~"
                                        "ST*999*0001*005010X231A1~")
    assert str(ak1) == "AK1*HC*101*005010X222A1"


def test_components_and_repetitions_are_split_with_the_declared_separators():
    segment = next(s for s in read_segments(interchange("STC*A7:562:85*20261104", "EB*1**30^98^1")) if s.id == "STC")
    assert segment.components(1) == ("A7", "562", "85")
    assert segment.component(1, 2) == "562"
    assert segment.component(1, 5) == ""
    eb = next(s for s in read_segments(interchange("EB*1**30^98^1")) if s.id == "EB")
    assert eb.repetitions(3) == ("30", "98", "1")


def test_other_separators_and_a_newline_terminator_are_read_as_declared():
    isa = ISA.replace("*", "|").replace("|^|", "|!|").replace(":~", ">\n")
    text = interchange("AK1|HC|101|005010X222A1", "AK9|A|1|1|1", isa=isa, terminator="\n", element="|")
    segments = list(read_segments(text))
    assert ids(iter(segments)) == ["ISA", "GS", "ST", "AK1", "AK9", "SE", "GE", "IEA"]
    assert segments[3].elements == ("HC", "101", "005010X222A1")


def test_line_breaks_between_and_inside_segments_are_ignored():
    text = interchange("AK1*HC*101*005010X222A1", "AK9*A*1*1*1", terminator="~\r\n")
    wrapped = "\r\n".join(text[i:i + 80] for i in range(0, len(text), 80))  # a file wrapped at 80 columns
    assert ids(read_segments(wrapped)) == ids(read_segments(text))
    assert next(s for s in read_segments(wrapped) if s.id == "AK1").elements == ("HC", "101", "005010X222A1")


def test_bytes_files_paths_and_a_byte_order_mark_are_all_read():
    text = interchange("AK1*HC*101*005010X222A1", "AK9*A*1*1*1")
    expected = ids(read_segments(text))
    assert ids(read_segments(("\ufeff\r\n" + text).encode("utf-8"))) == expected
    assert ids(read_segments(io.BytesIO(text.encode()))) == expected
    assert ids(read_segments(io.StringIO(text))) == expected
    assert ids(read_segments(SAMPLES / "999-accepted.x12")) == ["ISA", "GS", "ST", "AK1", "AK2", "IK5", "AK9", "SE",
                                                                  "GE", "IEA"]


def test_bytes_that_are_not_utf8_are_read_as_latin1():
    text = interchange("MSG*CAF\xc9 NU\xd1EZ")
    segment = next(s for s in read_segments(text.encode("latin-1")) if s.id == "MSG")
    assert segment.element(1) == "CAF\xc9 NU\xd1EZ"


class CountingReader(io.RawIOBase):
    """A file that says how much of it was read."""

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


def test_segments_are_yielded_before_the_whole_file_is_read():
    body = [f"MSG*LINE {n:06d}" for n in range(60_000)]  # about 1 MB
    data = interchange(*body).encode()
    source = CountingReader(data)
    segments = read_segments(source)
    first_four = [next(segments) for _ in range(4)]
    assert [s.id for s in first_four] == ["ISA", "GS", "ST", "MSG"]
    assert source.read_so_far < len(data) / 4
    assert sum(1 for _ in segments) == len(body) + 2  # the rest of the MSGs, SE, GE, IEA less the first MSG


def test_a_file_that_is_not_x12_says_so():
    with pytest.raises(X12SyntaxError, match="not an X12 file"):
        list(read_segments(b"%PDF-1.7 a pdf, not a claim file"))
    with pytest.raises(X12SyntaxError, match="empty"):
        list(read_segments(b"  \r\n"))


def test_a_transaction_set_without_its_envelope_is_named_as_such():
    with pytest.raises(X12SyntaxError, match="no envelope"):
        list(read_segments("ST*835*1234~BPR*I*1*C*CHK~SE*3*1234~"))


def test_a_header_that_is_not_fixed_width_is_refused_with_the_character():
    short = ISA.replace("*00*          *", "*00*  *", 1)
    with pytest.raises(X12SyntaxError) as raised:
        list(read_segments(interchange("AK1*HC*101", isa=short)))
    assert "fixed 106-character layout" in str(raised.value)
    assert raised.value.segment_position == 1
    assert "character" in str(raised.value)


def test_a_file_cut_inside_the_header_is_refused():
    with pytest.raises(X12SyntaxError, match="inside the ISA header"):
        list(read_segments(ISA[:60]))


def test_letters_as_separators_are_refused():
    with pytest.raises(X12SyntaxError, match="cannot be letters"):
        detect_separators(ISA[:-2] + "A~")


def test_the_same_character_for_two_separators_is_refused():
    with pytest.raises(X12SyntaxError, match="same character"):
        detect_separators(ISA[:-2] + "~~")


def test_a_segment_that_does_not_start_with_an_id_is_located():
    text = interchange("AK1*HC*101", "ak9*A*1*1*1")
    with pytest.raises(X12SyntaxError) as raised:
        list(read_segments(text))
    assert raised.value.segment_position == 5
    assert "not a segment ID" in str(raised.value)
    assert text.index("ak9") == raised.value.offset


def test_a_control_character_inside_a_segment_is_refused():
    with pytest.raises(X12SyntaxError, match="control character") as raised:
        list(read_segments(interchange("MSG*BELL\x07HERE")))
    assert raised.value.segment_id == "MSG"


def test_a_file_ending_in_the_middle_of_a_segment_is_refused():
    text = interchange("AK1*HC*101")
    with pytest.raises(X12SyntaxError, match="middle of a segment"):
        list(read_segments(text + "GS*FA*X"))


def test_a_file_without_the_declared_terminator_is_refused_without_reading_on_forever():
    text = ISA + "GS*FA*" + "X" * (MAX_SEGMENT_LENGTH + 10)
    with pytest.raises(X12SyntaxError, match="terminator"):
        list(read_segments(text))


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace("SE*3*0001", "SE*4*0001"), "SE01 says"),
    (lambda t: t.replace("SE*3*0001", "SE*3*0002"), "SE02"),
    (lambda t: t.replace("GE*1*4501", "GE*2*4501"), "GE01 says"),
    (lambda t: t.replace("GE*1*4501", "GE*1*4502"), "GE02"),
    (lambda t: t.replace("IEA*1*000004501", "IEA*1*000004502"), "IEA02"),
    (lambda t: t.replace("IEA*1*000004501", "IEA*2*000004501"), "IEA01 says"),
    (lambda t: t.replace("IEA*1*000004501~", ""), "cut short"),
    (lambda t: t.replace("SE*3*0001~", ""), "still open"),
    (lambda t: t + "AK1*HC*1~", "outside an interchange"),
    (lambda t: t.replace("GE*1*4501~", "GE*1*4501~AK1*HC*1~"), "outside a functional group"),
    (lambda t: t.replace("SE*3*0001~", "SE*3*0001~AK1*HC*1~"), "outside a transaction set"),
    (lambda t: t.replace("SE*3*0001", "SE*three*0001"), "should be a number"),
])
def test_envelope_trailers_are_checked_against_their_headers(change, message):
    text = change(interchange("AK1*HC*101"))
    with pytest.raises(X12SyntaxError, match=message) as raised:
        list(read_segments(text))
    assert raised.value.segment_position is not None


def test_the_envelope_check_can_be_left_out():
    text = interchange("AK1*HC*101").replace("SE*3*0001", "SE*9*0001")
    assert "SE" in ids(read_segments(text, check_envelope=False))


def test_the_first_transaction_set_is_identified_without_reading_the_rest():
    assert transaction_set_ids((SAMPLES / "277ca-mixed.x12").read_bytes()) == ("277", "005010X214")
    assert transaction_set_ids(interchange("AK1*HC*1") + "garbage that is never read") == ("999", "005010X231A1")
    with pytest.raises(X12SyntaxError, match="no transaction set"):
        transaction_set_ids(ISA + "GS*FA*A*B*20261103*0930*1*X*005010X231A1~GE*0*1~IEA*1*000004501~")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared X12 samples (../shared/x12-samples) are not here")
def test_public_835_samples_are_read_or_refused_plainly():
    segments = list(read_segments(SHARED / "835-emedny.txt"))
    assert segments[0].id == "ISA"
    assert segments[-1].id == "IEA"
    assert sum(1 for s in segments if s.id == "CLP") > 1
    assert list(read_segments(SHARED / "835-uhc-legacy-invalid-N402.txt"))[-1].id == "IEA"
    with pytest.raises(X12SyntaxError, match="no envelope"):
        list(read_segments(SHARED / "835-bcbsnc-st-se-only.txt"))


def test_memory_stays_flat_however_large_the_file(tmp_path):
    import tracemalloc

    def peak(claims: int) -> int:
        path = tmp_path / f"{claims}.x12"
        with path.open("w") as out:
            out.write(ISA + "\nGS*HP*A*B*20261103*0930*1*X*005010X221A1~\nST*835*0001*005010X221A1~\n")
            for n in range(claims):
                out.write(f"CLP*OP{n:07d}*1*125*80**12*PAYER{n}~\nSVC*HC:99213*125*80**1~\nCAS*CO*45*45~\n")
            out.write(f"SE*{3 * claims + 2}*0001~\nGE*1*1~\nIEA*1*000004501~\n")
        tracemalloc.start()
        try:
            assert sum(1 for _ in read_segments(path)) == 3 * claims + 6
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(40_000)  # 160 KB and 3 MB of segments
    assert large < small * 1.5
