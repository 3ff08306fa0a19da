"""NUCC Health Care Provider Taxonomy codes (a subset for outpatient practices: data/nucc_taxonomy.csv,
provenance in data/README.md). Place-of-service codes live in openpractice.core.codes."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Ten characters: nine letters or digits (the first three digits) and a final X.
TAXONOMY_FORMAT = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")


@cache
def taxonomy_codes() -> Mapping[str, str]:
    """code -> "Classification, Specialization" (as the NUCC names them)."""
    names: dict[str, str] = {}
    with (DATA_DIR / "nucc_taxonomy.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parts = [row["classification"], row["specialization"]]
            names[row["code"]] = " — ".join(part for part in parts if part)
    return MappingProxyType(names)


def is_taxonomy_format(code: str) -> bool:
    """Shaped like a taxonomy code, whether or not it is in our subset."""
    return bool(TAXONOMY_FORMAT.match(code))


def is_taxonomy_code(code: str) -> bool:
    """A taxonomy code from the packaged NUCC subset."""
    return code in taxonomy_codes()


def taxonomy_description(code: str) -> str:
    """"Nurse Practitioner — Family" for 363LF0000X; "" for a code outside the subset."""
    return taxonomy_codes().get(code, "")


def taxonomy_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in sorted(taxonomy_codes().items(), key=lambda item: item[1])]
