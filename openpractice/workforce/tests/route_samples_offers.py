"""Offer objects for THE route matrix (tests/test_routes.py SAMPLES) and the offer tests: for the `offer_id` and
`applicant_id` kwargs of the offer routes, one object at North (in scope of a hiring holder at North) and one at
South (out of scope for them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import ApplicantStage, OfferStatus
from openpractice.workforce.models import Applicant, Offer

from .factories_hiring import ApplicantFactory, RequisitionFactory


def interviewing_applicant(location: Any, **fields: Any) -> Applicant:
    """An applicant at the interview stage on an open requisition at `location` (range 42,000–55,000 a year)."""
    requisition = fields.pop("requisition", None) or RequisitionFactory(location=location)
    applicant: Applicant = ApplicantFactory.create(requisition=requisition,
                                                   stage=fields.pop("stage", ApplicantStage.INTERVIEW),
                                                   **fields)
    return applicant


def make_offer(applicant: Applicant, *, status: str = OfferStatus.DRAFT, **fields: Any) -> Offer:
    """An offer built directly: starts in 30 days, 50,000.00 a year, answer within a week."""
    today = practice_today()
    values: dict[str, Any] = {
        "start_date": today + dt.timedelta(days=30), "pay_basis": "annual", "pay_amount": Decimal("50000.00"),
        "employment_type": "full_time", "flsa_status": "exempt", "expires_on": today + dt.timedelta(days=7),
        "terms": "Health insurance from the first month.", "status": status,
        "created_by": applicant.requisition.requested_by,
    }
    if status != OfferStatus.DRAFT:
        values["extended_at"] = timezone.now()
    if status in (OfferStatus.ACCEPTED, OfferStatus.DECLINED):
        values["responded_at"] = timezone.now()
    values.update(fields)
    return Offer.objects.create(applicant=applicant, **values)


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_offer_samples", {})
    return cache


def applicants(world: Any, actor: Any) -> tuple[Applicant, Applicant]:
    """For `applicant_id` (offer_create): interviewing applicants at North and at South."""
    cache = _cache(world)
    if "applicants" not in cache:
        cache["applicants"] = (interviewing_applicant(world.north), interviewing_applicant(world.south))
    pair: tuple[Applicant, Applicant] = cache["applicants"]
    return pair


def route_samples(world: Any, actor: Any) -> tuple[Offer, Offer]:
    """For `offer_id`: an accepted offer at North and one at South (accepted, so every offer page, the hire form
    included, has something to show)."""
    cache = _cache(world)
    if "offers" not in cache:
        north = interviewing_applicant(world.north, stage=ApplicantStage.OFFER)
        south = interviewing_applicant(world.south, stage=ApplicantStage.OFFER)
        cache["offers"] = (make_offer(north, status=OfferStatus.ACCEPTED),
                           make_offer(south, status=OfferStatus.ACCEPTED))
    pair: tuple[Offer, Offer] = cache["offers"]
    return pair
