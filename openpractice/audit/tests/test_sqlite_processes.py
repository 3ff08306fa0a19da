"""Two processes appending to one SQLite file at once, with the app's own SQLite settings (WAL, BEGIN
IMMEDIATE, a busy timeout): the writers queue, and the chain comes out gapless and verifiable.

The in-memory test database cannot show this (it is one process, and its shared cache refuses instead of
waiting), so the work happens in subprocesses against a real file; see sqlite_writer.py."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PER_PROCESS = 60


def _env(database: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": f"sqlite:///{database}",
                "OPENPRACTICE_DATA_DIR": str(database.parent), "PYTHONPATH": str(ROOT)})
    return env


def _helper(*args: str) -> list[str]:
    return [sys.executable, "-m", "openpractice.audit.tests.sqlite_writer", *args]


def test_two_processes_writing_one_sqlite_file_keep_the_chain_intact(tmp_path: Path) -> None:
    database = tmp_path / "audit.sqlite3"
    env = _env(database)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    go = tmp_path / "go"
    ready = {name: tmp_path / f"{name}.ready" for name in ("first", "second")}
    writers = {
        name: subprocess.Popen(_helper("write", name, str(PER_PROCESS), str(ready[name]), str(go)), cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ready
    }
    try:
        deadline = time.monotonic() + 120
        while not all(path.exists() for path in ready.values()):
            assert time.monotonic() < deadline, "the writers did not start"
            assert all(proc.poll() is None for proc in writers.values()), "a writer exited before the start"
            time.sleep(0.05)
        go.touch()
        outcomes = {name: proc.communicate(timeout=180) for name, proc in writers.items()}
    finally:
        for proc in writers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for name, proc in writers.items():
        assert proc.returncode == 0, f"{name}: {outcomes[name][1][-3000:]}"

    check = subprocess.run(_helper("verify"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr[-3000:]
    result = json.loads(check.stdout.strip().splitlines()[-1])
    assert result["ok"], result["detail"]
    assert result["rows_checked"] == 2 * PER_PROCESS
    assert [seq for seq, _action in result["rows"]] == list(range(1, 2 * PER_PROCESS + 1))
    actions = [action for _seq, action in result["rows"]]
    assert actions.count("test.first") == actions.count("test.second") == PER_PROCESS
    # They really ran at the same time: the rows of the two writers interleave.
    changes = sum(1 for before, after in itertools.pairwise(actions) if before != after)
    assert changes > 1
