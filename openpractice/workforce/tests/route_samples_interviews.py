"""Objects for THE route matrix (tests/test_routes.py SAMPLES) for the interview routes.

- "interview": in scope, a scheduled North interview (applicant interviewing) on which the actor is an
  interviewer, so the login-only pages (the interview, my scorecard) open for every role and schedule holders at
  North reach it through their location; out of scope, a South interview whose only interviewer is someone else.
- "criterion": practice-wide (no out-of-scope criterion).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from openpractice.accounts.tests.factories import UserFactory
from openpractice.workforce.choices import ApplicantStage
from openpractice.workforce.models import Interview, ScorecardCriterion

from .factories_hiring import ApplicantFactory, RequisitionFactory


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_interview_samples", {})
    return cache


def make_interview(*, location: Any, interviewer: Any, days_ahead: int = 7) -> Interview:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=location), stage=ApplicantStage.INTERVIEW)
    interview = Interview.objects.create(
        applicant=applicant, starts_at=timezone.now() + dt.timedelta(days=days_ahead), duration_minutes=45,
        location=location, place="Room 2", created_by=applicant.created_by)
    interview.interviewers.set([interviewer])
    return interview


def interviews(world: Any, actor: Any) -> tuple[Interview, Interview]:
    cache = _cache(world)
    if "outside" not in cache:
        cache["outside"] = make_interview(location=world.south, interviewer=UserFactory(username="south-panel"))
    key = f"inside:{getattr(actor, 'pk', None)}"
    if key not in cache:
        cache[key] = make_interview(location=world.north, interviewer=actor or UserFactory())
    return cache[key], cache["outside"]


def criteria(world: Any, actor: Any) -> tuple[ScorecardCriterion, None]:
    cache = _cache(world)
    if "criterion" not in cache:
        cache["criterion"] = ScorecardCriterion.objects.create(name="Route sample criterion", order=99)
    return cache["criterion"], None
