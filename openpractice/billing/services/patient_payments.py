"""A patient's money: payments at the desk or through the API, refunds, write-offs and payment plans.

- A payment is applied to the patient's open balances claim by claim, oldest date of service first; what is left
  stays on the account as a credit (a PATIENT_PAYMENT entry without a claim). It is recorded once per
  (person who took it, idempotency key): a form sent twice, or an API call retried, returns the first payment.
- A refund gives back the patient's credit (what they paid beyond what they owe, over all their claims), never
  more; when it names the payment it returns, also never more than that payment minus what was refunded of it.
- A write-off at or below the practice's threshold (BillingSettings) posts at once; above it waits for a senior
  practice manager (billing.approve_write_offs) other than the person who asked.
- A payment plan: one active plan per patient; whether the patient keeps up is computed on the account page
  (selectors/patient_accounts.py), not stored.

Money moves only through ledger.ledger_post. Permission is checked, and a refusal audited, before any
transaction opens; each change writes its audit event in its own transaction. The balances a service reads to
decide how much may move are locked (in key order, as ledger_post locks them) so that two people at two desks
cannot both spend the same balance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.events import emit
from openpractice.patients.models import Patient

from ..choices import EntryKind, Party, PaymentMethod, WriteOffStatus
from ..models import AccountBalance, BillingSettings, Claim, PatientPayment, PaymentPlan, Refund, WriteOff
from ..money import parse_money
from .authorization import authorize_at
from .charges import practice_today
from .ledger import NewEntry, ledger_post

# A patient payment above this is a typing mistake (an extra zero), not a payment taken at a desk.
MAX_PATIENT_PAYMENT = Decimal("100000.00")
MAX_KEY_LENGTH = 80  # PatientPayment.idempotency_key
ZERO = Decimal("0.00")


class IdempotencyKeyReused(ValidationError):
    """The idempotency key was used before, by the same person, for a different payment: nothing is posted."""

    def __init__(self, payment: PatientPayment) -> None:
        self.payment = payment
        super().__init__(
            _("This payment key was already used for another payment ($%(amount)s by %(method)s on %(date)s). "
              "Nothing was posted: start a new payment.")
            % {"amount": payment.amount, "method": payment.get_method_display().lower(),
               "date": payment.received_on.strftime("%m/%d/%Y")},
            code="idempotency_key_reused")


@dataclass(frozen=True)
class PaymentOutcome:
    payment: PatientPayment
    created: bool  # False: the key had been used for this very payment before; nothing was posted again


# --- checks shared by the services ----------------------------------------------------------------------------


def _amount(value: Any, *, field: str = "amount", cap: Decimal | None = MAX_PATIENT_PAYMENT) -> Decimal:
    try:
        amount = parse_money(value, allow_zero=False)
    except ValueError as error:
        raise ValidationError({field: str(error)}) from error
    if cap is not None and amount > cap:
        raise ValidationError({field: _("$%(amount)s is more than the $%(cap)s a single entry may be here: check "
                                        "the amount (an extra zero?).") % {"amount": f"{amount:,}",
                                                                           "cap": f"{cap:,}"}})
    return amount


def _method(value: Any) -> str:
    if value not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose how the money was paid: cash, card, check or bank transfer.")})
    return str(value)


def _day(value: Any, *, field: str, what: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Give the date %(what)s.") % {"what": what}})
    if value > practice_today():
        raise ValidationError({field: _("The date %(what)s cannot be in the future.") % {"what": what}})
    return value


def _text(value: Any, *, field: str, limit: int, required: str = "") -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError({field: _("Keep it under %(limit)s characters.") % {"limit": limit + 1}})
    return text


def _usable_patient(patient: Patient) -> None:
    if patient.merged_into_id is not None:
        raise ValidationError(_("This patient record was merged into another one: use that record."),
                              code="patient_merged")


def _authorize_any(*, actor: Any, location_id: int, permissions: Sequence[str], action: str, target: Any) -> None:
    if not any(can(actor, permission, location_id) for permission in permissions):
        raise refuse(actor=actor, permission=" or ".join(permissions), action=action, target=target)


def _audit(*, actor: Any, action: str, target: Any, patient_id: int, location_id: int, reason: str = "",
           changed: Iterable[str] = ()) -> None:
    record(actor=actor, action=action, target=target, patient_id=patient_id, location_id=location_id,
           reason=reason, changed_fields=list(changed))


def _locked_rows(patient_id: int, party: str) -> list[AccountBalance]:
    """The patient's balances owed by `party`, locked in key order (the order ledger_post locks in), each with
    its claim's date of service at hand."""
    return list(AccountBalance.objects.select_for_update(of=("self",)).filter(patient_id=patient_id, party=party)
                .select_related("claim").only("pk", "key", "balance", "claim_id", "payer_id", "location_id",
                                              "service_date", "claim__date_of_service")
                .order_by("key"))


