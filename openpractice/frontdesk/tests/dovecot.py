"""A real IMAP server for tests: Debian's dovecot (dovecot-imapd), started in a temporary directory.

`running_dovecot()` (a context manager; the `dovecot` fixture wraps it) writes a configuration that listens on 127.0.0.1
at a free port without TLS, authenticates users from a passwd-file, keeps mail as maildir in the temporary
directory and logs to a file there; it runs in the foreground as a child of the test and is stopped at
teardown. Mail is delivered with IMAP APPEND (`server.deliver(user, raw)`). Tests are skipped, with the reason,
when /usr/sbin/dovecot is not installed (CI installs dovecot-imapd).

Run as root (CI containers), dovecot refuses to run its login processes or mail access as root: they run as
the `dovenull` user (made by the package) and the mail belongs to `nobody`. Run as anyone else, everything
runs as that user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    passwords: dict[str, str] = field(default_factory=dict)

    def client(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(user, self.passwords[user])
        return client

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            if folder != "INBOX":
                client.create(folder)  # "already exists" is a NO answer, not an error here
            status, _data = client.append(folder, None, None, raw)
            assert status == "OK", _data
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> list[bytes]:
        client = self.client(user)
        try:
            client.select(folder, readonly=True)
            _status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            return [item for item in data if isinstance(item, bytes)]
        finally:
            client.logout()

    def recreate(self, user: str, folder: str) -> None:
        """Delete and create the folder again: it gets a new UIDVALIDITY and its UIDs start over."""
        client = self.client(user)
        try:
            client.delete(folder)
            status, data = client.create(folder)
            assert status == "OK", data
        finally:
            client.logout()

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _ids() -> tuple[str, str, str, int, int]:
    """(login user, internal user, internal group, mail uid, mail gid) for this process."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, grp.getgrgid(me.pw_gid).gr_name, me.pw_uid, me.pw_gid
    try:
        login = pwd.getpwnam("dovenull")
        internal = pwd.getpwnam("dovecot")
    except KeyError:
        pytest.skip("dovecot run by root needs the package's 'dovenull' and 'dovecot' users, which are missing")
    nobody = pwd.getpwnam("nobody")
    return login.pw_name, internal.pw_name, grp.getgrgid(internal.pw_gid).gr_name, nobody.pw_uid, nobody.pw_gid


def _config(root: Path, port: int) -> str:
    login_user, internal_user, internal_group, mail_uid, mail_gid = _ids()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = op-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}: {log[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start listening in time")


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """A dovecot for the length of the `with` block (skips the test when dovecot is not installed)."""
    if not DOVECOT.exists():
        pytest.skip("dovecot is not installed (/usr/sbin/dovecot; Debian package dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="op-dovecot-"))
    root.chmod(0o755)  # the login processes run as another user and must reach their sockets
    port = free_port()
    server = Dovecot(host="127.0.0.1", port=port, root=root,
                     passwords={"desk@practice.test": "imap-secret-1", "other@practice.test": "imap-secret-2"})
    process: subprocess.Popen[bytes] | None = None
    try:
        for name in ("run", "state", "mail"):
            (root / name).mkdir()
        _login, _internal, _group, mail_uid, mail_gid = _ids()
        if os.geteuid() == 0:
            os.chown(root / "mail", mail_uid, mail_gid)
        (root / "passwd").write_text("".join(f"{user}:{{PLAIN}}{password}\n"
                                             for user, password in server.passwords.items()))
        (root / "dovecot.conf").write_text(_config(root, port))
        process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_until_listening(port, process, root)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """The fixture, for a conftest that registers this module as a plugin; test modules here use
    `running_dovecot()` in a fixture of their own (an imported fixture would shadow its own name)."""
    with running_dovecot() as server:
        yield server
