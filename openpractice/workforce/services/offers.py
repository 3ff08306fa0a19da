"""Offers: drafting the terms for an applicant, extending them (the applicant moves to the offer stage; the letter
can be emailed as a PDF), recording the applicant's answer, withdrawing, and the letter itself.

Who may: ``workforce.hiring`` at the requisition's location (they make the offer, so they see its pay). Refusals
are audited (outcome "denied") before any transaction opens; every change is audited in its own transaction.
An applicant has at most one live offer (draft, extended or accepted): the database holds that rule and the
services turn its refusal into a clear message.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_today

from ..choices import ApplicantStage, EmploymentType, FlsaStatus, OfferStatus, PayBasis
from ..models import Applicant, Offer
from ..selectors.offers import LIVE_STATUSES, offer_letter_context, pay_range_for
from .hiring_requisitions import lock_open_requisition
from .hiring_stages import stage_move_locked
from .pay import parse_pay_amount

logger = logging.getLogger(__name__)

OFFER_FIELDS: tuple[str, ...] = (
    "start_date", "pay_basis", "pay_amount", "employment_type", "flsa_status", "expires_on", "terms",
)  # fmt: skip
# An offer can be made once the applicant has been interviewed (or to replace an earlier one at the offer stage).
OFFER_STAGES: frozenset[str] = frozenset({ApplicantStage.INTERVIEW, ApplicantStage.OFFER})
# Start and answer-by dates at most this far ahead: beyond it is a typo (and year 9999 overflows date arithmetic).
MAX_DAYS_AHEAD = 2 * 365


class PayOutsideRange(ValidationError):
    """The pay is outside the requisition's (else the position's) range: the user confirms it or changes it."""


# --- permission ----------------------------------------------------------------------------------------------


def may_make_offers(actor: Any, applicant: Applicant) -> bool:
    return can(actor, Perm.WORKFORCE_HIRING, applicant.requisition.location_id)


def _authorize(*, actor: Any, applicant: Applicant, action: str, target: Any = None) -> None:
    if not may_make_offers(actor, applicant):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_HIRING, action=action, target=target or applicant)


# --- validation ----------------------------------------------------------------------------------------------


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(OFFER_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _apply(offer: Offer, data: Mapping[str, Any]) -> list[str]:
    changed: list[str] = []
    for name, value in data.items():
        if name == "pay_amount":
            value = parse_pay_amount(value, field="pay_amount")
        elif isinstance(value, str):
            value = value.strip()
        if getattr(offer, name) != value:
            setattr(offer, name, value)
            changed.append(name)
    return changed


def _check_terms(offer: Offer, *, confirm_out_of_range: bool) -> None:
    """Dates, choices and pay; the range warning last, so real errors show first."""
    errors: dict[str, str] = {}
    today = practice_today()
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    if offer.start_date is None:
        errors["start_date"] = _("Give the start date.")
    elif offer.start_date < today:
        errors["start_date"] = _("The start date is in the past.")
    elif offer.start_date > latest:
        errors["start_date"] = _("The start date is at most two years ahead.")
    if offer.expires_on is None:
        errors["expires_on"] = _("Give the date by which the applicant answers.")
    elif offer.expires_on < today:
        errors["expires_on"] = _("The answer-by date is in the past.")
    elif offer.expires_on > latest:
        errors["expires_on"] = _("The answer-by date is at most two years ahead.")
    elif offer.start_date is not None and offer.expires_on > offer.start_date:
        errors["expires_on"] = _("The answer is due before the start date.")
    if offer.pay_basis not in PayBasis.values:
        errors["pay_basis"] = _("Choose hourly or annual.")
    if offer.employment_type not in EmploymentType.values:
        errors["employment_type"] = _("Choose the employment type.")
    if offer.flsa_status not in FlsaStatus.values:
        errors["flsa_status"] = _("Choose the FLSA status.")
    if errors:
        raise ValidationError(errors)
    offer.full_clean(exclude=["applicant", "created_by"], validate_constraints=False)
    if confirm_out_of_range:
        return
    band = pay_range_for(offer.applicant.requisition, basis=offer.pay_basis)
    if band is None:
        return
    low, high = band
    amount: Decimal = offer.pay_amount
    if (low is not None and amount < low) or (high is not None and amount > high):
        raise PayOutsideRange(
            {"pay_amount": _("%(amount)s is outside the range for this opening (%(low)s – %(high)s). Tick “pay "
                             "outside the range is intended” to keep it.")
             % {"amount": f"{amount:,.2f}", "low": f"{low:,.2f}" if low is not None else "—",
                "high": f"{high:,.2f}" if high is not None else "—"}}, code="pay_range")


def _live_offer_exists(applicant: Applicant, *, exclude_pk: int | None = None) -> bool:
    return Offer.objects.filter(applicant=applicant, status__in=LIVE_STATUSES).exclude(pk=exclude_pk or 0).exists()


_ONE_LIVE = _("This applicant already has an offer in progress (draft, extended or accepted). Withdraw it or "
              "record the answer before making another.")


# --- writes --------------------------------------------------------------------------------------------------


def offer_create(*, actor: Any, applicant: Applicant, data: Mapping[str, Any],
                 confirm_out_of_range: bool = False) -> Offer:
    """A draft offer for an applicant at the interview or offer stage."""
    _check_keys(data)
    _authorize(actor=actor, applicant=applicant, action="workforce.offer_create")
    with transaction.atomic():
        lock_open_requisition(applicant.requisition_id)
        current = Applicant.objects.select_for_update().select_related("requisition__position").get(pk=applicant.pk)
        if current.stage not in OFFER_STAGES:
            raise ValidationError(_("An offer is made to an applicant at the interview or offer stage (this one is "
                                    "at “%(stage)s”).") % {"stage": ApplicantStage(current.stage).label},
                                  code="stage")
        if _live_offer_exists(current):
            raise ValidationError(_ONE_LIVE, code="one_live")
        offer = Offer(applicant=current, created_by=actor, status=OfferStatus.DRAFT)
        changed = _apply(offer, data)
        _check_terms(offer, confirm_out_of_range=confirm_out_of_range)
        try:
            with transaction.atomic():
                offer.save(force_insert=True)
        except IntegrityError as error:  # another live offer saved a moment ago
            raise ValidationError(_ONE_LIVE, code="one_live") from error
        record(actor=actor, action="workforce.offer_created", target=offer,
               location_id=current.requisition.location_id, changed_fields=changed,
               reason="pay outside the range, confirmed" if confirm_out_of_range else "")
    return offer


def _locked(offer: Offer) -> tuple[Offer, Applicant]:
    """The applicant's row, then the offer's (always in this order)."""
    applicant = Applicant.objects.select_for_update().select_related("requisition__position").get(
        pk=offer.applicant_id)
    current = Offer.objects.select_for_update().get(pk=offer.pk)
    current.applicant = applicant
    return current, applicant


def offer_update(*, actor: Any, offer: Offer, data: Mapping[str, Any], confirm_out_of_range: bool = False) -> Offer:
    """Change a draft's terms (an extended offer is withdrawn and made again instead)."""
    _check_keys(data)
    _authorize(actor=actor, applicant=offer.applicant, action="workforce.offer_update", target=offer)
    with transaction.atomic():
        current, applicant = _locked(offer)
        if current.status != OfferStatus.DRAFT:
            raise ValidationError(_("Only a draft offer can be edited."), code="not_draft")
        changed = _apply(current, data)
        if changed:
            _check_terms(current, confirm_out_of_range=confirm_out_of_range)
            current.save(update_fields=changed)
            record(actor=actor, action="workforce.offer_updated", target=current,
                   location_id=applicant.requisition.location_id, changed_fields=changed,
                   reason="pay outside the range, confirmed" if confirm_out_of_range else "")
    return current


