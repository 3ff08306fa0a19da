"""Production settings: `manage.py check --deploy` is clean, and the settings refuse to start without secrets.

Each case runs Django in a subprocess, because settings are read once per process and production settings
must be judged exactly as a server would load them: from the environment alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k3y-" + "x7Gq2vR9pL4mZ8nB1cT6wY0sD5fH3jK" * 2  # 66 characters, not the development key


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A clean environment with what production.py requires; `NAME=None` removes NAME."""
    (tmp_path / "var").mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": GOOD_SECRET,
        # The check does not connect; PostgreSQL when the suite runs on it, else a SQLite file.
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "OPENPRACTICE_FIELD_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "practice.example.org",
        "OPENPRACTICE_DATA_DIR": str(tmp_path / "var"),
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_values(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """Load the settings as a server would and print the named values, one per line."""
    code = f"import django; django.setup(); from django.conf import settings; [print(getattr(settings, n)) for n in {names!r}]"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_turn_on_the_transport_protections(tmp_path: Path) -> None:
    names = ("DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF")  # fmt: skip
    result = settings_values(production_env(tmp_path), *names)
    assert result.returncode == 0, result.stderr
    values = dict(zip(names, result.stdout.splitlines(), strict=True))
    assert values["DEBUG"] == "False"
    assert values["SESSION_COOKIE_SECURE"] == values["CSRF_COOKIE_SECURE"] == values["SECURE_SSL_REDIRECT"] == "True"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == values["SECURE_CONTENT_TYPE_NOSNIFF"] == "True"
    assert values["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("no secret key", {"DJANGO_SECRET_KEY": None}),
        ("a short secret key", {"DJANGO_SECRET_KEY": "too-short-to-be-a-secret"}),
        ("the development key", {"DJANGO_SECRET_KEY": "insecure-development-key-change-me-0123456789abcdef"}),
    ],
)
def test_production_settings_refuse_to_start_without_a_real_secret_key(
    tmp_path: Path, case: str, overrides: dict[str, str | None]
) -> None:
    result = manage(production_env(tmp_path, **overrides), "check")
    assert result.returncode != 0, case
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_secret_key_may_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "\n")
    env = production_env(tmp_path, DJANGO_SECRET_KEY=None, DJANGO_SECRET_KEY_FILE=str(secret_file))
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_field_keys(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, OPENPRACTICE_FIELD_KEYS=None), "check")
    assert result.returncode != 0
    assert "OPENPRACTICE_FIELD_KEYS" in result.stderr


def test_production_settings_refuse_a_malformed_field_key_without_echoing_it(tmp_path: Path) -> None:
    good = Fernet.generate_key().decode()
    result = manage(production_env(tmp_path, OPENPRACTICE_FIELD_KEYS=f"{good},not-a-real-key"), "check")
    assert result.returncode != 0
    assert "key #2" in result.stderr
    assert "not-a-real-key" not in result.stderr


def test_production_settings_refuse_the_development_field_key_from_base_settings(tmp_path: Path) -> None:
    # Ask base.py for the key it falls back to, so this test follows it if it ever changes.
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE=None, OPENPRACTICE_FIELD_KEYS=None)
    default = subprocess.run(
        [sys.executable, "-c", "from config.settings import base; print(base.OPENPRACTICE_FIELD_KEYS[0])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert default
    result = manage(production_env(tmp_path, OPENPRACTICE_FIELD_KEYS=default), "check")
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_production_settings_refuse_to_start_without_a_database_url(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, DATABASE_URL=None), "check")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_settings_refuse_demo_mode(tmp_path: Path) -> None:
    result = settings_values(production_env(tmp_path, OPENPRACTICE_DEMO="1"), "DEMO_MODE")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
