"""ICD-10-CM diagnosis codes, checked against the release in force on the date of service.

The code set changes every 1 October (the US federal fiscal year), sometimes with an April update. The packaged
release comes from the simple-icd-10-cm package; further releases are CMS order files (``icd10cm-order-YYYY.txt``
for 1 October of YYYY-1, ``icd10cm-order-april-YYYY.txt`` for 1 April of YYYY) dropped into
``settings.OPENPRACTICE_ICD10_DIR``. A date of service is checked against the latest release whose
``effective_from`` is on or before it.

Known limitation: the packaged data is CMS's April 2026 update of FY2026. Without the FY2026 October order file
it also stands in for 1 October 2025 - 31 March 2026, so a code added in April 2026 passes for a date of service
in that half-year (its name says so). A practice that needs those dates exact drops ``icd10cm-order-2026.txt``
into the directory: that file then covers October 2025 - March 2026 and the packaged April update takes over on
1 April 2026 (unless an ``icd10cm-order-april-2026.txt`` is there too, which then replaces it).

Tables are built once per process and kept in sets and dicts, so after warm-up a check is a few dictionary
look-ups. simple-icd-10-cm takes seconds to import; it is imported only when its table is first needed.
"""

from __future__ import annotations

import bisect
import importlib.util
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings

PACKAGED_EFFECTIVE_FROM = date(2025, 10, 1)  # the fiscal year the packaged data belongs to
PACKAGED_UPDATE_FROM = date(2026, 4, 1)  # the packaged data is that year's April update
PACKAGED_NAME = "FY2026 (simple-icd-10-cm, April 2026 update; also used for October 2025 to March 2026)"
PACKAGED_UPDATE_NAME = "FY2026 April update (simple-icd-10-cm)"

_ORDER_FILE = re.compile(r"^icd10cm[-_]order[-_](?:(?P<april>april)[-_](?:1[-_])?)?(?P<year>\d{4})\.txt$",
                         re.IGNORECASE)
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
_LOOKS_LIKE_ICD9 = re.compile(r"^[0-9]{3,5}$")


def normalize_icd10(code: str) -> str:
    """The stored form: upper case, no dot, no spaces ("e11.9 " -> "E119")."""
    return "".join(code.split()).replace(".", "").upper()


def display_icd10(code: str) -> str:
    """The printed form, with the dot after the category ("E119" -> "E11.9")."""
    return _dotted(normalize_icd10(code))


def _dotted(bare: str) -> str:
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


class Icd10TableError(ValueError):
    """An order file that cannot be read as a CMS ICD-10-CM order file."""


@dataclass(frozen=True, eq=False)
class _Table:
    descriptions: Mapping[str, str]      # every valid code (headers and billable), no dot -> description
    billable: frozenset[str]
    billable_sorted: tuple[str, ...]     # for "choose a more specific code such as …"


def _table(descriptions: Mapping[str, str], billable: set[str]) -> _Table:
    return _Table(descriptions=descriptions, billable=frozenset(billable), billable_sorted=tuple(sorted(billable)))


