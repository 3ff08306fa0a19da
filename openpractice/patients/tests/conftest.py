from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Card images go to a throw-away MEDIA_ROOT, never the developer's var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
