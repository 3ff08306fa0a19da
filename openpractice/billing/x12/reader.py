"""Reading X12 files: a streaming tokenizer that turns an interchange into Segment objects, one at a time.

The separators are not assumed: the 106-character ISA header names them (the element separator is the
character after "ISA", the repetition separator is ISA11 in 00402 and later, the component separator is ISA16
and the segment terminator is the character after it). Line breaks between segments (or inside them, for
files wrapped at 80 columns) are ignored unless a line break is itself a separator.

Nothing reads a whole file into a list: `read_segments()` pulls fixed-size chunks from the source and yields
each segment as soon as its terminator arrives, so memory stays flat however large the file (an 835 of
several hundred megabytes reads in the same memory as a 999 of one page).

Every problem with the input is one exception, `X12SyntaxError`, saying what is wrong and where (the segment's
number in the file, its ID and the character it starts at), in words a biller can pass on to the
clearinghouse. With `check_envelope=True` (the default) the ISA/IEA, GS/GE and ST/SE trailers are checked
against their headers as the segments go by: control numbers match, counts match, nothing outside an envelope.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

ISA_LENGTH = 106
CHUNK_SIZE = 64 * 1024
# No real segment comes near this; a longer one means the terminator is not what the header says.
MAX_SEGMENT_LENGTH = 64 * 1024
# Where the element separator must stand in the fixed-width ISA segment (0-based character index).
ISA_SEPARATOR_POSITIONS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DECIMAL = re.compile(r"-?(?:[0-9]{1,15}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})")

Source = str | bytes | bytearray | memoryview | os.PathLike[str] | IO[bytes] | IO[str]


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as Latin-1 (older payer systems), so every byte maps to a character."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error("openpractice_x12_latin1", _latin1_fallback)


class X12SyntaxError(ValueError):
    """The input is not a well-formed X12 interchange. `str()` is a complete sentence with the position."""

    def __init__(self, message: str, *, segment_position: int | None = None, segment_id: str = "",
                 offset: int | None = None) -> None:
        self.message = message
        self.segment_position = segment_position
        self.segment_id = segment_id
        self.offset = offset
        super().__init__(self.__str__())

    @property
    def where(self) -> str:
        parts: list[str] = []
        if self.segment_position is not None:
            parts.append(f"segment {self.segment_position}" + (f" ({self.segment_id})" if self.segment_id else ""))
        if self.offset is not None:
            parts.append(f"character {self.offset + 1}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"{self.message} ({where})" if where else self.message


@dataclass(frozen=True, slots=True)
class Separators:
    element: str
    component: str
    repetition: str | None
    segment: str


@dataclass(slots=True)
class Segment:
    """One segment: its ID, its elements (elements[0] is XX01), its number in the file (1-based) and the
    character it starts at (0-based). Read-only by convention (not frozen: a frozen dataclass costs a third
    of the tokenizer's time on a large 835)."""

    id: str
    elements: tuple[str, ...]
    position: int
    offset: int
    separators: Separators

    def element(self, number: int) -> str:
        """Element `number` counted as X12 does (NM109 is element(9)); "" when the segment is shorter."""
        return self.elements[number - 1] if 1 <= number <= len(self.elements) else ""

    def components(self, number: int) -> tuple[str, ...]:
        value = self.element(number)
        return tuple(value.split(self.separators.component)) if value else ()

    def component(self, number: int, index: int) -> str:
        """Component `index` (1-based) of element `number`: STC01-2 is component(1, 2)."""
        parts = self.components(number)
        return parts[index - 1] if 1 <= index <= len(parts) else ""

    def repetitions(self, number: int) -> tuple[str, ...]:
        value = self.element(number)
        if not value:
            return ()
        if self.separators.repetition is None:
            return (value,)
        return tuple(value.split(self.separators.repetition))

    def decimal(self, number: int) -> Decimal | None:
        """Element `number` as an X12 decimal (R type: optional minus, digits, optional point; no exponent),
        None when empty. Raises X12SyntaxError for anything else."""
        value = self.element(number).strip()
        if not value:
            return None
        if not _DECIMAL.fullmatch(value):
            raise self.error(f"{self.id}{number:02d} should be an amount or number, not {value[:20]!r}.")
        return Decimal(value)

    def date(self, number: int) -> dt.date | None:
        """Element `number` as a CCYYMMDD date, None when empty. Raises X12SyntaxError for anything else."""
        value = self.element(number).strip()
        if not value:
            return None
        try:
            if not value.isascii() or len(value) != 8:
                raise ValueError(value)
            return dt.datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise self.error(f"{self.id}{number:02d} should be a date (CCYYMMDD), not {value[:20]!r}.") from None

    @property
    def where(self) -> str:
        return f"segment {self.position} ({self.id})"

    def error(self, message: str) -> X12SyntaxError:
        """An X12SyntaxError located at this segment."""
        return X12SyntaxError(message, segment_position=self.position, segment_id=self.id, offset=self.offset)

    def __str__(self) -> str:
        return self.separators.element.join((self.id, *self.elements))


# --- turning any source into text chunks ----------------------------------------------------------------------


def _decode(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="openpractice_x12_latin1")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _read_file(handle: IO[bytes] | IO[str]) -> Iterator[str]:
    first: bytes | str = handle.read(CHUNK_SIZE)

    def pieces() -> Iterator[bytes | str]:
        chunk = first
        while chunk:
            yield chunk
            chunk = handle.read(CHUNK_SIZE)

    if isinstance(first, str):
        for piece in pieces():
            yield str(piece)
    else:
        yield from _decode(bytes(piece, "latin-1") if isinstance(piece, str) else bytes(piece) for piece in pieces())


def _text_pieces(source: Source) -> Iterator[str]:
    """The text of `source` in pieces of about CHUNK_SIZE characters (never the whole file at once)."""
    if isinstance(source, str):
        for start in range(0, len(source), CHUNK_SIZE):
            yield source[start:start + CHUNK_SIZE]
    elif isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        yield from _decode(bytes(view[start:start + CHUNK_SIZE]) for start in range(0, len(view), CHUNK_SIZE))
    elif isinstance(source, os.PathLike):
        with open(source, "rb") as handle:
            yield from _read_file(handle)
    else:
        yield from _read_file(source)


# --- the header -------------------------------------------------------------------------------------------------


def detect_separators(header: str) -> Separators:
    """The separators an ISA header declares. `header` is the first 106 characters of the interchange."""
    if len(header) < ISA_LENGTH or not header.startswith("ISA"):
        raise X12SyntaxError("An X12 interchange starts with a 106-character ISA header; this file does not.",
                             segment_position=1, offset=0)
    element = header[3]
    for index in ISA_SEPARATOR_POSITIONS:
        if header[index] != element:
            raise X12SyntaxError(
                "The ISA header is not in its fixed 106-character layout: the element separator "
                f"{element!r} should stand at character {index + 1}, found {header[index]!r}. Every ISA element "
                "is padded to its full width.", segment_position=1, segment_id="ISA", offset=index)
    component, terminator = header[104], header[105]
    version = header[84:89]
    repetition_candidate = header[82]
    repetition = None if repetition_candidate.isalnum() or version < "00402" else repetition_candidate
    declared = [element, component, terminator] + ([repetition] if repetition else [])
    for char in declared:
        if char.isalnum() or char == " ":
            raise X12SyntaxError(f"The ISA header names {char!r} as a separator; separators cannot be letters, "
                                 "digits or spaces.", segment_position=1, segment_id="ISA", offset=0)
    if len(set(declared)) != len(declared):
        raise X12SyntaxError("The ISA header uses the same character for two different separators.",
                             segment_position=1, segment_id="ISA", offset=0)
    return Separators(element=element, component=component, repetition=repetition, segment=terminator)


def _describe_start(text: str) -> str:
    head = text.lstrip()[:3]
    if head.startswith(("ST*", "ST|", "GS*", "GS|")):
        return ("The file starts with a transaction set or functional group but no ISA interchange header: it "
                "has no envelope. Ask the sender for the complete file.")
    return "This is not an X12 file: it should start with an ISA interchange header."


# --- the tokenizer ------------------------------------------------------------------------------------------------


def _header(text: str) -> tuple[str, int]:
    """The 106 header characters at the start of `text` (line breaks of a file wrapped at a fixed width
    skipped, except as the last character, the terminator) and where they end in `text`."""
    chars: list[str] = []
    for index, char in enumerate(text):
        if char in "\r\n" and len(chars) < ISA_LENGTH - 1:
            continue
        chars.append(char)
        if len(chars) == ISA_LENGTH:
            return "".join(chars), index + 1
    return "".join(chars), len(text)


def _tokenize(source: Source) -> Iterator[Segment]:
    chunks = _text_pieces(source)
    buffer = ""
    consumed = 0  # characters of the source before `buffer`
    # Find the header: skip a byte-order mark and blank space before "ISA".
    for chunk in chunks:
        buffer += chunk
        stripped = buffer.lstrip("\ufeff \t\r\n")
        if len(_header(stripped[:1024])[0]) >= ISA_LENGTH or (stripped and not "ISA".startswith(stripped[:3])):
            break
    stripped = buffer.lstrip("\ufeff \t\r\n")
    consumed = len(buffer) - len(stripped)
    buffer = stripped
    if not buffer.startswith("ISA"):
        if not buffer:
            raise X12SyntaxError("The file is empty.")
        raise X12SyntaxError(_describe_start(buffer), segment_position=1, offset=consumed)
    header, header_end = _header(buffer)
    if len(header) < ISA_LENGTH:
        raise X12SyntaxError("The file ends inside the ISA header (it needs 106 characters).",
                             segment_position=1, segment_id="ISA", offset=consumed)
    separators = detect_separators(header)
    terminator = separators.segment
    delimiters = {separators.element, separators.component, separators.segment}
    if separators.repetition:
        delimiters.add(separators.repetition)
    line_breaks = "".join(char for char in "\r\n" if char not in delimiters)
    drop_breaks = str.maketrans("", "", line_breaks)
    disallowed = "".join(chr(code) for code in (*range(0x20), 0x7f) if chr(code) not in delimiters | set(line_breaks))
    bad_control = re.compile(f"[{re.escape(disallowed)}]").search
    element = separators.element
    leading = line_breaks + " "
    known_ids: set[str] = set()
    position = 0

    def make(raw: str, start: int) -> Segment | None:
        """One segment from its raw text (without the terminator) starting at character `start`."""
        nonlocal position
        if raw[:1] in leading:  # the line break (or space) after the previous terminator
            stripped = raw.lstrip(leading)
            start += len(raw) - len(stripped)
            raw = stripped
        if line_breaks and ("\n" in raw or "\r" in raw):  # a file wrapped at a fixed width
            raw = raw.translate(drop_breaks)
        if not raw:
            return None  # blank space between segments
        position += 1
        parts = raw.split(element)
        segment_id = parts[0]
        if segment_id not in known_ids:
            if not _SEGMENT_ID.fullmatch(segment_id):
                raise X12SyntaxError(f"A segment starts with {segment_id[:12]!r}, which is not a segment ID (two or "
                                     "three capital letters or digits).", segment_position=position, offset=start)
            known_ids.add(segment_id)
        bad = bad_control(raw)
        if bad is not None:
            raise X12SyntaxError(f"The segment contains a control character ({ord(bad.group()):#04x}).",
                                 segment_position=position, segment_id=segment_id, offset=start + bad.start())
        return Segment(segment_id, tuple(parts[1:]), position, start, separators)

    def drain(final: bool) -> Iterator[Segment]:
        """The complete segments in `buffer`; what follows the last terminator stays for the next chunk."""
        nonlocal buffer, consumed
        cut = buffer.rfind(terminator)
        if cut >= 0:
            complete, buffer = buffer[:cut], buffer[cut + 1:]
            offset = consumed
            consumed += cut + 1
            for raw in complete.split(terminator):
                made = make(raw, offset)
                offset += len(raw) + 1
                if made is not None:
                    yield made
        if len(buffer) > MAX_SEGMENT_LENGTH:
            raise X12SyntaxError(
                f"No segment terminator {terminator!r} in more than {MAX_SEGMENT_LENGTH} characters: the file "
                "does not use the terminator its ISA header names.", segment_position=position + 1,
                offset=consumed)
        if final and buffer.translate(drop_breaks).strip(" \t\x00\x1a"):
            raise X12SyntaxError("The file ends in the middle of a segment (the last one has no terminator).",
                                 segment_position=position + 1, offset=consumed)

    # The header is read on its own: a file wrapped at a fixed width may have line breaks inside it.
    isa = make(header[:-1], consumed)
    buffer = buffer[header_end:]
    consumed += header_end
    if isa is not None:
        yield isa
    yield from drain(False)
    for chunk in chunks:
        buffer += chunk
        yield from drain(False)
    yield from drain(True)


# --- envelope checks ---------------------------------------------------------------------------------------------


def _count(segment: Segment, number: int, name: str) -> int:
    value = segment.element(number).strip()
    if not value.isdigit() or not value.isascii():
        raise segment.error(f"{name} should be a number, not {value[:20]!r}.")
    return int(value)


def _checked(segments: Iterator[Segment]) -> Iterator[Segment]:
    """Yield the segments while checking the ISA/GS/ST envelopes around them (see the module docstring)."""
    isa: Segment | None = None
    gs: Segment | None = None
    st: Segment | None = None
    groups = transactions = in_transaction = 0
    last: Segment | None = None
    for segment in segments:
        last = segment
        sid = segment.id
        if sid == "ISA":
            if isa is not None:
                raise segment.error("A new ISA header starts before the previous interchange's IEA trailer.")
            if len(segment.elements) != 16:
                raise segment.error(f"The ISA header has {len(segment.elements)} elements; it needs 16.")
            if not segment.element(13).isdigit() or not segment.element(13).isascii():
                raise segment.error("ISA13, the interchange control number, should be nine digits.")
            isa, groups = segment, 0
        elif isa is None:
            raise segment.error("This segment stands outside an interchange (after IEA or before ISA).")
        elif sid == "IEA":
            if gs is not None:
                raise segment.error("The interchange ends (IEA) while a functional group is still open (no GE).")
            if _count(segment, 1, "IEA01") != groups:
                raise segment.error(f"IEA01 says {segment.element(1)} functional group(s); the interchange has "
                                    f"{groups}.")
            if segment.element(2).strip() != isa.element(13).strip():
                raise segment.error(f"IEA02 ({segment.element(2)}) does not match the interchange control number "
                                    f"in ISA13 ({isa.element(13)}).")
            isa = None
        elif sid == "TA1":
            if gs is not None:
                raise segment.error("A TA1 interchange acknowledgement cannot stand inside a functional group.")
        elif sid == "GS":
            if gs is not None:
                raise segment.error("A new GS group starts before the previous group's GE trailer.")
            _count(segment, 6, "GS06 (the group control number)")
            gs, transactions, groups = segment, 0, groups + 1
        elif gs is None:
            raise segment.error("This segment stands outside a functional group (GS … GE).")
        elif sid == "GE":
            if st is not None:
                raise segment.error("The functional group ends (GE) while a transaction set is still open (no SE).")
            if _count(segment, 1, "GE01") != transactions:
                raise segment.error(f"GE01 says {segment.element(1)} transaction set(s); the group has "
                                    f"{transactions}.")
            if _count(segment, 2, "GE02") != _count(gs, 6, "GS06"):
                raise segment.error(f"GE02 ({segment.element(2)}) does not match the group control number in "
                                    f"GS06 ({gs.element(6)}).")
            gs = None
        elif sid == "ST":
            if st is not None:
                raise segment.error("A new transaction set starts (ST) before the previous one ended (SE).")
            if not segment.element(1) or not segment.element(2):
                raise segment.error("ST needs the transaction set ID (ST01) and its control number (ST02).")
            st, in_transaction, transactions = segment, 1, transactions + 1
        elif st is None:
            raise segment.error("This segment stands outside a transaction set (ST … SE).")
        elif sid == "SE":
            in_transaction += 1
            if _count(segment, 1, "SE01") != in_transaction:
                raise segment.error(f"SE01 says the transaction set has {segment.element(1)} segments; it has "
                                    f"{in_transaction} (ST and SE included).")
            if segment.element(2).strip() != st.element(2).strip():
                raise segment.error(f"SE02 ({segment.element(2)}) does not match the transaction set control "
                                    f"number in ST02 ({st.element(2)}).")
            st = None
        else:
            in_transaction += 1
        yield segment
    if last is None:
        raise X12SyntaxError("The file holds no segments.")
    if isa is not None:
        raise X12SyntaxError("The file ends before the interchange trailer (IEA): it looks cut short.",
                             segment_position=last.position, segment_id=last.id, offset=last.offset)


def read_segments(source: Source, *, check_envelope: bool = True) -> Iterator[Segment]:
    """The segments of `source` (text, bytes, a path or an open file), lazily. Raises X12SyntaxError."""
    segments = _tokenize(source)
    return _checked(segments) if check_envelope else segments


def transaction_set_ids(source: Source) -> tuple[str, str]:
    """(ST01, the implementation convention from ST03 or GS08) of the first transaction set, reading only as
    far as that ST. For telling a 999 from a 277CA from a 271 before parsing."""
    version = ""
    for segment in read_segments(source, check_envelope=False):
        if segment.id == "GS":
            version = segment.element(8)
        elif segment.id == "ST":
            return segment.element(1), segment.element(3) or version
    raise X12SyntaxError("The file holds no transaction set (no ST segment).")
