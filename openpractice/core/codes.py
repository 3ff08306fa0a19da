"""Code tables shipped as data files (see data/README.md for where they come from)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def place_of_service_codes() -> dict[str, str]:
    with (DATA_DIR / "place_of_service.csv").open(newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def place_of_service_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in place_of_service_codes().items()]
