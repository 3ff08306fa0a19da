"""Offer reads: the offers a user reaches (workforce.hiring at the requisition's location, who make them and so see
their pay), the pay range an offer is checked against, the letter's content and the applicant page's panel.

An offer carries pay: every page showing an offer's terms records "workforce.offer_viewed", one event per offer
shown (as pay_viewed does for employees' pay)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record_many
from openpractice.core.selectors import practice_get, practice_today

from ..choices import ApplicantStage, OfferStatus, PayBasis, RequisitionStatus
from ..models import Applicant, Offer, Requisition
from .hiring_scope import applicants_scoped

LIVE_STATUSES: tuple[str, ...] = (OfferStatus.DRAFT, OfferStatus.EXTENDED, OfferStatus.ACCEPTED)
# To compare an hourly offer with an annual range (and back): 40 hours x 52 weeks.
HOURS_PER_YEAR = Decimal(2080)
CENT = Decimal("0.01")


def offers_scoped(*, actor: Any) -> QuerySet[Offer]:
    """Offers to the applicants `actor` reaches with workforce.hiring (the hiring scope rule)."""
    return Offer.objects.filter(applicant__in=applicants_scoped(actor=actor, permission=Perm.WORKFORCE_HIRING)
                                .values("pk")).select_related(
        "applicant__requisition__position", "applicant__requisition__location")


def record_offers_viewed(*, actor: Any, offers: Iterable[Offer], reason: str = "") -> None:
    """Audit the showing of these offers' pay: one "workforce.offer_viewed" per offer, at the requisition's
    location. Called outside any service transaction, so a later refusal cannot roll the record back."""
    record_many(actor=actor, events=[
        Event(action="workforce.offer_viewed", target=offer, location_id=offer.applicant.requisition.location_id,
              reason=reason) for offer in offers])


def offer_list(*, actor: Any, status: str = "") -> QuerySet[Offer]:
    offers = offers_scoped(actor=actor)
    if status == "live":
        return offers.filter(status__in=LIVE_STATUSES)
    if status in OfferStatus.values:
        return offers.filter(status=status)
    return offers


def _convert(amount: Decimal | None, from_basis: str, to_basis: str) -> Decimal | None:
    if amount is None or from_basis == to_basis:
        return amount
    converted = amount * HOURS_PER_YEAR if to_basis == PayBasis.ANNUAL else amount / HOURS_PER_YEAR
    return converted.quantize(CENT, ROUND_HALF_UP)


def pay_range_for(requisition: Requisition, *, basis: str) -> tuple[Decimal | None, Decimal | None] | None:
    """The range an offer on `requisition` should fall in, in `basis`: the requisition's own range, else its
    position's (both are in the position's pay basis). None when neither gives one."""
    position = requisition.position
    low, high = requisition.pay_min, requisition.pay_max
    if low is None and high is None:
        low, high = position.pay_min, position.pay_max
    if low is None and high is None:
        return None
    return _convert(low, position.pay_basis, basis), _convert(high, position.pay_basis, basis)


def offer_letter_context(offer: Offer) -> dict[str, Any]:
    """What the offer letter (PDF and email) shows."""
    applicant = offer.applicant
    requisition = applicant.requisition
    return {
        "offer": offer,
        "applicant": applicant,
        "position": requisition.position,
        "location": requisition.location,
        "practice": practice_get(),
        "letter_date": offer.extended_at.date() if offer.extended_at else practice_today(),
        "pay_text": (_("$%(amount)s an hour") if offer.pay_basis == PayBasis.HOURLY else _("$%(amount)s a year"))
        % {"amount": f"{offer.pay_amount:,.2f}"},
    }


def applicant_offer_panel(*, actor: Any, applicant: Applicant) -> dict[str, Any]:
    """Context for workforce/offers/_applicant_panel.html on the applicant page. Only workforce.hiring holders at
    the requisition's location see offers (they carry pay); schedulers and interviewers get an empty panel."""
    if not can(actor, Perm.WORKFORCE_HIRING, applicant.requisition.location_id):
        return {"offer_visible": False}
    offers = list(Offer.objects.filter(applicant=applicant).select_related("applicant__requisition")
                  .order_by("-created_at", "-pk"))
    record_offers_viewed(actor=actor, offers=offers, reason="applicant page")
    live = next((offer for offer in offers if offer.status in LIVE_STATUSES), None)
    is_open = applicant.requisition.status == RequisitionStatus.OPEN  # offers and hires need an open requisition
    return {
        "offer_visible": True,
        "offer_list": offers,
        "offer_live": live,
        "offer_can_make": (live is None and applicant.stage in (ApplicantStage.INTERVIEW, ApplicantStage.OFFER)
                           and is_open),
        "offer_can_hire": (live is not None and live.status == OfferStatus.ACCEPTED and is_open
                           and applicant.stage == ApplicantStage.OFFER and applicant.employee_id is None),
    }
