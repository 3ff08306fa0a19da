"""Case samples for THE route matrix (tests/test_routes.py SAMPLES). Whether a case is in reach depends on its
kind: an actor holding cases.view gets the patient cases, one holding only cases.staff (HR) the staff cases. Each
kind has a case at North (in scope for a holder at North) and one at South, each with a letter; "My cases" gets a
case the actor filed and one somebody else filed.

    "case": case_samples.cases,              # case_detail/assign/acknowledge/note/edit/links/escalate/resolve/
                                             # close/reopen/letter_create (<pk> = Case)
    "caseletter": case_samples.letters,      # case_letter (<pk> = CaseLetter)
    "owncase": case_samples.own_cases,       # case_mine_detail (<pk> = a Case the actor filed)
"""

from __future__ import annotations

from typing import Any

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.cases.choices import CaseKind, LetterKind
from openpractice.cases.models import Case, CaseLetter

from .factories import CaseFactory


def _letter(case: Case, author: Any) -> CaseLetter:
    return CaseLetter.objects.create(case=case, kind=LetterKind.ACKNOWLEDGEMENT,
                                     recipient=f"{case.complainant_name}\n{case.complainant_contact}",
                                     body="We received your concern.", created_by=author)


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_case_samples", {})
    if not cache:
        for key, location in (("north", world.north), ("south", world.south)):
            for kind in CaseKind.values:
                case = CaseFactory(kind=kind, location=location, filed_by=world.stranger)
                cache[f"case:{kind}:{key}"] = case
                cache[f"letter:{kind}:{key}"] = _letter(case, world.stranger)
    return cache


def _kind(actor: Any) -> str:
    """Staff cases for those who see only those; patient cases for everyone else."""
    if actor is not None and not can(actor, Perm.CASES_VIEW) and can(actor, Perm.CASES_STAFF):
        return CaseKind.STAFF
    return CaseKind.PATIENT


def cases(world: Any, actor: Any) -> tuple[Case, Case]:
    cache, kind = _cache(world), _kind(actor)
    return cache[f"case:{kind}:north"], cache[f"case:{kind}:south"]


def letters(world: Any, actor: Any) -> tuple[CaseLetter, CaseLetter]:
    cache, kind = _cache(world), _kind(actor)
    return cache[f"letter:{kind}:north"], cache[f"letter:{kind}:south"]


def own_cases(world: Any, actor: Any) -> tuple[Case, Case]:
    """A case the actor filed (at North), and the stranger's."""
    cache = _cache(world)
    someone_elses = cache["case:patient:south"]
    if actor is None:
        return cache["case:patient:north"], someone_elses
    key = f"own:{actor.pk}"
    if key not in cache:
        cache[key] = CaseFactory(kind=CaseKind.PATIENT, location=world.north, filed_by=actor)
    return cache[key], someone_elses
