"""Procedure codes the practice bills, and their descriptors.

CPT descriptors are the AMA's: they enter only through procedure_descriptors_import(), from a file the practice
is licensed to use, with its source recorded (a practice-wide change: billing.manage at all locations). Codes
themselves are facts and are created as they are used.
Also home of the CSV reading shared by the billing imports (size, encoding, header checks).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.audit.services import record

from ..codes.procedures import is_procedure_code, normalize_procedure_code, procedure_code_problem, procedure_kind
from ..models import ProcedureCode
from .authorization import authorize_practice_wide

CSV_MAX_BYTES = 5 * 1024 * 1024
CSV_MAX_ROWS = 50_000
MAX_REPORTED_PROBLEMS = 500
DESCRIPTOR_MAX_LENGTH = 300
SOURCE_MAX_LENGTH = 120


# --- CSV files -------------------------------------------------------------------------------------------------


@dataclass
class RowProblem:
    line: int
    code: str
    reasons: list[str]


@dataclass
class CsvReport:
    """What an import found: problems with the file itself (`errors`), bad rows (`problems`, the first
    MAX_REPORTED_PROBLEMS; `more_problems` counts the rest), and on success what was written."""

    errors: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    more_problems: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems and not self.more_problems

    @property
    def problem_count(self) -> int:
        return len(self.errors) + len(self.problems) + self.more_problems

    def add_problem(self, line: int, code: str, reasons: list[str]) -> None:
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(RowProblem(line=line, code=code, reasons=[r.rstrip(".") for r in reasons]))
        else:
            self.more_problems += 1


def read_upload(file: bytes | str | IO[bytes] | IO[str] | Any, report: CsvReport) -> str | None:
    """The text of an uploaded CSV, or None with the reason in `report.errors`: at most CSV_MAX_BYTES,
    UTF-8 (a byte-order mark is fine), not a binary file."""
    if hasattr(file, "read"):
        if hasattr(file, "seek"):
            file.seek(0)
        content = file.read(CSV_MAX_BYTES + 1)
    else:
        content = file
    data = content.encode("utf-8", errors="surrogatepass") if isinstance(content, str) else bytes(content or b"")
    if len(data) > CSV_MAX_BYTES:
        report.errors.append(_("The file is larger than %(mb)s MB.") % {"mb": CSV_MAX_BYTES // (1024 * 1024)})
        return None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        report.errors.append(_("This is a spreadsheet file, not a CSV. In the spreadsheet, use “Save as” → "
                               "“CSV UTF-8” and upload that file."))
        return None
    if b"\x00" in data:
        report.errors.append(_("This is a binary file, not a CSV text file."))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        return None
    if not text.strip():
        report.errors.append(_("The file is empty."))
        return None
    return text


def csv_rows(text: str, *, required: tuple[str, ...], optional: tuple[str, ...],
             report: CsvReport) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """Check the header (names are matched without case or surrounding spaces), then yield
    (line number, values by column, problems with the row's shape) for every non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        report.errors.append(_("The file has no header row."))
        return
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    unknown = [name for name in names if name not in required + optional]
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    expected = ", ".join([*required, *(f"{name} (optional)" for name in optional)])
    if missing:
        report.errors.append(_("The header row must name the columns %(expected)s; missing: %(missing)s.")
                             % {"expected": expected, "missing": ", ".join(missing)})
    if unknown:
        report.errors.append(_("Unknown column(s) in the header row: %(unknown)s. The columns are %(expected)s.")
                             % {"unknown": ", ".join(f"“{name}”" for name in unknown), "expected": expected})
    if duplicated:
        report.errors.append(_("Column(s) named twice in the header row: %(names)s.")
                             % {"names": ", ".join(duplicated)})
    if report.errors:
        return
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.errors.append(_("Line %(line)s cannot be read as CSV (%(error)s).")
                                 % {"line": reader.line_num, "error": error})
            return
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > CSV_MAX_ROWS:
            report.errors.append(_("The file has more than %(max)s rows; split it into smaller files.")
                                 % {"max": f"{CSV_MAX_ROWS:,}"})
            return
        shape: list[str] = []
        if len(cells) > len(names):
            shape.append(_("the row has %(cells)s values but the header names %(columns)s columns")
                         % {"cells": len(cells), "columns": len(names)})
        values = {name: (cells[index].strip() if index < len(cells) else "") for index, name in enumerate(names)}
        yield line, values, shape
    report.rows = count
    if count == 0:
        report.errors.append(_("The file has a header row but no data rows."))


# --- procedure codes -------------------------------------------------------------------------------------------


def procedure_code_ensure(code: str) -> ProcedureCode:
    """The ProcedureCode row for a well-formed code, created (without a descriptor) the first time."""
    bare = normalize_procedure_code(code)
    if not is_procedure_code(bare):
        raise ValidationError({"procedure_code": procedure_code_problem(bare)}, code="invalid")
    existing = ProcedureCode.objects.filter(code=bare).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ProcedureCode.objects.create(code=bare, kind=procedure_kind(bare))
    except IntegrityError:  # created by a concurrent caller
        return ProcedureCode.objects.get(code=bare)


def procedure_codes_ensure(codes: Iterable[str]) -> int:
    """Create the missing ProcedureCode rows for well-formed `codes` (two queries); returns how many were new."""
    wanted = {normalize_procedure_code(code) for code in codes}
    wanted = {code for code in wanted if is_procedure_code(code)}
    missing = wanted - set(ProcedureCode.objects.filter(code__in=wanted).values_list("code", flat=True))
    ProcedureCode.objects.bulk_create(
        [ProcedureCode(code=code, kind=procedure_kind(code)) for code in sorted(missing)], ignore_conflicts=True)
    return len(missing)


DescriptorImportReport = CsvReport


def procedure_descriptors_import(*, actor: Any, file: bytes | str | IO[bytes] | Any, source: str) -> CsvReport:
    """Set descriptors from a CSV with the columns code, descriptor (a file the practice is licensed to use;
    `source` names it, e.g. "AMA CPT 2026 data file, licence 12345"). Every row is checked first; if any is
    bad nothing is written and the report lists each bad line. Codes not yet known are created."""
    authorize_practice_wide(actor=actor, action="billing.procedure_descriptors_import")
    report = CsvReport()
    source = (source or "").strip()
    if not source:
        report.errors.append(_("Name the source of the descriptors (the licensed file they come from)."))
    elif len(source) > SOURCE_MAX_LENGTH:
        report.errors.append(_("The source may have at most %(max)s characters.") % {"max": SOURCE_MAX_LENGTH})
    text = read_upload(file, report)
    if text is None or report.errors:
        return report
    descriptors: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, values, reasons in csv_rows(text, required=("code", "descriptor"), optional=(), report=report):
        code = normalize_procedure_code(values["code"])
        descriptor = " ".join(values["descriptor"].split())
        problem = procedure_code_problem(code)
        if problem:
            reasons.append(problem)
        if not descriptor:
            reasons.append(_("the descriptor is empty"))
        elif len(descriptor) > DESCRIPTOR_MAX_LENGTH:
            reasons.append(_("the descriptor is longer than %(max)s characters") % {"max": DESCRIPTOR_MAX_LENGTH})
        if code and code in first_line:
            reasons.append(_("code %(code)s is also on line %(line)s") % {"code": code, "line": first_line[code]})
        if reasons:
            report.add_problem(line, values["code"], reasons)
            continue
        first_line[code] = line
        descriptors[code] = descriptor
    if not report.ok:
        return report
    with transaction.atomic():
        existing = {row.code: row for row in ProcedureCode.objects.select_for_update().filter(code__in=descriptors)}
        changed: list[ProcedureCode] = []
        new: list[ProcedureCode] = []
        now = timezone.now()
        for code, descriptor in descriptors.items():
            row = existing.get(code)
            if row is None:
                new.append(ProcedureCode(code=code, kind=procedure_kind(code), descriptor=descriptor,
                                         descriptor_source=source))
            elif row.descriptor != descriptor or row.descriptor_source != source:
                row.descriptor, row.descriptor_source, row.updated_at = descriptor, source, now
                changed.append(row)
            else:
                report.unchanged += 1
        ProcedureCode.objects.bulk_create(new, batch_size=1000)
        ProcedureCode.objects.bulk_update(changed, ["descriptor", "descriptor_source", "updated_at"], batch_size=1000)
        report.created, report.updated = len(new), len(changed)
        record(actor=actor, action="billing.procedure_descriptors_imported", object_type="billing.procedurecode",
               changed_fields=["descriptor", "descriptor_source"],
               reason=f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged")
    report.saved = True
    return report