class Icd10Release:
    """One ICD-10-CM code set, in force for dates of service from ``effective_from`` until a newer one."""

    def __init__(self, *, name: str, effective_from: date, source: str, loader: Callable[[], _Table]) -> None:
        self.name = name
        self.effective_from = effective_from
        self.source = source
        self._loader = loader
        self._loaded: _Table | None = None
        self._lock = threading.Lock()
        self._examples: dict[str, str] = {}
        self._passed: dict[str, Icd10Verdict] = {}   # one shared verdict per billable code checked

    def __repr__(self) -> str:
        return f"<Icd10Release {self.name} from {self.effective_from.isoformat()}>"

    @property
    def _data(self) -> _Table:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._loader()
                loaded = self._loaded
        return loaded

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    def is_valid(self, code: str) -> bool:
        """Any code of the release: a category, a subcategory or a billable code."""
        return normalize_icd10(code) in self._data.descriptions

    def is_billable(self, code: str) -> bool:
        """Only the most specific (leaf) codes may go on a claim."""
        return normalize_icd10(code) in self._data.billable

    def description(self, code: str) -> str:
        return self._data.descriptions.get(normalize_icd10(code), "")

    @property
    def code_count(self) -> int:
        return len(self._data.descriptions)

    @property
    def billable_count(self) -> int:
        return len(self._data.billable)

    def more_specific_example(self, code: str) -> str:
        """A billable code under a category or subcategory, for the biller's hint: the least specific one,
        preferring the "other/unspecified" 9 ("E11" -> "E119"); "" when there is none."""
        bare = normalize_icd10(code)
        example = self._examples.get(bare)
        if example is None:
            example = self._examples[bare] = self._find_example(bare)
        return example

    def _find_example(self, bare: str) -> str:
        candidates = self._data.billable_sorted
        start = bisect.bisect_right(candidates, bare)
        end = bisect.bisect_left(candidates, bare + "~", lo=start)
        if start >= end:
            return ""
        descendants = candidates[start:end]
        shortest = min(len(candidate) for candidate in descendants)
        level = [candidate for candidate in descendants if len(candidate) == shortest]
        return next((candidate for candidate in level if candidate.endswith("9")), level[0])


@dataclass(frozen=True)
class Icd10Verdict:
    ok: bool
    reason: str           # "ok" | "unknown" | "not_billable" | "no_table"
    message: str          # in words a biller understands; "" when ok
    release: str          # the release's name, "" when no release covers the date
    code: str = ""        # the code as printed (with the dot)


# --- loaders --------------------------------------------------------------------------------------------

class _PackagedDescriptions(Mapping[str, str]):
    """The packaged release's codes, known at once from the package's code list; their descriptions come from
    simple_icd_10_cm, which takes seconds to import, so only when a description is first asked for (the
    look-up page), never for validation."""

    def __init__(self, codes: frozenset[str]) -> None:
        self._codes = codes

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, code: str) -> str:
        if code not in self._codes:
            raise KeyError(code)
        return _packaged_description(code)


@cache
def _packaged_description(code: str) -> str:
    with warnings.catch_warnings():   # the package reads its data through a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd

    return str(icd.get_description(code))


def _packaged_code_list() -> list[str]:
    """simple-icd-10-cm's code list (codes without dots, chapters and blocks in between), in tabular order."""
    # find_spec locates the package without importing it (importing it parses the whole tabular XML).
    spec = importlib.util.find_spec("simple_icd_10_cm")
    locations = list(spec.submodule_search_locations or []) if spec else []
    listing = next((path for folder in locations for path in sorted((Path(folder) / "data").glob("code-list*.txt"))),
                   None)
    if listing is None:
        raise Icd10TableError("The simple-icd-10-cm package has no code list: reinstall it.")
    return [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]


@cache
def _packaged_table() -> _Table:
    """Codes in tabular (pre-order) order: a code is billable (a leaf) unless the next code extends it."""
    codes = [code for code in _packaged_code_list() if "-" not in code and not code.isdigit()]
    billable = {code for code, following in zip(codes, [*codes[1:], ""], strict=True)
                if not following.startswith(code)}
    return _table(_PackagedDescriptions(frozenset(codes)), billable)


def read_order_file(path: Path) -> _Table:
    """Read a CMS order file: fixed width — order number (5), code (7), billable flag 0/1, short (60) and
    long description."""
    descriptions: dict[str, str] = {}
    billable: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, flag = line[6:13].strip(), line[14:15]
        if not _CODE.match(code) or flag not in {"0", "1"} or not line[:5].strip().isdigit():
            raise Icd10TableError(f"{path.name} line {number} is not in the CMS order file layout "
                                  "(order number, code, billable flag 0/1, short and long description).")
        descriptions[code] = line[77:].strip() or line[16:76].strip()
        if flag == "1":
            billable.add(code)
    if not descriptions:
        raise Icd10TableError(f"{path.name} holds no codes.")
    return _table(descriptions, billable)


