"""Security risk assessment samples for tests/test_routes.py (`(world, actor) -> (in scope, out of scope)`), and the
builders the SRA tests use.

Assessments and risks are practice-wide (no out-of-scope object: None). The sample assessment is in progress, so
every page opens (answer, complete); its report renders.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from openpractice.compliance.choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from openpractice.compliance.models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse

_years = itertools.count(2001)


def make_assessment(*, started_by: Any, year: int | None = None, status: str = SraStatus.IN_PROGRESS,
                    completed_at: dt.datetime | None = None) -> SecurityRiskAssessment:
    return SecurityRiskAssessment.objects.create(
        year=year or next(_years), status=status, started_by=started_by,
        started_at=timezone.now() - dt.timedelta(days=1),
        completed_by=started_by if status == SraStatus.COMPLETED else None,
        completed_at=completed_at or (timezone.now() if status == SraStatus.COMPLETED else None))


def answer_all(assessment: SecurityRiskAssessment, *, by: Any, answer: str = SraAnswer.YES,
               at: dt.datetime | None = None) -> int:
    rows = [SraResponse(assessment=assessment, question=question, answer=answer, answered_by=by,
                        answered_at=at or timezone.now())
            for question in SraQuestion.objects.filter(is_active=True)]
    SraResponse.objects.bulk_create(rows)
    return len(rows)


def make_risk(*, owner: Any, likelihood: int = 3, impact: int = 3, status: str = RiskStatus.OPEN,
              safeguard: str = Safeguard.TECHNICAL, due_on: dt.date | None = None,
              assessment: SecurityRiskAssessment | None = None, title: str = "") -> Risk:
    return Risk.objects.create(
        title=title or f"Risk {likelihood}x{impact}", safeguard=safeguard, likelihood=likelihood, impact=impact,
        owner=owner, status=status, due_on=due_on, assessment=assessment, created_by=owner)


def _world(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_compliance_sra_samples", {})
    if not cache:
        assessment = make_assessment(started_by=world.stranger, year=2099)
        cache.update(assessment=assessment,
                     risk=make_risk(owner=world.stranger, assessment=assessment, title="Route sample risk"))
    return cache


def sras(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["assessment"], None


def risks(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["risk"], None
