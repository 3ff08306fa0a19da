"""The `openpractice` console script: Django's manage.py under the product's name.

`openpractice audit verify` runs the management command `audit` with the sub-command `verify`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    # The default SQLite database, task queue and uploads live here; create it on first use.
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)

    args = list(argv if argv is not None else sys.argv)
    args[0] = "openpractice"
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
