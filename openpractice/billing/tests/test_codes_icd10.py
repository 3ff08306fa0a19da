"""ICD-10-CM: valid and billable codes for the code year of the date of service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from openpractice.billing.codes.icd10 import (
    PACKAGED_EFFECTIVE_FROM,
    Icd10TableError,
    display_icd10,
    icd10_cache_clear,
    icd10_check,
    icd10_release_for,
    icd10_releases,
    normalize_icd10,
)

IN_FY2026 = date(2026, 3, 15)


def order_line(number: int, code: str, billable: bool, description: str) -> str:
    """One line in the CMS order file layout: order no (5), code (7), flag, short (60), long."""
    return f"{number:05d} {code:<7} {1 if billable else 0} {description[:60]:<60} {description}"


def write_order_file(folder: Path, name: str, rows: list[tuple[str, bool, str]]) -> Path:
    path = folder / name
    path.write_text("\n".join(order_line(i, *row) for i, row in enumerate(rows, start=1)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def icd10_dir(settings, tmp_path: Path) -> Iterator[Path]:
    """An empty release directory of our own, so only the packaged release and what a test writes load."""
    folder = tmp_path / "icd10"
    folder.mkdir()
    settings.OPENPRACTICE_ICD10_DIR = folder
    icd10_cache_clear()
    yield folder
    icd10_cache_clear()


FY2027_ROWS = [
    ("E11", False, "Type 2 diabetes mellitus"),
    ("E119", True, "Type 2 diabetes mellitus without complications"),
    ("E1199", True, "Type 2 diabetes mellitus with an invented new complication"),
    ("Z00", False, "Encounter for general examination"),
    ("Z0000", True, "Encounter for general adult medical examination without abnormal findings"),
]


def test_codes_are_normalized_without_dot_and_displayed_with_it():
    assert normalize_icd10(" e11.9 ") == "E119"
    assert normalize_icd10("S72.001A") == "S72001A"
    assert display_icd10("e119") == "E11.9"
    assert display_icd10("I10") == "I10"


def test_a_billable_code_passes_for_a_date_in_the_packaged_year(icd10_dir):
    verdict = icd10_check("E11.9", IN_FY2026)
    assert verdict.ok
    assert verdict.reason == "ok"
    assert verdict.message == ""
    assert verdict.release.startswith("FY2026")
    assert verdict.code == "E11.9"


def test_a_category_is_valid_but_not_billable_and_the_message_suggests_a_specific_code(icd10_dir):
    verdict = icd10_check("E11", IN_FY2026)
    assert not verdict.ok
    assert verdict.reason == "not_billable"
    assert verdict.message == "E11 is a category, not a billable code: choose a more specific code such as E11.9."
    release = icd10_release_for(IN_FY2026)
    assert release is not None
    assert release.is_valid("E11")
    assert not release.is_billable("E11")


def test_a_subcategory_needing_a_seventh_character_is_not_billable(icd10_dir):
    verdict = icd10_check("S72.001", IN_FY2026)
    assert verdict.reason == "not_billable"
    assert "subcategory" in verdict.message
    assert "S72.001" in verdict.message
    assert verdict.message.endswith("such as S72.001A.")
    assert icd10_check("S72.001A", IN_FY2026).ok


def test_an_unknown_code_is_refused_with_the_release_named(icd10_dir):
    verdict = icd10_check("E11.99", IN_FY2026)
    assert not verdict.ok
    assert verdict.reason == "unknown"
    assert "E11.99 is not an ICD-10-CM code" in verdict.message
    assert "FY2026" in verdict.message


def test_an_icd9_looking_code_is_called_out(icd10_dir):
    verdict = icd10_check("250.00", IN_FY2026)
    assert verdict.reason == "unknown"
    assert "ICD-9" in verdict.message


def test_an_empty_code_is_unknown(icd10_dir):
    verdict = icd10_check("  ", IN_FY2026)
    assert verdict.reason == "unknown"
    assert verdict.message == "No diagnosis code was given."


def test_dates_before_every_loaded_release_have_no_table(icd10_dir):
    verdict = icd10_check("E11.9", date(2024, 5, 1))
    assert not verdict.ok
    assert verdict.reason == "no_table"
    assert verdict.release == ""
    assert "2024-05-01" in verdict.message
    assert icd10_release_for(date(2025, 9, 30)) is None
    assert icd10_release_for(PACKAGED_EFFECTIVE_FROM) is not None


def test_release_exposes_descriptions_and_counts(icd10_dir):
    release = icd10_release_for(IN_FY2026)
    assert release is not None
    assert release.description("E11.9") == "Type 2 diabetes mellitus without complications"
    assert release.description("NOPE") == ""
    assert release.code_count > release.billable_count > 70_000


def test_an_order_file_for_the_next_year_takes_over_on_and_after_its_effective_date(icd10_dir):
    write_order_file(icd10_dir, "icd10cm-order-2027.txt", FY2027_ROWS)
    icd10_cache_clear()

    names = [release.name for release in icd10_releases()]
    assert len(names) == 2
    assert names[1].startswith("FY2027")

    assert icd10_check("E11.99", date(2026, 10, 1)).ok            # new in FY2027
    assert icd10_check("E11.99", date(2026, 10, 1)).release.startswith("FY2027")
    before = icd10_check("E11.99", date(2026, 9, 30))             # still FY2026
    assert before.reason == "unknown"
    assert "valid only from 2026-10-01" in before.message
    # Codes the FY2027 file does not list are unknown from its effective date on.
    after = icd10_check("I10", date(2027, 1, 1))
    assert after.reason == "unknown"
    assert "FY2027" in after.message
    assert "has since been deleted" in after.message
    assert icd10_check("E11", date(2027, 1, 1)).message == (
        "E11 is a category, not a billable code: choose a more specific code such as E11.9.")


def test_an_order_file_for_an_earlier_year_covers_earlier_dates(icd10_dir):
    write_order_file(icd10_dir, "icd10cm_order_2025.txt", FY2027_ROWS[:2])
    icd10_cache_clear()
    verdict = icd10_check("E11.9", date(2024, 12, 1))
    assert verdict.ok
    assert verdict.release.startswith("FY2025")
    assert icd10_check("E11.9", date(2024, 9, 30)).reason == "no_table"


def test_alone_the_packaged_april_update_says_it_also_stands_in_for_october_to_march(icd10_dir):
    (release,) = icd10_releases()
    assert release.effective_from == PACKAGED_EFFECTIVE_FROM
    assert release.name == "FY2026 (simple-icd-10-cm, April 2026 update; also used for October 2025 to March 2026)"
    assert icd10_check("I10", date(2025, 10, 1)).release == release.name


def test_the_fy2026_october_file_covers_october_to_march_and_the_packaged_april_update_takes_over_in_april(
        icd10_dir):
    write_order_file(icd10_dir, "icd10cm-order-2026.txt", FY2027_ROWS[:2])
    icd10_cache_clear()
    october, april = icd10_releases()
    assert (october.effective_from, april.effective_from) == (date(2025, 10, 1), date(2026, 4, 1))
    assert "icd10cm-order-2026.txt" in october.name
    assert april.name == "FY2026 April update (simple-icd-10-cm)"
    # Before April only the October file counts: a code it does not list is refused ...
    assert icd10_check("I10", IN_FY2026).reason == "unknown"
    assert icd10_check("E11.9", IN_FY2026).release == october.name
    # ... from April on, the packaged April update.
    assert icd10_check("I10", date(2026, 4, 1)).ok
    assert icd10_check("I10", date(2026, 4, 1)).release == april.name
    assert icd10_check("I10", date(2026, 3, 31)).reason == "unknown"


def test_an_april_file_for_the_packaged_year_replaces_the_packaged_update(icd10_dir):
    write_order_file(icd10_dir, "icd10cm-order-2026.txt", FY2027_ROWS[:2])
    write_order_file(icd10_dir, "icd10cm-order-april-2026.txt", FY2027_ROWS[:3])
    icd10_cache_clear()
    releases = icd10_releases()
    assert [release.effective_from for release in releases] == [date(2025, 10, 1), date(2026, 4, 1)]
    assert all(release.source != "simple-icd-10-cm" for release in releases)
    assert icd10_check("E11.99", date(2026, 4, 1)).ok
    assert icd10_check("I10", date(2026, 4, 1)).reason == "unknown"


def test_other_files_in_the_directory_are_ignored(icd10_dir):
    (icd10_dir / "README.txt").write_text("not a release")
    (icd10_dir / "icd10cm-order-2027.txt.bak").write_text("old")
    icd10_cache_clear()
    assert len(icd10_releases()) == 1


def test_a_malformed_order_file_fails_with_the_line_number(icd10_dir):
    write_order_file(icd10_dir, "icd10cm-order-2027.txt", FY2027_ROWS[:1])
    with (icd10_dir / "icd10cm-order-2027.txt").open("a") as handle:
        handle.write("this is not an order line\n")
    icd10_cache_clear()
    with pytest.raises(Icd10TableError, match="line 2"):
        icd10_check("E11", date(2027, 1, 1))


def test_checks_after_warm_up_do_not_reload_the_table(icd10_dir, monkeypatch):
    icd10_check("E11.9", IN_FY2026)
    import openpractice.billing.codes.icd10 as module

    def refuse() -> None:
        raise AssertionError("the table was loaded again")

    monkeypatch.setattr(module, "_packaged_table", refuse)
    for _ in range(1000):
        assert icd10_check("E11.9", IN_FY2026).ok
