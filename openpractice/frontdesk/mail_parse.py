"""Reading an email from the outside, with the standard library only (`email`, policy.default).

`mail_parse(raw)` never raises for what a sender can put in a mail: bad or missing headers, an unknown or lying
character set, broken MIME (no boundary, bad base64), non-MIME garbage, header lines of megabytes. Whatever could
be read is returned, and `notes` says in plain words what could not. Only a non-bytes argument is refused
(TypeError).

The HTML part is kept only as `sanitise_html` leaves it (nh3): no script or style, no event attributes, no
javascript: or relative links, no images loaded from anywhere (an <img> keeps its alt text, never its src), so
the message page can show it without it ever executing or calling home. The text is the text/plain part, or
the text of the HTML part when there is none.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageDefect
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import nh3

# Past these sizes the rest is cut (and a note says so): a header is never parsed structurally when longer.
MAX_HEADER_CHARS = 4000
MAX_TEXT_CHARS = 200_000
MAX_HTML_CHARS = 500_000
MAX_ADDRESSES = 50
MAX_REFERENCES = 30
MAX_PARTS = 200

_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")  # printable ASCII but < and >
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bytes no charset could decode come back as lone surrogates: neither nh3 nor the database take them.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")

_HTML_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
_HTML_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"alt", "width", "height"},  # never src: nothing is loaded from outside
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "bdo": {"dir"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass
class ParsedAttachment:
    """One part that is not the mail's text: its name as the sender gave it (cleaned), the type the sender
    claimed (never trusted), and its decoded bytes."""

    filename: str
    declared_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedMail:
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    reply_to: str = ""
    to_addresses: list[str] = field(default_factory=list)
    cc_addresses: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""  # sanitised
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value (cleaned, cut)
    content_type: str = ""
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers


# --- small cleaners --------------------------------------------------------------------------------------------


def clean_line(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """One line of text: no control characters (NUL included), runs of white space as one space, cut."""
    value = _CONTROL.sub("", _SURROGATE.sub("\ufffd", value))
    return _SPACES.sub(" ", value).strip()[:limit]


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A block of text: line ends as \\n, no control characters but tab and newline, cut."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", value))[:limit]


def clean_filename(raw: str, fallback: str) -> str:
    """The name part of what the sender called a file: no folders, no control or format characters
    (right-to-left overrides), at most 200 characters; `fallback` when nothing is left."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = clean_line(name, 400).strip(". ")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:190]}.{extension[:8]}" if dot and len(extension) <= 8 else name[:200]
    return name or fallback


def message_ids(value: str, limit: int = MAX_REFERENCES) -> list[str]:
    """The <message-ids> named in a header value (the last `limit`: the nearest ancestors)."""
    found = _MSG_ID.findall(value)
    return found[-limit:] if limit else found


# --- headers ---------------------------------------------------------------------------------------------------


def _raw_headers(message: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in message.raw_items()]
    except Exception:  # noqa: BLE001 - a header we cannot even list is a header we do not have
        return []


def _decoded(raw: str) -> str:
    """A raw header value with its RFC 2047 words decoded where possible."""
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001 - unknown charsets, broken encoded words: keep the raw text
        return raw


def _header_text(message: Message, raw_value: str | None, name: str) -> str:
    """The decoded value of a header, through policy.default when the header is of a sane size, else (or when
    that fails) decoded by hand from the raw text."""
    if raw_value is None:
        return ""
    if len(raw_value) <= MAX_HEADER_CHARS:
        try:
            return str(message.get(name, ""))
        except Exception:  # noqa: BLE001, S110 - fall back to decoding the raw value ourselves
            pass
    return _decoded(raw_value[:MAX_HEADER_CHARS])


