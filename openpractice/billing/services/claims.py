"""The claim lifecycle: build a claim from a charge for the responsible payer, rebuild it while it is still
editable, correct or void a claim the payer has, build the secondary claim after the primary paid, record the
primary's payment by hand, and the status moves a biller makes.

A claim is a snapshot of its charge (header, diagnoses, lines, total) so that what was sent and what is kept
here always agree. Statuses change only through claim_status.claim_transition(); claim numbers come only from
numbers.py. Permission is BILLING_MANAGE at the claim's location, refused (and audited) before any transaction.

The ledger (services/ledger.py) follows the claims of a charge:
- Building or rebuilding the primary claim posts the charge (one CHARGE entry per line, owed by the payer) the
  first time, and afterwards only the difference when the charge was fixed, so a rebuilt or re-created claim
  never charges twice. What earlier closed primary claims of the charge still had open with a payer moves to
  the new claim (a TRANSFER pair), so the balance is always on the claim that is being worked.
  The CHARGE entries name the charge and the claim but not the claim line: lines are snapshots replaced on every
  rebuild, and a ledger entry naming one would pin it (the reference is PROTECT).
- A corrected claim (frequency 7) takes over the open payer balance of the claim it replaces; a void claim
  (frequency 8) moves nothing until the payer's 835 confirms it.
- A secondary claim takes over what the patient was left to pay on the primary claim (its open patient-party
  balance, the PR share of the primary's 835): the secondary is billed for it. What the primary payer itself
  still owes stays with it. When the 835 posting builds the secondary, it moves the PR amounts from the primary
  payer straight to the secondary payer instead (services/remittance_posting.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.audit.services import record
from openpractice.core.selectors import practice_now

from ..choices import (
    CLAIM_TRANSITIONS,
    EDITABLE_CLAIM_STATUSES,
    SENT_CLAIM_STATUSES,
    ChargeStatus,
    ClaimFrequency,
    ClaimStatus,
    EntryKind,
    Party,
    StatusSource,
)
from ..models import (
    AccountBalance,
    Charge,
    Claim,
    ClaimAdjustment,
    ClaimLine,
    ClaimStatusChange,
    LedgerEntry,
    RemittanceLine,
)
from ..money import parse_money
from ..selectors.claims import coverage_for_claim, earlier_payer_claim, open_claim_for
from .authorization import authorize_at
from .charges import lock_charge
from .claim_status import claim_transition
from .ledger import NewEntry, ledger_post
from .numbers import CLAIM_NUMBER, claim_number_format, control_number_next

GROUP_CODES: tuple[str, ...] = ("CO", "PR", "OA", "PI", "CR")
# CARC: 1 to 3 digits (1, 45, 253) or a letter and 1 or 2 digits / letters (A1, B7, P12, W1, Y3).
CARC_RE = re.compile(r"^(?:[0-9]{1,3}|[A-Z][0-9A-Z]{1,2})$")
PAYER_CLAIM_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,49}$")
# The moves a person makes by hand. Ready/held are the scrubber's verdict and submitted is the batch's.
MANUAL_STATUSES: frozenset[str] = frozenset({
    ClaimStatus.DRAFT, ClaimStatus.ACCEPTED, ClaimStatus.REJECTED, ClaimStatus.PAID, ClaimStatus.PARTIAL,
    ClaimStatus.DENIED, ClaimStatus.APPEALED, ClaimStatus.CLOSED,
})
REASON_REQUIRED: frozenset[str] = frozenset({ClaimStatus.DENIED, ClaimStatus.CLOSED, ClaimStatus.APPEALED})
SECONDARY_FROM: frozenset[str] = frozenset({ClaimStatus.PAID, ClaimStatus.PARTIAL})

Adjustment = tuple[str, str, Any]  # (group code, CARC, amount)


# --- helpers -------------------------------------------------------------------------------------------------


def _audit(*, actor: Any, action: str, claim: Claim, changed: Iterable[str] = (), reason: str = "") -> None:
    record(actor=actor, action=action, target=claim, patient_id=claim.patient_id, location_id=claim.location_id,
           changed_fields=list(changed), reason=reason)


def _attname(name: str) -> str:
    return Claim._meta.get_field(name).attname  # type: ignore[union-attr]


def _status_label(status: str) -> str:
    return str(ClaimStatus(status).label).lower()


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().get(pk=claim.pk)


def _first_history(*, actor: Any, claim: Claim, reason: str) -> None:
    ClaimStatusChange.objects.create(claim=claim, from_status="", to_status=claim.status, source=StatusSource.USER,
                                     actor=actor, at=timezone.now(), reason=reason[:500])


def _check_charge_billable(charge: Charge) -> None:
    if charge.status == ChargeStatus.VOID:
        raise ValidationError(_("This charge is void: it cannot be billed."), code="charge_void")
    if not charge.diagnoses.exists():
        raise ValidationError(_("Add at least one diagnosis to the charge before building its claim."),
                              code="no_diagnosis")
    if not charge.lines.exists():
        raise ValidationError(_("Add at least one procedure line to the charge before building its claim."),
                              code="no_lines")


def _snapshot(claim: Claim, charge: Charge) -> list[ClaimLine]:
    """Copy the charge's header, diagnoses and lines onto the claim (the claim must be saved for the lines)."""
    lines = list(charge.lines.order_by("line_number"))
    claim.date_of_service = charge.date_of_service
    claim.place_of_service = charge.place_of_service
    claim.rendering_provider_id = charge.rendering_provider_id
    claim.billing_provider_id = charge.billing_provider_id
    claim.referring_provider_id = charge.referring_provider_id
    claim.prior_authorization = charge.prior_authorization
    claim.diagnosis_codes = list(charge.diagnoses.order_by("position").values_list("code", flat=True))
    claim.total_charge = sum((line.amount for line in lines), Decimal(0))
    return [
        ClaimLine(charge_line=line, line_number=line.line_number, procedure_code=line.procedure_code,
                  modifiers=line.modifiers, units=line.units, service_date_from=line.service_date_from,
                  service_date_to=line.service_date_to, pointers=line.pointers, amount=line.amount)
        for line in lines
    ]


