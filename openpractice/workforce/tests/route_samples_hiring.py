"""Objects for THE route matrix (tests/test_routes.py SAMPLES): requisitions and applicants, one at North (in scope
for a hiring or approving role held at North or everywhere) and one at South (out of scope for a North-only one).

The North requisition is PENDING and raised by `world.stranger`, so an approver at North may decide it (nobody
decides their own) and hiring staff may still open, cancel-check and list it; the applicants sit on OPEN
requisitions and carry a small PDF résumé. The résumé download is open to any signed-in user who interviews the
applicant, so the actor is made an interviewer of the North applicant (never of the South one): the download
answers 200 in scope for every role and 404 out of scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openpractice.workforce.choices import RequisitionStatus
from openpractice.workforce.models import Applicant, Interview, Requisition

from .factories_hiring import ApplicantFactory, RequisitionFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_hiring_samples", {})
    return cache


def _pending(location: Any, requester: Any) -> Requisition:
    return RequisitionFactory(location=location, requested_by=requester, status=RequisitionStatus.PENDING,
                              submitted_at=timezone.now(), decided_by=None, decided_at=None, opened_at=None)


def requisitions(world: Any, actor: Any) -> tuple[Requisition, Requisition]:
    cache = _cache(world)
    if "requisition" not in cache:
        cache["requisition"] = (_pending(world.north, world.stranger), _pending(world.south, world.stranger))
    pair: tuple[Requisition, Requisition] = cache["requisition"]
    return pair


def _applicant(location: Any, requester: Any) -> Applicant:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=location, requested_by=requester),
                                 applied_on=dt.date(2026, 1, 5), resume_content_type="application/pdf",
                                 resume_size=len(PDF))
    applicant.resume.save("resume.pdf", ContentFile(PDF), save=True)
    return applicant


def applicants(world: Any, actor: Any) -> tuple[Applicant, Applicant]:
    cache = _cache(world)
    if "applicant" not in cache:
        cache["applicant"] = (_applicant(world.north, world.stranger), _applicant(world.south, world.stranger))
    pair: tuple[Applicant, Applicant] = cache["applicant"]
    key = f"interviewer:{getattr(actor, 'pk', None)}"
    if actor is not None and key not in cache:
        interview = Interview.objects.create(applicant=pair[0], starts_at=timezone.now() + dt.timedelta(days=3),
                                             created_by=world.stranger)
        interview.interviewers.add(actor)
        cache[key] = interview
    return pair
