"""Reading mail from outside: what a sender wrote comes through, what could harm us does not, and nothing a
sender can send makes the parser fail (fuzzed with hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.frontdesk.mail_parse import ParsedMail, html_to_text, mail_parse, sanitise_html
from openpractice.frontdesk.mail_safety import (
    ATTACHMENT_MAX_BYTES,
    attachments_check,
    automatic_reason,
)

from .factories_mail import EXE, PDF, PNG, make_mail

OURS = ["desk@practice.test"]

HOSTILE_HTML = (
    "<html><head><style>body{background:url(https://track.example/bg)}</style><title>t</title></head><body>"
    "<p onclick=\"steal()\">Dear desk,</p><script>alert('xss')</script>"
    "<img src=\"https://track.example/pixel.gif\" onerror=\"alert(1)\" alt=\"logo\">"
    "<a href=\"javascript:alert(1)\">click</a> <a href=\"https://ok.example/page\">site</a>"
    "<a href=\"/frontdesk/mailboxes/\">inside</a><iframe src=\"https://evil.example\"></iframe>"
    "<form action=\"https://evil.example\"><input name=\"p\"></form><svg onload=\"alert(2)\"></svg>"
    "<div style=\"background:url(https://track.example/x)\">styled</div></body></html>"
)


def test_a_plain_mail_gives_its_headers_and_text():
    raw = make_mail(sender="Jane Doe <Jane@Example.org>", to="desk@practice.test, billing@practice.test",
                    subject="Refill for Ünïcode", text="Line one\nLine two", message_id="<m1@example.org>",
                    in_reply_to="<p1@practice.test>", references=["<p0@practice.test>", "<p1@practice.test>"])
    mail = mail_parse(raw)
    assert (mail.from_name, mail.from_address) == ("Jane Doe", "Jane@Example.org")
    assert mail.to_addresses == ["desk@practice.test", "billing@practice.test"]
    assert mail.subject == "Refill for Ünïcode"
    assert mail.text == "Line one\nLine two"
    assert mail.message_id == "<m1@example.org>"
    assert mail.in_reply_to == "<p1@practice.test>"
    assert mail.references == ["<p0@practice.test>", "<p1@practice.test>"]
    assert mail.date is not None
    assert mail.date.tzinfo is not None
    assert mail.notes == []


def test_html_mail_is_sanitised_and_its_text_read_when_there_is_no_plain_part():
    mail = mail_parse(make_mail(text=None, html=HOSTILE_HTML))
    lowered = mail.html.lower()
    for forbidden in ("<script", "onerror", "onclick", "onload", "javascript:", "<style", "<iframe", "<form",
                      "<input", "track.example", "evil.example", "src=", "style=", "/frontdesk/"):
        assert forbidden not in lowered, forbidden
    assert 'href="https://ok.example/page"' in mail.html
    assert 'rel="noopener noreferrer nofollow"' in mail.html
    assert 'alt="logo"' in mail.html
    assert "Dear desk," in mail.text
    assert "styled" in mail.text
    assert "alert" not in mail.text
    assert "background" not in mail.text


def test_the_plain_part_is_preferred_to_the_html_one():
    mail = mail_parse(make_mail(text="The plain words", html="<p>The <b>rich</b> words</p>"))
    assert mail.text == "The plain words"
    assert mail.html == "<p>The <b>rich</b> words</p>"


def test_html_to_text_keeps_lines_and_drops_scripts():
    assert html_to_text("<p>One</p><p>Two<br>Three</p><script>x()</script>") == "One\n\nTwo\nThree"
    assert sanitise_html('<a href="mailto:a@b.example">mail</a>') == (
        '<a href="mailto:a@b.example" rel="noopener noreferrer nofollow">mail</a>')


def test_attachments_are_typed_from_their_bytes_and_refused_ones_listed():
    raw = make_mail(attachments=[("scan.pdf", "application/pdf", PDF), ("photo.png", "image/png", PNG),
                                 ("invoice.pdf", "application/pdf", EXE), ("x.exe", "application/octet-stream", EXE),
                                 ("notes.txt", "text/plain", b"Dose: 5 mg\n"),
                                 ("run.bat", "application/octet-stream", b"echo hi\r\n")])
    mail = mail_parse(raw)
    assert [a.filename for a in mail.attachments] == ["scan.pdf", "photo.png", "invoice.pdf", "x.exe", "notes.txt",
                                                      "run.bat"]
    kept, refused = attachments_check(mail.attachments)
    assert [(k.filename, k.content_type) for k in kept] == [
        ("scan.pdf", "application/pdf"), ("photo.png", "image/png"), ("notes.txt", "text/plain"),
        ("run.bat.txt", "text/plain")]
    assert refused == ["invoice.pdf refused: type not allowed", "x.exe refused: type not allowed"]


def test_attachment_limits_per_file_and_per_mail():
    big = PDF + b"0" * (ATTACHMENT_MAX_BYTES)
    nine = PDF + b"0" * (9 * 1024 * 1024)
    mail = mail_parse(make_mail(attachments=[("big.pdf", "application/pdf", big), ("a.pdf", "application/pdf", nine),
                                             ("b.pdf", "application/pdf", nine), ("c.pdf", "application/pdf", nine)]))
    kept, refused = attachments_check(mail.attachments)
    assert [k.filename for k in kept] == ["a.pdf", "b.pdf"]
    assert refused[0].startswith("big.pdf refused: 10.0 MB is over the 10.0 MB limit per file")
    assert refused[1] == "c.pdf refused: the mail's attachments would pass 25.0 MB"


def test_a_file_name_cannot_climb_folders_or_hide_its_extension():
    raw = make_mail(attachments=[("../../etc/passwd\u202etxt.exe", "application/pdf", PDF)])
    (attachment,) = mail_parse(raw).attachments
    assert attachment.filename == "passwdtxt.exe"
    kept, _refused = attachments_check([attachment])
    assert kept[0].filename == "passwdtxt.exe.pdf"


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"X-Autorespond": "1"}, "X-Autorespond"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"List-Id": "<news.example.org>"}, "mailing list"),
    ({"Return-Path": "<>"}, "empty Return-Path (bounce)"),
    ({"X-Loop": "desk@practice.test"}, "X-Loop: our own"),
])
def test_automatic_mail_is_recognised(headers, reason):
    assert automatic_reason(mail_parse(make_mail(headers=headers)), own_addresses=OURS) == reason


def test_bounces_and_our_own_mail_are_automatic_and_people_are_not():
    bounce = mail_parse(make_mail(sender="MAILER-DAEMON@mx.example.org"))
    ours = mail_parse(make_mail(sender="Front desk <DESK@practice.test>"))
    person = mail_parse(make_mail(headers={"Auto-Submitted": "no", "Return-Path": "<pat@example.org>",
                                           "X-Loop": "someone-else@example.org"}))
    assert automatic_reason(bounce, own_addresses=OURS) == "bounce"
    assert automatic_reason(ours, own_addresses=OURS) == "sent by one of our own mailboxes"
    assert automatic_reason(person, own_addresses=OURS) == ""


MALFORMED = [
    b"",
    b"\x00\x01\x02 not a mail at all \xff\xfe",
    b"Subject: no separator and no body",
    b"From: <<<@@@>>>\r\nSubject: =?x-unknown?Q?abc?=\r\nContent-Type: text/plain; charset=bogus-8\r\n\r\n\xe9t\xe9",
    b"Subject: " + b"A" * 200_000 + b"\r\nFrom: a@b.example\r\n\r\nbody",
    b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all",
    b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n",  # no closing boundary
    b"From: a@b.example\r\nMessage-ID: <\x00evil@x>\r\nReferences: <" + b"r" * 5000 + b">\r\n\r\nx",
    b"\tcontinuation first\r\nFrom: a@b.example\r\n\r\nbody",
    b"From: =?utf-8?b?" + b"////" * 100 + b"?= <a@b.example>\r\nSubject: \xc3\x28 bad utf8 \xff\r\n\r\n\xff\xfe",
    b"Content-Type: text/html\r\n\r\n<p>only <b>html</b><script>x</script>",
    b"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=\"c\""
    b"\r\n\r\n--c\r\n--c--\r\n--b--\r\n",
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_mail_never_raises_and_keeps_what_it_can(raw):
    mail = mail_parse(raw)
    assert isinstance(mail, ParsedMail)
    for value in (mail.subject, mail.text, mail.html, mail.message_id, mail.from_address, *mail.references):
        assert "\x00" not in value
        assert len(value) <= 500_000
    assert len(mail.subject) <= 255


def test_malformed_mail_says_what_was_wrong():
    assert "The mail was empty." in mail_parse(b"").notes
    cut = mail_parse(MALFORMED[4])
    assert "Some header lines were too long and were cut." in cut.notes
    assert cut.text == "body"
    charset = mail_parse(MALFORMED[3])
    assert charset.text == "\ufffdt\ufffd"
    assert any("Unknown character set" in note for note in charset.notes)
    unclosed = mail_parse(MALFORMED[6])
    assert any(note.startswith("The mail was malformed") for note in unclosed.notes)


def test_a_non_bytes_argument_is_the_one_documented_error():
    with pytest.raises(TypeError):
        mail_parse("a str")  # type: ignore[arg-type]


# --- fuzzing ------------------------------------------------------------------------------------------------------

SAMPLES = [
    make_mail(text="Plain text", message_id="<s1@example.org>"),
    make_mail(text="Both", html=HOSTILE_HTML, references=["<a@x.example>", "<b@x.example>"]),
    make_mail(text=None, html="<p>Only html</p>",
              attachments=[("scan.pdf", "application/pdf", PDF), ("x.exe", "application/octet-stream", EXE)]),
    make_mail(subject="=?iso-8859-1?q?Caf=E9?=", headers={"Auto-Submitted": "auto-replied", "List-Id": "<l.x>"}),
    *MALFORMED[3:],
]
PIECES = st.sampled_from([b"\r\n", b"\n", b":", b"--", b"=?", b"?=", b"<", b">", b"@", b"\x00", b"\xff", b"=",
                          b"Content-Type: multipart/mixed; boundary=", b"charset=", b"base64", b"\r\n\r\n", b"\t",
                          b"Content-Transfer-Encoding: quoted-printable\r\n", b"=?utf-8?b?", b";", b'"'])


@st.composite
def mutated(draw: Any) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        piece = draw(st.one_of(PIECES, st.binary(min_size=1, max_size=8)))
        if kind == "replace":
            data[at:at + len(piece)] = piece
        elif kind == "insert":
            data[at:at] = piece
        else:
            del data[at:at + draw(st.integers(1, 40))]
    return bytes(data)


def _holds(mail: ParsedMail) -> None:
    assert isinstance(mail, ParsedMail)
    for value in (mail.subject, mail.text, mail.html, mail.from_address, mail.from_name, mail.message_id,
                  mail.in_reply_to, *mail.references, *mail.to_addresses, *mail.headers.values(), *mail.notes):
        assert isinstance(value, str)
        assert "\x00" not in value
        assert not any("\ud800" <= char <= "\udfff" for char in value)
    assert "<script" not in mail.html.lower()
    assert "onerror" not in mail.html.lower()
    automatic_reason(mail, own_addresses=OURS)
    attachments_check(mail.attachments)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2000))
def test_random_bytes_never_make_the_parser_fail(raw):
    _holds(mail_parse(raw))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated())
def test_damaged_real_mail_never_makes_the_parser_fail(raw):
    _holds(mail_parse(raw))
