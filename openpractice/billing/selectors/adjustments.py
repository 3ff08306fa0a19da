"""Reads of a patient's money records across patients: write-offs, refunds and payment plans, for lists such as
the REST collections (the patient's account page reads them one patient at a time in patient_accounts).

Scope is the same as the account page and the payments list: billing.view or billing.collect_payments (or, with
`permission`, that one) at the record's location. A write-off's location is its claim's (or the patient's home
location for a whole-balance write-off); a refund's and a plan's, the patient's home location when it was made.
Selectors do not audit: the caller records the patients it shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from ..models import PatientPayment, PaymentPlan, Refund, WriteOff
from .patient_accounts import (
    PaymentRow,
    PlanStatus,
    account_location_ids,
    cents,
    entry_sum,
    in_scope,
    plan_status,
    refund_sum,
)


def write_off_readable(*, actor: Any, permission: str | None = None) -> QuerySet[WriteOff]:
    """Write-offs at the locations where the actor may open patient accounts (or holds `permission`)."""
    queryset = WriteOff.objects.select_related("patient", "patient__home_location", "claim", "location",
                                               "requested_by", "decided_by")
    return in_scope(queryset, account_location_ids(actor, permission), "location_id")


def refund_readable(*, actor: Any, permission: str | None = None) -> QuerySet[Refund]:
    """Refunds given at the locations where the actor may open patient accounts (or holds `permission`)."""
    queryset = Refund.objects.select_related("patient", "patient__home_location", "location", "created_by")
    return in_scope(queryset, account_location_ids(actor, permission), "location_id")


def payment_plan_readable(*, actor: Any, permission: str | None = None) -> QuerySet[PaymentPlan]:
    """Payment plans at the locations where the actor may open patient accounts (or holds `permission`)."""
    queryset = PaymentPlan.objects.select_related("patient", "patient__home_location", "location", "created_by")
    return in_scope(queryset, account_location_ids(actor, permission), "location_id")


def patient_payment_of(*, patient_id: int, payment_id: int) -> PatientPayment | None:
    """One of the patient's own payments (a refund may name it), or None. The caller has the patient in scope."""
    return PatientPayment.objects.filter(patient_id=patient_id, pk=payment_id).first()


def plan_statuses(plans: Iterable[PaymentPlan], *, today: dt.date) -> dict[int, PlanStatus]:
    """How each patient keeps up with their plan (as the account page computes it), by plan id: one query for
    the payments of every patient of `plans`, whatever their number."""
    plans = list(plans)
    if not plans:
        return {}
    by_patient: dict[int, list[PaymentRow]] = defaultdict(list)
    payments = (PatientPayment.objects.filter(patient_id__in=sorted({plan.patient_id for plan in plans}))
                .annotate(applied_total=entry_sum(claimed=True), credit_total=entry_sum(claimed=False),
                          refunded_total=refund_sum())
                .order_by("-received_on", "-pk"))
    for payment in payments:
        by_patient[payment.patient_id].append(PaymentRow(
            payment, applied=cents(payment.applied_total), credit=cents(payment.credit_total),  # type: ignore[attr-defined]
            refunded=cents(payment.refunded_total)))  # type: ignore[attr-defined]
    return {plan.pk: plan_status(plan, payments=by_patient[plan.patient_id], today=today) for plan in plans}
