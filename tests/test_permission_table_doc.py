"""docs/security.md shows THE permission table as the code defines it (scripts/permission_table.py writes it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_permission_table_in_the_security_doc_matches_the_code() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/permission_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + "\nRun: python scripts/permission_table.py"
