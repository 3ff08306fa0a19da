"""Procedure modifiers (CPT and HCPCS Level II): the common ones, with short descriptions written for this
project (data/modifiers.csv; provenance in data/README.md), and the pairs that cannot share a claim line."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_MODIFIERS_PER_LINE = 4


@cache
def _load() -> tuple[Mapping[str, str], Mapping[str, str]]:
    descriptions: dict[str, str] = {}
    kinds: dict[str, str] = {}
    with (DATA_DIR / "modifiers.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            descriptions[row["code"]] = row["description"]
            kinds[row["code"]] = row["kind"]
    return MappingProxyType(descriptions), MappingProxyType(kinds)


class _LazyModifiers(Mapping[str, str]):
    """Reads data/modifiers.csv on first use, not at import."""

    def __getitem__(self, code: str) -> str:
        return _load()[0][code]

    def __iter__(self) -> Iterator[str]:
        return iter(_load()[0])

    def __len__(self) -> int:
        return len(_load()[0])

    def __contains__(self, code: object) -> bool:
        return code in _load()[0]


MODIFIERS: Mapping[str, str] = _LazyModifiers()


def normalize_modifier(code: str) -> str:
    return code.strip().upper()


def is_modifier(code: str) -> bool:
    """A modifier this practice knows (two characters, upper case, listed in data/modifiers.csv)."""
    return code in _load()[0]


def modifier_kind(code: str) -> str:
    """"CPT" or "HCPCS"; "" for an unknown modifier."""
    return _load()[1].get(code, "")


# Pairs that contradict each other on one line, with the reason in words a biller understands.
_CONFLICTS: tuple[tuple[str, str, str], ...] = (
    ("26", "TC", "26 bills only the professional component and TC only the technical one; for both, bill the "
                 "code without either modifier"),
    ("LT", "RT", "a line is either the left or the right side; for both sides use 50 or two lines"),
    ("50", "LT", "50 already means both sides"),
    ("50", "RT", "50 already means both sides"),
    ("52", "53", "a service is either reduced (52) or discontinued (53), not both"),
    ("GA", "GZ", "GA says an ABN is on file and GZ says none is"),
    ("59", "XE", "use either 59 or one of the X modifiers (XE, XP, XS, XU), not both"),
    ("59", "XP", "use either 59 or one of the X modifiers (XE, XP, XS, XU), not both"),
    ("59", "XS", "use either 59 or one of the X modifiers (XE, XP, XS, XU), not both"),
    ("59", "XU", "use either 59 or one of the X modifiers (XE, XP, XS, XU), not both"),
)


def modifier_conflicts(modifiers: Sequence[str]) -> list[str]:
    """Messages for modifiers that cannot appear together on one claim line: too many, duplicates and
    contradicting pairs. An empty list when the combination is fine (unknown codes are checked by
    is_modifier, not here)."""
    codes = [normalize_modifier(code) for code in modifiers if code and code.strip()]
    problems: list[str] = []
    if len(codes) > MAX_MODIFIERS_PER_LINE:
        problems.append(f"A line takes at most {MAX_MODIFIERS_PER_LINE} modifiers; this one has {len(codes)}.")
    seen: set[str] = set()
    for code in codes:
        if code in seen and f"Modifier {code} is listed more than once on the line." not in problems:
            problems.append(f"Modifier {code} is listed more than once on the line.")
        seen.add(code)
    for first, second, reason in _CONFLICTS:
        if first in seen and second in seen:
            problems.append(f"Modifiers {first} and {second} cannot be on the same line: {reason}.")
    return problems
