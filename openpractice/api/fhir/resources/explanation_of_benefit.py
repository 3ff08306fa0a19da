"""ExplanationOfBenefit: the payer's adjudication of one of our claims, from an 835 remittance.

One EOB per claim payment (CLP) matched to a claim of ours (the id is that claim payment's id); claim payments
that name no claim of ours (the exceptions queue) have no patient record and are not served. Scope is the
remittance pages': the claim's location, for billing.view. Every patient on a page is an audited read.

Adjudication per line and for the claim: submitted (charged), eligible (allowed, when the payer says), benefit
(paid) and one entry per CAS adjustment, whose category carries the X12 group code (and FHIR's copay or
deductible where PR-3 / PR-1 mean that) and whose reason is the CARC. Remark codes (RARC) are process notes.
outcome: complete when the payer processed the claim, partial when it forwarded it to another payer for the rest
(CLP02 19-21), error when it denied it or says it is not its claim (4, 23). A claim payment that a later reversal
took back is cancelled; the reversal itself (CLP02 22, negative amounts) is active.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.billing.choices import ClaimPaymentStatus, RemittanceClaimMatch
from openpractice.billing.models import RemittanceAdjustment, RemittanceClaim, RemittanceLine
from openpractice.billing.selectors.remittances import claim_payment_condition

from ..base import ModelResourceType, register
from ..mapping import coding, compact, concept, identifier, instant, money, our_system, reference
from ..phi import audit_patients
from ..search import date, parse_int_id, token
from ..search import reference as reference_param
from .claim import (
    PAYER_CLAIM_NUMBER_SYSTEM,
    PROFESSIONAL,
    insurer_reference,
    procedure_coding,
    serviced,
)

ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"
CARC_SYSTEM = "https://x12.org/codes/claim-adjustment-reason-codes"
GROUP_SYSTEM = "https://x12.org/codes/claim-adjustment-group-codes"
RARC_SYSTEM = "https://x12.org/codes/remittance-advice-remark-codes"
PAYMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
TRACE_NUMBER_SYSTEM = our_system("payment-trace-number")
OUR_ADJUDICATION_SYSTEM = our_system("adjudication")
GROUP_NAMES = {"CO": "Contractual obligation", "PR": "Patient responsibility", "OA": "Other adjustment",
               "PI": "Payer initiated reduction", "CR": "Correction and reversal"}
# Patient-responsibility reasons that FHIR's adjudication code system names.
FHIR_CATEGORY_OF = {("PR", "1"): ("deductible", "Deductible"), ("PR", "3"): ("copay", "CoPay")}

CP = ClaimPaymentStatus
OUTCOME_OF = {CP.DENIED: "error", CP.NOT_OUR_CLAIM: "error", CP.PRIMARY_FORWARDED: "partial",
              CP.SECONDARY_FORWARDED: "partial", CP.TERTIARY_FORWARDED: "partial"}


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _amount(category: str, display: str, value: Decimal | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"category": concept(ADJUDICATION_SYSTEM, category, display), "amount": money(value)}


def _adjustment(adjustment: RemittanceAdjustment) -> dict[str, Any]:
    group = adjustment.group_code.upper()
    codings = [coding(GROUP_SYSTEM, group, GROUP_NAMES.get(group, ""))]
    fhir = FHIR_CATEGORY_OF.get((group, adjustment.reason_code))
    if fhir:
        codings.append(coding(ADJUDICATION_SYSTEM, *fhir))
    return compact({
        "category": {"coding": codings},
        "reason": concept(CARC_SYSTEM, adjustment.reason_code),
        "amount": money(adjustment.amount),
        "value": float(adjustment.quantity) if adjustment.quantity is not None else None,
    })


class _Notes:
    """processNote entries (one per remark code), numbered in order of first use."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def of(self, codes: list[str]) -> list[int]:
        return [self.numbers.setdefault(str(code), len(self.numbers) + 1) for code in codes if str(code).strip()]

    def resources(self) -> list[dict[str, Any]]:
        return [{"number": number, "type": "display", "text": f"Remark code {code} ({RARC_SYSTEM})"}
                for code, number in self.numbers.items()]


