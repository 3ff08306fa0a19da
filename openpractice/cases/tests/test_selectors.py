"""Who sees and who works a case: the whole permission table against the rules in notes/CASES.md, location scope,
practice-wide cases, the assignee, the filer; the case list's filters; the audit event of a case shown; who a case
can be given to and who hears of its escalation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import PERMISSION_TABLE, Role, Tier
from openpractice.accounts.tests.factories import give_role, user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.cases import selectors
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, Outcome
from openpractice.cases.models import Case
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PN, PC, SN, SC = "patient normal", "patient confidential", "staff normal", "staff confidential"
NOTHING: dict[str, str] = {PN: "", PC: "", SN: "", SC: ""}
# Derived by hand from notes/CASES.md: patient cases are seen with cases.view (PM all tiers, privacy officer) and
# worked with cases.manage (the same roles); staff cases are seen and worked with cases.staff (PM advanced and
# senior, HR); confidential ones also need cases.view_confidential (PM senior, privacy officer, HR).
# "w" = sees and works, "" = neither. (No role sees a kind without working it.)
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    (Role.PRACTICE_MANAGER, Tier.ENTRY): {**NOTHING, PN: "w"},
    (Role.PRACTICE_MANAGER, Tier.ADVANCED): {**NOTHING, PN: "w", SN: "w"},
    (Role.PRACTICE_MANAGER, Tier.SENIOR): {PN: "w", PC: "w", SN: "w", SC: "w"},
    (Role.OFFICE_MANAGER, Tier.ENTRY): NOTHING,
    (Role.OFFICE_MANAGER, Tier.MID): NOTHING,
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED): NOTHING,
    (Role.FRONT_DESK, Tier.STANDARD): NOTHING,
    (Role.BILLER, Tier.STANDARD): NOTHING,
    (Role.PROVIDER, Tier.STANDARD): NOTHING,
    (Role.CLINICAL_STAFF, Tier.STANDARD): NOTHING,
    (Role.HR, Tier.STANDARD): {**NOTHING, SN: "w", SC: "w"},
    (Role.PRIVACY_OFFICER, Tier.STANDARD): {**NOTHING, PN: "w", PC: "w"},
    (Role.AUDITOR, Tier.STANDARD): NOTHING,
    (Role.ADMINISTRATOR, Tier.STANDARD): NOTHING,
}
SAMPLES = {PN: (CaseKind.PATIENT, Confidentiality.NORMAL), PC: (CaseKind.PATIENT, Confidentiality.CONFIDENTIAL),
           SN: (CaseKind.STAFF, Confidentiality.NORMAL), SC: (CaseKind.STAFF, Confidentiality.CONFIDENTIAL)}


def test_the_expected_table_covers_every_role_and_tier() -> None:
    assert set(EXPECTED) == set(PERMISSION_TABLE)


@pytest.fixture
def four_cases(make_case: Callable[..., Case]) -> dict[str, Case]:
    return {name: make_case(kind=kind, confidentiality=confidentiality)
            for name, (kind, confidentiality) in SAMPLES.items()}


@pytest.mark.parametrize(("role", "tier"), list(PERMISSION_TABLE))
def test_each_role_sees_and_works_the_north_cases_the_rules_give_it(role: str, tier: str, north: Location,
                                                                   four_cases: dict[str, Case]) -> None:
    user = user_with_role(role, tier, locations=[north])
    seen = set(selectors.case_scoped(actor=user).values_list("pk", flat=True))
    worked = set(selectors.case_workable(actor=user).values_list("pk", flat=True))
    for name, case in four_cases.items():
        expected = EXPECTED[(role, tier)][name] == "w"
        assert (case.pk in seen, selectors.may_view(user, case)) == (expected, expected), name
        assert (case.pk in worked, selectors.may_work(user, case)) == (expected, expected), name


@pytest.mark.parametrize(("role", "tier"), [pair for pair, cells in EXPECTED.items() if any(cells.values())])
def test_a_role_at_north_only_sees_nothing_at_south_nor_practice_wide(role: str, tier: str, north: Location,
                                                                     south: Location,
                                                                     make_case: Callable[..., Case]) -> None:
    user = user_with_role(role, tier, locations=[north])
    elsewhere = [make_case(kind=kind, confidentiality=confidentiality, location=place)
                 for kind, confidentiality in SAMPLES.values() for place in (south, None)]
    assert not selectors.case_scoped(actor=user).exists()
    assert not selectors.case_workable(actor=user).exists()
    assert not any(selectors.may_view(user, case) or selectors.may_work(user, case) for case in elsewhere)


def test_a_practice_wide_case_needs_the_permission_at_every_location(make_user: Callable[..., User],
                                                                     north: Location, south: Location,
                                                                     make_case: Callable[..., Case]) -> None:
    wide = make_case(location=None)
    both = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north, south])
    everywhere = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    assert not selectors.may_view(both, wide)
    assert not selectors.case_scoped(actor=both).filter(pk=wide.pk).exists()
    assert selectors.may_work(everywhere, wide)
    assert selectors.case_workable(actor=everywhere).filter(pk=wide.pk).exists()
    secret = make_case(location=None, confidentiality=Confidentiality.CONFIDENTIAL)
    senior_both = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north, south])
    assert not selectors.may_view(senior_both, secret)
    assert selectors.may_view(make_user(Role.PRIVACY_OFFICER), secret)


def test_the_confidential_permission_counts_only_where_it_is_held(make_user: Callable[..., User], north: Location,
                                                                  south: Location,
                                                                  make_case: Callable[..., Case]) -> None:
    user = make_user(Role.HR, locations=[north])  # staff cases, confidential ones too, at North
    give_role(user, Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[south])  # staff cases at South
    north_secret = make_case(kind=CaseKind.STAFF, confidentiality=Confidentiality.CONFIDENTIAL)
    south_secret = make_case(kind=CaseKind.STAFF, confidentiality=Confidentiality.CONFIDENTIAL, location=south)
    south_open = make_case(kind=CaseKind.STAFF, location=south)
    assert set(selectors.case_scoped(actor=user)) == {north_secret, south_open}
    assert (selectors.may_view(user, north_secret), selectors.may_view(user, south_secret)) == (True, False)


def test_the_assignee_always_sees_and_works_their_case(pm_entry: User, make_case: Callable[..., Case],
                                                       south: Location) -> None:
    # Older data: a junior given a confidential case at a location they do not cover.
    case = make_case(confidentiality=Confidentiality.CONFIDENTIAL, location=south, assignee=pm_entry)
    assert selectors.may_view(pm_entry, case)
    assert selectors.may_work(pm_entry, case)
    assert list(selectors.case_scoped(actor=pm_entry)) == [case]
    assert list(selectors.case_workable(actor=pm_entry)) == [case]
    assert not selectors.may_open_up(pm_entry, case)


def test_an_assignee_who_no_longer_works_the_kind_still_sees_but_no_longer_works_it(
        make_user: Callable[..., User], make_case: Callable[..., Case]) -> None:
    former = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    case = make_case(assignee=former)
    former.role_assignments.all().delete()
    give_role(former, Role.FRONT_DESK)
    assert selectors.may_view(former, case)
    assert selectors.case_scoped(actor=former).filter(pk=case.pk).exists()
    assert not selectors.may_work(former, case)
    assert not selectors.case_workable(actor=former).exists()


def test_the_filer_follows_their_case_only_through_own_cases(desk: User, make_case: Callable[..., Case],
                                                             make_user: Callable[..., User]) -> None:
    case = make_case(filed_by=desk)
    make_case(filed_by=make_user(Role.FRONT_DESK))
    assert not selectors.may_view(desk, case)
    assert not selectors.case_scoped(actor=desk).exists()
    assert list(selectors.own_cases(actor=desk)) == [case]


def test_anonymous_visitors_see_nothing(make_case: Callable[..., Case]) -> None:
    from django.contrib.auth.models import AnonymousUser

    case = make_case()
    visitor = AnonymousUser()
    assert not selectors.case_scoped(actor=visitor).exists()
    assert not selectors.own_cases(actor=visitor).exists()
    assert not selectors.may_view(visitor, case)
    assert not selectors.may_work(visitor, case)


def test_the_case_list_filters_what_the_user_may_see(pm_senior: User, make_case: Callable[..., Case],
                                                     south: Location) -> None:
    new = make_case(subject="Charged twice")
    late = make_case(status=CaseStatus.ACKNOWLEDGED, received_on=dt.date(2026, 1, 5), assignee=pm_senior,
                     subject="Rude at reception")
    done = make_case(status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD, resolution="Refunded.", subject="Refund")
    staff = make_case(kind=CaseKind.STAFF, subject="Rota dispute")
    make_case(location=south, subject="Charged twice elsewhere")
    today = dt.date(2026, 3, 16)

    def pks(**filters: Any) -> set[int]:
        return set(selectors.case_list(actor=pm_senior, **filters).values_list("pk", flat=True))

    assert pks() == {new.pk, late.pk, done.pk, staff.pk}
    assert pks(status="open") == {new.pk, late.pk, staff.pk}
    assert pks(status=CaseStatus.RESOLVED) == {done.pk}
    assert pks(kind=CaseKind.STAFF) == {staff.pk}
    assert pks(category=staff.category_id) == {staff.pk}
    assert pks(assignee="me") == {late.pk}
    assert pks(assignee="none") == {new.pk, done.pk, staff.pk}
    assert pks(overdue=True, today=today) == {late.pk, new.pk, staff.pk}  # received 2026-03-02: ack due 03-05
    assert pks(overdue=True, today=dt.date(2026, 3, 4)) == {late.pk}
    assert pks(text="charged") == {new.pk}
    assert pks(text=late.number.lower()) == {late.pk}
    assert pks(text=str(late.pk)) == {late.pk}


def test_showing_a_case_is_one_audit_event_naming_the_patient(pm_entry: User, make_case: Callable[..., Case],
                                                              north: Location) -> None:
    patient = PatientFactory(home_location=north)
    case = make_case(patient=patient)
    selectors.case_viewed(actor=pm_entry, case=case)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id, event.patient_id, event.location_id) == (
        "cases.case_viewed", pm_entry, str(case.pk), patient.pk, north.pk)


def test_the_timeline_and_letters_are_those_of_the_case(pm_entry: User, make_case: Callable[..., Case]) -> None:
    from openpractice.cases import services

    first, second = make_case(), make_case()
    services.case_note_add(actor=pm_entry, case=first, kind="note", body="Phoned the patient.")
    services.case_note_add(actor=pm_entry, case=second, kind="note", body="Other.")
    assert [entry.body for entry in selectors.timeline(first)] == ["Phoned the patient."]
    assert selectors.letters(first) == []


def test_letters_are_listed_only_for_visible_cases(pm_entry: User, pm_senior: User,
                                                   make_case: Callable[..., Case]) -> None:
    from openpractice.cases.models import CaseLetter

    visible = CaseLetter.objects.create(case=make_case(), kind="acknowledgement", recipient="Dana", body="Hello",
                                        created_by=pm_senior)
    CaseLetter.objects.create(case=make_case(confidentiality=Confidentiality.CONFIDENTIAL), kind="acknowledgement",
                              recipient="Dana", body="Hello", created_by=pm_senior)
    assert list(selectors.letter_scoped(actor=pm_entry)) == [visible]
    assert selectors.letter_scoped(actor=pm_senior).count() == 2


def test_assignable_users_work_the_kind_where_the_case_is(make_user: Callable[..., User], north: Location,
                                                          south: Location, pm_entry: User, pm_senior: User,
                                                          privacy: User, hr: User, pm_entry_south: User) -> None:
    pm_advanced_wide = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], is_active=False)
    make_user(Role.FRONT_DESK, locations=[north])

    def assignable(kind: str, location: Location | None, confidential: bool) -> set[User]:
        return set(selectors.assignable_users(kind=kind, location_id=location.pk if location else None,
                                              confidential=confidential))

    assert assignable(CaseKind.PATIENT, north, False) == {pm_entry, pm_senior, privacy, pm_advanced_wide}
    assert assignable(CaseKind.PATIENT, north, True) == {pm_senior, privacy}
    assert assignable(CaseKind.PATIENT, south, False) == {pm_entry_south, privacy, pm_advanced_wide}
    assert assignable(CaseKind.PATIENT, None, False) == {privacy, pm_advanced_wide}
    assert assignable(CaseKind.STAFF, north, False) == {pm_senior, hr, pm_advanced_wide}
    assert assignable(CaseKind.STAFF, north, True) == {pm_senior, hr}
    assert assignable(CaseKind.STAFF, None, True) == {hr}


def test_escalations_go_to_the_active_senior_practice_managers_covering_the_case(
        make_user: Callable[..., User], north: Location, south: Location, pm_senior: User,
        make_case: Callable[..., Case]) -> None:
    everywhere = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, email="chief@example.test")
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[south])
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], is_active=False)
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], email="")
    make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    make_user(Role.PRIVACY_OFFICER)
    assert selectors.escalation_recipients(make_case()) == [pm_senior, everywhere]
    assert selectors.escalation_recipients(make_case(location=None)) == [everywhere]


def test_categories_and_the_kinds_a_user_manages(make_user: Callable[..., User], north: Location, hr: User,
                                                 privacy: User, pm_senior: User) -> None:
    assert set(selectors.categories(kind=CaseKind.STAFF).values_list("kind", flat=True)) == {CaseKind.STAFF}
    retired = category(name="Access to records")
    retired.is_active = False
    retired.save()
    assert retired not in selectors.categories()
    assert retired in selectors.categories(active_only=False)
    assert selectors.category_kinds_managed(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)) == [
        CaseKind.PATIENT, CaseKind.STAFF]
    assert selectors.category_kinds_managed(pm_senior) == []  # North only
    assert selectors.category_kinds_managed(privacy) == [CaseKind.PATIENT]
    assert selectors.category_kinds_managed(hr) == [CaseKind.STAFF]
