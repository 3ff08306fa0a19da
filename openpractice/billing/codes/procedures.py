"""CPT and HCPCS Level II procedure code formats. Codes only: CPT descriptors are AMA-licensed and come
only from a file the practice imports (see services/codes.py)."""

from __future__ import annotations

import re

from ..choices import ProcedureCodeKind

# CPT Category I: 5 digits; Category II: 4 digits + F; Category III: 4 digits + T; PLA: 4 digits + U.
_CPT = re.compile(r"^[0-9]{4}[0-9FTU]$")
# HCPCS Level II: a letter A–V and 4 digits.
_HCPCS = re.compile(r"^[A-V][0-9]{4}$")


def normalize_procedure_code(code: str) -> str:
    """The stored form: no surrounding or inner spaces, upper case ("j1100 " -> "J1100")."""
    return "".join(code.split()).upper()


def is_procedure_code(code: str) -> bool:
    """True for a CPT (Category I, II, III or PLA) or HCPCS Level II code in its stored form."""
    return bool(_CPT.match(code) or _HCPCS.match(code))


def procedure_kind(code: str) -> str:
    """"CPT" or "HCPCS" (ProcedureCodeKind values); ValueError for anything that is neither."""
    if _CPT.match(code):
        return ProcedureCodeKind.CPT.value
    if _HCPCS.match(code):
        return ProcedureCodeKind.HCPCS.value
    raise ValueError(f"{code!r} is not a CPT or HCPCS Level II code.")


def procedure_code_problem(code: str) -> str:
    """Why ``code`` is not a procedure code, in words a biller understands; "" when it is one."""
    if not code:
        return "The procedure code is missing."
    if is_procedure_code(code):
        return ""
    if code.isdigit():
        return f"{code} is not a CPT code: CPT codes have exactly 5 digits."
    return (f"{code} is not a CPT or HCPCS code: CPT codes are 5 digits (or 4 digits and F, T or U), "
            "HCPCS codes a letter A to V and 4 digits.")