def offer_extend(*, actor: Any, offer: Offer, send_letter: bool = False) -> Offer:
    """Give the offer to the applicant: it is extended, the applicant moves to the offer stage, and with
    `send_letter` the letter goes to their email as a PDF once the change is committed."""
    _authorize(actor=actor, applicant=offer.applicant, action="workforce.offer_extend", target=offer)
    with transaction.atomic():
        lock_open_requisition(offer.applicant.requisition_id)
        current, applicant = _locked(offer)
        if current.status != OfferStatus.DRAFT:
            raise ValidationError(_("Only a draft offer can be extended."), code="not_draft")
        if applicant.stage not in OFFER_STAGES:
            raise ValidationError(_("The applicant is no longer at the interview or offer stage."), code="stage")
        if send_letter and not applicant.email:
            raise ValidationError({"send_letter": _("The applicant has no email address: print the letter "
                                                    "instead.")}, code="no_email")
        # Terms checked again: a draft written last month may start in the past by now.
        _check_terms(current, confirm_out_of_range=True)
        if applicant.stage != ApplicantStage.OFFER:
            stage_move_locked(actor=actor, applicant=applicant, to_stage=ApplicantStage.OFFER,
                              note=f"offer {current.pk} extended")
        current.status, current.extended_at = OfferStatus.EXTENDED, timezone.now()
        current.save(update_fields=["status", "extended_at"])
        record(actor=actor, action="workforce.offer_extended", target=current,
               location_id=applicant.requisition.location_id, changed_fields=["status", "extended_at"],
               reason="letter emailed" if send_letter else "")
        if send_letter:
            offer_id, actor_id = current.pk, getattr(actor, "pk", None)
            transaction.on_commit(lambda: offer_letter_email(offer_id=offer_id, actor_id=actor_id))
    return current


