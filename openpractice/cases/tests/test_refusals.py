"""Every service that works a case refuses a user who may not work it: PermissionDenied, one audit event with
outcome denied, and nothing changed (case rows, timeline, letters, incidents). The same call then succeeds for
a senior practice manager at North, so the refusal is about the user, not the call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.audit.models import Outcome as AuditOutcome
from openpractice.cases import services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, LetterKind, Outcome
from openpractice.cases.models import Case, CaseLetter
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory

from .support import denials, state

pytestmark = pytest.mark.django_db


def _update(actor: User, case: Case, world: dict[str, Any]) -> Any:
    return services.case_update(actor=actor, case=case, subject="Corrected subject", severity="high",
                                confidentiality=case.confidentiality, category=case.category, location=case.location)


def _links(actor: User, case: Case, world: dict[str, Any]) -> Any:
    if case.kind == CaseKind.PATIENT:
        return services.case_links_set(actor=actor, case=case, patient=world["patient"])
    return services.case_links_set(actor=actor, case=case)


# service action (as audited) -> (the case it needs: open or resolved, the call)
CALLS: dict[str, tuple[str, Callable[[User, Case, dict[str, Any]], Any]]] = {
    "cases.case_assign": ("open", lambda actor, case, world: services.case_assign(
        actor=actor, case=case, assignee=world["senior"])),
    "cases.case_acknowledge": ("open", lambda actor, case, world: services.case_acknowledge(actor=actor, case=case)),
    "cases.case_note": ("open", lambda actor, case, world: services.case_note_add(
        actor=actor, case=case, kind="note", body="Looked at it.")),
    "cases.case_update": ("open", _update),
    "cases.case_links": ("open", _links),
    "cases.case_resolve": ("open", lambda actor, case, world: services.case_resolve(
        actor=actor, case=case, outcome=Outcome.UPHELD, resolution="Refunded.")),
    "cases.case_close": ("resolved", lambda actor, case, world: services.case_close(actor=actor, case=case)),
    "cases.case_reopen": ("resolved", lambda actor, case, world: services.case_reopen(
        actor=actor, case=case, reason="Wrote again")),
    "cases.case_escalate": ("open", lambda actor, case, world: services.case_escalate(
        actor=actor, case=case, reason="Threatens to sue")),
    "cases.case_letter": ("resolved", lambda actor, case, world: services.case_letter_create(
        actor=actor, case=case, kind=LetterKind.RESOLUTION)),
    "cases.letter_download": ("resolved", lambda actor, case, world: services.letter_pdf(
        actor=actor, letter=world["letter"])),
}

# (who tries, the kind and confidentiality of the North case they try it on)
OUTSIDERS = [
    ("desk", CaseKind.PATIENT, Confidentiality.NORMAL),  # no case permission (and the filer)
    ("pm_entry_south", CaseKind.PATIENT, Confidentiality.NORMAL),  # another location
    ("hr", CaseKind.PATIENT, Confidentiality.NORMAL),  # the other kind
    ("pm_entry", CaseKind.PATIENT, Confidentiality.CONFIDENTIAL),  # not senior
    ("pm_advanced", CaseKind.STAFF, Confidentiality.CONFIDENTIAL),  # not senior
    ("privacy", CaseKind.STAFF, Confidentiality.NORMAL),  # the other kind
    ("pm_entry", CaseKind.STAFF, Confidentiality.NORMAL),  # staff cases start at advanced
]


@pytest.mark.parametrize("action", list(CALLS))
@pytest.mark.parametrize(("who", "kind", "confidentiality"), OUTSIDERS)
def test_a_user_who_may_not_work_the_case_is_refused_and_nothing_changes(
        action: str, who: str, kind: str, confidentiality: str, request: pytest.FixtureRequest,
        make_case: Callable[..., Case], pm_senior: User, north: Location) -> None:
    needs, call = CALLS[action]
    outsider = request.getfixturevalue(who)
    fields: dict[str, Any] = {"kind": kind, "confidentiality": confidentiality}
    if needs == "resolved":
        fields.update(status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD, resolution="Refunded the charge.")
    case = make_case(**fields)
    world = {"senior": pm_senior, "patient": PatientFactory(home_location=north),
             "letter": CaseLetter.objects.create(case=case, kind=LetterKind.RESOLUTION, recipient="Dana Reyes",
                                                 body="Refunded the charge.", created_by=pm_senior)}
    before = state()
    with pytest.raises(PermissionDenied):
        call(outsider, case, world)
    assert denials(outsider, action) == 1
    assert state() == before
    assert not AuditEvent.objects.filter(actor=outsider, outcome=AuditOutcome.ALLOWED).exists()
    # The same call by someone who works the case goes through.
    call(pm_senior, Case.objects.get(pk=case.pk), world)
    assert denials(pm_senior) == 0