SNAPSHOT_FIELDS: tuple[str, ...] = (
    "date_of_service", "place_of_service", "rendering_provider", "billing_provider", "referring_provider",
    "prior_authorization", "diagnosis_codes", "total_charge",
)  # fmt: skip


def _save_lines(claim: Claim, lines: Sequence[ClaimLine]) -> None:
    for line in lines:
        line.claim = claim
    ClaimLine.objects.bulk_create(lines)


def _new_number() -> str:
    return claim_number_format(control_number_next(CLAIM_NUMBER))


def _create_claim(*, actor: Any, charge: Charge, coverage: Any, rank: int, reason: str,
                  frequency: str = ClaimFrequency.ORIGINAL, original: Claim | None = None,
                  copy_from: Claim | None = None) -> Claim:
    """A new draft claim for `coverage`, a snapshot of the charge (or, for a void claim, of `copy_from`)."""
    claim = Claim(claim_number=_new_number(), charge=charge, patient_id=charge.patient_id,
                  location_id=charge.location_id, coverage=coverage, payer_id=coverage.payer_id, payer_rank=rank,
                  status=ClaimStatus.DRAFT, frequency_code=frequency, original_claim=original, created_by=actor)
    if copy_from is None:
        lines = _snapshot(claim, charge)
    else:
        for name in SNAPSHOT_FIELDS:
            attname = _attname(name)
            setattr(claim, attname, getattr(copy_from, attname))
        lines = [ClaimLine(charge_line_id=line.charge_line_id, line_number=line.line_number,
                           procedure_code=line.procedure_code, modifiers=list(line.modifiers), units=line.units,
                           service_date_from=line.service_date_from, service_date_to=line.service_date_to,
                           pointers=list(line.pointers), amount=line.amount)
                 for line in copy_from.lines.order_by("line_number")]
    claim.full_clean(exclude=["claim_number"])
    claim.save(force_insert=True)
    _save_lines(claim, lines)
    _first_history(actor=actor, claim=claim, reason=reason)
    return claim


# --- the ledger ----------------------------------------------------------------------------------------------


