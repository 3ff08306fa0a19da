"""Security risk assessment pages: starting a year (a duplicate is a form error), answering a section, the
pre-filled "add to the risk register" from a "no" answer, the register's filters in a flat number of queries, the
PDF report, and people without the permission (HR may read but not write; the front desk gets 404) changing
nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from openpractice.compliance.models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse
from openpractice.core.selectors import practice_today

from .route_samples_sra import answer_all, make_assessment, make_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="officer")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def url(name: str, *args: Any) -> str:
    return reverse(f"compliance:{name}", args=args)


def test_start_then_a_duplicate_year_is_a_form_error(officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    year = practice_today().year
    response = client.post(url("sra_start"), {"year": year, "copy_previous": "on"})
    assessment = SecurityRiskAssessment.objects.get(year=year)
    assert response.status_code == 302
    assert response["Location"] == url("sra_detail", assessment.pk)
    response = client.post(url("sra_start"), {"year": year})
    assert response.status_code == 400
    assert f"The {year} assessment already exists" in response.content.decode()


def test_answering_a_section_and_adding_a_no_to_the_register(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    assessment = make_assessment(started_by=officer, year=practice_today().year)
    questions = list(SraQuestion.objects.filter(safeguard=Safeguard.PHYSICAL, is_active=True))
    page = client.get(url("sra_answer", assessment.pk), {"section": Safeguard.PHYSICAL})
    assert page.status_code == 200
    assert questions[0].text in page.content.decode()
    data = {f"answer_{q.pk}": SraAnswer.YES for q in questions} | {f"notes_{q.pk}": "" for q in questions}
    data[f"answer_{questions[0].pk}"], data[f"notes_{questions[0].pk}"] = SraAnswer.NO, "Server room unlocked."
    response = client.post(f"{url('sra_answer', assessment.pk)}?section={Safeguard.PHYSICAL}", data)
    assert response.status_code == 302
    assert SraResponse.objects.filter(assessment=assessment).count() == 8
    detail = client.get(url("sra_detail", assessment.pk)).content.decode()
    offer = f"{url('sra_risk_new', assessment.pk)}?question={questions[0].pk}"
    assert offer in detail
    assert detail.count("Add to the risk register") == 1
    form = client.get(offer)
    assert form.context["form"].initial["safeguard"] == Safeguard.PHYSICAL
    assert form.context["form"].initial["title"].startswith("Not in place: ")
    response = client.post(offer, {"title": "Server room left unlocked", "safeguard": Safeguard.PHYSICAL,
                                   "likelihood": "3", "impact": "4", "owner": officer.pk,
                                   "remediation": "Fit a self-closing lock.",
                                   "due_on": (practice_today() + dt.timedelta(days=30)).isoformat()})
    risk = Risk.objects.get()
    assert response.status_code == 302
    assert risk.question == questions[0]
    assert risk.assessment == assessment
    assert risk.score == 12
    assert "12 · High" in client.get(url("risk_detail", risk.pk)).content.decode()


def test_a_missing_answer_keeps_the_section_form_and_saves_nothing(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    assessment = make_assessment(started_by=officer)
    response = client.post(f"{url('sra_answer', assessment.pk)}?section={Safeguard.TECHNICAL}", {})
    assert response.status_code == 400
    assert not SraResponse.objects.exists()


def test_complete_page_refuses_an_unfinished_assessment(officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    assessment = make_assessment(started_by=officer)
    response = client.post(url("sra_complete", assessment.pk), {"summary": "All fine."})
    assert response.status_code == 400
    assert "24 of 24 questions are not answered" in response.content.decode()
    answer_all(assessment, by=officer)
    response = client.post(url("sra_complete", assessment.pk), {"summary": "All fine."})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == SraStatus.COMPLETED


def test_register_filters_highlight_overdue_and_run_a_flat_number_of_queries(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    today = practice_today()
    assessment = make_assessment(started_by=officer)
    make_risk(owner=officer, likelihood=4, impact=4, title="Unencrypted laptops", assessment=assessment,
              due_on=today - dt.timedelta(days=3))
    make_risk(owner=officer, likelihood=5, impact=4, title="No backups", safeguard=Safeguard.ADMINISTRATIVE)
    make_risk(owner=officer, likelihood=2, impact=2, title="Visitor log", safeguard=Safeguard.PHYSICAL,
              status=RiskStatus.ACCEPTED)
    page = client.get(url("risk_list")).content.decode()
    assert page.index("No backups") < page.index("Unencrypted laptops") < page.index("Visitor log")
    assert "Overdue" in page
    assert "1 remediation overdue" in page
    high = client.get(url("risk_list"), {"band": "high"}).context["table"].page.object_list
    assert [row.title for row in high] == ["Unencrypted laptops"]
    physical = client.get(url("risk_list"), {"safeguard": Safeguard.PHYSICAL, "status": "accepted"})
    assert [row.title for row in physical.context["table"].page.object_list] == ["Visitor log"]
    with CaptureQueriesContext(connection) as few:
        client.get(url("risk_list"))
    for number in range(8):
        make_risk(owner=officer, likelihood=1 + number % 5, impact=2, assessment=assessment)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("risk_list"))
    assert len(response.context["table"].page.object_list) == 11
    assert len(many) == len(few)


def test_the_report_is_a_pdf(officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    assessment = make_assessment(started_by=officer, status=SraStatus.COMPLETED)
    answer_all(assessment, by=officer, answer=SraAnswer.PARTLY)
    make_risk(owner=officer, likelihood=5, impact=5, assessment=assessment)
    response = client.get(url("sra_report", assessment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="compliance.sra_report_exported", object_id=str(assessment.pk)).exists()


def test_the_reassessment_page_says_due(officer: User, signed_in: Callable[[User], Client]) -> None:
    make_assessment(started_by=officer, year=2020, status=SraStatus.COMPLETED,
                    completed_at=dt.datetime(2020, 6, 1, 17, tzinfo=dt.UTC))
    page = signed_in(officer).get(url("sra_list")).content.decode()
    assert "Reassessment due" in page
    assert "2020-06-01" in page


@pytest.mark.parametrize("role", [Role.HR, Role.FRONT_DESK])
def test_without_manage_every_write_is_404_audited_and_changes_nothing(
        role: str, officer: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    user = make_user(role, username="someone")
    assessment = make_assessment(started_by=officer)
    risk = make_risk(owner=officer, likelihood=4, impact=4)
    client = signed_in(user)
    before = snapshot()
    denials = AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
    posts = [
        (url("sra_start"), {"year": practice_today().year - 1}),
        (f"{url('sra_answer', assessment.pk)}?section=physical", {}),
        (url("sra_complete", assessment.pk), {"summary": "x"}),
        (url("sra_risk_new", assessment.pk), {"title": "x"}),
        (url("risk_create"), {"title": "x"}),
        (url("risk_edit", risk.pk), {"title": "x"}),
        (url("risk_close", risk.pk), {"status": "accepted", "note": "fine"}),
        (url("risk_reopen", risk.pk), {}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 404, target
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() == denials + len(posts)
    reads = [url("sra_list"), url("sra_detail", assessment.pk), url("risk_list"), url("risk_detail", risk.pk)]
    expected = 200 if role == Role.HR else 404
    assert [client.get(target).status_code for target in reads] == [expected] * len(reads)
