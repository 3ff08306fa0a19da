"""Validate an X12 file with pyx12's library (its `x12valid` command always exits 1, so it cannot be used).

`validate_x12()` runs `pyx12.x12n_document.x12n_document()` against the implementation guide's map (chosen by
pyx12 from GS08, e.g. 005010X222A1 for an 837P), collects the errors pyx12 found from its JSON error report, and
names the loop each bad segment sits in (taken from the map node pyx12 matched, through its per-segment callback):

    segment NM1 in loop 2010BA (line 14): Mandatory element NM103 is missing

The error texts may quote values from the file (names, IDs): they are for the people who may see the batch.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

MAX_ERRORS = 200
ISA_LENGTH = 106


@dataclass(frozen=True)
class X12Validation:
    ok: bool
    errors: list[str] = field(default_factory=list)
    segments: int = 0
    seconds: float = 0.0
    truncated: bool = False  # more errors than MAX_ERRORS were found; the first ones are kept

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": list(self.errors), "segments": self.segments,
                "seconds": round(self.seconds, 3), "truncated": self.truncated}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> X12Validation:
        return cls(ok=bool(data.get("ok")), errors=[str(e) for e in data.get("errors") or []],
                   segments=int(data.get("segments") or 0), seconds=float(data.get("seconds") or 0),
                   truncated=bool(data.get("truncated")))

    def save(self, path: Path) -> None:
        """Keep the result as JSON at `path` (written whole, then renamed into place)."""
        partial = path.with_name(f".{path.name}.part")
        partial.write_text(json.dumps(self.as_dict()))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> X12Validation | None:
        """The result kept at `path`, or None when there is none (or it cannot be read)."""
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError, AttributeError):
            return None


def validate_x12(source: str | Path | TextIO, *, max_errors: int = MAX_ERRORS) -> X12Validation:
    """Validate an X12 interchange. `source` is a path (str or Path), the X12 text itself (a str starting with
    "ISA" or holding a line break or '*'), or an open text file. Never raises for bad content: every problem is
    an error in the result."""
    started = time.perf_counter()
    if isinstance(source, Path) or (isinstance(source, str) and not _is_x12_text(source)):
        try:
            with open(source, encoding="ascii", errors="replace", newline="") as handle:
                return _validate(handle, max_errors=max_errors, started=started)
        except OSError as error:
            return X12Validation(ok=False, errors=[f"The file {source} cannot be read: {error.strerror or error}."],
                                 seconds=time.perf_counter() - started)
    if isinstance(source, str):
        return _validate(io.StringIO(source.lstrip()), max_errors=max_errors, started=started)
    return _validate(source, max_errors=max_errors, started=started)


def _is_x12_text(value: str) -> bool:
    """X12 text rather than a path: it starts with ISA, or holds a line break or an element separator."""
    return value.lstrip().startswith("ISA") or "\n" in value or "*" in value


def _validate(handle: TextIO, *, max_errors: int, started: float) -> X12Validation:
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    head = handle.read(ISA_LENGTH)
    if not head.startswith("ISA") or len(head) < ISA_LENGTH:
        return X12Validation(ok=False, errors=["The file does not begin with a complete ISA segment "
                                               f"({ISA_LENGTH} characters): it is not an X12 interchange."],
                             seconds=time.perf_counter() - started)
    source = _Prepended(head, handle)
    loops: list[str] = [""]  # loop id of each segment, by pyx12's segment line number

    def remember_loop(segment: Any, src: Any, node: Any, valid: bool) -> None:
        line = src.get_cur_line()
        parent = node.get_parent() if node is not None else None
        loop = getattr(parent, "id", "") or ""
        while len(loops) <= line:
            loops.append(loop)
        loops[line] = loop

    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=source, fd_997=None, fd_html=None, fd_xmldoc=None,
            fd_json=report, callback=remember_loop,
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        return X12Validation(ok=False, errors=[f"pyx12 could not read the file: {error}"],
                             segments=len(loops) - 1, seconds=time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - pyx12 fails in its own ways on garbage; report it, never crash
        return X12Validation(ok=False, errors=[f"pyx12 stopped on the file: {type(error).__name__}: {error}"],
                             segments=len(loops) - 1, seconds=time.perf_counter() - started)
    errors = _errors(report.getvalue(), loops)
    if not valid and not errors:
        errors = ["pyx12 found the file invalid without naming an error (is it a complete interchange?)."]
    return X12Validation(ok=bool(valid) and not errors, errors=errors[:max_errors], segments=len(loops) - 1,
                         seconds=time.perf_counter() - started, truncated=len(errors) > max_errors)


class _Prepended(io.TextIOBase):
    """The ISA already read for the check, then the rest of the file: pyx12 reads from the start again."""

    def __init__(self, head: str, rest: TextIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            data, self._head = self._head + self._rest.read(), ""
            return data
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._rest.read(size - len(data))
            return data
        return self._rest.read(size)


def _errors(report: str, loops: list[str]) -> list[str]:
    if not report.strip():
        return []
    document = json.loads(report)
    errors: list[str] = []
    for interchange in document.get("interchanges", []):
        for item in interchange.get("errors", []):
            errors.append(f"interchange (ISA): {_describe(item)}")
        for group in interchange.get("groups", []):
            for item in group.get("errors", []):
                errors.append(f"functional group (GS {group.get('gs_control_num') or '?'}): {_describe(item)}")
            for transaction in group.get("transactions", []):
                st = transaction.get("trn_set_control_num") or "?"
                for item in transaction.get("errors", []):
                    errors.append(f"transaction set (ST {st}): {_describe(item)}")
                for seg in transaction.get("segments", []):
                    errors += _segment_errors(seg, loops)
    return errors


def _segment_errors(seg: dict[str, Any], loops: list[str]) -> list[str]:
    line = seg.get("cur_line")
    loop = loops[line] if isinstance(line, int) and 0 < line < len(loops) else ""
    where = f"segment {seg.get('seg_id') or '?'}"
    if loop:
        where += f" in loop {loop}"
    if isinstance(line, int):
        where += f" (segment {line} of the file)"
    found = [f"{where}: {_describe(item)}" for item in seg.get("errors", [])]
    for element in seg.get("elements", []):
        name = element.get("ele_ref_num") or ""
        position = element.get("ele_pos")
        label = f"{seg.get('seg_id') or ''}{int(position):02d}" if isinstance(position, int) else name
        if element.get("subele_pos"):
            label += f"-{element['subele_pos']}"
        for item in element.get("errors", []):
            found.append(f"{where}, element {label}: {_describe(item)}")
    return found


def _describe(item: dict[str, Any]) -> str:
    message = str(item.get("err_str") or "").strip() or "error"
    code = item.get("err_cde")
    value = item.get("err_val")
    text = f"{message} (code {code})" if code else message
    if value:
        text += f" — value “{value}”"
    return text