def _today() -> dt.date:
    return practice_now().date()


# SQLite adds decimals as floating point in SUM(): sums of cents come back as 1.00999999999999, so every sum
# read from the database is rounded back to cents.
CENT = Decimal("0.01")


def _charge_total(charge: Charge) -> Decimal:
    if charge.status == ChargeStatus.VOID:
        return Decimal(0)
    return (charge.lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)).quantize(CENT)


def _move_payer_balances(*, actor: Any, sources: Sequence[Claim], target: Claim, memo: str) -> None:
    """Move what payers still owe on `sources` to `target`'s payer (TRANSFER pairs), e.g. to a replacement."""
    if not sources:
        return
    rows = list(AccountBalance.objects.select_for_update()
                .filter(claim_id__in=[claim.pk for claim in sources], party=Party.PAYER).exclude(balance=0)
                .order_by("key"))
    entries: list[NewEntry] = []
    for row in rows:
        entries += [
            NewEntry(kind=EntryKind.TRANSFER, amount=-row.balance, party=Party.PAYER, patient_id=row.patient_id,
                     location_id=row.location_id, payer_id=row.payer_id, claim_id=row.claim_id,
                     charge_id=target.charge_id, service_date=row.service_date, memo=memo),
            NewEntry(kind=EntryKind.TRANSFER, amount=row.balance, party=Party.PAYER, patient_id=target.patient_id,
                     location_id=target.location_id, payer_id=target.payer_id, claim_id=target.pk,
                     charge_id=target.charge_id, service_date=target.date_of_service, memo=memo),
        ]
    ledger_post(actor=actor, entries=entries, posted_on=_today())


def _sync_charge_ledger(*, actor: Any, claim: Claim, charge: Charge) -> None:
    """Make the ledger charge for `charge` what it bills now, on `claim` (its open primary claim): the lines the
    first time, the difference after the charge was fixed, nothing when it already agrees. Earlier closed
    primary claims' open payer balances come over first."""
    earlier = list(Claim.objects.filter(charge_id=charge.pk, payer_rank=claim.payer_rank, status=ClaimStatus.CLOSED)
                   .exclude(pk=claim.pk).exclude(frequency_code=ClaimFrequency.VOID))
    _move_payer_balances(actor=actor, sources=earlier, target=claim,
                         memo=_("moved to claim %(claim)s") % {"claim": claim.claim_number})
    if claim.payer_rank != 1:
        return
    posted = LedgerEntry.objects.filter(charge_id=charge.pk, kind=EntryKind.CHARGE).aggregate(
        total=Sum("amount"))["total"]
    if posted is not None:
        posted = posted.quantize(CENT)
    base = NewEntry(kind=EntryKind.CHARGE, amount=Decimal(0), party=Party.PAYER, patient_id=claim.patient_id,
                    location_id=claim.location_id, payer_id=claim.payer_id, claim_id=claim.pk, charge_id=charge.pk,
                    service_date=claim.date_of_service)
    if posted is None:
        entries = [replace(base, amount=line.amount, service_date=line.service_date_from,
                           memo=f"line {line.line_number} {line.procedure_code}")
                   for line in claim.lines.order_by("line_number")]
    else:
        difference = _charge_total(charge) - posted
        entries = [replace(base, amount=difference, memo=_("charge changed"))] if difference else []
    ledger_post(actor=actor, entries=entries, posted_on=_today())


