"""Regressions from the review of the cases app: links a worker cannot open are kept (and not removable by them),
search and filter input that used to crash, letters to the right person with the right text, the colleague a
grievance concerns kept out of it, and a second escalation refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.cases import selectors, services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, LetterKind, Outcome
from openpractice.cases.models import Case, CaseLetter
from openpractice.cases.tests.factories import category
from openpractice.cases.tests.test_views import client_for
from openpractice.patients.tests.factories import PatientFactory
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _privacy_complaint(actor: Any, north: Any) -> Case:
    return services.case_file(actor=actor, category=category(name="Privacy complaint"), subject="Chart opened",
                              narrative="A neighbour who works here looked at my chart.", location=north)


def test_an_entry_manager_keeps_the_privacy_incident_when_saving_links(
        today: dt.date, privacy: Any, pm_entry: Any, north: Any) -> None:
    case = _privacy_complaint(privacy, north)
    patient = PatientFactory(home_location=north)
    client = client_for(pm_entry)
    url = reverse("cases:case_links", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"patient": patient.account_number, "claim": "", "incident": case.incident_id})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.patient_id == patient.pk
    assert case.incident_id is not None


def test_a_worker_who_cannot_open_the_incident_cannot_unlink_it(
        today: dt.date, privacy: Any, pm_entry: Any, north: Any) -> None:
    case = _privacy_complaint(privacy, north)
    incident_id = case.incident_id
    response = client_for(pm_entry).post(reverse("cases:case_links", args=[case.pk]),
                                         {"patient": "", "claim": "", "incident": ""})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.incident_id == incident_id
    with pytest.raises(ValidationError, match="remove or replace"):
        services.case_links_set(actor=pm_entry, case=case, incident=None)


@pytest.mark.parametrize("query", ["q=%C2%B2", "q=CASE-%C2%B9%C2%B2", "category=99999999999999999999999",
                                   "q=%00", "category=-4"])
def test_odd_search_and_filter_input_answers_the_list(pm_entry: Any, query: str) -> None:
    assert client_for(pm_entry).get(reverse("cases:case_list") + "?" + query).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases?q=%C2%B2", "/api/v1/cases?category=99999999999999999999999",
                                  "/api/v1/risks?assessment_id=99999999999999999999999"])
def test_odd_api_filters_never_crash(privacy: Any, path: str) -> None:
    assert client_for(privacy).get(path).status_code in (200, 422)


def test_the_letter_goes_to_the_complainant_not_the_patient_they_complain_for(
        today: dt.date, pm_advanced: Any, make_case: Callable[..., Any], north: Any) -> None:
    mother = PatientFactory(home_location=north, first_name="Maria", last_name="Lopez")
    case = make_case(patient=mother, complainant_name="Dana Lopez", complainant_contact="99 Other Rd")
    letter = services.case_letter_create(actor=pm_advanced, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert letter.recipient == "Dana Lopez\n99 Other Rd"
    case.complainant_name = ""
    case.save()
    assert services.case_letter_create(actor=pm_advanced, case=case,
                                       kind=LetterKind.ACKNOWLEDGEMENT).recipient.startswith("Maria Lopez")


def test_an_acknowledgement_letter_is_refused_once_the_case_is_resolved(
        today: dt.date, pm_advanced: Any, make_case: Callable[..., Any]) -> None:
    case = make_case()
    services.case_resolve(actor=pm_advanced, case=case, outcome=Outcome.UPHELD, resolution="Refunded.")
    with pytest.raises(ValidationError, match="resolution letter"):
        services.case_letter_create(actor=pm_advanced, case=case, kind=LetterKind.ACKNOWLEDGEMENT)
    assert not CaseLetter.objects.filter(case=case).exists()


def test_a_staff_resolution_letter_offers_the_internal_review_not_the_hhs_complaint(
        today: dt.date, hr: Any, make_case: Callable[..., Any]) -> None:
    case = make_case(kind=CaseKind.STAFF, category=category(CaseKind.STAFF, "Grievance about pay or hours"))
    services.case_resolve(actor=hr, case=case, outcome=Outcome.PARTLY_UPHELD, resolution="Overtime repaid.")
    letter = services.case_letter_create(actor=hr, case=case, kind=LetterKind.RESOLUTION)
    html = render_to_string("cases/letter.html", {"letter": letter, "case": case, "practice": None,
                                                  "letter_date": today})
    assert "Health and Human Services" not in html
    assert "senior practice manager to review" in html
    assert "Dear Dana Reyes," in html


def test_the_colleague_a_grievance_concerns_cannot_see_work_or_be_given_it(
        today: dt.date, make_user: Callable[..., Any], hr: Any, make_case: Callable[..., Any], north: Any) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="accused",
                       email="accused@example.test")
    other_senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="other",
                             email="other@example.test")
    accused = EmployeeFactory(user=senior)
    case = make_case(kind=CaseKind.STAFF, category=category(CaseKind.STAFF, "Harassment or discrimination"),
                     confidentiality=Confidentiality.CONFIDENTIAL, respondent=accused)
    assert not selectors.may_view(senior, case)
    assert not selectors.may_work(senior, case)
    assert not selectors.case_scoped(actor=senior).filter(pk=case.pk).exists()
    assert selectors.case_scoped(actor=hr).filter(pk=case.pk).exists()
    assignable = selectors.assignable_users(kind=case.kind, location_id=case.location_id, confidential=True,
                                            respondent_id=accused.pk)
    assert senior not in assignable
    assert other_senior in assignable
    with pytest.raises(ValidationError):
        services.case_assign(actor=hr, case=case, assignee=senior)
    assert [user.pk for user in selectors.escalation_recipients(case)] == [other_senior.pk]


def test_a_second_escalation_of_a_stale_copy_is_refused(
        today: dt.date, pm_advanced: Any, make_case: Callable[..., Any]) -> None:
    case = make_case(status=CaseStatus.ACKNOWLEDGED)
    stale = Case.objects.get(pk=case.pk)
    services.case_escalate(actor=pm_advanced, case=case, reason="Threatens to sue")
    with pytest.raises(ValidationError, match="already escalated"):
        services.case_escalate(actor=pm_advanced, case=stale, reason="Also this")
    assert case.entries.filter(kind="escalated").count() == 1
