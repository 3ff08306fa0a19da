"""What people say in a dispute is encrypted at rest: the database columns hold tokens, the ORM reads the words."""

from __future__ import annotations

import datetime as dt

import pytest

from openpractice.accounts.models import User
from openpractice.cases import services
from openpractice.cases.choices import CaseKind, LetterKind, Outcome
from openpractice.cases.models import Case, CaseEntry, CaseLetter
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location

from .support import raw

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [CaseKind.PATIENT, CaseKind.STAFF])
def test_narrative_complainant_resolution_timeline_and_letters_are_stored_encrypted(
        kind: str, desk: User, pm_senior: User, north: Location, today: dt.date) -> None:
    name = "Billing dispute" if kind == CaseKind.PATIENT else "Harassment or discrimination"
    words = {
        "narrative": "Marcus said my accent was a joke in front of the whole team",
        "complainant_name": "Priya Natarajan",
        "complainant_contact": "77 Willow Court, Durham NC 27701",
    }
    case = services.case_file(actor=desk, category=category(kind, name), subject="Comment at a team meeting",
                              location=north, **words)
    note = services.case_note_add(actor=pm_senior, case=case, kind="contact", body="Spoke with Priya on Tuesday")
    services.case_resolve(actor=pm_senior, case=case, outcome=Outcome.UPHELD,
                          resolution="Marcus received a written warning")
    letter = services.case_letter_create(actor=pm_senior, case=case, kind=LetterKind.RESOLUTION)
    columns = [("cases_case", column, case.pk, text) for column, text in words.items()]
    columns += [("cases_case", "resolution", case.pk, "Marcus received a written warning"),
                ("cases_caseentry", "body", note.pk, "Spoke with Priya on Tuesday"),
                ("cases_caseletter", "body", letter.pk, "Marcus received a written warning"),
                ("cases_caseletter", "recipient", letter.pk, "Priya Natarajan")]
    for table, column, pk, text in columns:
        stored = raw(table, column, pk)
        assert stored.startswith("gAAAA"), (table, column)  # a Fernet token
        assert text.split()[0] not in stored, (table, column)
    # A second encryption of the same words differs (nothing to compare or guess from).
    assert raw("cases_case", "resolution", case.pk) != raw("cases_caseletter", "body", letter.pk)
    again = Case.objects.get(pk=case.pk)
    assert {field: getattr(again, field) for field in words} == words
    assert again.resolution == "Marcus received a written warning"
    assert CaseEntry.objects.get(pk=note.pk).body == "Spoke with Priya on Tuesday"
    assert CaseLetter.objects.get(pk=letter.pk).recipient == "Priya Natarajan\n77 Willow Court, Durham NC 27701"
    assert raw("cases_case", "subject", case.pk) == "Comment at a team meeting"  # plain on purpose
