"""`openpractice audit verify` / `head`: human text or JSON, exit 0 when intact and 1 when tampered."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from openpractice.audit.models import AuditEvent

from .factories import record_events
from .tampering import copy_trail, execute, triggers_suspended

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def events(practice: Any) -> list[AuditEvent]:
    return record_events(6)


def test_verify_says_intact_and_prints_the_head(events: list[AuditEvent]) -> None:
    code, output = run("verify")
    assert code == 0
    assert "Audit trail intact: 6 rows checked" in output
    assert f"Head: 6:{events[-1].hash}" in output
    assert "--anchor" in output


def test_verify_exits_1_and_names_the_first_bad_row(events: list[AuditEvent]) -> None:
    with triggers_suspended():
        execute("UPDATE audit_auditevent SET reason = 'edited' WHERE seq = 3")
    code, output = run("verify")
    assert code == 1
    assert f"First bad row: seq 3 (id {events[2].pk})" in output
    assert "hash_mismatch" in output


def test_verify_json_reports_the_first_bad_row_of_a_copy(events: list[AuditEvent]) -> None:
    table = copy_trail()
    execute(f"DELETE FROM {table} WHERE seq = 2")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", "--json", "--table", table, stdout=out)
    assert raised.value.returncode == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False
    assert (report["first_bad_seq"], report["first_bad_id"], report["problem"]) == (3, events[2].pk, "gap")
    assert report["head"] == {"seq": 1, "hash": events[0].hash}


def test_verify_json_when_intact(events: list[AuditEvent]) -> None:
    code, output = run("verify", "--json")
    report = json.loads(output)
    assert code == 0
    assert report["ok"] is True
    assert report["rows_checked"] == 6
    assert report["first_bad_seq"] is None


def test_head_prints_seq_and_hash_that_verify_accepts_as_an_anchor(events: list[AuditEvent]) -> None:
    code, head = run("head")
    assert (code, head.strip()) == (0, f"6:{events[-1].hash}")
    assert json.loads(run("head", "--json")[1]) == {"seq": 6, "hash": events[-1].hash}
    record_events(2)
    assert run("verify", "--anchor", head.strip())[0] == 0


def test_an_anchor_reveals_deleted_newest_rows(events: list[AuditEvent]) -> None:
    head = run("head")[1].strip()
    table = copy_trail()
    execute(f"DELETE FROM {table} WHERE seq >= 5")
    assert run("verify", "--table", table)[0] == 0
    code, output = run("verify", "--table", table, "--anchor", head)
    assert code == 1
    assert "anchor_missing" in output


def test_bad_input_exits_2_with_a_clear_message(events: list[AuditEvent]) -> None:
    code, output = run("verify", "--anchor", "12:nothex")
    assert code == 2
    assert "SEQ:HASH" in output
    assert run("verify", "--table", "x y")[0] == 2


def test_head_of_an_empty_trail_prints_nothing_a_script_would_keep(db: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("audit", "head", stdout=out, stderr=err)
    assert (out.getvalue(), err.getvalue()) == ("", "The audit trail is empty.\n")
    assert run("head", "--json")[1].strip() == "null"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs the CLI against its own SQLite file")
def test_the_openpractice_cli_exits_0_then_1_after_tampering(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "OPENPRACTICE_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-c", "import sys; from openpractice.cli import main; sys.exit(main(sys.argv))"]
    cwd = settings.BASE_DIR
    subprocess.run([*cli, "migrate", "--noinput", "-v", "0"], env=env, cwd=cwd, check=True, timeout=600)
    write = ("import django; django.setup(); from openpractice.audit.services import record; "
             "[record(actor=None, action='cli.test', object_id=i) for i in range(4)]")
    subprocess.run([sys.executable, "-c", write], env=env, cwd=cwd, check=True, timeout=60)

    intact = subprocess.run([*cli, "audit", "verify"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 4 rows" in intact.stdout

    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER audit_auditevent_no_update")  # what an attacker with the file could do
        db.execute("UPDATE audit_auditevent SET seq = 9 WHERE seq = 2")
    tampered = subprocess.run([*cli, "audit", "verify", "--json"], env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=60)
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["first_bad_seq"] == 3
    assert "first bad row seq 3" in tampered.stderr
