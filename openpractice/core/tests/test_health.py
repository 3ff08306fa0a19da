"""/healthz (the process answers) and /readyz (the database answers): no sign-in, no data, never cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def test_healthz_answers_ok_without_sign_in(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_the_database_it_reached(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_only_answer_get(client: Client, path: str) -> None:
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_show_no_practice_data_and_set_no_session(client: Client, path: str, practice: object) -> None:
    response = client.get(path)
    assert "Riverbend" not in response.content.decode()
    assert not response.cookies


_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
out = {}
for path in ("/healthz", "/readyz"):
    response = client.get(path)
    out[path] = [response.status_code, response.content.decode()]
print(json.dumps(out))
"""


def test_when_the_database_is_unreachable_healthz_is_ok_and_readyz_says_unavailable(tmp_path: Path) -> None:
    # A real server process whose database cannot be opened: a path inside a directory that does not exist.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}",
    }
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)  # a hang guard on a loaded machine, not a timing
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    assert answers["/healthz"][0] == 200
    status, body = answers["/readyz"]
    assert status == 503
    assert json.loads(body) == {"status": "unavailable", "database": "OperationalError"}
