"""The menu groups entries by section: a section's entries are next to each other, whatever order the apps
register them in (an entry numbered between two of another section's would split that section in two)."""

from __future__ import annotations

from itertools import groupby

from openpractice.core.navigation import items


def test_each_section_appears_once_in_the_menu() -> None:
    sections = [section for section, _ in groupby(item.section for item in items())]
    assert len(sections) == len(set(sections)), sections
