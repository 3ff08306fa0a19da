"""What a server gets when the environment does not name the settings, and production's mail backend.

Each case loads Django in a subprocess from the environment alone, as gunicorn or uvicorn would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_deploy_check import ROOT, production_env, settings_values


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_the_server_entry_points_default_to_production_settings(tmp_path: Path, module: str) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE=None)
    code = f"import {module}; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_server_started_without_secrets_and_without_settings_refuses_to_start(tmp_path: Path, module: str) -> None:
    # The old default (base.py) would have served with its development secret key and public field key.
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE=None, DJANGO_SECRET_KEY=None, OPENPRACTICE_FIELD_KEYS=None)
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_sends_mail_over_smtp_even_when_demo_mode_was_asked_for(tmp_path: Path) -> None:
    # base.py picks the Outbox backend for demo mode without a mail host; production turns demo mode off
    # afterwards, so it must choose the backend itself.
    result = settings_values(production_env(tmp_path, OPENPRACTICE_DEMO="1", EMAIL_HOST=None), "EMAIL_BACKEND")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
