"""Reading X12 files: a streaming tokenizer that turns an interchange into Segment objects, one at a time.

The separators are not assumed: the 106-character ISA header names them (the element separator is the
character after "ISA", the repetition separator is ISA11 in 00402 and later, the component separator is ISA16
and the segment terminator is the character after it). Line breaks between segments (or inside them, for
files wrapped at 80 columns) are ignored unless a line break is itself a separator.

Nothing reads a whole file into a list: `read_segments()` pulls fixed-size chunks from the source and yields
the segments of each chunk as soon as it is read, so memory stays flat however large the file (an 835 of
several hundred megabytes reads in the same memory as a 999 of one page). `read_batches()` yields the same
segments a chunk at a time as lists of strings, for a reader of large files (the 835) that would rather not
make a Segment object of each.

Every problem with the input is one exception, `X12SyntaxError`, saying what is wrong and where (the segment's
number in the file, its ID and the character it starts at), in words a biller can pass on to the
clearinghouse. With `check_envelope=True` (the default) the ISA/IEA, GS/GE and ST/SE trailers are checked
against their headers as the segments go by: control numbers match, counts match, nothing outside an envelope.
A problem is raised after every segment before it has been yielded, as if the segments went one at a time, so
a reader meets the first problem in the file first.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, chain, count, repeat
from operator import add, itemgetter, sub
from typing import IO

ISA_LENGTH = 106
# Small enough that a chunk's segments, split into lists of strings, are still in the processor's cache when the
# reader goes through them (16 KiB read a large 835 about 5% faster than 64 KiB, measured).
CHUNK_SIZE = 16 * 1024
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
# A chunk of the file at a time: its complete segments are split with str.split and checked with a few tests over
# the whole chunk (no control character, no blank segment, no segment ID not seen before), all of them loops in C
# rather than Python work per character or per segment. A chunk that fails one of those tests is read again
# segment by segment (`_Tokenizer.slow`), which finds the segment and character to name in the error or skips
# the blank. A chunk's segments stay lists of strings (`Batch`) until a reader asks for Segment objects:
# `read_segments` makes them all; the 835 reader, which reads files of hundreds of thousands of segments, makes
# one only for a segment it has to name in an error.


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


class _Tokenizer:
    """What it takes to cut one interchange into segments (from its separators), and the segments counted so
    far."""

    def __init__(self, separators: Separators) -> None:
        self.separators = separators
        self.terminator = separators.segment
        self.element = separators.element
        delimiters = {separators.element, separators.component, separators.segment}
        if separators.repetition:
            delimiters.add(separators.repetition)
        self.line_breaks = "".join(char for char in "\r\n" if char not in delimiters)
        self.drop_breaks = str.maketrans("", "", self.line_breaks)
        self.leading = self.line_breaks + " "
        allowed = delimiters | set(self.line_breaks)
        disallowed = "".join(chr(code) for code in (*range(0x20), 0x7f) if chr(code) not in allowed)
        self.bad_control = re.compile(f"[{re.escape(disallowed)}]").search
        # The ASCII characters a segment may hold. bytes.translate deleting them from an ASCII chunk leaves
        # nothing unless the chunk holds a disallowed control character (ten times faster than the regex).
        self.allowed_ascii = bytes(range(0x20, 0x7f)) + "".join(sorted(c for c in allowed if c.isascii())).encode()
        self.known_ids: set[str] = set()
        self.position = 0

    def clean(self, raw: str, start: int) -> tuple[str, int]:
        """A segment's text without the line breaks (and spaces) after the previous terminator or the line breaks
        of a file wrapped at a fixed width, and the character it starts at."""
        if raw[:1] in self.leading:  # the line break (or space) after the previous terminator
            stripped = raw.lstrip(self.leading)
            start += len(raw) - len(stripped)
            raw = stripped
        if self.line_breaks and ("\n" in raw or "\r" in raw):  # a file wrapped at a fixed width
            raw = raw.translate(self.drop_breaks)
        return raw, start

    def make(self, raw: str, start: int) -> tuple[list[str], int] | None:
        """One segment, checked, from its raw text (without the terminator) starting at character `start`: its
        ID and elements, and where it starts. None for blank space between segments."""
        raw, start = self.clean(raw, start)
        if not raw:
            return None
        self.position += 1
        parts = raw.split(self.element)
        segment_id = parts[0]
        if segment_id not in self.known_ids:
            if not _SEGMENT_ID.fullmatch(segment_id):
                raise X12SyntaxError(f"A segment starts with {segment_id[:12]!r}, which is not a segment ID (two or "
                                     "three capital letters or digits).", segment_position=self.position,
                                     offset=start)
            self.known_ids.add(segment_id)
        bad = self.bad_control(raw)
        if bad is not None:
            raise X12SyntaxError(f"The segment contains a control character ({ord(bad.group()):#04x}).",
                                 segment_position=self.position, segment_id=segment_id, offset=start + bad.start())
        return parts, start

    def fast(self, text: str, base: int) -> Batch | None:
        """The segments of `text` (complete segments, the last one's terminator cut off) starting at character
        `base`, or None when the whole-chunk tests do not prove them all fine: `slow()` then reads them."""
        if text.isascii():
            if text.encode("ascii").translate(None, self.allowed_ascii):
                return None
        elif self.bad_control(text) is not None:
            return None
        clean = text
        for line_break in self.line_breaks:
            if line_break in clean:
                clean = clean.replace(line_break, "")
        parts = list(map(str.split, clean.split(self.terminator), repeat(self.element)))
        ids = set(map(itemgetter(0), parts))
        # Only segment IDs that passed the check are known: a blank segment (ID "", skipped and not counted) or
        # one after a space (ID " GS") is not, and is left to slow() too.
        if not ids <= self.known_ids:
            if not all(map(_SEGMENT_ID.fullmatch, ids - self.known_ids)):
                return None
            self.known_ids |= ids
        batch = Batch(parts, self.position + 1, self, text, base, ids=ids)
        self.position += len(parts)
        return batch

    def slow(self, text: str, base: int) -> tuple[Batch, X12SyntaxError | None]:
        """The segments of `text` read one by one: those before the first problem, and the problem (or None)."""
        parts: list[list[str]] = []
        offsets: list[int] = []
        batch = Batch(parts, self.position + 1, self, text, base, offsets)
        start = base
        try:
            for raw in text.split(self.terminator):
                made = self.make(raw, start)
                start += len(raw) + 1
                if made is not None:
                    parts.append(made[0])
                    offsets.append(made[1])
        except X12SyntaxError as error:
            return batch, error
        return batch, None


class Batch:
    """Consecutive segments of a file, each a list of its ID and its elements (`parts[i][n]` is element n of
    segment i, `parts[i][0]` its ID): what `read_batches` yields, for readers of large files that would rather
    not build a Segment object for every segment. Segment number `position + i`; `segment(i)` makes the
    Segment (with the character it starts at) when one is needed, to name in an error."""

    __slots__ = ("_ids", "_offsets", "base", "parts", "position", "text", "tokenizer")

    def __init__(self, parts: list[list[str]], position: int, tokenizer: _Tokenizer, text: str, base: int,
                 offsets: list[int] | None = None, ids: set[str] | None = None) -> None:
        self.parts = parts
        self.position = position
        self.tokenizer = tokenizer
        self.text = text
        self.base = base
        self._offsets = offsets
        self._ids = ids

    @property
    def ids(self) -> set[str]:
        """The segment IDs in the batch."""
        if self._ids is None:
            self._ids = set(map(itemgetter(0), self.parts))
        return self._ids

    @property
    def separators(self) -> Separators:
        return self.tokenizer.separators

    def offsets(self) -> list[int]:
        """The character each segment starts at, worked out (in C) the first time it is asked for. Only a batch
        that passed `_Tokenizer.fast` comes here without them: one segment for each terminator, none blank."""
        if self._offsets is None:
            raws = self.text.split(self.tokenizer.terminator)
            starts = accumulate(map(add, map(len, raws), repeat(1)), initial=self.base)
            # Each segment starts where its raw text ends less its length without the leading line breaks.
            stripped = map(len, map(str.lstrip, raws, repeat(self.tokenizer.leading)))
            self._offsets = list(map(sub, map(add, starts, map(len, raws)), stripped))
        return self._offsets

    def segment(self, index: int) -> Segment:
        parts = self.parts[index]
        return Segment(parts[0], tuple(parts[1:]), self.position + index, self.offsets()[index], self.separators)

    def segments(self) -> Iterator[Segment]:
        """The Segment objects, made one at a time as they are asked for (so that a reader that goes through
        them one by one lets each go before the next is made)."""
        parts = self.parts
        return map(Segment, map(itemgetter(0), parts), map(tuple, map(itemgetter(slice(1, None)), parts)),
                   count(self.position), self.offsets(), repeat(self.separators))

    def head(self, size: int) -> Batch:
        """The first `size` segments."""
        return Batch(self.parts[:size], self.position, self.tokenizer, self.text, self.base, self._offsets)


def _batches(source: Source) -> Iterator[Batch]:
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
    tokenizer = _Tokenizer(detect_separators(header))
    terminator = tokenizer.terminator
    # The header is read on its own: a file wrapped at a fixed width may have line breaks inside it.
    isa = tokenizer.make(header[:-1], consumed)
    if isa is not None:
        yield Batch([isa[0]], 1, tokenizer, header, consumed, [isa[1]])
    buffer = buffer[header_end:]
    consumed += header_end
    final = False
    while True:
        # The complete segments in `buffer`; what follows the last terminator waits for the next chunk.
        cut = buffer.rfind(terminator)
        if cut >= 0:
            complete, buffer = buffer[:cut], buffer[cut + 1:]
            error = None
            batch = tokenizer.fast(complete, consumed)
            if batch is None:
                batch, error = tokenizer.slow(complete, consumed)
            consumed += cut + 1
            if batch.parts:
                yield batch
            if error is not None:
                raise error
        if len(buffer) > MAX_SEGMENT_LENGTH:
            raise X12SyntaxError(
                f"No segment terminator {terminator!r} in more than {MAX_SEGMENT_LENGTH} characters: the file "
                "does not use the terminator its ISA header names.", segment_position=tokenizer.position + 1,
                offset=consumed)
        if final:
            if buffer.translate(tokenizer.drop_breaks).strip(" \t\x00\x1a"):
                raise X12SyntaxError("The file ends in the middle of a segment (the last one has no terminator).",
                                     segment_position=tokenizer.position + 1, offset=consumed)
            return
        piece = next(chunks, None)
        if piece is None:
            final = True
        else:
            buffer += piece


# --- envelope checks ---------------------------------------------------------------------------------------------

_ENVELOPE_IDS = frozenset({"ISA", "IEA", "TA1", "GS", "GE", "ST", "SE"})


def _count(segment: Segment, number: int, name: str) -> int:
    value = segment.element(number).strip()
    if not value.isdigit() or not value.isascii():
        raise segment.error(f"{name} should be a number, not {value[:20]!r}.")
    return int(value)


class _Envelope:
    """The ISA/GS/ST envelopes open so far, checked segment by segment (see the module docstring)."""

    def __init__(self) -> None:
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.groups = self.transactions = self.in_transaction = 0

    def check(self, segment: Segment) -> None:
        sid = segment.id
        isa, gs, st = self.isa, self.gs, self.st
        if sid == "ISA":
            if isa is not None:
                raise segment.error("A new ISA header starts before the previous interchange's IEA trailer.")
            if len(segment.elements) != 16:
                raise segment.error(f"The ISA header has {len(segment.elements)} elements; it needs 16.")
            if not segment.element(13).isdigit() or not segment.element(13).isascii():
                raise segment.error("ISA13, the interchange control number, should be nine digits.")
            self.isa, self.groups = segment, 0
        elif isa is None:
            raise segment.error("This segment stands outside an interchange (after IEA or before ISA).")
        elif sid == "IEA":
            if gs is not None:
                raise segment.error("The interchange ends (IEA) while a functional group is still open (no GE).")
            if _count(segment, 1, "IEA01") != self.groups:
                raise segment.error(f"IEA01 says {segment.element(1)} functional group(s); the interchange has "
                                    f"{self.groups}.")
            if segment.element(2).strip() != isa.element(13).strip():
                raise segment.error(f"IEA02 ({segment.element(2)}) does not match the interchange control number "
                                    f"in ISA13 ({isa.element(13)}).")
            self.isa = None
        elif sid == "TA1":
            if gs is not None:
                raise segment.error("A TA1 interchange acknowledgement cannot stand inside a functional group.")
        elif sid == "GS":
            if gs is not None:
                raise segment.error("A new GS group starts before the previous group's GE trailer.")
            _count(segment, 6, "GS06 (the group control number)")
            self.gs, self.transactions, self.groups = segment, 0, self.groups + 1
        elif gs is None:
            raise segment.error("This segment stands outside a functional group (GS … GE).")
        elif sid == "GE":
            if st is not None:
                raise segment.error("The functional group ends (GE) while a transaction set is still open (no SE).")
            if _count(segment, 1, "GE01") != self.transactions:
                raise segment.error(f"GE01 says {segment.element(1)} transaction set(s); the group has "
                                    f"{self.transactions}.")
            if _count(segment, 2, "GE02") != _count(gs, 6, "GS06"):
                raise segment.error(f"GE02 ({segment.element(2)}) does not match the group control number in "
                                    f"GS06 ({gs.element(6)}).")
            self.gs = None
        elif sid == "ST":
            if st is not None:
                raise segment.error("A new transaction set starts (ST) before the previous one ended (SE).")
            if not segment.element(1) or not segment.element(2):
                raise segment.error("ST needs the transaction set ID (ST01) and its control number (ST02).")
            self.st, self.in_transaction, self.transactions = segment, 1, self.transactions + 1
        elif st is None:
            raise segment.error("This segment stands outside a transaction set (ST … SE).")
        elif sid == "SE":
            self.in_transaction += 1
            if _count(segment, 1, "SE01") != self.in_transaction:
                raise segment.error(f"SE01 says the transaction set has {segment.element(1)} segments; it has "
                                    f"{self.in_transaction} (ST and SE included).")
            if segment.element(2).strip() != st.element(2).strip():
                raise segment.error(f"SE02 ({segment.element(2)}) does not match the transaction set control "
                                    f"number in ST02 ({st.element(2)}).")
            self.st = None
        else:
            self.in_transaction += 1


def _envelope_indices(batch: Batch) -> list[int]:
    """Where the envelope segments (ISA, GS, ST, their trailers, TA1) stand in `batch`, in order: found with
    list.index (in C), as they are a handful among thousands, and in most batches none."""
    found: list[int] = []
    present = _ENVELOPE_IDS.intersection(batch.ids)
    ids = list(map(itemgetter(0), batch.parts)) if present else []
    for sid in present:
        at = ids.index(sid)
        while True:
            found.append(at)
            try:
                at = ids.index(sid, at + 1)
            except ValueError:
                break
    found.sort()
    return found


def _checked(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Yield the batches while checking the ISA/GS/ST envelopes around their segments. A segment in error is
    reported after the segments before it have been yielded, as if they went one at a time. Inside a
    transaction set the segments between envelope segments are only counted."""
    envelope = _Envelope()
    last: Batch | None = None
    for batch in batches:
        count = len(batch.parts)
        at = done = 0
        try:
            for mark in (*_envelope_indices(batch), count):
                if mark > done:
                    if envelope.st is None:
                        at = done
                        envelope.check(batch.segment(at))  # raises: only envelope segments stand outside ST … SE
                        done += 1
                    envelope.in_transaction += mark - done
                if mark < count:
                    at = mark
                    envelope.check(batch.segment(at))
                done = mark + 1
        except X12SyntaxError:
            if at:
                yield batch.head(at)
            raise
        last = batch
        yield batch
    if last is None:
        raise X12SyntaxError("The file holds no segments.")
    if envelope.isa is not None:
        segment = last.segment(len(last.parts) - 1)
        raise X12SyntaxError("The file ends before the interchange trailer (IEA): it looks cut short.",
                             segment_position=segment.position, segment_id=segment.id, offset=segment.offset)


def read_batches(source: Source, *, check_envelope: bool = True) -> Iterator[Batch]:
    """The segments of `source` a chunk of the file at a time, lazily, for readers of large files (the 835).
    The same segments, checks and errors as `read_segments`."""
    batches = _batches(source)
    return _checked(batches) if check_envelope else batches


def read_segments(source: Source, *, check_envelope: bool = True) -> Iterator[Segment]:
    """The segments of `source` (text, bytes, a path or an open file), lazily. Raises X12SyntaxError."""
    return chain.from_iterable(map(Batch.segments, read_batches(source, check_envelope=check_envelope)))


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
