"""`openpractice users token|create-admin`, and `openpractice serve` running the worker beside the server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from openpractice.accounts.models import ApiToken, RoleAssignment, User
from openpractice.accounts.roles import Role
from openpractice.accounts.services.tokens import token_authenticate
from openpractice.audit.models import AuditEvent


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_users_token_prints_a_working_token_as_json(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR, username="root")
    data = json.loads(run("users", "token", "--username", "root", "--name", "Nightly export", "--json"))
    assert data["username"] == "root"
    assert data["name"] == "Nightly export"
    assert data["token"].startswith(f"op_{data['prefix']}_")
    assert token_authenticate(data["token"]) == admin
    token = ApiToken.objects.get(user=admin)
    assert data["token"] not in token.token_hash
    assert AuditEvent.objects.filter(action="accounts.token_created", object_id=str(token.pk)).exists()


@pytest.mark.django_db
def test_users_token_refuses_an_unknown_or_inactive_user(make_user: Callable[..., User]) -> None:
    with pytest.raises(CommandError, match="No user"):
        run("users", "token", "--username", "ghost")
    make_user(Role.HR, username="left", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run("users", "token", "--username", "left")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_users_create_admin_makes_an_active_administrator_of_all_locations(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("first-admin-long-passphrase\n")
    data = json.loads(run("users", "create-admin", "--username", "ops", "--email", "Ops@Example.test",
                          "--first-name", "Olive", "--last-name", "Ops", "--password-file", str(secret), "--json"))
    user = User.objects.get(pk=data["id"])
    assert user.is_active
    assert user.email == "ops@example.test"
    assert user.check_password("first-admin-long-passphrase")
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.role == Role.ADMINISTRATOR
    assert assignment.all_locations
    assert AuditEvent.objects.filter(action="user.provisioned", actor__isnull=True, object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_users_create_admin_refuses_a_weak_password_and_creates_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("short\n")
    with pytest.raises(CommandError, match="too short"):
        run("users", "create-admin", "--username", "ops", "--email", "ops@example.test", "--first-name", "O",
            "--last-name", "Ops", "--password-file", str(secret))
    assert not User.objects.exists()


def test_serve_is_refused_under_production_settings(settings: Any) -> None:
    settings.OPENPRACTICE_PRODUCTION = True
    with pytest.raises(CommandError, match="gunicorn"):
        run("serve", "--noreload")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


INVITE = """
from openpractice.accounts.models import User
from openpractice.accounts.services.users import RoleSpec, user_invite
user_invite(actor=User.objects.get(username="admin"), email="new.hire@riverbend.example", username="newhire",
            first_name="New", last_name="Hire", roles=[RoleSpec(role="hr", all_locations=True)])
"""
# Only the invitation counts: the worker may also send demo appointment reminders at a five-minute mark.
OUTBOX = (
    "from openpractice.core.models import OutboxMessage; "
    "print(sum('new.hire@riverbend.example' in m.recipients for m in OutboxMessage.objects.all()))"
)


def test_make_run_serves_the_demo_and_its_worker_mails_invitations_to_the_outbox(tmp_path: Path) -> None:
    """What `make run` does — migrate, demo --if-empty, serve — on a fresh SQLite file: the server answers, the
    worker beside it sends an invitation queued by another process into the Outbox, and stopping the server
    stops the worker."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "EMAIL_BACKEND"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", "OPENPRACTICE_DATA_DIR": str(tmp_path),
            "OPENPRACTICE_DEMO": "1", "DJANGO_DEBUG": "1", "PYTHONUNBUFFERED": "1"}

    def openpractice(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "openpractice.cli", *args], cwd=settings.BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=600, check=True)
        return done.stdout

    openpractice("migrate", "--noinput")
    assert "pm_senior" in openpractice("demo", "--if-empty")
    process = subprocess.Popen(
        [sys.executable, "-m", "openpractice.cli", "serve", f"127.0.0.1:{port}", "--noreload"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    worker_pid = 0
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.search(r"pid (\d+)", first_line)
        assert match, first_line
        worker_pid = int(match.group(1))
        _wait_for(f"http://127.0.0.1:{port}/accounts/login/", process)
        assert _alive(worker_pid)
        assert "worker" in Path(f"/proc/{worker_pid}/cmdline").read_text()

        openpractice("shell", "-c", INVITE)
        deadline = time.monotonic() + 90  # generous: CI runs this beside other work on 2 cores
        while openpractice("shell", "-c", OUTBOX).split()[-1] != "1":
            assert time.monotonic() < deadline, "the worker did not send the invitation"
            time.sleep(0.5)

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert "Background worker stopped." in output
        assert not _alive(worker_pid)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if worker_pid and _alive(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)
