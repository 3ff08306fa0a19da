from __future__ import annotations

import pytest
from django.db import connection

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.cases import selectors, services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, LetterKind, Outcome
from openpractice.cases.tests.factories import category

pytestmark = pytest.mark.django_db


def test_a_complaint_goes_from_intake_to_a_resolution_letter(practice, north):
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    case = services.case_file(actor=desk, category=category(), subject="Charged twice", narrative="Secret words",
                              location=north, complainant_name="Dana Reyes", complainant_contact="12 Elm St")
    assert case.status == CaseStatus.NEW
    assert not selectors.may_view(desk, case)
    assert selectors.may_work(manager, case)
    services.case_assign(actor=manager, case=case, assignee=manager)
    services.case_acknowledge(actor=manager, case=case)
    services.case_resolve(actor=manager, case=case, outcome=Outcome.UPHELD, resolution="Refunded the charge.")
    letter = services.case_letter_create(actor=manager, case=case, kind=LetterKind.RESOLUTION)
    assert services.letter_pdf(actor=manager, letter=letter).startswith(b"%PDF")
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative FROM cases_case WHERE id = %s", [case.pk])
        assert "Secret" not in cursor.fetchone()[0]


def test_a_privacy_complaint_opens_an_incident_and_confidential_cases_hide(practice, north):
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    entry_pm = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    privacy = user_with_role(Role.PRIVACY_OFFICER)
    case = services.case_file(actor=desk, category=category(name="Privacy complaint"), subject="Saw my chart",
                              narrative="Neighbour works here", location=north,
                              confidentiality=Confidentiality.CONFIDENTIAL)
    assert case.incident is not None
    assert not selectors.case_scoped(actor=entry_pm).filter(pk=case.pk).exists()
    assert selectors.case_scoped(actor=privacy).filter(pk=case.pk).exists()
    assert [u.pk for u in selectors.assignable_users(kind=CaseKind.PATIENT, location_id=north.pk,
                                                     confidential=True)] == [privacy.pk]


def test_overdue_cases_escalate_once(practice, north):
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    case = services.case_file(actor=desk, category=category(), subject="Late", narrative="x", location=north)
    import datetime as dt
    assert services.overdue_escalate(today=case.received_on + dt.timedelta(days=4)) == 1
    assert services.overdue_escalate(today=case.received_on + dt.timedelta(days=40)) == 0