def claim_post_charge(*, actor: Any, claim: Claim) -> None:
    """Post the charge of a primary claim built without the services (imports, test data), idempotently: what
    claim_build posts, and nothing when the ledger already holds it."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_charge_posted", target=claim)
    with transaction.atomic():
        charge = lock_charge(claim.charge_id)
        current = _locked(claim)
        if current.frequency_code != ClaimFrequency.VOID:
            _sync_charge_ledger(actor=actor, claim=current, charge=charge)


def charge_ledger_void(*, actor: Any, charge: Charge) -> None:
    """Take a voided charge out of the ledger: what payers still owe on its claims (claims that never reached the
    payer, closed with the charge) goes as negative CHARGE entries. For charges.charge_void, inside its
    transaction, after it closed the claims; a charge whose claim the payer has leaves the ledger when the payer's
    835 confirms the void claim (remittance posting)."""
    rows = list(AccountBalance.objects.select_for_update()
                .filter(claim__charge_id=charge.pk, party=Party.PAYER).exclude(balance=0).order_by("key"))
    ledger_post(actor=actor, posted_on=_today(), entries=[
        NewEntry(kind=EntryKind.CHARGE, amount=-row.balance, party=Party.PAYER, patient_id=row.patient_id,
                 location_id=row.location_id, payer_id=row.payer_id, claim_id=row.claim_id, charge_id=charge.pk,
                 service_date=row.service_date, memo=_("charge voided"))
        for row in rows])


def _move_patient_share(*, actor: Any, primary: Claim, secondary: Claim) -> None:
    """What the patient was left to pay on the primary claim goes to the secondary payer (see the module note)."""
    rows = list(AccountBalance.objects.select_for_update()
                .filter(claim_id=primary.pk, party=Party.PATIENT, balance__gt=0).order_by("key"))
    memo = _("to secondary claim %(claim)s") % {"claim": secondary.claim_number}
    entries: list[NewEntry] = []
    for row in rows:
        entries += [
            NewEntry(kind=EntryKind.TRANSFER, amount=-row.balance, party=Party.PATIENT, patient_id=row.patient_id,
                     location_id=row.location_id, claim_id=primary.pk, charge_id=primary.charge_id,
                     service_date=row.service_date, group_code="PR", memo=memo),
            NewEntry(kind=EntryKind.TRANSFER, amount=row.balance, party=Party.PAYER, patient_id=secondary.patient_id,
                     location_id=secondary.location_id, payer_id=secondary.payer_id, claim_id=secondary.pk,
                     charge_id=secondary.charge_id, service_date=secondary.date_of_service, group_code="PR",
                     memo=memo),
        ]
    ledger_post(actor=actor, entries=entries, posted_on=_today())


# --- building ------------------------------------------------------------------------------------------------


def claim_build(*, actor: Any, charge: Charge) -> Claim:
    """Build the primary claim of a charge: for the patient's primary coverage in force on the date of service.
    The charge becomes billed. One open claim per charge and payer."""
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.claim_build", target=charge)
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _check_charge_billable(current)
        coverage = coverage_for_claim(patient=current.patient, on_date=current.date_of_service, rank=1)
        if coverage is None:
            raise ValidationError(_(
                "The patient has no primary insurance in force on %(date)s: add or correct the coverage on the "
                "patient's record, or bill the patient directly.")
                % {"date": current.date_of_service.strftime("%m/%d/%Y")}, code="no_coverage")
        existing = open_claim_for(charge_id=current.pk, rank=1)
        if existing is not None:
            raise ValidationError(_(
                "Claim %(number)s is already open for this charge and payer: rebuild that claim instead.")
                % {"number": existing.claim_number}, code="claim_exists", params={"claim_id": existing.pk})
        claim = _create_claim(actor=actor, charge=current, coverage=coverage, rank=1,
                              reason=_("built from charge %(charge)s") % {"charge": current.pk})
        if current.status == ChargeStatus.OPEN:
            current.status = ChargeStatus.BILLED
            current.save(update_fields=["status", "updated_at"])
        _sync_charge_ledger(actor=actor, claim=claim, charge=current)
        _audit(actor=actor, action="billing.claim_built", claim=claim, changed=["claim", *SNAPSHOT_FIELDS],
               reason=f"charge {current.pk}, payer {coverage.payer_id}, rank 1")
    return claim


def claim_rebuild(*, actor: Any, claim: Claim) -> Claim:
    """Copy the charge onto the claim again (after the charge was fixed). Only while the claim is editable and
    not waiting in an unsent batch (a claim rejected after its batch was sent is rebuilt like any other); the
    claim goes back to draft and its old scrubber findings are dropped (scrub it again)."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_rebuild", target=claim)
    with transaction.atomic():
        charge = lock_charge(claim.charge_id)
        current = _locked(claim)
        _require_editable(current)
        if current.frequency_code == ClaimFrequency.VOID:
            raise ValidationError(_("A void claim repeats the claim it cancels: there is nothing to rebuild."),
                                  code="void_claim")
        _check_charge_billable(charge)
        _require_nothing_posted_on_lines(current)
        before = {name: getattr(current, _attname(name)) for name in SNAPSHOT_FIELDS}
        lines = _snapshot(current, charge)
        changed = [name for name in SNAPSHOT_FIELDS
                   if before[name] != getattr(current, _attname(name))]
        current.full_clean(exclude=["claim_number"])
        current.lines.all().delete()
        _save_lines(current, lines)
        current.issues.all().delete()
        current.save(update_fields=[*SNAPSHOT_FIELDS, "updated_at"])
        claim_transition(actor=actor, claim=current, to_status=ClaimStatus.DRAFT,
                         reason=_("rebuilt from the charge"), audit_it=False)
        _sync_charge_ledger(actor=actor, claim=current, charge=charge)
        _audit(actor=actor, action="billing.claim_rebuilt", claim=current, changed=[*changed, "lines"])
    claim.status = current.status
    return current