def _order_file_release(path: Path, match: re.Match[str]) -> Icd10Release:
    fiscal_year = int(match["year"])
    if match["april"]:
        effective, name = date(fiscal_year, 4, 1), f"FY{fiscal_year} April update ({path.name})"
    else:
        effective, name = date(fiscal_year - 1, 10, 1), f"FY{fiscal_year} ({path.name})"
    return Icd10Release(name=name, effective_from=effective, source=str(path), loader=lambda: read_order_file(path))


@cache
def _releases_in(directory: str | Path) -> tuple[Icd10Release, ...]:
    by_date: dict[date, Icd10Release] = {}
    folder = Path(directory)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = _ORDER_FILE.match(path.name)
            if match and path.is_file():
                release = _order_file_release(path, match)
                by_date[release.effective_from] = release
    if PACKAGED_EFFECTIVE_FROM not in by_date:
        # No October file for the packaged year: the packaged April update stands in for the whole year.
        by_date[PACKAGED_EFFECTIVE_FROM] = Icd10Release(
            name=PACKAGED_NAME, effective_from=PACKAGED_EFFECTIVE_FROM, source="simple-icd-10-cm",
            loader=_packaged_table)
    elif PACKAGED_UPDATE_FROM not in by_date:
        # The October file covers October to March exactly; the packaged April update takes over in April.
        by_date[PACKAGED_UPDATE_FROM] = Icd10Release(
            name=PACKAGED_UPDATE_NAME, effective_from=PACKAGED_UPDATE_FROM, source="simple-icd-10-cm",
            loader=_packaged_table)
    return tuple(sorted(by_date.values(), key=lambda release: release.effective_from))


def icd10_releases() -> tuple[Icd10Release, ...]:
    """Every loaded release, oldest first."""
    return _releases_in(settings.OPENPRACTICE_ICD10_DIR)  # a Path caches its hash: no str() per call


def icd10_cache_clear() -> None:
    """Forget discovered releases and order-file tables (tests; after dropping in a new order file). The
    packaged table never changes within a process and is kept."""
    _releases_in.cache_clear()


def icd10_release_for(on: date) -> Icd10Release | None:
    """The latest release in force on ``on``; None for dates before every loaded release."""
    for release in reversed(icd10_releases()):
        if release.effective_from <= on:
            return release
    return None


def icd10_check(code: str, on: date) -> Icd10Verdict:
    """May ``code`` go on a claim for a date of service ``on``?"""
    bare = normalize_icd10(code)
    release = icd10_release_for(on)
    if release is None:
        return Icd10Verdict(ok=False, reason="no_table", code=_dotted(bare), release="",
                            message=f"No ICD-10-CM code set is loaded for the date of service {on.isoformat()}.")
    passed = release._passed.get(bare)
    if passed is not None:
        return passed
    data = release._data
    shown = _dotted(bare)
    if bare in data.billable:
        passed = release._passed[bare] = Icd10Verdict(ok=True, reason="ok", message="", release=release.name,
                                                      code=shown)
        return passed
    if bare in data.descriptions:
        kind = "a category" if len(bare) == 3 else "a subcategory"
        example = release.more_specific_example(bare)
        hint = (f": choose a more specific code such as {display_icd10(example)}" if example
                else ": choose a more specific code")
        return Icd10Verdict(ok=False, reason="not_billable", release=release.name, code=shown,
                            message=f"{shown} is {kind}, not a billable code{hint}.")
    return Icd10Verdict(ok=False, reason="unknown", release=release.name, code=shown,
                        message=_unknown_message(bare, shown, on, release))


def _unknown_message(bare: str, shown: str, on: date, release: Icd10Release) -> str:
    if not bare:
        return "No diagnosis code was given."
    if _LOOKS_LIKE_ICD9.match(bare):
        return f"{shown} looks like an ICD-9 code; claims take ICD-10-CM codes."
    message = f"{shown} is not an ICD-10-CM code in the {release.name} code set (in force on {on.isoformat()})"
    for other in icd10_releases():
        if other is not release and bare in other._data.billable:
            if other.effective_from > on:
                return f"{message}; it is valid only from {other.effective_from.isoformat()} ({other.name})."
            return f"{message}; it was valid in {other.name} but has since been deleted or expanded."
    return f"{message}."
