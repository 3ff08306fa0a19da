"""Case pages: anyone files and follows the status of what they filed (never the timeline); the list and the case
for those who see it (404, audited, for anyone else); every action for those who work it, refused with 404 and
nothing changed for those who only see it or are out of scope; showing a case is audited once; the list's query
count does not grow with its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, EntryKind, LetterKind
from openpractice.cases.models import Case, CaseEntry, CaseLetter
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.patients.tests.factories import PatientFactory
from openpractice.workforce.tests.factories import EmployeeFactory

from .factories import CaseFactory, category

pytestmark = pytest.mark.django_db

ACTIONS = ("case_assign", "case_acknowledge", "case_note", "case_edit", "case_links", "case_escalate",
           "case_resolve", "case_close", "case_reopen", "case_letter_create")


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def rows() -> list[Any]:
    return [list(model.objects.order_by("pk").values_list()) for model in (Case, CaseEntry, CaseLetter)]


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def viewed(user: User, case: Case) -> int:
    return AuditEvent.objects.filter(actor=user, action="cases.case_viewed", object_id=str(case.pk)).count()


def action_posts(case: Case, manager: User) -> list[tuple[str, dict[str, Any]]]:
    """Every action with data that would change the case if it were allowed."""
    return [
        ("case_assign", {"assignee": manager.pk}),
        ("case_acknowledge", {"note": "Called the complainant."}),
        ("case_note", {"kind": EntryKind.NOTE, "body": "Pulled the statement."}),
        ("case_edit", {"subject": "Changed", "category": case.category_id, "severity": "critical",
                       "confidentiality": Confidentiality.NORMAL, "location": case.location_id or ""}),
        ("case_links", {"incident": ""}),
        ("case_escalate", {"reason": "Threatens to sue."}),
        ("case_resolve", {"outcome": "upheld", "resolution": "Refunded."}),
        ("case_close", {}),
        ("case_reopen", {"reason": "More to do."}),
        ("case_letter_create", {"kind": LetterKind.ACKNOWLEDGEMENT}),
    ]


# --- filing ----------------------------------------------------------------------------------------------------


def test_the_front_desk_files_a_complaint_and_follows_its_status_without_the_timeline(
        make_user: Callable[..., User], north: Location) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    patient = PatientFactory(home_location=north)
    client = client_for(desk)
    page = client.get(reverse("cases:case_file"))
    assert page.status_code == 200
    assert "patient" in page.context["form"].fields
    assert list(page.context["form"].fields["location"].queryset) == [north]
    response = client.post(reverse("cases:case_file"), {
        "category": category().pk, "subject": "Charged twice for one visit",
        "narrative": "Mrs Reyes says her card was charged twice.", "location": north.pk,
        "received_on": practice_today().isoformat(), "severity": "medium", "confidentiality": "normal",
        "complainant_name": "Dana Reyes", "complainant_contact": "12 Elm St", "patient": patient.account_number})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_mine")
    case = Case.objects.get()
    assert (case.filed_by, case.patient, case.location, case.kind) == (desk, patient, north, CaseKind.PATIENT)
    CaseEntry.objects.create(case=case, kind=EntryKind.NOTE, body="Internal: a known double-swipe bug.",
                             author=None)

    mine = client.get(reverse("cases:case_mine"))
    assert mine.context["cases"] == [case]
    assert b"New" in mine.content
    assert b"double-swipe" not in mine.content
    detail = client.get(reverse("cases:case_mine_detail", args=[case.pk]))
    assert detail.status_code == 200
    assert b"her card was charged twice" in detail.content
    assert b"double-swipe" not in detail.content
    assert b"Timeline" not in detail.content
    # The case workers' page is not theirs.
    before = denials(desk)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    assert denials(desk) == before + 1


def test_a_patient_outside_the_filers_scope_is_refused_and_nothing_is_filed(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    elsewhere = PatientFactory(home_location=south)
    response = client_for(desk).post(reverse("cases:case_file"), {
        "category": category().pk, "subject": "x", "narrative": "x", "location": north.pk,
        "received_on": practice_today().isoformat(), "severity": "low", "confidentiality": "normal",
        "patient": elsewhere.account_number})
    assert response.status_code == 400
    assert "patient" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_future_receipt_date_is_the_services_refusal_shown_on_the_form(
        make_user: Callable[..., User], north: Location) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    response = client_for(desk).post(reverse("cases:case_file"), {
        "category": category().pk, "subject": "x", "narrative": "x", "location": north.pk,
        "received_on": (practice_today() + dt.timedelta(days=2)).isoformat(), "severity": "low",
        "confidentiality": "normal"})
    assert response.status_code == 400
    assert "received_on" in response.context["form"].errors
    assert not Case.objects.exists()


def test_someone_who_sees_no_patients_is_not_offered_the_patient_field(
        make_user: Callable[..., User], north: Location) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    patient = PatientFactory(home_location=north)
    client = client_for(office)
    assert "patient" not in client.get(reverse("cases:case_file")).context["form"].fields
    client.post(reverse("cases:case_file"), {
        "category": category(name="Service or wait times").pk, "subject": "Waited an hour", "narrative": "x",
        "location": north.pk, "received_on": practice_today().isoformat(), "severity": "low",
        "confidentiality": "normal", "patient": patient.account_number})
    assert Case.objects.get().patient is None


def test_a_staff_member_raises_a_confidential_grievance_seen_by_hr_but_not_by_every_case_worker(
        make_user: Callable[..., User], north: Location) -> None:
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north], first_name="Sam", last_name="Ortiz")
    employee = EmployeeFactory(user=nurse, location=north)
    client = client_for(nurse)
    form = client.get(reverse("cases:case_grievance")).context["form"]
    assert form.initial["confidentiality"] == Confidentiality.CONFIDENTIAL
    assert {c.kind for c in form.fields["category"].queryset} == {CaseKind.STAFF}
    response = client.post(reverse("cases:case_grievance"), {
        "category": category(CaseKind.STAFF, "Grievance about pay or hours").pk, "subject": "Overtime unpaid",
        "narrative": "My March overtime was not paid.", "location": north.pk,
        "confidentiality": Confidentiality.CONFIDENTIAL, "contact": "sam@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_mine")
    case = Case.objects.get()
    assert (case.kind, case.confidentiality, case.employee, case.complainant_name) == (
        CaseKind.STAFF, Confidentiality.CONFIDENTIAL, employee, "Sam Ortiz")
    hr = make_user(Role.HR)
    assert client_for(hr).get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
    advanced = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)  # works staff cases, not confidential ones
    assert client_for(advanced).get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    assert case not in client_for(advanced).get(reverse("cases:case_list")).context["table"].page.object_list


def test_nobody_opens_another_persons_case_under_my_cases(make_user: Callable[..., User], north: Location) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    theirs = CaseFactory(location=north)
    before = denials(desk)
    assert client_for(desk).get(reverse("cases:case_mine_detail", args=[theirs.pk])).status_code == 404
    assert denials(desk) == before + 1


# --- seeing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "tier", "kind"), [
    (Role.PRACTICE_MANAGER, Tier.ENTRY, CaseKind.PATIENT), (Role.PRIVACY_OFFICER, Tier.STANDARD, CaseKind.PATIENT),
    (Role.HR, Tier.STANDARD, CaseKind.STAFF), (Role.PRACTICE_MANAGER, Tier.SENIOR, CaseKind.STAFF),
])
def test_the_case_pages_open_for_those_who_work_the_case(
        make_user: Callable[..., User], north: Location, role: str, tier: str, kind: str) -> None:
    user = make_user(role, tier)
    case = CaseFactory(kind=kind, location=north)
    client = client_for(user)
    listing = client.get(reverse("cases:case_list"))
    assert listing.status_code == 200
    assert case in listing.context["table"].page.object_list
    detail = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert detail.status_code == 200
    assert detail.context["works"] is True
    assert b"Work the case" in detail.content
    assert viewed(user, case) == 1
    for name in ("case_edit", "case_links"):
        assert client.get(reverse(f"cases:{name}", args=[case.pk])).status_code == 200, name
    for name in ("case_file", "case_grievance", "case_mine"):
        assert client.get(reverse(f"cases:{name}")).status_code == 200, name


def test_a_confidential_case_is_hidden_from_an_entry_manager_but_shown_to_its_assignee(
        make_user: Callable[..., User], north: Location) -> None:
    entry = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    assignee = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    case = CaseFactory(location=north, confidentiality=Confidentiality.CONFIDENTIAL, assignee=assignee,
                       subject="Complaint about a named colleague")
    other = client_for(entry)
    before = denials(entry)
    assert other.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    assert denials(entry) == before + 1
    assert viewed(entry, case) == 0
    assert b"named colleague" not in other.get(reverse("cases:case_list")).content
    mine = client_for(assignee)
    assert mine.get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
    listing = mine.get(reverse("cases:case_list"), {"assignee": "me"})
    assert list(listing.context["table"].page.object_list) == [case]
    assert b"Confidential" in listing.content


def test_the_list_filters_by_status_kind_category_assignee_overdue_and_text(
        make_user: Callable[..., User], north: Location) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    today = practice_today()
    late = CaseFactory(location=north, received_on=today - dt.timedelta(days=40), subject="Late one",
                       assignee=senior)
    fresh = CaseFactory(location=north, received_on=today, subject="Fresh one",
                        category=category(name="Staff conduct"))
    resolved = CaseFactory(location=north, received_on=today, status=CaseStatus.RESOLVED, outcome="upheld",
                           subject="Done one")
    staff = CaseFactory(kind=CaseKind.STAFF, location=north, received_on=today, subject="Staff one")
    client = client_for(senior)

    def listed(**params: Any) -> set[Case]:
        response = client.get(reverse("cases:case_list"), params)
        assert response.status_code == 200
        return set(response.context["table"].page.object_list)

    assert listed() == {late, fresh, staff}  # open by default
    assert listed(status="all") == {late, fresh, resolved, staff}
    assert listed(status="resolved") == {resolved}
    assert listed(kind="staff") == {staff}
    assert listed(category=category(name="Staff conduct").pk) == {fresh}
    assert listed(assignee="me") == {late}
    assert listed(assignee="none") == {fresh, staff}
    assert listed(overdue="1") == {late}
    assert listed(q="fresh") == {fresh}
    assert listed(q=fresh.number, status="all") == {fresh}
    assert listed(q=str(resolved.pk), status="all") == {resolved}
    response = client.get(reverse("cases:case_list"), {"sort": "-severity", "status": "nonsense", "kind": "x"})
    assert response.status_code == 200
    overdue_cell = client.get(reverse("cases:case_list"), {"q": "Late"}).content.decode()
    assert 'badge badge-danger" title="Overdue"' in overdue_cell


def test_the_list_query_count_does_not_grow_with_rows(make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    others = [make_user(Role.PRACTICE_MANAGER, Tier.ENTRY) for _ in range(3)]

    def make(count: int) -> None:
        for n in range(count):
            CaseFactory(location=north, assignee=others[n % 3], kind=CaseKind.PATIENT if n % 2 else CaseKind.STAFF,
                        escalated_at=None, confidentiality=Confidentiality.CONFIDENTIAL if n % 3 else "normal")

    client = client_for(manager)
    make(3)
    client.get(reverse("cases:case_list"))  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("cases:case_list"), {"status": "all"}).status_code == 200
    make(17)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("cases:case_list"), {"status": "all"})
    assert len(response.context["table"].page.object_list) == 20
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_a_case_page_costs_the_same_queries_however_many_colleagues_could_take_it(
        make_user: Callable[..., User], north: Location) -> None:
    """The assignee choices check each candidate's grants: loaded for all of them at once, not one by one."""
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    case = CaseFactory(location=north, kind=CaseKind.PATIENT, confidentiality=Confidentiality.NORMAL)
    client = client_for(manager)
    url = reverse("cases:case_detail", args=[case.pk])
    make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    client.get(url)  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(6):
        make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["assign_form"].users) >= 8
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_showing_a_case_is_audited_once_per_page_with_the_patient(
        make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    patient = PatientFactory(home_location=north)
    case = CaseFactory(location=north, patient=patient)
    client = client_for(manager)
    client.get(reverse("cases:case_detail", args=[case.pk]))
    client.get(reverse("cases:case_detail", args=[case.pk]))
    events = AuditEvent.objects.filter(actor=manager, action="cases.case_viewed")
    assert events.count() == 2
    assert set(events.values_list("patient_id", flat=True)) == {patient.pk}


# --- refusals --------------------------------------------------------------------------------------------------


def test_every_action_is_refused_to_someone_who_sees_the_case_but_may_not_work_it(
        make_user: Callable[..., User], north: Location) -> None:
    """An entry manager still assigned a staff case (from before they lost cases.staff) sees it, works nothing."""
    demoted = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    case = CaseFactory(kind=CaseKind.STAFF, location=north, assignee=demoted)
    letter = CaseLetter.objects.create(case=case, kind=LetterKind.ACKNOWLEDGEMENT, recipient="x", body="x",
                                       created_by=demoted)
    client = client_for(demoted)
    detail = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert detail.status_code == 200
    assert detail.context["works"] is False
    assert b"Work the case" not in detail.content
    assert b"Download PDF" not in detail.content
    for name in ("case_edit", "case_links"):
        assert client.get(reverse(f"cases:{name}", args=[case.pk])).status_code == 404, name
    assert client.get(reverse("cases:case_letter", args=[letter.pk])).status_code == 404
    before, refused = rows(), denials(demoted)
    for name, data in action_posts(case, demoted):
        assert client.post(reverse(f"cases:{name}", args=[case.pk]), data).status_code == 404, name
    assert rows() == before
    assert denials(demoted) == refused + len(ACTIONS)


@pytest.mark.parametrize(("role", "tier", "scope"), [
    (Role.PRACTICE_MANAGER, Tier.ENTRY, "north"),  # the case is at South
    (Role.HR, Tier.STANDARD, "all"),  # a patient case
    (Role.FRONT_DESK, Tier.STANDARD, "all"),  # no case permission at all
    (Role.BILLER, Tier.STANDARD, "all"),
])
def test_every_page_and_action_is_404_out_of_scope_and_changes_nothing(
        make_user: Callable[..., User], north: Location, south: Location, role: str, tier: str,
        scope: str) -> None:
    user = make_user(role, tier, locations=[north] if scope == "north" else None)
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    case = CaseFactory(location=south, filed_by=manager)
    letter = CaseLetter.objects.create(case=case, kind=LetterKind.ACKNOWLEDGEMENT, recipient="x", body="x",
                                       created_by=manager)
    client = client_for(user)
    for name in ("case_detail", "case_edit", "case_links", "case_mine_detail"):
        assert client.get(reverse(f"cases:{name}", args=[case.pk])).status_code == 404, name
    assert client.get(reverse("cases:case_letter", args=[letter.pk])).status_code == 404
    before, refused = rows(), denials(user)
    for name, data in action_posts(case, user):
        assert client.post(reverse(f"cases:{name}", args=[case.pk]), data).status_code == 404, name
    assert rows() == before
    assert denials(user) >= refused + len(ACTIONS)
    assert viewed(user, case) == 0


# --- working a case --------------------------------------------------------------------------------------------


def test_a_complaint_is_worked_through_the_pages_from_intake_to_the_resolution_letter(
        make_user: Callable[..., User], north: Location) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], first_name="Maria", last_name="Lopez")
    patient = PatientFactory(home_location=north)
    client_for(desk).post(reverse("cases:case_file"), {
        "category": category().pk, "subject": "Charged twice", "narrative": "Card charged twice in March.",
        "location": north.pk, "received_on": practice_today().isoformat(), "severity": "medium",
        "confidentiality": "normal", "complainant_name": "Dana Reyes", "complainant_contact": "12 Elm St"})
    case = Case.objects.get()
    client = client_for(manager)
    url = reverse("cases:case_detail", args=[case.pk])

    def post(name: str, data: dict[str, Any], expected: int = 302) -> Any:
        response = client.post(reverse(f"cases:{name}", args=[case.pk]), data)
        assert response.status_code == expected, (name, getattr(response, "context", None)
                                                  and [f.errors for k, f in response.context.flatten().items()
                                                       if k.endswith("_form") and hasattr(f, "errors")])
        if expected == 302:
            assert response["Location"].startswith(url)
        return response

    assert manager.pk in dict(client.get(url).context["assign_form"].fields["assignee"].choices)
    post("case_assign", {"assignee": manager.pk})
    post("case_acknowledge", {"note": "Called Mrs Reyes back."})
    again = post("case_acknowledge", {"note": ""}, expected=400)  # the service's rule, on the form
    assert again.context["acknowledge_form"].non_field_errors()
    post("case_note", {"kind": EntryKind.CONTACT, "body": "Left a voicemail."})
    post("case_edit", {"subject": "Charged twice for one visit", "category": case.category_id,
                       "severity": "high", "confidentiality": "normal", "location": north.pk})
    post("case_links", {"patient": patient.account_number, "claim": "", "incident": ""})
    post("case_escalate", {"reason": "She mentions a lawyer."})
    post("case_resolve", {"outcome": "", "resolution": ""}, expected=400)
    post("case_close", {})  # not resolved yet: a message, nothing closed
    post("case_resolve", {"outcome": "upheld", "resolution": "We refunded the second charge."})
    post("case_letter_create", {"kind": LetterKind.RESOLUTION})
    case.refresh_from_db()
    assert (case.assignee, case.status, case.severity, case.patient, case.outcome) == (
        manager, CaseStatus.RESOLVED, "high", patient, "upheld")
    assert None not in (case.acknowledged_at, case.escalated_at, case.resolved_at)
    page = client.get(url)
    assert b"Left a voicemail." in page.content
    assert b"Called Mrs Reyes back." in page.content
    letter = CaseLetter.objects.get(case=case)
    download = client.get(reverse("cases:case_letter", args=[letter.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{case.number}-resolution-letter.pdf"'
    assert download.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(actor=manager, action="cases.letter_downloaded").count() == 1
    post("case_close", {})
    post("case_reopen", {"reason": ""}, expected=400)
    post("case_reopen", {"reason": "She wrote again."})
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED
    # The filer follows the status and, once resolved, the outcome; never the timeline.
    mine = client_for(desk).get(reverse("cases:case_mine_detail", args=[case.pk]))
    assert b"Acknowledged" in mine.content
    assert b"Left a voicemail." not in mine.content


def test_a_link_to_something_the_worker_may_not_see_is_refused_on_the_form(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    case = CaseFactory(location=north)
    elsewhere = PatientFactory(home_location=south)
    before = rows()
    response = client_for(manager).post(reverse("cases:case_links", args=[case.pk]),
                                        {"patient": elsewhere.account_number, "claim": "", "incident": ""})
    assert response.status_code == 400
    assert "patient" in response.context["form"].errors
    assert rows() == before


def test_only_a_senior_role_lifts_confidentiality_on_the_edit_page(
        make_user: Callable[..., User], north: Location) -> None:
    assignee = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    case = CaseFactory(location=north, confidentiality=Confidentiality.CONFIDENTIAL, assignee=assignee)
    before = rows()
    response = client_for(assignee).post(reverse("cases:case_edit", args=[case.pk]), {
        "subject": case.subject, "category": case.category_id, "severity": case.severity,
        "confidentiality": Confidentiality.NORMAL, "location": north.pk})
    assert response.status_code == 400
    assert "confidentiality" in response.context["form"].errors
    assert rows() == before