def _require_nothing_posted_on_lines(claim: Claim) -> None:
    """Lines that a remittance paid are kept as they are (the payment names them): such a claim is corrected
    with a corrected claim, not rebuilt."""
    if (LedgerEntry.objects.filter(claim_id=claim.pk, claim_line__isnull=False).exists()
            or RemittanceLine.objects.filter(claim_line__claim_id=claim.pk).exists()):
        raise ValidationError(_(
            "A remittance was posted on this claim's lines: it can no longer be rebuilt. Send a corrected claim "
            "instead."), code="lines_posted")


def _require_editable(claim: Claim) -> None:
    if claim.in_open_batch:
        raise ValidationError(_(
            "This claim is in batch %(batch)s, waiting to be sent: it can change only after the batch is "
            "discarded.") % {"batch": claim.batch_id}, code="in_batch")
    if claim.status not in EDITABLE_CLAIM_STATUSES:
        raise ValidationError(_(
            "This claim is %(status)s and can no longer change. Submitted claims are corrected with a corrected "
            "claim.") % {"status": _status_label(claim.status)}, code="not_editable")


def _clean_adjustments(adjustments: Iterable[Adjustment]) -> list[ClaimAdjustment]:
    rows: list[ClaimAdjustment] = []
    problems: list[str] = []
    for number, item in enumerate(adjustments, start=1):
        try:
            group, reason, amount = item
        except (TypeError, ValueError):
            problems.append(_("Adjustment %(n)s: give a group code, a reason code and an amount.") % {"n": number})
            continue
        group = str(group or "").strip().upper()
        reason = str(reason or "").strip().upper()
        if group not in GROUP_CODES:
            problems.append(_("Adjustment %(n)s: the group code is one of %(codes)s, not “%(group)s”.")
                            % {"n": number, "codes": ", ".join(GROUP_CODES), "group": group})
        if not CARC_RE.match(reason):
            problems.append(_("Adjustment %(n)s: “%(reason)s” is not a claim adjustment reason code (CARC), "
                              "e.g. 45 or A1.") % {"n": number, "reason": reason})
        value = _money(amount, allow_negative=True)
        if value is None:
            problems.append(_("Adjustment %(n)s: the amount is not a sum of money.") % {"n": number})
        elif value == 0:
            problems.append(_("Adjustment %(n)s: an adjustment of $0.00 says nothing; leave it out.") % {"n": number})
        else:
            rows.append(ClaimAdjustment(group_code=group, reason_code=reason, amount=value))
    if problems:
        raise ValidationError({"adjustments": problems})
    return rows


def _money(value: Any, *, allow_negative: bool = False) -> Decimal | None:
    """The amount, or None when there is none or it is not dollars and cents (the caller words the error)."""
    if value is None or value == "":
        return None
    try:
        return parse_money(value, allow_negative=allow_negative)
    except ValueError:
        return None


