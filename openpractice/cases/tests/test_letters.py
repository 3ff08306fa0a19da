"""Letters to the complainant: the acknowledgement and (once resolved) the resolution letter, a recipient first,
the PDF and its audited download, and a letter that keeps its words after the case moves on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from openpractice.accounts.models import User
from openpractice.cases import selectors, services
from openpractice.cases.choices import CaseStatus, EntryKind, LetterKind, Outcome
from openpractice.cases.models import Case, CaseLetter
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory

from .support import events, state

pytestmark = pytest.mark.django_db


def test_the_acknowledgement_letter_names_the_complainant_the_case_and_the_promised_date(
        pm_entry: User, make_case: Callable[..., Case]) -> None:
    case = make_case()
    letter = services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert letter.recipient == "Dana Reyes\n12 Elm St, Springfield, IL 62701"
    assert case.number in letter.body
    assert "March 2, 2026" in letter.body
    assert "April 1, 2026" in letter.body
    assert (letter.created_by, letter.kind) == (pm_entry, LetterKind.ACKNOWLEDGEMENT)
    assert selectors.timeline(case)[-1].kind == EntryKind.LETTER
    assert selectors.letters(case) == [letter]
    assert len(events("cases.letter_created", object_id=str(case.pk))) == 1


def test_a_linked_patient_is_the_addressee(pm_entry: User, make_case: Callable[..., Case], north: Location) -> None:
    patient = PatientFactory(home_location=north, first_name="Ines", last_name="Moreau")
    case = make_case(patient=patient, complainant_name="")
    letter = services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert letter.recipient.splitlines()[0] == patient.full_name
    assert "Moreau" in patient.full_name


@pytest.mark.parametrize("missing", [{"complainant_name": ""}, {"complainant_contact": "  "}])
def test_a_letter_needs_a_recipient_and_an_address(missing: dict[str, str], pm_entry: User,
                                                   make_case: Callable[..., Case]) -> None:
    case = make_case(**missing)
    before = state()
    with pytest.raises(ValidationError):
        services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert state() == before


def test_the_resolution_letter_waits_for_the_resolution(pm_entry: User, make_case: Callable[..., Case]) -> None:
    case = make_case(status=CaseStatus.ACKNOWLEDGED)
    before = state()
    for kind in (LetterKind.RESOLUTION, "apology"):
        with pytest.raises(ValidationError) as error:
            services.case_letter_create(actor=pm_entry, case=case, kind=kind)
        assert "kind" in error.value.message_dict
    assert state() == before
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.UPHELD, resolution="We refunded $40.")
    letter = services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.RESOLUTION)
    assert letter.body == "We refunded $40."
    services.case_close(actor=pm_entry, case=case)
    services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.RESOLUTION)  # closed: still allowed


def test_the_pdf_is_a_pdf_and_each_download_is_audited_with_the_patient(
        pm_entry: User, make_case: Callable[..., Case], north: Location) -> None:
    patient = PatientFactory(home_location=north)
    case = make_case(patient=patient)
    letter = services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert services.letter_pdf(actor=pm_entry, letter=letter).startswith(b"%PDF")
    assert services.letter_pdf(actor=pm_entry, letter=letter).startswith(b"%PDF")
    downloads = events("cases.letter_downloaded", actor=pm_entry)
    assert [(e.object_id, e.patient_id, e.reason) for e in downloads] == [
        (str(case.pk), patient.pk, LetterKind.ACKNOWLEDGEMENT)] * 2


def test_a_letter_keeps_its_words_after_the_case_is_reopened_and_resolved_again(
        pm_entry: User, make_case: Callable[..., Case]) -> None:
    case = make_case(status=CaseStatus.ACKNOWLEDGED)
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.NOT_UPHELD, resolution="Billed correctly.")
    first = services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.RESOLUTION)
    services.case_reopen(actor=pm_entry, case=case, reason="Statement shows a double charge")
    with pytest.raises(ValidationError):
        services.case_letter_create(actor=pm_entry, case=case, kind=LetterKind.RESOLUTION)
    Case.objects.filter(pk=case.pk).update(complainant_contact="")  # and the address changed since
    case.refresh_from_db()
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.UPHELD, resolution="Refunded $40.")
    stored = CaseLetter.objects.get(pk=first.pk)
    assert (stored.body, stored.recipient) == ("Billed correctly.", "Dana Reyes\n12 Elm St, Springfield, IL 62701")
    assert services.letter_pdf(actor=pm_entry, letter=stored).startswith(b"%PDF")
