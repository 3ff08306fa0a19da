"""X12 elements, composites and segments: the separators, and turning our data into values a payer accepts.

Free text (names, addresses) goes through `text()`: accents are folded to ASCII, anything outside the X12
extended character set and the four delimiters we use (`*` element, `:` component, `^` repetition, `~` segment)
become spaces, runs of spaces collapse, and the value is cut to the element's maximum length. Most payers want
upper case; `text(..., upper=False)` keeps the case for those that do not. Identifiers (member IDs, NPIs, claim
numbers) go through `ident()`, which drops the delimiters and spaces but never changes a character otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal

ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
TERMINATOR = "~"
DELIMITERS = frozenset(ELEMENT + COMPONENT + REPETITION + TERMINATOR)

# The 5010 extended character set (letters, digits, space and these specials) less our four delimiters.
_NOT_ALLOWED = re.compile(r"""[^A-Za-z0-9 !"&'()+,\-./;?=%@\[\]_{}\\|<>#$`]""")
_SPACES = re.compile(r" {2,}")
_NOT_IDENT = re.compile(r"""[^A-Za-z0-9!"&'()+,\-./;?=%@\[\]_{}\\|<>#$`]""")
_NOT_DIGIT = re.compile(r"[^0-9]")


def _ascii(value: str) -> str:
    if value.isascii():
        return value
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


def text(value: str | None, max_length: int | None = None, *, upper: bool = True) -> str:
    """A free-text value (name, address, city): ASCII, no delimiters or control characters, one space between
    words, at most `max_length` characters, upper case unless `upper=False`."""
    if not value:
        return ""
    cleaned = _SPACES.sub(" ", _NOT_ALLOWED.sub(" ", _ascii(value))).strip()
    if upper:
        cleaned = cleaned.upper()
    if max_length is not None and len(cleaned) > max_length:
        cleaned = cleaned[:max_length].rstrip()
    return cleaned


def ident(value: str | None, max_length: int | None = None) -> str:
    """An identifier (member ID, claim number, payer ID): its characters as given, less delimiters and spaces."""
    if not value:
        return ""
    cleaned = _NOT_IDENT.sub("", _ascii(value))
    return cleaned[:max_length] if max_length is not None else cleaned


def digits(value: str | None) -> str:
    """Only the digits: ZIP+4 "27601-1234" -> "276011234", EIN "56-1234567" -> "561234567", phones."""
    return _NOT_DIGIT.sub("", value or "")


@functools.lru_cache(maxsize=4096)
def amount(value: Decimal | int) -> str:
    """An X12 R (decimal) value without needless zeros: 125.00 -> "125", 125.50 -> "125.5", -3.10 -> "-3.1".
    (Cached: a batch repeats the same few amounts; equal values give the same text.)"""
    quantized = Decimal(value).quantize(Decimal("0.01"))
    rendered = f"{quantized:f}"
    if "." in rendered:
        rendered = rendered.rstrip("0").rstrip(".")
    return "0" if rendered in ("", "-0") else rendered


def date8(value: dt.date) -> str:
    """CCYYMMDD (of a date, or of a datetime's date)."""
    return value.isoformat()[:10].replace("-", "")


def date6(value: dt.date) -> str:
    """YYMMDD (ISA09)."""
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def time4(value: dt.datetime | dt.time) -> str:
    """HHMM."""
    return f"{value.hour:02d}{value.minute:02d}"


def composite(*components: str) -> str:
    """Components joined by ':' with trailing empty components dropped."""
    parts = list(components)
    while parts and not parts[-1]:
        parts.pop()
    return COMPONENT.join(parts)


def segment(segment_id: str, *elements: str) -> str:
    """One segment without its terminator, trailing empty elements dropped (an X12 rule payers enforce)."""
    end = len(elements)
    while end and not elements[end - 1]:
        end -= 1
    if not end:
        return segment_id
    return segment_id + ELEMENT + ELEMENT.join(elements[:end])


def pad(value: str, width: int) -> str:
    """A fixed-width ISA element: left-justified, space-filled, cut to `width`."""
    return value[:width].ljust(width)