def _prior_payment(*, primary: Claim, paid: Any, paid_on: Any, adjustments: Iterable[Adjustment],
                   ) -> tuple[Decimal, dt.date, list[ClaimAdjustment]]:
    """Validate what the earlier payer did: paid + adjustments must equal the earlier claim's charge."""
    amount = _money(paid)
    if amount is None:
        raise ValidationError({"paid": _("Enter what the primary payer paid, in dollars and cents (0 if "
                                         "nothing).")})
    if not isinstance(paid_on, dt.date):
        raise ValidationError({"paid_on": _("Enter the date the primary payer adjudicated the claim.")})
    if paid_on > practice_now().date():
        raise ValidationError({"paid_on": _("The adjudication date cannot be in the future.")})
    if paid_on < primary.date_of_service:
        raise ValidationError({"paid_on": _("The adjudication date cannot be before the date of service.")})
    rows = _clean_adjustments(adjustments)
    adjusted = sum((row.amount for row in rows), Decimal(0))
    if amount + adjusted != primary.total_charge:
        raise ValidationError({"adjustments": _(
            "Paid $%(paid)s plus adjustments $%(adjusted)s make $%(sum)s, but claim %(claim)s charged "
            "$%(total)s: payment plus adjustments must equal the charge (add the missing adjustment, e.g. "
            "CO-45 for the contractual write-down or PR-1 for the deductible).") % {
                "paid": amount, "adjusted": adjusted, "sum": amount + adjusted, "claim": primary.claim_number,
                "total": primary.total_charge}}, code="unbalanced")
    return amount, paid_on, rows


def claim_build_secondary(*, actor: Any, claim: Claim, paid: Any = None, paid_on: dt.date | None = None,
                          adjustments: Iterable[Adjustment] = ()) -> Claim:
    """Build the secondary claim from a primary claim the payer paid (in full or in part). With the primary's
    payment given (paid, paid_on, adjustments), it is recorded on the secondary claim at once; it may also be
    a primary that denied or is otherwise adjudicated, as long as its payment is entered."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_build_secondary", target=claim)
    with transaction.atomic():
        charge = lock_charge(claim.charge_id)
        primary = _locked(claim)
        if primary.payer_rank != 1 or primary.frequency_code == ClaimFrequency.VOID:
            raise ValidationError(_("A secondary claim is built from the primary payer's claim."),
                                  code="not_primary")
        entered = paid not in (None, "")
        sent_before = primary.submitted_at is not None and (
            primary.status in SENT_CLAIM_STATUSES or primary.status == ClaimStatus.CLOSED)
        if primary.status not in SECONDARY_FROM and not (entered and sent_before):
            raise ValidationError(_(
                "The secondary claim follows the primary payer's decision: this claim is %(status)s. Once the "
                "primary has paid (or denied), build it and enter what the primary paid.")
                % {"status": _status_label(primary.status)}, code="primary_not_paid")
        _check_charge_billable(charge)
        coverage = coverage_for_claim(patient=charge.patient, on_date=charge.date_of_service, rank=2)
        if coverage is None:
            raise ValidationError(_(
                "The patient has no secondary insurance in force on %(date)s: add it on the patient's record, or "
                "bill the remaining balance to the patient.")
                % {"date": charge.date_of_service.strftime("%m/%d/%Y")}, code="no_coverage")
        existing = open_claim_for(charge_id=charge.pk, rank=2)
        if existing is not None:
            raise ValidationError(_("Secondary claim %(number)s is already open for this charge.")
                                  % {"number": existing.claim_number}, code="claim_exists",
                                  params={"claim_id": existing.pk})
        payment = _prior_payment(primary=primary, paid=paid, paid_on=paid_on, adjustments=adjustments) \
            if entered else None
        secondary = _create_claim(actor=actor, charge=charge, coverage=coverage, rank=2,
                                  reason=_("secondary to %(claim)s") % {"claim": primary.claim_number})
        _move_patient_share(actor=actor, primary=primary, secondary=secondary)
        changed = ["claim", *SNAPSHOT_FIELDS]
        if payment is not None:
            _store_payment(secondary, payment)
            changed += ["prior_payer_paid", "prior_payer_paid_on", "prior_adjustments"]
        _audit(actor=actor, action="billing.claim_built", claim=secondary, changed=changed,
               reason=f"charge {charge.pk}, payer {coverage.payer_id}, rank 2, after claim {primary.pk}")
    return secondary


def _store_payment(claim: Claim, payment: tuple[Decimal, dt.date, list[ClaimAdjustment]]) -> None:
    amount, paid_on, rows = payment
    claim.prior_payer_paid = amount
    claim.prior_payer_paid_on = paid_on
    claim.save(update_fields=["prior_payer_paid", "prior_payer_paid_on", "updated_at"])
    claim.prior_adjustments.all().delete()
    for row in rows:
        row.claim = claim
    ClaimAdjustment.objects.bulk_create(rows)


def claim_prior_payment_record(*, actor: Any, claim: Claim, paid: Any, paid_on: Any,
                               adjustments: Iterable[Adjustment] = ()) -> Claim:
    """Enter (or correct) by hand what the primary payer paid and adjusted, on the secondary claim, until
    remittance posting fills it in. Paid plus adjustments must equal the primary claim's charge."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_prior_payment", target=claim)
    with transaction.atomic():
        current = _locked(claim)
        if current.payer_rank < 2:
            raise ValidationError(_("The earlier payer's payment is recorded on the secondary claim, not on the "
                                    "primary."), code="not_secondary")
        _require_editable(current)
        primary = earlier_payer_claim(current)
        if primary is None:
            raise ValidationError(_("No primary claim was found for this charge: build and send it first."),
                                  code="no_primary")
        payment = _prior_payment(primary=primary, paid=paid, paid_on=paid_on, adjustments=adjustments)
        _store_payment(current, payment)
        _audit(actor=actor, action="billing.claim_prior_payment_recorded", claim=current,
               changed=["prior_payer_paid", "prior_payer_paid_on", "prior_adjustments"],
               reason=f"earlier claim {primary.pk}")
    return current