def _addresses(raw_value: str | None) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header; never raises, at most MAX_ADDRESSES."""
    if not raw_value:
        return []
    text = _decoded(raw_value[:MAX_HEADER_CHARS])
    try:
        pairs = getaddresses([text])
    except Exception:  # noqa: BLE001
        pairs = []
    result = []
    for name, address in pairs[:MAX_ADDRESSES]:
        address = clean_line(address, 254)
        if "@" in address:
            result.append((clean_line(name, 120), address))
    return result


def _read_headers(message: Message, parsed: ParsedMail) -> None:
    raw = _raw_headers(message)
    first: dict[str, str] = {}
    for name, value in raw:
        key = name.lower().strip()
        if key and key not in first:
            first[key] = value
    parsed.headers = {key: clean_line(_decoded(value[:MAX_HEADER_CHARS]), 1000) for key, value in first.items()}
    if any(len(value) > MAX_HEADER_CHARS for _name, value in raw):
        parsed.note("Some header lines were too long and were cut.")

    parsed.subject = clean_line(_header_text(message, first.get("subject"), "Subject"), 255)

    senders = _addresses(first.get("from"))
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    elif first.get("from"):
        name, address = parseaddr(_decoded(first["from"][:MAX_HEADER_CHARS]))
        parsed.from_name = clean_line(name or address, 120)
        parsed.note("The sender's address could not be read.")
    else:
        parsed.note("The mail has no sender address.")
    reply_to = _addresses(first.get("reply-to"))
    parsed.reply_to = reply_to[0][1] if reply_to else ""
    parsed.to_addresses = [address for _name, address in _addresses(first.get("to"))]
    parsed.cc_addresses = [address for _name, address in _addresses(first.get("cc"))]

    ids = message_ids(first.get("message-id", "")[:MAX_HEADER_CHARS], 1)
    parsed.message_id = ids[0] if ids else ""
    replied = message_ids(first.get("in-reply-to", "")[:MAX_HEADER_CHARS], 1)
    parsed.in_reply_to = replied[0] if replied else ""
    references = message_ids(" ".join(value for name, value in raw if name.lower() == "references")[-20_000:])
    parsed.references = references

    date_value = first.get("date")
    if date_value:
        try:
            moment = parsedate_to_datetime(clean_line(date_value, 200))
        except Exception:  # noqa: BLE001 - an unreadable date is no date
            moment = None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        parsed.date = moment


# --- bodies ----------------------------------------------------------------------------------------------------


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML document: no script or style, a line break after each block."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre",
              "hr", "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text a person reads in an HTML mail, lines kept, blank runs squeezed."""
    try:
        reader = _TextOfHtml()
        reader.feed(markup[:MAX_HTML_CHARS])
        reader.close()
        text = "".join(reader.parts)
    except Exception:  # noqa: BLE001 - the parser gave up: keep the text nh3 leaves
        text = html.unescape(nh3.clean(markup[:MAX_HTML_CHARS], tags=set()))
    lines = [clean_line(line, 10_000) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitise_html(markup: str) -> str:
    """HTML safe to show inside our page: only harmless tags and attributes, links to http(s)/mailto/tel only
    (opened without referrer), no images loaded, no script, style, forms, frames or event handlers."""
    return nh3.clean(
        _SURROGATE.sub("\ufffd", markup[:MAX_HTML_CHARS].replace("\x00", "")),
        tags=_HTML_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_HTML_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _part_text(part: Message, parsed: ParsedMail) -> str:
    """A text part's content as str: its own charset when Python knows it, else UTF-8 with replacements."""
    return _SURROGATE.sub("\ufffd", _part_text_raw(part, parsed))


def _part_text_raw(part: Message, parsed: ParsedMail) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return content
    except LookupError:
        parsed.note(f"Unknown character set “{clean_line(str(part.get_param('charset') or ''), 40)}”: "
                    "the text is shown as UTF-8.")
    except Exception:  # noqa: BLE001, S110 - fall back to the raw payload below
        pass
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", errors="replace") if isinstance(raw, str) else b""


def _content_type(part: Message) -> str:
    try:
        return clean_line(part.get_content_type(), 100).lower()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    return _decoded(str(name)) if name else ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


def _body_part(message: Message, preference: tuple[str, ...]) -> Message | None:
    if not isinstance(message, EmailMessage):
        return None
    try:
        return message.get_body(preferencelist=preference)
    except Exception:  # noqa: BLE001 - a structure get_body cannot walk: look ourselves
        return None


_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "text/plain": "txt",
               "text/html": "html", "text/calendar": "ics", "message/rfc822": "eml"}


def _read_bodies(message: Message, parsed: ParsedMail) -> None:
    plain = _body_part(message, ("plain",))
    rich = _body_part(message, ("html",))
    if plain is None and rich is None and not message.is_multipart():
        kind = _content_type(message)
        if kind == "text/html":
            rich = message
        elif kind.startswith("text/") or (kind == "application/octet-stream" and not _filename(message)):
            plain = message
    extra_text: list[str] = []
    try:
        leaves = [part for part in message.walk() if not part.is_multipart()]
    except Exception:  # noqa: BLE001 - a structure too deep or broken to walk
        leaves = [message] if not message.is_multipart() else []
        parsed.note("The mail's structure could not be read in full.")
    if len(leaves) > MAX_PARTS:
        parsed.note(f"The mail has {len(leaves)} parts; only the first {MAX_PARTS} were read.")
        leaves = leaves[:MAX_PARTS]
    for number, part in enumerate(leaves, start=1):
        if part is plain or part is rich:
            continue
        kind = _content_type(part)
        name = _filename(part)
        disposition = _disposition(part)
        if (kind == "text/plain" or kind.startswith("multipart/")) and not name and disposition != "attachment":
            # (a multipart section without parts is broken MIME: its raw content is the best text there is)
            text = _part_text(part, parsed).strip()
            if text:
                extra_text.append(text)
            continue
        if kind == "text/html" and not name and disposition != "attachment":
            continue  # another rendering of the text we already have
        content = _part_bytes(part)
        if not content and not name:
            continue
        fallback = f"attachment-{number}.{_EXTENSIONS.get(kind, 'bin')}"
        parsed.attachments.append(ParsedAttachment(filename=clean_filename(name, fallback), declared_type=kind,
                                                   content=content))
    text = _part_text(plain, parsed) if plain is not None else ""
    if rich is not None:
        markup = _part_text(rich, parsed)
        if len(markup) > MAX_HTML_CHARS:
            parsed.note("The HTML version was too long and was cut.")
        parsed.html = sanitise_html(markup)
        if not text.strip():
            text = html_to_text(markup)
    if extra_text:
        text = "\n\n".join(piece for piece in [text.strip(), *extra_text] if piece)
    if len(text) > MAX_TEXT_CHARS:
        parsed.note("The text was too long and was cut.")
    parsed.text = clean_text(text).strip()


_DEFECT_WORDS = {
    "StartBoundaryNotFoundDefect": "a part boundary was missing",
    "CloseBoundaryNotFoundDefect": "the last part was not closed",
    "NoBoundaryInMultipartDefect": "a multipart section had no boundary",
    "MultipartInvariantViolationDefect": "a multipart section had no parts",
    "MissingHeaderBodySeparatorDefect": "the headers ran into the text",
    "InvalidBase64PaddingDefect": "an encoded part was damaged",
    "InvalidBase64CharactersDefect": "an encoded part was damaged",
    "InvalidBase64LengthDefect": "an encoded part was damaged",
    "MisplacedEnvelopeHeaderDefect": "the mail had misplaced envelope lines",
    "FirstHeaderLineIsContinuationDefect": "the first header line was damaged",
    "InvalidHeaderDefect": "a header was malformed",
    "HeaderMissingRequiredValue": "a header was empty",
    "NonPrintableDefect": "a header had characters that cannot be shown",
    "UndecodableBytesDefect": "a header had bytes in no known character set",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart section was encoded wrongly",
}


def _collect_defects(message: Message, parsed: ParsedMail) -> None:
    found: list[MessageDefect] = []
    try:
        for part in message.walk():
            found.extend(getattr(part, "defects", []) or [])
    except Exception:  # noqa: BLE001
        found.extend(getattr(message, "defects", []) or [])
    words = []
    for defect in found:
        word = _DEFECT_WORDS.get(type(defect).__name__)
        if word and word not in words:
            words.append(word)
    if words:
        parsed.note("The mail was malformed (" + "; ".join(words[:5]) + "): what could be read is shown.")


def mail_parse(raw: bytes) -> ParsedMail:
    """Read an RFC 5322 mail (see the module docstring). Raises TypeError only if `raw` is not bytes."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("mail_parse() reads bytes")
    raw = bytes(raw)
    parsed = ParsedMail()
    if not raw.strip():
        parsed.note("The mail was empty.")
        return parsed
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # noqa: BLE001 - the parser itself gave up: keep the bytes as text
        parsed.note("The mail could not be read as email; its raw text is shown.")
        parsed.text = clean_text(raw.decode("utf-8", errors="replace")).strip()
        return parsed
    _read_headers(message, parsed)
    parsed.content_type = _content_type(message)
    try:
        _read_bodies(message, parsed)
    except Exception:  # noqa: BLE001 - last resort: everything after the headers, as text
        parsed.note("The mail's parts could not be read; its raw text is shown.")
        _head, _sep, rest = raw.partition(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n")
        parsed.text = clean_text((rest or raw).decode("utf-8", errors="replace")).strip()
    _collect_defects(message, parsed)
    if not parsed.headers:
        parsed.note("The mail had no readable headers.")
    return parsed
