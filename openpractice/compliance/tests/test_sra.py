"""Security risk assessment services and selectors: the score bands at their edges (in Python and in the register's
database filter), one assessment per year, last year's answers carried over "to review", the completion rule,
closing risks (a note always; accepting a high or critical one says why), the yearly reassessment, the seeded
questions and the demo. Refusals (HR holds compliance.view only) are audited and change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from openpractice.compliance.demo_sra import seed_sra
from openpractice.compliance.models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse
from openpractice.compliance.selectors import sra as selectors
from openpractice.compliance.services import sra as services
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


def _section(assessment: SecurityRiskAssessment, safeguard: str, answer: str = SraAnswer.YES) -> dict[int, Any]:
    return dict.fromkeys(SraQuestion.objects.filter(safeguard=safeguard, is_active=True).values_list("pk", flat=True), (answer, ""))


def test_the_migration_seeds_eight_questions_per_safeguard_with_references() -> None:
    for safeguard in Safeguard.values:
        rows = SraQuestion.objects.filter(safeguard=safeguard, is_active=True)
        assert rows.count() == 8
        assert all(row.reference.startswith({"administrative": "164.308", "physical": "164.310",
                                             "technical": "164.312"}[safeguard]) for row in rows)


@pytest.mark.parametrize(("score", "band"), [
    (1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (16, "high"), (20, "critical"),
    (25, "critical")])
def test_band_edges(score: int, band: str) -> None:
    assert selectors.band_of(score) == band


def test_every_possible_score_has_a_band_and_the_database_filter_agrees(officer: User) -> None:
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            make_risk(owner=officer, likelihood=likelihood, impact=impact)
    today = practice_today()
    seen = 0
    for key, _label, low, high in selectors.BANDS:
        rows = list(selectors.risk_list(actor=officer, today=today, band=key))
        assert rows
        assert all(low <= row.likelihood * row.impact <= high and row.band == key for row in rows)
        assert {selectors.band_of(row.likelihood * row.impact) for row in rows} == {key}
        seen += len(rows)
    assert seen == 25
    edges = {row.likelihood * row.impact for row in selectors.risk_list(actor=officer, today=today, band="high")}
    assert min(edges) == 10
    assert max(edges) == 16
    assert min(row.score_value for row in selectors.risk_list(actor=officer, today=today, band="critical")) == 20


def test_one_assessment_per_year_is_a_clear_error(officer: User) -> None:
    year = practice_today().year
    services.assessment_start(actor=officer, year=year)
    with pytest.raises(ValidationError) as caught:
        services.assessment_start(actor=officer, year=year)
    assert "already exists" in caught.value.message_dict["year"][0]
    assert SecurityRiskAssessment.objects.filter(year=year).count() == 1


def test_last_years_answers_are_copied_to_review_and_block_completion_until_saved(officer: User) -> None:
    year = practice_today().year
    last = make_assessment(started_by=officer, year=year - 1, status=SraStatus.COMPLETED)
    copied = answer_all(last, by=officer, answer=SraAnswer.PARTLY, at=timezone.now() - dt.timedelta(days=300))
    SraResponse.objects.filter(assessment=last).update(notes="as last year")
    current = services.assessment_start(actor=officer, year=year)
    rows = SraResponse.objects.filter(assessment=current)
    assert rows.count() == copied == 24
    assert set(rows.values_list("answer", "notes")) == {(SraAnswer.PARTLY, "as last year")}
    assert selectors.progress(current).carried_over == 24
    assert all(carried for section in selectors.sections(current) for _q, _r, carried in section.rows)
    with pytest.raises(ValidationError) as caught:
        services.assessment_complete(actor=officer, assessment=current, summary="Done.")
    assert caught.value.code == "unreviewed"
    for safeguard in Safeguard.values:
        services.answers_save(actor=officer, assessment=current, safeguard=safeguard,
                              answers=dict.fromkeys(_section(current, safeguard), (SraAnswer.PARTLY, "as last year")))
    assert selectors.progress(current).carried_over == 0
    done = services.assessment_complete(actor=officer, assessment=current, summary="Done.")
    assert done.status == SraStatus.COMPLETED
    assert AuditEvent.objects.filter(action="compliance.sra_started", reason=f"copied 24 answers from {year - 1}")
    # Last year's answers are untouched.
    assert set(SraResponse.objects.filter(assessment=last).values_list("answer", flat=True)) == {SraAnswer.PARTLY}


def test_without_copy_the_assessment_starts_empty(officer: User) -> None:
    year = practice_today().year
    answer_all(make_assessment(started_by=officer, year=year - 1, status=SraStatus.COMPLETED), by=officer)
    current = services.assessment_start(actor=officer, year=year, copy_previous=False)
    assert not SraResponse.objects.filter(assessment=current).exists()


def test_completion_needs_every_active_question_and_a_summary(officer: User) -> None:
    assessment = services.assessment_start(actor=officer, year=practice_today().year)
    services.answers_save(actor=officer, assessment=assessment, safeguard=Safeguard.ADMINISTRATIVE,
                          answers=_section(assessment, Safeguard.ADMINISTRATIVE))
    services.answers_save(actor=officer, assessment=assessment, safeguard=Safeguard.PHYSICAL,
                          answers=_section(assessment, Safeguard.PHYSICAL, SraAnswer.NOT_APPLICABLE))
    technical = _section(assessment, Safeguard.TECHNICAL, SraAnswer.NO)
    technical.pop(next(iter(technical)))
    services.answers_save(actor=officer, assessment=assessment, safeguard=Safeguard.TECHNICAL, answers=technical)
    with pytest.raises(ValidationError) as caught:
        services.assessment_complete(actor=officer, assessment=assessment, summary="Summary.")
    assert caught.value.code == "incomplete"
    assert "1 of 24" in caught.value.messages[0]
    # A question deactivated no longer counts.
    SraQuestion.objects.filter(safeguard=Safeguard.TECHNICAL).exclude(pk__in=list(technical)).update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.assessment_complete(actor=officer, assessment=assessment, summary="  ")
    assert "summary" in caught.value.message_dict
    done = services.assessment_complete(actor=officer, assessment=assessment, summary="Summary.")
    assert done.status == SraStatus.COMPLETED
    assert done.completed_by == officer
    with pytest.raises(ValidationError):
        services.answers_save(actor=officer, assessment=done, safeguard=Safeguard.TECHNICAL, answers=technical)


def test_answers_to_another_sections_questions_are_refused(officer: User) -> None:
    assessment = services.assessment_start(actor=officer, year=practice_today().year)
    before = snapshot()
    with pytest.raises(ValidationError):
        services.answers_save(actor=officer, assessment=assessment, safeguard=Safeguard.PHYSICAL,
                              answers=_section(assessment, Safeguard.TECHNICAL))
    assert snapshot() == before


def test_closing_needs_a_note_and_accepting_a_high_risk_says_why(officer: User) -> None:
    high = make_risk(owner=officer, likelihood=4, impact=4)
    low = make_risk(owner=officer, likelihood=1, impact=2)
    with pytest.raises(ValidationError) as caught:
        services.risk_close(actor=officer, risk=high, status=RiskStatus.ACCEPTED, note=" ")
    assert "high or critical" in caught.value.message_dict["note"][0]
    with pytest.raises(ValidationError) as caught:
        services.risk_close(actor=officer, risk=low, status=RiskStatus.MITIGATED, note="")
    assert "mitigated" in caught.value.message_dict["note"][0]
    assert set(Risk.objects.values_list("status", flat=True)) == {RiskStatus.OPEN}
    accepted = services.risk_close(actor=officer, risk=high, status=RiskStatus.ACCEPTED,
                                   note="Replacing the system next quarter.")
    assert accepted.status == RiskStatus.ACCEPTED
    assert accepted.closed_at is not None
    assert AuditEvent.objects.filter(action="compliance.risk_accepted", reason="score 16 (high)").count() == 1
    reopened = services.risk_reopen(actor=officer, risk=accepted)
    assert reopened.status == RiskStatus.OPEN
    assert reopened.closed_at is None


def test_a_risk_needs_an_active_owner_and_scores_from_1_to_5(officer: User, make_user: Callable[..., User]) -> None:
    gone = make_user(Role.FRONT_DESK, username="gone", is_active=False)
    data = {"title": "Shared logins", "safeguard": Safeguard.TECHNICAL, "likelihood": 6, "impact": 0,
            "owner": gone}
    with pytest.raises(ValidationError) as caught:
        services.risk_create(actor=officer, data=data)
    assert {"likelihood", "impact", "owner"} <= set(caught.value.message_dict)
    risk = services.risk_create(actor=officer, data={**data, "likelihood": 5, "impact": 4, "owner": officer})
    assert risk.score == 20
    assert selectors.band_of(risk.score) == "critical"
    assert AuditEvent.objects.filter(action="compliance.risk_created", object_id=str(risk.pk)).exists()


def test_hr_reads_but_every_write_is_refused_audited_and_changes_nothing(
        officer: User, make_user: Callable[..., User]) -> None:
    hr = make_user(Role.HR, username="hr")
    assessment = make_assessment(started_by=officer, year=practice_today().year)
    risk = make_risk(owner=officer, likelihood=4, impact=4)
    assert selectors.assessments_visible(actor=hr).count() == 1
    before = snapshot()
    denied = AuditEvent.objects.filter(actor=hr, outcome=Outcome.DENIED).count()
    calls = [
        lambda: services.assessment_start(actor=hr, year=practice_today().year - 1),
        lambda: services.answers_save(actor=hr, assessment=assessment, safeguard=Safeguard.PHYSICAL,
                                      answers=_section(assessment, Safeguard.PHYSICAL)),
        lambda: services.assessment_complete(actor=hr, assessment=assessment, summary="x"),
        lambda: services.risk_create(actor=hr, data={"title": "x", "safeguard": Safeguard.PHYSICAL,
                                                     "likelihood": 1, "impact": 1, "owner": hr}),
        lambda: services.risk_update(actor=hr, risk=risk, data={"likelihood": 1}),
        lambda: services.risk_close(actor=hr, risk=risk, status=RiskStatus.ACCEPTED, note="fine"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=hr, outcome=Outcome.DENIED).count() == denied + len(calls)


def test_front_desk_sees_nothing(officer: User, make_user: Callable[..., User]) -> None:
    desk = make_user(Role.FRONT_DESK, username="desk")
    make_assessment(started_by=officer)
    make_risk(owner=officer)
    assert not selectors.assessments_visible(actor=desk).exists()
    assert not selectors.risk_list(actor=desk, today=practice_today()).exists()


def test_reassessment_is_due_more_than_12_months_after_the_last_completion(officer: User) -> None:
    today = practice_today()
    assert selectors.reassessment(actor=officer, today=today).due  # never assessed
    completed = timezone.make_aware(dt.datetime(2025, 3, 10, 12))
    make_assessment(started_by=officer, year=2025, status=SraStatus.COMPLETED, completed_at=completed)
    assert not selectors.reassessment(actor=officer, today=dt.date(2026, 3, 10)).due
    assert selectors.reassessment(actor=officer, today=dt.date(2026, 3, 11)).due
    assert selectors.plus_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_overdue_remediation_is_open_and_past_its_date(officer: User) -> None:
    today = practice_today()
    late = make_risk(owner=officer, due_on=today - dt.timedelta(days=1))
    make_risk(owner=officer, due_on=today)
    make_risk(owner=officer, due_on=today - dt.timedelta(days=5), status=RiskStatus.MITIGATED)
    assert [row.pk for row in selectors.risk_list(actor=officer, today=today) if row.overdue] == [late.pk]
    assert selectors.overdue_count(actor=officer, today=today) == 1


def test_heat_map_counts_each_cell(officer: User) -> None:
    risks = [make_risk(owner=officer, likelihood=5, impact=5), make_risk(owner=officer, likelihood=5, impact=5),
             make_risk(owner=officer, likelihood=1, impact=2)]
    heat = selectors.heat_map(risks)
    cells = {(likelihood, impact): (count, band) for impact, row in heat.rows for likelihood, count, band in row}
    assert heat.rows[0][0] == 5
    assert len(cells) == 25
    assert cells[(5, 5)] == (2, "critical")
    assert cells[(1, 2)] == (1, "low")
    assert cells[(2, 1)][0] == 0


def test_demo(make_user: Callable[..., User]) -> None:
    users = {"privacy": make_user(Role.PRIVACY_OFFICER, username="privacy"),
             "pm_senior": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm_senior"),
             "hr": make_user(Role.HR, username="hr")}
    context: dict[str, Any] = {"users": users}
    seed_sra(context)
    today = practice_today()
    last, current = (SecurityRiskAssessment.objects.get(year=today.year - 1),
                     SecurityRiskAssessment.objects.get(year=today.year))
    assert last.status == SraStatus.COMPLETED
    assert current.status == SraStatus.IN_PROGRESS
    assert selectors.progress(current).carried_over == 16  # physical and technical still to review
    assert not selectors.reassessment(actor=users["privacy"], today=today).due
    rows = list(selectors.risk_list(actor=users["privacy"], today=today))
    assert len(rows) == 5
    assert sum(1 for row in rows if row.status == RiskStatus.OPEN and row.band == "high") == 2
    assert sum(1 for row in rows if row.overdue) == 1
    assert sorted(row.status for row in rows if row.status != RiskStatus.OPEN) == ["accepted", "mitigated"]
    seed_sra(context)
    assert Risk.objects.count() == 5
    assert "already seeded" in context["report"][-1]