# --- claims with the payer -----------------------------------------------------------------------------------


def _require_sent_with_number(claim: Claim, verb: str) -> None:
    if claim.status not in SENT_CLAIM_STATUSES:
        raise ValidationError(_(
            "Only a claim the payer has can be %(verb)s; this one is %(status)s. Fix a claim that was not sent "
            "yet by correcting its charge and rebuilding it.") % {"verb": verb, "status": _status_label(claim.status)},
            code="not_sent")
    if claim.frequency_code == ClaimFrequency.VOID:
        raise ValidationError(_("This claim voids another one: it cannot itself be corrected or voided."),
                              code="void_claim")
    if not claim.payer_claim_number:
        raise ValidationError(_(
            "Enter the payer's claim number first (it is on the 277CA or the remittance): the payer needs it to "
            "find the claim this one replaces."), code="no_payer_claim_number")


def claim_correct(*, actor: Any, claim: Claim) -> Claim:
    """Replace a claim the payer has with a corrected claim (frequency 7): a new draft claim built from the
    charge (now open for fixing), pointing at the original, which is closed as replaced."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_correct", target=claim)
    with transaction.atomic():
        charge = lock_charge(claim.charge_id)
        original = _locked(claim)
        _require_sent_with_number(original, _("corrected"))
        _check_charge_billable(charge)
        corrected = _create_claim(actor=actor, charge=charge, coverage=original.coverage,
                                  rank=original.payer_rank, frequency=ClaimFrequency.CORRECTED, original=original,
                                  reason=_("corrects %(claim)s") % {"claim": original.claim_number})
        corrected.prior_payer_paid, corrected.prior_payer_paid_on = (original.prior_payer_paid,
                                                                     original.prior_payer_paid_on)
        if original.prior_payer_paid is not None:
            corrected.save(update_fields=["prior_payer_paid", "prior_payer_paid_on"])
            ClaimAdjustment.objects.bulk_create(
                ClaimAdjustment(claim=corrected, group_code=a.group_code, reason_code=a.reason_code, amount=a.amount)
                for a in original.prior_adjustments.all())
        claim_transition(actor=actor, claim=original, to_status=ClaimStatus.CLOSED,
                         reason=_("replaced by %(claim)s") % {"claim": corrected.claim_number})
        _sync_charge_ledger(actor=actor, claim=corrected, charge=charge)
        _audit(actor=actor, action="billing.claim_corrected", claim=corrected,
               changed=["claim", "frequency_code", "original_claim"], reason=f"replaces claim {original.pk}")
    claim.status = ClaimStatus.CLOSED
    return corrected


def claim_void(*, actor: Any, claim: Claim) -> Claim:
    """Cancel a claim the payer has with a void claim (frequency 8) repeating it; the original is closed."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_void", target=claim)
    with transaction.atomic():
        charge = lock_charge(claim.charge_id)
        original = _locked(claim)
        _require_sent_with_number(original, _("voided"))
        void = _create_claim(actor=actor, charge=charge, coverage=original.coverage, rank=original.payer_rank,
                             frequency=ClaimFrequency.VOID, original=original, copy_from=original,
                             reason=_("voids %(claim)s") % {"claim": original.claim_number})
        claim_transition(actor=actor, claim=original, to_status=ClaimStatus.CLOSED,
                         reason=_("voided by %(claim)s") % {"claim": void.claim_number})
        _audit(actor=actor, action="billing.claim_voided", claim=void,
               changed=["claim", "frequency_code", "original_claim"], reason=f"voids claim {original.pk}")
    claim.status = ClaimStatus.CLOSED
    return void


