"""validate_x12 really calls pyx12 and really finds what is wrong: a missing segment, a wrong count, a bad
element, a file that is not X12 at all, with the loop named in words."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.models import Claim
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.x12.envelope import Envelope
from openpractice.billing.x12.validate import X12Validation, validate_x12
from openpractice.billing.x12.writer_837p import claims_for_837p, write_837p
from openpractice.core.models import Location, Practice


@pytest.fixture
def good_file(practice: Practice, north: Location, make_user: Callable[..., User]) -> str:
    billing = ready_practice(practice)
    ready_claim(north, make_user(Role.BILLER))
    out = io.StringIO()
    write_837p(out, claims_for_837p(Claim.objects.all()), billing_settings=billing, practice=practice,
               envelope=Envelope(sender_id="RIVERBEND01", receiver_id="CLEARHOUSE01", interchange_number=12,
                                 group_number=12, usage_indicator="T", created=dt.datetime(2026, 11, 27, 10, 0)))
    return out.getvalue()


def _se(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("SE*"))


def test_a_good_file_is_valid(good_file: str) -> None:
    result = validate_x12(good_file)
    assert result.ok
    assert result.errors == []
    assert result.segments == len(good_file.splitlines())


def test_a_missing_subscriber_name_is_found_and_its_loop_named(good_file: str) -> None:
    broken = "\n".join(line for line in good_file.splitlines() if not line.startswith("NM1*IL*"))
    result = validate_x12(broken)
    assert not result.ok
    assert any('Mandatory loop "Subscriber Name" (2010BA) missing' in error for error in result.errors)
    assert any(error.startswith("transaction set (ST 0001): SE count") for error in result.errors)


def test_a_wrong_segment_count_in_se_is_found(good_file: str) -> None:
    se = _se(good_file)
    count = int(se.split("*")[1])
    result = validate_x12(good_file.replace(se, se.replace(f"SE*{count}*", f"SE*{count + 2}*")))
    assert not result.ok
    assert result.errors == [f"transaction set (ST 0001): SE count of {count + 2} for SE02=0001 is wrong. "
                             f"I count {count} (code 4)"]


def test_a_bad_element_is_found_with_the_segment_loop_and_element(good_file: str) -> None:
    result = validate_x12(good_file.replace("DMG*D8*19800131", "DMG*D8*19800231"))
    assert not result.ok
    assert len(result.errors) == 1
    assert result.errors[0].startswith("segment DMG in loop 2010BA (segment ")
    assert "element DMG02: Data element \"Subscriber Birth Date\" (DMG02) contains an invalid date" in result.errors[0]


def test_a_missing_mandatory_element_is_found(good_file: str) -> None:
    line = next(line for line in good_file.splitlines() if line.startswith("NM1*IL*1*"))
    parts = line.split("*")
    parts[3] = ""
    result = validate_x12(good_file.replace(line, "*".join(parts)))
    assert not result.ok
    assert any("segment NM1 in loop 2010BA" in error and "element NM103" in error and "missing" in error
               for error in result.errors)


def test_trailing_empty_elements_are_an_error(good_file: str) -> None:
    result = validate_x12(good_file.replace("SBR*P*18*GRP1******CI~", "SBR*P*18*GRP1******CI*~"))
    assert not result.ok
    assert any("trailing element terminators" in error for error in result.errors)


def test_mismatched_trailer_counts_and_numbers_are_found(good_file: str) -> None:
    assert not validate_x12(good_file.replace("GE*1*12", "GE*2*12")).ok
    result = validate_x12(good_file.replace("IEA*1*000000012", "IEA*1*000000013"))
    assert result.errors == ["interchange (ISA): IEA id=000000013 does not match ISA id=000000012 (code 001)"]


def test_something_that_is_not_x12_is_invalid_not_an_exception(tmp_path: Path) -> None:
    assert validate_x12("hello*world").errors[0].startswith("The file does not begin with a complete ISA segment")
    path = tmp_path / "notes.txt"
    path.write_text("Dear payer, please pay.\n")
    assert not validate_x12(path).ok
    missing = validate_x12(tmp_path / "nowhere.x12")
    assert not missing.ok
    assert "cannot be read" in missing.errors[0]


def test_an_unknown_implementation_guide_is_reported(good_file: str) -> None:
    result = validate_x12(good_file.replace("005010X222A1", "005010X999A9"))
    assert not result.ok
    assert result.errors


def test_paths_and_open_files_are_read_too(good_file: str, tmp_path: Path) -> None:
    path = tmp_path / "claims.x12"
    path.write_text(good_file)
    assert validate_x12(path).ok
    assert validate_x12(str(path)).ok
    with open(path) as handle:
        assert validate_x12(handle).ok


def test_a_result_survives_being_kept_on_disk(tmp_path: Path) -> None:
    result = X12Validation(ok=False, errors=["segment NM1 in loop 2010BA: missing"], segments=30, seconds=0.25)
    result.save(tmp_path / "v.json")
    assert X12Validation.load(tmp_path / "v.json") == result
    assert X12Validation.load(tmp_path / "none.json") is None