def _oldest_first(rows: Iterable[AccountBalance]) -> list[AccountBalance]:
    """Claims by date of service (then claim), the claim-less row (credit) last."""
    return sorted(rows, key=lambda row: (row.claim_id is None,
                                         row.claim.date_of_service if row.claim is not None else dt.date.max,
                                         row.claim_id or 0, row.payer_id or 0))


def _spread(rows: Sequence[AccountBalance], amount: Decimal) -> list[tuple[AccountBalance, Decimal]]:
    """Take `amount` from the positive balances of `rows`, in their order: [(row, part), ...]."""
    parts: list[tuple[AccountBalance, Decimal]] = []
    left = amount
    for row in rows:
        if left <= 0:
            break
        if row.balance > 0:
            part = min(left, row.balance)
            parts.append((row, part))
            left -= part
    return parts


# --- payments -------------------------------------------------------------------------------------------------


def _same_payment(existing: PatientPayment, wanted: dict[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in wanted.items())


def _replay(existing: PatientPayment, wanted: dict[str, Any]) -> PaymentOutcome:
    if not _same_payment(existing, wanted):
        raise IdempotencyKeyReused(existing)
    return PaymentOutcome(existing, created=False)


def _earlier(actor: Any, key: str) -> PatientPayment | None:
    return PatientPayment.objects.filter(received_by=actor, idempotency_key=key).first()


def patient_payment_record_outcome(*, actor: Any, patient: Patient, amount: Any, method: str, received_on: dt.date,
                                   reference: str = "", note: str = "", idempotency_key: str = "") -> PaymentOutcome:
    """patient_payment_record, saying also whether this call recorded the payment or found it recorded (the
    same key and the same payment: a double click, a retried API call)."""
    authorize_at(actor=actor, location_id=patient.home_location_id, action="billing.patient_payment_record",
                 target=patient, permission=Perm.BILLING_COLLECT)
    _usable_patient(patient)
    method = _method(method)
    wanted: dict[str, Any] = {
        "patient_id": patient.pk, "amount": _amount(amount), "method": method,
        "received_on": _day(received_on, field="received_on", what=_("the money was received")),
        "reference": _text(reference, field="reference", limit=60,
                           required=_("Give the check number.") if method == PaymentMethod.CHECK else ""),
        "note": _text(note, field="note", limit=300),
    }
    key = _text(idempotency_key, field="idempotency_key", limit=MAX_KEY_LENGTH)
    if key:
        existing = _earlier(actor, key)
        if existing is not None:
            return _replay(existing, wanted)
    with transaction.atomic():
        payment = PatientPayment(location_id=patient.home_location_id, received_by=actor, idempotency_key=key,
                                 **wanted)
        # The idempotency constraint is left to the insert below: a payment committed by a racing request after
        # the check above must come back as that payment, not as a form error.
        payment.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
        except IntegrityError:
            existing = _earlier(actor, key) if key else None
            if existing is None:
                raise
            return _replay(existing, wanted)
        applied = _apply(actor=actor, payment=payment)
        _audit(actor=actor, action="billing.patient_payment_recorded", target=payment, patient_id=patient.pk,
               location_id=payment.location_id,
               reason=f"{method}; applied to {applied} claim(s)")
        emit("payment.posted", location_id=payment.location_id, data={
            "payment_id": payment.pk, "kind": "patient", "patient_id": patient.pk,
            "location_id": payment.location_id, "amount": str(payment.amount), "method": method,
            "received_on": payment.received_on.isoformat(), "claims_paid": applied})
    return PaymentOutcome(payment, created=True)


def patient_payment_record(*, actor: Any, patient: Patient, amount: Any, method: str, received_on: dt.date,
                           reference: str = "", note: str = "", idempotency_key: str = "") -> PatientPayment:
    """Record money from the patient (billing.collect_payments at the patient's home location) and apply it to
    their open balances, oldest date of service first; the rest stays as a credit. With an idempotency key, the
    same key from the same person returns the payment already recorded (nothing is posted again); the same key
    for a different payment raises IdempotencyKeyReused."""
    return patient_payment_record_outcome(
        actor=actor, patient=patient, amount=amount, method=method, received_on=received_on, reference=reference,
        note=note, idempotency_key=idempotency_key).payment


def _apply(*, actor: Any, payment: PatientPayment) -> int:
    """Post the payment: one PATIENT_PAYMENT entry per claim it pays (oldest first), the rest as a claim-less
    credit. Returns how many claims it paid."""
    rows = _oldest_first(row for row in _locked_rows(payment.patient_id, Party.PATIENT) if row.claim_id is not None)
    memo = _("%(method)s payment %(reference)s") % {"method": payment.get_method_display(),
                                                     "reference": payment.reference}
    parts = _spread(rows, payment.amount)
    entries = [NewEntry(kind=EntryKind.PATIENT_PAYMENT, amount=-part, party=Party.PATIENT,
                        patient_id=payment.patient_id, location_id=row.location_id, claim_id=row.claim_id,
                        service_date=row.claim.date_of_service if row.claim is not None else None,
                        payment_id=payment.pk, memo=memo.strip())
               for row, part in parts]
    left = payment.amount - sum((part for _row, part in parts), ZERO)
    if left > 0:
        entries.append(NewEntry(kind=EntryKind.PATIENT_PAYMENT, amount=-left, party=Party.PATIENT,
                                patient_id=payment.patient_id, location_id=payment.location_id,
                                payment_id=payment.pk, memo=_("credit on account")))
    ledger_post(actor=actor, entries=entries, posted_on=payment.received_on)
    return len(parts)


# --- refunds --------------------------------------------------------------------------------------------------


def refunded_of(payment: PatientPayment) -> Decimal:
    total = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"] or ZERO
    return Decimal(total).quantize(ZERO)  # SQLite hands sums back without their cents


def refund_issue(*, actor: Any, patient: Patient, amount: Any, method: str, reason: str,
                 payment: PatientPayment | None = None, refunded_on: dt.date | None = None) -> Refund:
    """Give money back to the patient (billing.post_payments at the patient's home location).

    At most the patient's credit: what they paid beyond everything they owe (their patient balance over all
    claims and the account, when it is below zero). Money a patient still owes on one claim is not refunded
    because another claim was overpaid. Naming the payment being returned also caps the refund at that payment
    less what was already refunded of it. REFUND entries (+) take the credit away where it sits: the account's
    claim-less credit first, then overpaid claims, oldest first."""
    authorize_at(actor=actor, location_id=patient.home_location_id, action="billing.refund_issue", target=patient,
                 permission=Perm.BILLING_POST)
    if payment is not None and payment.patient_id != patient.pk:
        raise ValidationError({"payment": _("This payment is not this patient's.")})
    amount = _amount(amount)
    method = _method(method)
    reason = _text(reason, field="reason", limit=300, required=_("Say why the money goes back."))
    refunded_on = _day(refunded_on or practice_today(), field="refunded_on", what=_("of the refund"))
    with transaction.atomic():
        if payment is not None:
            payment = PatientPayment.objects.select_for_update().get(pk=payment.pk)
        rows = _locked_rows(patient.pk, Party.PATIENT)
        owed = sum((row.balance for row in rows), ZERO)
        credit = max(ZERO, -owed)
        if credit == 0:
            raise ValidationError({"amount": _("The patient has no credit to refund (they owe $%(owed)s).")
                                   % {"owed": owed} if owed > 0 else _("The patient has no credit to refund.")})
        if amount > credit:
            raise ValidationError({"amount": _("The patient's credit is $%(credit)s: refund at most that.")
                                   % {"credit": credit}})
        if payment is not None:
            left = payment.amount - refunded_of(payment)
            if amount > left:
                raise ValidationError({"amount": _("This payment was $%(paid)s and $%(refunded)s of it was already "
                                                   "refunded: at most $%(left)s can go back.")
                                       % {"paid": payment.amount, "refunded": payment.amount - left,
                                          "left": max(ZERO, left)}})
        refund = Refund(patient=patient, payment=payment, location_id=patient.home_location_id, amount=amount,
                        method=method, reason=reason, refunded_on=refunded_on, created_by=actor)
        refund.full_clean()
        refund.save(force_insert=True)
        # Credit sits on rows below zero: the account's own row first, then overpaid claims, oldest first.
        credits = sorted((row for row in rows if row.balance < 0),
                         key=lambda row: (row.claim_id is not None,
                                          row.claim.date_of_service if row.claim is not None else dt.date.min,
                                          row.claim_id or 0))
        entries: list[NewEntry] = []
        left_to_post = amount
        for row in credits:
            if left_to_post <= 0:
                break
            part = min(left_to_post, -row.balance)
            entries.append(NewEntry(kind=EntryKind.REFUND, amount=part, party=Party.PATIENT, patient_id=patient.pk,
                                    location_id=row.location_id, claim_id=row.claim_id,
                                    service_date=row.claim.date_of_service if row.claim is not None else None,
                                    memo=_("refund %(id)s") % {"id": refund.pk}))
            left_to_post -= part
        ledger_post(actor=actor, entries=entries, posted_on=refunded_on)
        _audit(actor=actor, action="billing.refund_issued", target=refund, patient_id=patient.pk,
               location_id=refund.location_id, reason=method)
    return refund


# --- write-offs -----------------------------------------------------------------------------------------------


def write_off_threshold() -> Decimal:
    """Write-offs above this wait for approval (the practice's billing settings, else the model's default)."""
    value = BillingSettings.objects.filter(singleton=True).values_list("write_off_approval_threshold",
                                                                       flat=True).first()
    if value is None:
        return Decimal(BillingSettings._meta.get_field("write_off_approval_threshold").default)
    return Decimal(value)


def _write_off_rows(*, patient_id: int, claim_id: int | None, party: str) -> tuple[Decimal, list[AccountBalance]]:
    """(what is open, the rows to take it from in order) for a write-off of `party`'s balance on the claim (or,
    without a claim, the patient's whole balance), locked."""
    rows = _locked_rows(patient_id, party)
    if claim_id is not None:
        rows = [row for row in rows if row.claim_id == claim_id]
    return sum((row.balance for row in rows), ZERO), _oldest_first(rows)


def _post_write_off(*, actor: Any, write_off: WriteOff, rows: Sequence[AccountBalance], posted_on: dt.date) -> None:
    memo = _("write-off %(id)s") % {"id": write_off.pk}
    ledger_post(actor=actor, posted_on=posted_on, entries=[
        NewEntry(kind=EntryKind.WRITE_OFF, amount=-part, party=write_off.party, patient_id=write_off.patient_id,
                 location_id=row.location_id, payer_id=row.payer_id, claim_id=row.claim_id,
                 service_date=row.claim.date_of_service if row.claim is not None else None, memo=memo)
        for row, part in _spread(rows, write_off.amount)])


def _open_message(party: str, open_amount: Decimal) -> str:
    if open_amount <= 0:
        return _("Nothing is owed here by the %(party)s: there is nothing to write off.") % {
            "party": Party(party).label.lower()}
    return _("Only $%(open)s is open: write off at most that.") % {"open": open_amount}


def write_off_request(*, actor: Any, patient: Patient, claim: Claim | None, party: str, amount: Any,
                      reason: str) -> WriteOff:
    """Write off what the patient (or the claim's payer) owes, up to the open balance (billing.manage at the
    claim's location, or the patient's home location for the patient's whole balance). At or below the
    practice's threshold it posts at once; above, it waits for approval (write_off_decide)."""
    location_id = claim.location_id if claim is not None else patient.home_location_id
    authorize_at(actor=actor, location_id=location_id, action="billing.write_off_request",
                 target=claim if claim is not None else patient, permission=Perm.BILLING_MANAGE)
    if party not in Party.values:
        raise ValidationError({"party": _("Choose whose balance to write off: the patient's or the payer's.")})
    if claim is not None and claim.patient_id != patient.pk:
        raise ValidationError({"claim": _("This claim is not this patient's.")})
    if claim is None and party == Party.PAYER:
        raise ValidationError({"claim": _("Choose the claim whose payer balance to write off.")})
    amount = _amount(amount, cap=None)
    reason = _text(reason, field="reason", limit=300, required=_("Say why the balance is written off."))
    threshold = write_off_threshold()
    today = practice_today()
    with transaction.atomic():
        open_amount, rows = _write_off_rows(patient_id=patient.pk, claim_id=claim.pk if claim else None, party=party)
        if amount > open_amount:
            raise ValidationError({"amount": _open_message(party, open_amount)})
        at_once = amount <= threshold
        write_off = WriteOff(patient=patient, claim=claim, party=party, location_id=location_id, amount=amount,
                             reason=reason, status=WriteOffStatus.APPROVED if at_once else WriteOffStatus.PENDING,
                             requested_by=actor, decided_at=timezone.now() if at_once else None)
        write_off.full_clean()
        write_off.save(force_insert=True)
        if at_once:
            _post_write_off(actor=actor, write_off=write_off, rows=rows, posted_on=today)
        _audit(actor=actor, action="billing.write_off_posted" if at_once else "billing.write_off_requested",
               target=write_off, patient_id=patient.pk, location_id=location_id, reason=party)
    return write_off


def write_off_decide(*, actor: Any, write_off: WriteOff, approve: bool, note: str = "") -> WriteOff:
    """Approve (post) or reject a write-off waiting for approval: billing.approve_write_offs at its location, and
    never the person who asked for it. A rejection says why (`note`), for the person who asked."""
    authorize_at(actor=actor, location_id=write_off.location_id, action="billing.write_off_decide",
                 target=write_off, permission=Perm.BILLING_WRITE_OFF)
    if write_off.requested_by_id == actor.pk:
        raise refuse(actor=actor, permission=Perm.BILLING_WRITE_OFF, action="billing.write_off_decide",
                     target=write_off, reason="own write-off request",
                     message=_("You asked for this write-off: another senior manager must decide it."))
    note = _text(note, field="decision_note", limit=300,
                 required="" if approve else _("Say why the write-off is rejected, for the person who asked."))
    with transaction.atomic():
        current = WriteOff.objects.select_for_update().get(pk=write_off.pk)
        if current.status != WriteOffStatus.PENDING:
            raise ValidationError(_("This write-off was already decided (%(status)s).")
                                  % {"status": current.get_status_display().lower()}, code="decided")
        if approve:
            open_amount, rows = _write_off_rows(patient_id=current.patient_id, claim_id=current.claim_id,
                                                party=current.party)
            if current.amount > open_amount:
                raise ValidationError(
                    _("The balance is now $%(open)s, less than this write-off of $%(amount)s (payments came in "
                      "since it was asked for): reject it and ask again for the right amount.")
                    % {"open": max(ZERO, open_amount), "amount": current.amount}, code="balance_changed")
            _post_write_off(actor=actor, write_off=current, rows=rows, posted_on=practice_today())
        current.status = WriteOffStatus.APPROVED if approve else WriteOffStatus.REJECTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.decision_note = note
        current.full_clean()
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _audit(actor=actor, action="billing.write_off_approved" if approve else "billing.write_off_rejected",
               target=current, patient_id=current.patient_id, location_id=current.location_id,
               changed=["status", "decided_by", "decided_at", *(["decision_note"] if note else [])])
    write_off.status, write_off.decided_by, write_off.decided_at = current.status, actor, current.decided_at
    write_off.decision_note = current.decision_note
    return write_off


# --- payment plans --------------------------------------------------------------------------------------------

PLAN_PERMISSIONS: tuple[str, ...] = (Perm.BILLING_COLLECT, Perm.BILLING_MANAGE)


def payment_plan_create(*, actor: Any, patient: Patient, total: Any, installment: Any, starts_on: dt.date,
                        day_of_month: int | None = None, note: str = "") -> PaymentPlan:
    """Agree a monthly plan with the patient (billing.collect_payments or billing.manage at the patient's home
    location): `installment` a month from `starts_on`, then on `day_of_month` (1-28), until `total` is paid.
    One active plan per patient."""
    _authorize_any(actor=actor, location_id=patient.home_location_id, permissions=PLAN_PERMISSIONS,
                   action="billing.payment_plan_create", target=patient)
    _usable_patient(patient)
    total = _amount(total, field="total")
    installment = _amount(installment, field="installment")
    if installment > total:
        raise ValidationError({"installment": _("The monthly installment cannot be more than the amount the plan "
                                                "covers ($%(total)s).") % {"total": total}})
    if not isinstance(starts_on, dt.date) or isinstance(starts_on, dt.datetime):
        raise ValidationError({"starts_on": _("Give the date of the first installment.")})
    day = starts_on.day if day_of_month is None else day_of_month
    if not isinstance(day, int) or not 1 <= day <= 28:
        raise ValidationError({"day_of_month": _("Installments fall on a day from 1 to 28 (every month has it).")})
    note = _text(note, field="note", limit=300)
    message = _("This patient already has an active payment plan: end it before agreeing a new one.")
    with transaction.atomic():
        if PaymentPlan.objects.filter(patient=patient, is_active=True).exists():
            raise ValidationError(message, code="plan_exists")
        plan = PaymentPlan(patient=patient, location_id=patient.home_location_id, total=total,
                           installment=installment, day_of_month=day, starts_on=starts_on, note=note,
                           created_by=actor)
        # The one-active-plan constraint is the database's (checked above with a clear message; a racing
        # request that got there first is caught at the insert).
        plan.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                plan.save(force_insert=True)
        except IntegrityError as error:
            raise ValidationError(message, code="plan_exists") from error
        _audit(actor=actor, action="billing.payment_plan_created", target=plan, patient_id=patient.pk,
               location_id=plan.location_id)
    return plan


def payment_plan_end(*, actor: Any, plan: PaymentPlan) -> PaymentPlan:
    """End an active plan (paid off, broken, replaced): billing.collect_payments or billing.manage at its location."""
    _authorize_any(actor=actor, location_id=plan.location_id, permissions=PLAN_PERMISSIONS,
                   action="billing.payment_plan_end", target=plan)
    with transaction.atomic():
        current = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if not current.is_active:
            raise ValidationError(_("This payment plan has already ended."), code="plan_ended")
        current.is_active = False
        current.save(update_fields=["is_active"])
        _audit(actor=actor, action="billing.payment_plan_ended", target=current, patient_id=current.patient_id,
               location_id=current.location_id, changed=["is_active"])
    plan.is_active = False
    return plan
