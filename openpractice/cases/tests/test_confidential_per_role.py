"""Confidential access comes from one role holding both the kind's permission and cases.view_confidential: HR's
confidential access (for staff cases) does not combine with an entry practice manager role into confidential
patient cases. And a reopened case gets a fresh resolve-by date and can be escalated again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import give_role
from openpractice.cases import selectors, services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, Outcome


def test_hr_plus_entry_manager_does_not_see_confidential_patient_cases(
        make_user: Callable[..., Any], make_case: Callable[..., Any], north: Any) -> None:
    both = make_user(Role.HR, locations=[north], username="hr_and_pm")
    give_role(both, Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    patient_case = make_case(kind=CaseKind.PATIENT, confidentiality=Confidentiality.CONFIDENTIAL)
    staff_case = make_case(kind=CaseKind.STAFF, confidentiality=Confidentiality.CONFIDENTIAL)
    normal_patient = make_case(kind=CaseKind.PATIENT)
    visible = set(selectors.case_scoped(actor=both).values_list("pk", flat=True))
    assert visible == {staff_case.pk, normal_patient.pk}
    assert not selectors.may_view(both, patient_case)
    assert not selectors.may_work(both, patient_case)
    assert selectors.may_work(both, staff_case)
    assert not selectors.may_open_up(both, patient_case)


def test_a_reopened_case_gets_a_new_resolve_date_and_can_escalate_again(
        today: dt.date, pm_advanced: Any, make_case: Callable[..., Any]) -> None:
    case = make_case(received_on=today - dt.timedelta(days=60), status=CaseStatus.ACKNOWLEDGED)
    assert services.overdue_escalate(today=today) == 1
    services.case_resolve(actor=pm_advanced, case=case, outcome=Outcome.NOT_UPHELD, resolution="Billed correctly.")
    services.case_reopen(actor=pm_advanced, case=case, reason="New statement arrived")
    case.refresh_from_db()
    assert case.escalated_at is None
    assert case.resolve_due_on == today + dt.timedelta(days=case.category.resolve_days)
    assert services.overdue_escalate(today=today) == 0
    assert services.overdue_escalate(today=case.resolve_due_on + dt.timedelta(days=1)) == 1