@register
class ExplanationOfBenefitResource(ModelResourceType):
    name = "ExplanationOfBenefit"
    permissions = (Perm.BILLING_VIEW,)
    ordering = ("pk",)
    documentation = (
        "The payer's adjudication of one of our claims, one per 835 claim payment matched to it, at the "
        "locations where the caller holds billing.view. Adjustments carry their CARC "
        f"({CARC_SYSTEM}) and X12 group ({GROUP_SYSTEM}); payment.identifier is the check or EFT trace number. "
        "Every patient returned is recorded in the audit trail.")
    search_params = {
        "_id": token("_id", "The claim payment's id.", _id_codes),
        "patient": reference_param("patient", "claim__patient_id", "Patient", "The patient (Patient/<id>)."),
        "claim": reference_param("claim", "claim_id", "Claim", "The claim adjudicated (Claim/<id>)."),
        "created": date("created", "remittance__posted_at", "When the remittance was posted (eq, lt, le, gt, ge, "
                                                            "ne)."),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        condition = claim_payment_condition(actor=request.user, permission=Perm.BILLING_VIEW)
        if condition is None:
            return RemittanceClaim.objects.none()
        return (
            RemittanceClaim.objects.filter(condition, claim__isnull=False,
                                           match__in=[RemittanceClaimMatch.MATCHED, RemittanceClaimMatch.RESOLVED])
            .select_related("remittance", "claim", "claim__patient")
            .annotate(was_reversed=Exists(RemittanceClaim.objects.filter(reverses=OuterRef("pk"))))
            .prefetch_related(
                Prefetch("lines", queryset=RemittanceLine.objects.select_related("claim_line").prefetch_related(
                    Prefetch("adjustments", queryset=RemittanceAdjustment.objects.order_by("pk"))
                ).order_by("position")),
                Prefetch("adjustments", queryset=RemittanceAdjustment.objects.filter(line__isnull=True)
                         .order_by("pk"), to_attr="claim_adjustments"),
            )
        )

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        audit_patients(request.user, [(payment.claim.patient_id, payment.claim.patient.home_location_id)
                                      for payment in objects])

    def to_resource(self, payment: RemittanceClaim, request: HttpRequest) -> dict[str, Any]:
        claim = payment.claim
        assert claim is not None  # scoped() serves matched claim payments only
        remittance = payment.remittance
        notes = _Notes()
        items = []
        for line in payment.lines.all():
            adjudication = [_amount("submitted", "Submitted Amount", line.charge_amount),
                            _amount("eligible", "Eligible Amount", line.allowed_amount),
                            _amount("benefit", "Benefit Amount", line.paid_amount),
                            *(_adjustment(adjustment) for adjustment in line.adjustments.all())]
            sequence = line.claim_line.line_number if line.claim_line is not None else line.position
            items.append(compact({
                "sequence": sequence,
                "noteNumber": notes.of(list(line.remark_codes or [])),
                "productOrService": {"coding": [procedure_coding(line.procedure_code)]},
                "modifier": [{"coding": [procedure_coding(modifier, modifier=True)]}
                             for modifier in line.modifiers or []],
                **serviced(line.service_date or payment.service_date or claim.date_of_service, None),
                "quantity": {"value": float(line.units)} if line.units is not None else None,
                "net": money(line.charge_amount),
                "adjudication": [entry for entry in adjudication if entry],
            }))
        notes.of(list(payment.remark_codes or []))  # claim-level remarks (MOA/MIA) are notes of their own
        totals = [_amount("submitted", "Submitted Amount", payment.charge_amount),
                  _amount("benefit", "Benefit Amount", payment.paid_amount)]
        if payment.patient_responsibility is not None:
            totals.append({"category": concept(OUR_ADJUDICATION_SYSTEM, "patient-responsibility",
                                               "Patient responsibility (CLP05)"),
                           "amount": money(payment.patient_responsibility)})
        status = "cancelled" if getattr(payment, "was_reversed", False) else "active"
        payment_identifier = (identifier(TRACE_NUMBER_SYSTEM, remittance.trace_number)
                              if remittance.trace_number else None)
        return compact({
            "resourceType": "ExplanationOfBenefit",
            "id": str(payment.pk),
            "identifier": [identifier(PAYER_CLAIM_NUMBER_SYSTEM, payment.payer_claim_number)]
            if payment.payer_claim_number else [],
            "status": status,
            "type": PROFESSIONAL,
            "use": "claim",
            "patient": reference("Patient", claim.patient_id),
            "billablePeriod": {"start": claim.date_of_service.isoformat(), "end": claim.date_of_service.isoformat()},
            "created": instant(remittance.posted_at),
            "insurer": insurer_reference(remittance.payer_id or claim.payer_id),
            "provider": reference("Practitioner", claim.billing_provider_id or claim.rendering_provider_id),
            "claim": reference("Claim", claim.pk),
            "outcome": OUTCOME_OF.get(payment.status_code, "complete"),  # type: ignore[call-overload]
            "disposition": f"{payment.status_code}: {payment.get_status_code_display()}",
            "insurance": [{"focal": True, "coverage": reference("Coverage", claim.coverage_id)}],
            "item": items,
            "adjudication": [_adjustment(adjustment) for adjustment in getattr(payment, "claim_adjustments", [])],
            "total": totals,
            "payment": compact({
                "type": concept(PAYMENT_TYPE_SYSTEM, "complete", "Complete"),
                "date": remittance.payment_date.isoformat() if remittance.payment_date else None,
                "amount": money(payment.paid_amount),
                "identifier": payment_identifier,
            }),
            "processNote": notes.resources(),
        })
