"""Reading a practice mailbox over IMAP (imaplib): SSL/TLS, STARTTLS or plain per mailbox, certificates checked.

`mailbox_poll(mailbox)` reads the mail that arrived since the last check and hands each one to
services.inbound_mail.mail_receive, oldest first, at most BATCH per check. Where reading stopped is kept as
(UIDVALIDITY, last UID): when the server's UIDVALIDITY changes (the folder was rebuilt), the whole folder is read
again and mail already received is recognised by its Message-ID. Each mail read is marked \\Seen and the
progress saved, so a failure half-way never reads everything again.

Nothing raises out of it for the server's sake: a refused login, a network error or a timeout is stored on the
mailbox (last_error, shown on the mailbox page) and the next check tries again. A mail larger than
FETCH_MAX_BYTES is not downloaded: its headers are, and a note on the message says the rest stays on the server.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from typing import Any

from django.db import DatabaseError

from .models import Mailbox
from .services.inbound_mail import mail_receive, mailbox_poll_finished, mailbox_poll_progress

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
BATCH = 200
FETCH_MAX_BYTES = 60 * 1024 * 1024
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class PollError(Exception):
    """The server answered something we cannot go on from (shown to staff as the mailbox's error)."""


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(mailbox: Mailbox, timeout: float) -> imaplib.IMAP4:
    host, port = mailbox.imap_host.strip(), int(mailbox.imap_port)
    if mailbox.imap_security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if mailbox.imap_security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def _ok(answer: tuple[str, Any], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        detail = b" ".join(item for item in data if isinstance(item, bytes)).decode("utf-8", "replace")
        raise PollError(f"{what} refused by the server: {detail}"[:400])
    return list(data or [])


def _uid_validity(client: imaplib.IMAP4) -> int:
    _name, values = client.response("UIDVALIDITY")
    try:
        return int(values[0])
    except (TypeError, ValueError, IndexError) as error:
        raise PollError("The server did not say the folder's UIDVALIDITY.") from error


def _literal(data: list[Any]) -> tuple[bytes, bytes]:
    """(the response line, its literal) of a FETCH answer."""
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            return bytes(item[0]), bytes(item[1])
    raise PollError("The server's answer to FETCH had no content.")


def _size(client: imaplib.IMAP4, uid: int) -> int:
    data = _ok(client.uid("FETCH", str(uid), "(RFC822.SIZE)"), "FETCH")
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        found = _SIZE.search(line) if isinstance(line, bytes) else None
        if found:
            return int(found.group(1))
    return 0


def _fetch(client: imaplib.IMAP4, uid: int) -> tuple[bytes, list[str]]:
    """The mail's bytes (its headers only when it is too large), and notes about what was left out."""
    size = _size(client, uid)
    if size > FETCH_MAX_BYTES:
        _line, head = _literal(_ok(client.uid("FETCH", str(uid), "(BODY.PEEK[HEADER])"), "FETCH"))
        megabytes = size / (1024 * 1024)
        return head + b"\r\n", [f"The mail is {megabytes:.0f} MB, too large to fetch: only its headers were read. "
                                "Open it in the mailbox itself."]
    _line, raw = _literal(_ok(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH"))
    return raw, []


def _new_uids(client: imaplib.IMAP4, start: int) -> list[int]:
    data = _ok(client.uid("SEARCH", None, f"UID {start}:*"), "SEARCH")  # type: ignore[arg-type]
    uids = sorted({int(token) for chunk in data if chunk for token in bytes(chunk).split() if token.isdigit()})
    return [uid for uid in uids if uid >= start]  # "n:*" also names the newest mail when n is past it


def _read(client: imaplib.IMAP4, mailbox: Mailbox) -> tuple[int, list[int]]:
    """(mails received, UIDs of mails that could not be stored). A mail that fails for a reason of its own is
    left unread on the server and passed over, so one bad mail never holds up the mail after it; a database
    error stops the check (the next one reads from the same place)."""
    _ok(client.login(mailbox.imap_username, mailbox.imap_password), "Login")
    _ok(client.select(_quoted(mailbox.imap_folder or "INBOX")), "Opening the folder")
    validity = _uid_validity(client)
    start = mailbox.last_uid + 1 if mailbox.uid_validity == validity else 1
    received = 0
    passed_over: list[int] = []
    for uid in _new_uids(client, start)[:BATCH]:
        raw, notes = _fetch(client, uid)
        try:
            entry = mail_receive(raw=raw, mailbox=mailbox, notes=notes)
        except DatabaseError:
            raise
        except Exception:
            logger.exception("Mailbox %s: mail UID %s could not be stored; left unread on the server", mailbox.pk,
                             uid)
            passed_over.append(uid)
        else:
            received += entry is not None
            _ok(client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), "Marking the mail as read")
        mailbox_poll_progress(mailbox=mailbox, uid_validity=validity, last_uid=uid)
    return received, passed_over


def mailbox_poll(mailbox: Mailbox, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """Read the mailbox's new mail (see the module docstring); returns how many mails were received. The outcome
    is on the mailbox: last_polled_at, and last_error ("" when the check went well)."""
    if not mailbox.imap_host:
        mailbox_poll_finished(mailbox=mailbox, error="No IMAP server is set for this mailbox.")
        return 0
    received = 0
    error = ""
    client: imaplib.IMAP4 | None = None
    try:
        client = _connect(mailbox, timeout)
        received, passed_over = _read(client, mailbox)
        if passed_over:
            error = (f"{len(passed_over)} mail(s) could not be stored and were left unread on the server "
                     f"(IMAP UID {', '.join(map(str, passed_over))}): open them in the mailbox itself.")
    except imaplib.IMAP4.error as exc:  # refused login, bad folder, protocol errors
        error = f"The mail server refused: {exc}"
    except PollError as exc:
        error = str(exc)
    except UnicodeError:
        error = "The user name, password or folder has characters IMAP login cannot send (use plain ASCII)."
    except ssl.SSLError as exc:
        error = f"Secure connection failed: {exc.reason or exc}"
    except TimeoutError:
        error = "The mail server did not answer in time."
    except OSError as exc:
        error = f"Cannot reach the mail server: {exc.strerror or exc}"
    except DatabaseError:
        logger.exception("Mailbox %s: a mail could not be stored", mailbox.pk)
        error = "A mail could not be stored (database error); it stays on the server and is read at the next check."
    finally:
        if client is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()
    if error:
        logger.warning("Mailbox %s: %s", mailbox.pk, error)
    mailbox_poll_finished(mailbox=mailbox, error=error)
    return received