def offer_record_answer(*, actor: Any, offer: Offer, accepted: bool) -> Offer:
    """The applicant's answer to an extended offer. A decline moves nothing: the user decides what next (another
    offer, or "not selected")."""
    _authorize(actor=actor, applicant=offer.applicant, action="workforce.offer_answer", target=offer)
    with transaction.atomic():
        current, applicant = _locked(offer)
        if current.status != OfferStatus.EXTENDED:
            raise ValidationError(_("Only an extended offer can be accepted or declined."), code="not_extended")
        current.status = OfferStatus.ACCEPTED if accepted else OfferStatus.DECLINED
        current.responded_at = timezone.now()
        current.save(update_fields=["status", "responded_at"])
        record(actor=actor, action="workforce.offer_answered", target=current,
               location_id=applicant.requisition.location_id, changed_fields=["status", "responded_at"],
               reason=current.status)
    return current


def offer_withdraw(*, actor: Any, offer: Offer, reason: str = "") -> Offer:
    """Take back a draft, extended or accepted offer (a failed background check); not once the applicant is
    hired."""
    _authorize(actor=actor, applicant=offer.applicant, action="workforce.offer_withdraw", target=offer)
    with transaction.atomic():
        current, applicant = _locked(offer)
        if current.status not in LIVE_STATUSES:
            raise ValidationError(_("This offer is no longer open."), code="closed")
        if applicant.stage == ApplicantStage.HIRED:
            raise ValidationError(_("The applicant has been hired on this offer; it cannot be withdrawn."),
                                  code="hired")
        current.status = OfferStatus.WITHDRAWN
        current.save(update_fields=["status"])
        record(actor=actor, action="workforce.offer_withdrawn", target=current,
               location_id=applicant.requisition.location_id, changed_fields=["status"],
               reason=(reason or "").strip()[:200])
    return current


# --- the letter ----------------------------------------------------------------------------------------------


def offer_letter_html(offer: Offer) -> str:
    """The letter as HTML (what the PDF is drawn from)."""
    return render_to_string("workforce/offers/letter.html", offer_letter_context(offer))


def offer_letter_pdf(*, actor: Any, offer: Offer) -> bytes:
    """The letter as a PDF for a workforce.hiring holder at the requisition's location; the viewing is audited."""
    _authorize(actor=actor, applicant=offer.applicant, action="workforce.offer_letter_view", target=offer)
    pdf = render_pdf(offer_letter_html(offer))
    with transaction.atomic():
        record(actor=actor, action="workforce.offer_letter_viewed", target=offer,
               location_id=offer.applicant.requisition.location_id)
    return pdf


def offer_letter_filename(offer: Offer) -> str:
    """offer-<pk>-<name>.pdf in plain ASCII: the applicant's name is typed text and must not shape a header."""
    name = slugify(offer.applicant.last_name)[:40].strip("-") or "letter"  # ASCII only: accents folded, rest dropped
    return f"offer-{offer.pk}-{name}.pdf"


def offer_letter_email(*, offer_id: int, actor_id: int | None) -> bool:
    """Email the letter to the applicant (run after the extension commits). True when the server took it; a
    failure is logged and audited, and the user can download and send the letter themselves."""
    offer = Offer.objects.select_related("applicant__requisition__position", "applicant__requisition__location").get(
        pk=offer_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    context = offer_letter_context(offer)
    location_id = offer.applicant.requisition.location_id
    message = EmailMessage(
        subject=render_to_string("workforce/offers/email/letter_subject.txt", context).strip(),
        body=render_to_string("workforce/offers/email/letter.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[offer.applicant.email])
    message.attach(offer_letter_filename(offer), render_pdf(offer_letter_html(offer)), "application/pdf")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("offer %s: the letter could not be emailed (%s)", offer_id, type(error).__name__)
        with transaction.atomic():
            record(actor=actor, action="workforce.offer_letter_email_failed", target=offer, location_id=location_id,
                   reason=type(error).__name__)
        return False
    with transaction.atomic():
        record(actor=actor, action="workforce.offer_letter_emailed", target=offer, location_id=location_id)
    return True
