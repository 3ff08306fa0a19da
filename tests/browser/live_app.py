"""The real OpenPractice, running in its own process for browser tests and the README screenshot.

A fresh database (a SQLite file, or a throwaway PostgreSQL database when DATABASE_URL is set), the demo
practice created by `openpractice demo --json`, gunicorn serving the app, and a local SMTP server (aiosmtpd)
receiving the mail the app sends. Nothing here mocks the app: it is driven over HTTP, as a person would.
Used by tests/browser/conftest.py and scripts/screenshot.py; it needs no pytest.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email
import email.policy
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
DEMO_COMMAND = ROOT / "openpractice" / "accounts" / "management" / "commands" / "demo.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- mail ----------------------------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives, and lets a test wait for one."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, timeout: float = 20.0, subject_contains: str = "") -> EmailMessage:
        """The first message addressed to `to` (whose subject contains `subject_contains`), waiting for it if it
        has not arrived yet."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if (to.lower() in str(message.get("To", "")).lower()
                            and subject_contains in str(message.get("Subject", ""))):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [str(m.get("To")) for m in self.messages]
                    raise TimeoutError(f"no mail to {to} within {timeout:.0f}s (received mail to: {seen})")
                self._arrived.wait(remaining)


def message_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    assert body is not None, "the message has no text body"
    return str(body.get_content())


# --- TOTP ----------------------------------------------------------------------------------------------------


def totp_key(secret: str) -> bytes:
    """The raw key from a TOTP secret as the demo prints it: base32 (what authenticator apps take) or hex
    (django-otp's storage form)."""
    cleaned = secret.replace(" ", "").strip()
    try:
        return base64.b32decode(cleaned.upper() + "=" * (-len(cleaned) % 8))
    except binascii.Error:
        return bytes.fromhex(cleaned)


class TotpClock:
    """Codes that the server will accept: django-otp refuses a code from a time step already used by that
    user (replay protection), so successive sign-ins of one user move to the next step, which the server's
    tolerance of one step accepts; beyond that we wait for the clock."""

    def __init__(self) -> None:
        self._last_step: dict[str, int] = {}

    def code(self, username: str, secret: str, step_seconds: int = 30) -> str:
        from django_otp.oath import totp

        now_step = int(time.time()) // step_seconds
        step = max(now_step, self._last_step.get(username, -1) + 1)
        while step - int(time.time()) // step_seconds > 1:
            time.sleep(1)
        self._last_step[username] = step
        drift = step - int(time.time()) // step_seconds
        return f"{totp(totp_key(secret), step=step_seconds, drift=drift):06d}"


# --- the demo users ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    totp_secret: str
    roles: tuple[tuple[str, str], ...]  # (role, tier)
    email: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def holds(self, role: str, tier: str | None = None) -> bool:
        return any(r == role and (tier is None or t == tier) for r, t in self.roles)


def parse_demo_users(output: str) -> list[DemoUser]:
    """Read `openpractice demo --json`: {"password": ..., "users": [{"username", "role", "tier", "roles",
    "password", "totp_secret", "email", ...}]}. `role`/`tier` is the user's demo role; `roles` lists all."""
    data = json.loads(output)
    users = []
    for entry in data["users"]:
        roles = [(str(entry["role"]), str(entry["tier"]))]
        roles += [(str(role), "") for role in entry.get("roles", []) if role != entry["role"]]
        users.append(
            DemoUser(
                username=entry["username"],
                password=entry.get("password") or data["password"],
                totp_secret=entry.get("totp_secret") or "",
                roles=tuple(roles),
                email=entry.get("email", ""),
                raw=entry,
            )
        )
    return users


# --- the database --------------------------------------------------------------------------------------------


class Database:
    """A fresh database for one run: a SQLite file, or `op_browser_<pid>` on the PostgreSQL server named
    by DATABASE_URL (created here, dropped by close())."""

    def __init__(self, workdir: Path, base_url: str | None) -> None:
        self._admin_url: str | None = None
        self.name = ""
        if base_url and base_url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(base_url)
            self.name = f"op_browser_{os.getpid()}"
            self._admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.url = f"sqlite:///{workdir / 'browser.sqlite3'}"

    @property
    def vendor(self) -> str:
        return "postgresql" if self._admin_url else "sqlite"

    def _execute(self, sql: str) -> None:
        import psycopg

        assert self._admin_url is not None
        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]  # our own fixed identifier, not user input

    def close(self) -> None:
        if self._admin_url:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the app -------------------------------------------------------------------------------------------------


class LiveApp:
    """Start with `LiveApp.start()`, stop with `.stop()` (or use it as a context manager)."""

    def __init__(self, *, log_path: Path | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="op-browser-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mailbox = Mailbox()
        self.totp = TotpClock()
        self.users: list[DemoUser] = []
        self.log_path = log_path or self.workdir / "server.log"
        self._smtp: Controller | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._database: Database | None = None
        self.env: dict[str, str] = {}

    def __enter__(self) -> LiveApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # The pieces, in order ----------------------------------------------------------------------------------

    def start(self) -> LiveApp:
        try:
            self._start_smtp()
            self._database = Database(self.workdir, os.environ.get("DATABASE_URL"))
            self.env = self._environment(self._database.url)
            self.manage("migrate", "--noinput")
            self.manage("collectstatic", "--noinput")
            self.users = parse_demo_users(self.manage("demo", "--json"))
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_smtp(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        smtp_port = free_port()
        self._smtp = Controller(self.mailbox, hostname="127.0.0.1", port=smtp_port)
        self._smtp.start()
        self.smtp_port = smtp_port

    def _environment(self, database_url: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "OPENPRACTICE_"))}
        env.update(
            {
                # Named here on purpose: gunicorn loads config.wsgi, whose default is production settings.
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "DJANGO_DEBUG": "0",  # served as in production: whitenoise, no debug pages
                "OPENPRACTICE_DEMO": "1",
                "OPENPRACTICE_DATA_DIR": str(self.workdir),
                "DATABASE_URL": database_url,
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                "OPENPRACTICE_BASE_URL": self.url,
                # Background jobs (the invitation mail) run inside the request instead of in a worker.
                "OPENPRACTICE_TASKS_IMMEDIATE": "1",
                # Webhooks may go to a receiver the test runs on 127.0.0.1 over http (as in the test settings).
                "OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("REDIS_URL", None)
        return env

    def manage(self, *args: str) -> str:
        """Run a management command against this app's database and return its standard output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`openpractice {' '.join(args)}` failed ({result.returncode}):\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def _start_server(self) -> None:
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "1", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
        self._server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"the app server exited ({self._server.returncode}):\n{self.server_log()[-4000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"the app server did not become ready:\n{self.server_log()[-4000:]}")

    def server_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.terminate()
            try:
                self._server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait(timeout=5)
        self._server = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._database is not None:
            self._database.close()
            self._database = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    # For the tests ------------------------------------------------------------------------------------------

    def user(self, role: str, tier: str | None = None) -> DemoUser:
        """A demo user holding `role` (at `tier`), preferring one who holds nothing else."""
        holders = [user for user in self.users if user.holds(role, tier)]
        if not holders:
            raise LookupError(f"the demo has no user with role {role} {tier or ''}".strip())
        return min(holders, key=lambda user: len(user.roles))
