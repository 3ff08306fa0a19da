"""Onboarding pages: an entry office manager sees and works the checklist tasks assigned to them, not the HR
record; the employee works their own tasks from My profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.workforce.models import ChecklistTemplate
from openpractice.workforce.services import onboarding as services

from .factories import EmployeeFactory
from .factories_employees import ChecklistTemplateFactory, ChecklistTemplateItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user: Any, north: Any) -> dict[str, Any]:
    hr = make_user(Role.HR, locations=[north])
    office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    person = UserFactory()
    employee = EmployeeFactory(location=north, user=person, last_name="Newhire", ssn="123-45-6789")
    template = ChecklistTemplateFactory()
    ChecklistTemplateItemFactory(template=template, owner_role="office", title="Hand over keys")
    ChecklistTemplateItemFactory(template=template, owner_role="employee", title="Sign HIPAA policy")
    checklist = services.checklist_start(actor=hr, employee=employee, kind="onboarding", starts_on=dt.date(2025, 3, 3))
    return {"hr": hr, "office": office, "person": person, "employee": employee, "checklist": checklist}


def test_entry_office_manager_works_their_task_but_not_the_record(setup: dict[str, Any]) -> None:
    client = sign_in(Client(), setup["office"])
    checklist = setup["checklist"]
    page = client.get(reverse("workforce:checklist_detail", args=[checklist.pk])).content.decode()
    assert "Hand over keys" in page
    assert "6789" not in page
    assert reverse("workforce:employee_detail", args=[setup["employee"].pk]) not in page
    assert client.get(reverse("workforce:employee_detail", args=[setup["employee"].pk])).status_code == 404
    keys = checklist.tasks.get(title="Hand over keys")
    policy = checklist.tasks.get(title="Sign HIPAA policy")
    assert client.post(reverse("workforce:checklist_task_status", args=[keys.pk]), {"status": "done"}).status_code == 302
    keys.refresh_from_db()
    assert keys.status == "done"
    # Another person's task: refused, unchanged.
    assert client.post(reverse("workforce:checklist_task_status", args=[policy.pk]),
                       {"status": "done"}).status_code == 404
    policy.refresh_from_db()
    assert policy.status == "open"
    assert "Newhire" in client.get(reverse("workforce:checklist_list")).content.decode()


def test_office_manager_without_a_task_cannot_see_the_checklist(setup: dict[str, Any], make_user: Any,
                                                                north: Any) -> None:
    other = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    client = sign_in(Client(), other)
    assert client.get(reverse("workforce:checklist_detail", args=[setup["checklist"].pk])).status_code == 404
    assert "Newhire" not in client.get(reverse("workforce:checklist_list")).content.decode()


def test_employee_completes_own_task_from_my_profile(setup: dict[str, Any]) -> None:
    client = sign_in(Client(), setup["person"])
    page = client.get(reverse("workforce:my_profile")).content.decode()
    assert "Sign HIPAA policy" in page
    assert "Hand over keys" not in page
    policy = setup["checklist"].tasks.get(title="Sign HIPAA policy")
    response = client.post(reverse("workforce:checklist_task_status", args=[policy.pk]),
                           {"status": "done", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    policy.refresh_from_db()
    assert policy.status == "done"
    assert policy.done_by_id == setup["person"].pk


def test_templates_pages_for_manage_only(setup: dict[str, Any]) -> None:
    assert sign_in(Client(), setup["office"]).get(reverse("workforce:template_list")).status_code == 404
    client = sign_in(Client(), setup["hr"])
    response = client.post(reverse("workforce:template_create"), {"name": "Leaving", "kind": "offboarding"})
    template = ChecklistTemplate.objects.get(name="Leaving")
    assert response.status_code == 302
    client.post(reverse("workforce:template_detail", args=[template.pk]),
                {"title": "Return badge", "owner_role": "manager", "due_days": "0"})
    assert list(template.items.values_list("title", flat=True)) == ["Return badge"]
    assert "Leaving" in client.get(reverse("workforce:template_list")).content.decode()
