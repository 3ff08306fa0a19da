"""Reads of charges and of the checked-out visits still waiting for one, scoped by the charge's location.

A user sees the charges of the locations where they hold BILLING_VIEW (or the permission they ask for).
Selectors do not audit: the page or API that SHOWS a patient's billing record calls `patient_record_viewed()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_search_condition
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment

from ..choices import EDITABLE_CLAIM_STATUSES, SENT_CLAIM_STATUSES, ChargeStatus, ClaimFrequency, ClaimStatus
from ..models import Charge, Claim, in_open_batch_q

ZERO = Value(0, output_field=DecimalField(max_digits=12, decimal_places=2))


def charge_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Charge]:
    """Every charge at the actor's locations for `permission`, with what a row or a header shows joined in."""
    ids = location_ids_where(actor, permission)
    queryset = Charge.objects.select_related(
        "patient", "location", "rendering_provider", "billing_provider", "referring_provider", "appointment")
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=ids)


def charge_list(
    *,
    actor: Any,
    status: str = "",
    location_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    text: str = "",
    permission: str = Perm.BILLING_VIEW,
) -> QuerySet[Charge]:
    """Charges in scope, filtered, each with its line count and total (one query for a whole page)."""
    queryset = charge_scoped(actor=actor, permission=permission).annotate(
        line_count=Count("lines"), total=Coalesce(Sum("lines__amount"), ZERO))
    if status:
        queryset = queryset.filter(status=status)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if date_from is not None:
        queryset = queryset.filter(date_of_service__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(date_of_service__lte=date_to)
    text = text.strip()[:100]
    if text:
        queryset = queryset.filter(patient_text_q(text))
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return queryset.order_by("-date_of_service", "-pk")


def patient_text_q(text: str, *, prefix: str = "") -> Q:
    """Rows whose patient matches typed text (name, date of birth, phone, account number), for a queryset that
    is already scoped by ITS OWN location: a charge or claim at my location is found even when the patient is
    registered at another one (patient_search would scope by the patient's home location). Inactive and merged
    patients are included: their charges and claims stay. Text with nothing searchable matches nothing."""
    condition = patient_search_condition(text)
    if condition is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}patient_id__in": Patient.objects.filter(condition).values("pk")})


def charge_get(*, actor: Any, pk: int, permission: str = Perm.BILLING_VIEW) -> Charge:
    """One charge in scope with its diagnoses, lines and claims. Out of scope raises Charge.DoesNotExist."""
    return charge_detail_queryset(actor=actor, permission=permission).get(pk=pk)


def charge_detail_queryset(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Charge]:
    return charge_scoped(actor=actor, permission=permission).prefetch_related(
        "diagnoses", "lines",
        Prefetch("claims", queryset=Claim.objects.select_related("payer", "batch").order_by("pk")),
    )


def blocking_claims(charge: Charge) -> QuerySet[Claim]:
    """The claims that freeze a charge: with the payer, waiting in an unsent batch, or sent and then closed
    without being replaced by a corrected or void claim. A claim keeps its link to a batch once the batch was
    submitted: only an OPEN batch freezes it. A charge whose claims are all still editable (rejected included)
    or replaced may change."""
    return Claim.objects.filter(charge=charge).filter(
        Q(status__in=SENT_CLAIM_STATUSES) | in_open_batch_q()
        | Q(status=ClaimStatus.CLOSED, submitted_at__isnull=False, replacements__isnull=True)
    ).distinct()


def charge_is_editable(charge: Charge) -> bool:
    """True while the charge may change: open, or billed with none of its claims sent (see blocking_claims)."""
    if charge.status == ChargeStatus.VOID:
        return False
    if charge.status == ChargeStatus.OPEN:
        return True
    return not blocking_claims(charge).exists()


def claims_editable(claims: list[Claim]) -> list[Claim]:
    """The claims (loaded with their batch) that are still editable: a rebuild would refresh them from the
    charge. A void claim repeats the claim it cancels, not the charge: it is never rebuilt."""
    return [c for c in claims if c.status in EDITABLE_CLAIM_STATUSES and not c.in_open_batch
            and c.frequency_code != ClaimFrequency.VOID]


def charge_claims(charge: Charge) -> list[Claim]:
    """The charge's claims as they are now (after a change: not a page's prefetched copy), with their batch."""
    return list(Claim.objects.filter(charge=charge).select_related("batch").order_by("pk"))


def appointments_to_charge(*, actor: Any, location_id: int | None = None,
                           permission: str = Perm.BILLING_VIEW) -> QuerySet[Appointment]:
    """Checked-out visits at the actor's locations that have no charge yet ("to be coded"), newest first."""
    ids = location_ids_where(actor, permission)
    queryset = Appointment.objects.filter(status=AppointmentStatus.COMPLETED, charge__isnull=True).select_related(
        "patient", "provider", "location", "appointment_type")
    if ids is not None:
        queryset = queryset.filter(location_id__in=ids)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset.order_by("-starts_at", "-pk")
