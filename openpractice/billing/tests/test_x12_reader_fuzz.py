"""Fuzzing the X12 reader and the 999, 277CA and 271 parsers: whatever bytes arrive (random, or a real file
damaged in random ways), the only failure is X12SyntaxError; never an IndexError, a UnicodeError, a hang."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.billing.x12.ack_277ca import parse_277ca
from openpractice.billing.x12.ack_999 import parse_999
from openpractice.billing.x12.eligibility_271 import parse_271
from openpractice.billing.x12.reader import X12SyntaxError, read_segments, transaction_set_ids

SAMPLES = Path(__file__).parent / "x12"
FILES = {
    "999-rejected.x12": parse_999,
    "999-accepted.x12": parse_999,
    "277ca-mixed.x12": parse_277ca,
    "271-active.x12": parse_271,
    "271-batch.x12": parse_271,
}
PARSERS: list[Callable[[bytes], Any]] = [parse_999, parse_277ca, parse_271, lambda data: list(read_segments(data)),
                                         transaction_set_ids]
# Bytes that matter to X12: separators, line breaks, digits, letters of segment IDs, a NUL, non-UTF-8.
INTERESTING = st.sampled_from([b"*", b":", b"^", b"~", b"\r\n", b"\n", b"0", b"9", b"A", b"Z", b"ST", b"SE",
                               b"HL", b"EB", b"\x00", b"\xff", b"\xc3", b" ", b"-", b".", b"ISA"])


def only_syntax_errors(parser: Callable[[bytes], Any], data: bytes) -> None:
    refusal: X12SyntaxError | None = None
    try:
        parser(data)
    except X12SyntaxError as error:
        refusal = error
    if refusal is not None:
        assert refusal.message  # a message a person can read
        assert str(refusal).startswith(refusal.message)


@st.composite
def mutated(draw: Any) -> tuple[str, bytes]:
    """A sample file with 1-4 random mutations: bytes replaced, inserted or deleted, a slice repeated."""
    name = draw(st.sampled_from(sorted(FILES)))
    data = bytearray((SAMPLES / name).read_bytes())
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
            end = min(len(data), at + draw(st.integers(1, 80)))
            data[end:end] = data[at:end]
        elif kind == "truncate":
            del data[at:]
    return name, bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_x12_syntax_errors(data):
    for parser in PARSERS:
        only_syntax_errors(parser, data)


@settings(max_examples=200, deadline=None)
@given(st.lists(INTERESTING, max_size=60).map(b"".join))
def test_an_isa_header_followed_by_x12_like_noise_only_raises_x12_syntax_errors(noise):
    header = (SAMPLES / "999-accepted.x12").read_bytes()[:106]
    for parser in PARSERS:
        only_syntax_errors(parser, header + noise)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_damaged_real_files_only_raise_x12_syntax_errors(case):
    _name, data = case
    for parser in PARSERS:
        only_syntax_errors(parser, data)


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_undamaged_samples_parse(name):
    FILES[name]((SAMPLES / name).read_bytes())