def claim_set_payer_claim_number(*, actor: Any, claim: Claim, payer_claim_number: str) -> Claim:
    """Record the payer's own number for the claim (from a 277CA, a remittance or a phone call)."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_payer_number", target=claim)
    number = (payer_claim_number or "").strip()
    if number and not PAYER_CLAIM_NUMBER_RE.match(number):
        raise ValidationError({"payer_claim_number": _(
            "The payer's claim number has up to 50 letters, digits and hyphens.")})
    with transaction.atomic():
        current = _locked(claim)
        if current.submitted_at is None and number:
            raise ValidationError({"payer_claim_number": _("The payer gives its number once the claim was sent.")})
        if current.payer_claim_number != number:
            current.payer_claim_number = number
            current.save(update_fields=["payer_claim_number", "updated_at"])
            _audit(actor=actor, action="billing.claim_payer_number_set", claim=current,
                   changed=["payer_claim_number"])
    return current


def claim_change_status(*, actor: Any, claim: Claim, to_status: str, reason: str = "") -> ClaimStatusChange | None:
    """A status move a biller makes by hand (paid, partial, denied, appealed, closed, back to draft …), checked
    against the lifecycle and recorded in the claim's history. Denied, closed and appealed need a reason."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.claim_status", target=claim)
    reason = (reason or "").strip()
    if to_status not in ClaimStatus.values:
        raise ValidationError({"to_status": _("Choose a status from the list.")})
    if to_status in (ClaimStatus.READY, ClaimStatus.HELD):
        raise ValidationError({"to_status": _("Ready and held are the scrubber's verdict: scrub the claim again.")})
    if to_status == ClaimStatus.SUBMITTED:
        raise ValidationError({"to_status": _("A claim becomes submitted when its batch is sent.")})
    if to_status in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Say why the claim is %(status)s (e.g. the payer's reason).")
                               % {"status": _status_label(to_status)}})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        current = _locked(claim)
        if current.in_open_batch:
            raise ValidationError(_("This claim is in batch %(batch)s waiting to be sent: discard the batch before "
                                    "changing the claim.") % {"batch": current.batch_id}, code="in_batch")
        if to_status not in CLAIM_TRANSITIONS.get(current.status, frozenset()):
            raise ValidationError({"to_status": _("A claim that is %(from)s cannot become %(to)s.") % {
                "from": _status_label(current.status), "to": _status_label(to_status)}})
        change = claim_transition(actor=actor, claim=current, to_status=to_status, source=StatusSource.USER,
                                  reason=reason)
    claim.status = current.status
    return change


def manual_statuses_from(status: str) -> list[str]:
    """The statuses a person may move a claim in `status` to, in lifecycle order (for the status form)."""
    allowed = CLAIM_TRANSITIONS.get(status, frozenset()) & MANUAL_STATUSES
    return [value for value in ClaimStatus.values if value in allowed]
