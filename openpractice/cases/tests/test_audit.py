"""Every write on a patient's case is one audit event carrying the patient's id (the patient's access log shows
who read or changed their complaint), and the location of the case."""

from __future__ import annotations

import datetime as dt

import pytest

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.cases import services
from openpractice.cases.choices import LetterKind, Outcome
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_each_write_on_a_patient_case_records_its_event_with_the_patient(
        desk: User, pm_entry: User, pm_advanced: User, north: Location, today: dt.date) -> None:
    patient = PatientFactory(home_location=north)
    case = services.case_file(actor=desk, category=category(), subject="Charged twice", narrative="Twice.",
                              location=north, patient=patient, complainant_name="Dana", complainant_contact="Elm")
    services.case_assign(actor=pm_entry, case=case, assignee=pm_advanced)
    services.case_acknowledge(actor=pm_advanced, case=case)
    services.case_note_add(actor=pm_advanced, case=case, kind="note", body="Checked the ledger.")
    services.case_update(actor=pm_advanced, case=case, subject="Charged twice in March", severity="high",
                         confidentiality=case.confidentiality, category=case.category, location=north)
    services.case_links_set(actor=pm_advanced, case=case, patient=patient)  # unchanged: no event
    services.case_escalate(actor=pm_advanced, case=case, reason="Card company involved")
    letter = services.case_letter_create(actor=pm_advanced, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    services.letter_pdf(actor=pm_advanced, letter=letter)
    services.case_resolve(actor=pm_advanced, case=case, outcome=Outcome.UPHELD, resolution="Refunded.")
    services.case_close(actor=pm_advanced, case=case)
    services.case_reopen(actor=pm_advanced, case=case, reason="Refund did not arrive")
    recorded = list(AuditEvent.objects.filter(action__startswith="cases.").order_by("seq").values_list(
        "action", "object_id", "patient_id", "location_id", "outcome"))
    assert [row[0] for row in recorded] == [
        "cases.case_filed", "cases.case_assigned", "cases.case_acknowledged", "cases.case_note_added",
        "cases.case_updated", "cases.case_escalated", "cases.letter_created", "cases.letter_downloaded",
        "cases.case_resolved", "cases.case_closed", "cases.case_reopened"]
    assert {row[1:] for row in recorded} == {(str(case.pk), patient.pk, north.pk, "allowed")}


def test_a_staff_case_records_its_events_without_a_patient(desk: User, hr: User, north: Location,
                                                           today: dt.date) -> None:
    case = services.case_file(actor=desk, category=category("staff", "Conflict between colleagues"),
                              subject="Rota", narrative="Always the late shift.", location=north)
    services.case_acknowledge(actor=hr, case=case)
    assert set(AuditEvent.objects.filter(action__startswith="cases.").values_list("patient_id", "location_id")) == {
        (None, north.pk)}
