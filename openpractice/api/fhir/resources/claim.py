"""Claim: read and search over our billing claims (what was billed to which payer), for billing.view.

The FHIR status (fm-status) is coarse; our detailed status (draft, ready, held, submitted, accepted, rejected,
paid, partial, denied, appealed, closed) travels in an extension with a coding of our claim-status system. Every
patient on a page is an audited read (patients.viewed, "fhir"), as on the REST API.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.billing.choices import ClaimFrequency, ClaimStatus
from openpractice.billing.models import Claim, ClaimLine
from openpractice.billing.selectors.claims import claim_scoped

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import SYSTEM_BASE, coding, compact, concept, identifier, instant, meta, money, our_system, reference
from ..phi import audit_patients
from ..search import SearchParam, date, parse_int_id, token
from ..search import reference as reference_param

CLAIM_NUMBER_SYSTEM = our_system("claim-number")
PAYER_CLAIM_NUMBER_SYSTEM = our_system("payer-claim-number")
PROFESSIONAL = concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional", "Professional")
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
FM_STATUS_SYSTEM = "http://hl7.org/fhir/fm-status"
CLAIM_STATUS_SYSTEM = our_system("claim-status")
CLAIM_STATUS_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/claim-status"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
POS_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"



# -- shared with ExplanationOfBenefit ------------------------------------------------------------------------------


def insurer_reference(payer_id: int) -> dict[str, Any]:
    """The payer as the Organization type serves it (ids "payer-<pk>"; the practice is "practice-<pk>")."""
    return reference("Organization", f"payer-{payer_id}")


def insurer_condition(name: str, field_name: str) -> Any:
    """A reference search over a payer: `Organization/payer-<id>` or `payer-<id>`."""

    def condition(value: str, modifier: str) -> Q:
        kind, slash, ident = value.rpartition("/")
        if slash and kind.rsplit("/", 1)[-1] != "Organization":
            raise FhirError(400, "invalid", f"{name} refers to an Organization.", expression=[name])
        ident = ident if slash else value
        if not re.fullmatch(r"payer-[0-9]{1,18}", ident):
            return Q(pk__in=[])  # the practice, or an id that is no payer of ours, insures nothing
        return Q(**{field_name: int(ident.removeprefix("payer-"))})

    return condition


def procedure_coding(code: str, *, modifier: bool = False) -> dict[str, str]:
    """CPT (five digits, or four and a letter for category II/III) or HCPCS level II (a letter and four digits).
    Modifiers come from both sets; they are listed under CPT unless they are HCPCS-only (letter-led)."""
    code = code.strip().upper()
    if modifier:
        return coding(CPT_SYSTEM if code[:1].isdigit() else HCPCS_SYSTEM, code)
    return coding(HCPCS_SYSTEM if code[:1].isalpha() else CPT_SYSTEM, code)


def icd10_display_code(code: str) -> str:
    """ICD-10-CM as FHIR writes it: with the dot after the category (we store E119, FHIR says E11.9)."""
    code = code.strip().upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def serviced(start: datetime.date | None, end: datetime.date | None) -> dict[str, Any]:
    """servicedDate for one day, servicedPeriod for several; nothing when no date is known."""
    if start is None:
        return {}
    if end is None or end == start:
        return {"servicedDate": start.isoformat()}
    return {"servicedPeriod": {"start": start.isoformat(), "end": end.isoformat()}}


# -- Claim ---------------------------------------------------------------------------------------------------------

S = ClaimStatus
# Our statuses under FHIR's four: not yet sent is a draft; with the payer (or back from it) is active; closed (the
# claim was replaced, voided or is no longer pursued) is cancelled. Nothing of ours is entered-in-error.
FM_STATUS_OF: dict[str, str] = {
    S.DRAFT: "draft", S.READY: "draft", S.HELD: "draft",
    S.SUBMITTED: "active", S.ACCEPTED: "active", S.REJECTED: "active", S.PAID: "active", S.PARTIAL: "active",
    S.DENIED: "active", S.APPEALED: "active",
    S.CLOSED: "cancelled",
}
OUR_STATUSES_OF_FM: dict[str, list[str]] = {code: [] for code in ("active", "cancelled", "draft", "entered-in-error")}
for _ours, _fm in FM_STATUS_OF.items():
    OUR_STATUSES_OF_FM[_fm].append(_ours)


def _status_codes(system: str | None, code: str) -> Q:
    """fm-status codes (active, cancelled, draft, entered-in-error) or our detailed codes. Without a system a
    FHIR code wins: `draft` means draft, ready and held; `claim-status|draft` only ours."""
    if system in (None, "", FM_STATUS_SYSTEM) and code in OUR_STATUSES_OF_FM:
        return Q(status__in=OUR_STATUSES_OF_FM[code])
    if system in (None, "", CLAIM_STATUS_SYSTEM) and code in S.values:
        return Q(status=code)
    choices = ", ".join([*OUR_STATUSES_OF_FM, *(value for value in S.values if value not in OUR_STATUSES_OF_FM)])
    raise FhirError(400, "invalid", f"Unknown claim status {code!r}; use one of: {choices}.", expression=["status"])


def _identifier_codes(system: str | None, code: str) -> Q:
    if system in (None, ""):
        return Q(claim_number__iexact=code) | Q(payer_claim_number__iexact=code)
    if system == CLAIM_NUMBER_SYSTEM:
        return Q(claim_number__iexact=code)
    if system == PAYER_CLAIM_NUMBER_SYSTEM:
        return Q(payer_claim_number__iexact=code)
    return Q(pk__in=[])  # an identifier system we do not keep matches nobody


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _diagnosis_pointers(line: ClaimLine, count: int) -> list[int]:
    return [int(pointer) for pointer in line.pointers or [] if str(pointer).isdigit() and 1 <= int(pointer) <= count]


@register
class ClaimResource(ModelResourceType):
    name = "Claim"
    permissions = (Perm.BILLING_VIEW,)
    ordering = ("pk",)
    documentation = (
        "Professional claims (837P) at the locations where the caller holds billing.view. status is FHIR's "
        f"fm-status; our detailed status is in the extension {CLAIM_STATUS_EXTENSION} (valueCoding of "
        f"{CLAIM_STATUS_SYSTEM}). insurer is Organization/payer-<id>, provider the billing (else rendering) "
        "Practitioner, facility the Location. Every patient returned is recorded in the audit trail.")
    search_params = {
        "_id": token("_id", "The claim's id.", _id_codes),
        "patient": reference_param("patient", "patient_id", "Patient", "The patient (Patient/<id>)."),
        "status": token("status", "fm-status (active, cancelled, draft, entered-in-error) or one of our detailed "
                                  f"statuses ({', '.join(S.values)}); a bare 'draft' is FHIR's (draft, ready and "
                                  f"held); {CLAIM_STATUS_SYSTEM}|draft is ours only.", _status_codes),
        "created": date("created", "created_at", "When the claim was built (eq, lt, le, gt, ge, ne)."),
        "identifier": token("identifier", f"Our claim number ({CLAIM_NUMBER_SYSTEM}|OP0000001) or the payer's "
                                          f"({PAYER_CLAIM_NUMBER_SYSTEM}|...).", _identifier_codes),
        "insurer": SearchParam("insurer", "reference", "The payer (Organization/payer-<id>).",
                               insurer_condition("insurer", "payer_id"), target="Organization"),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return claim_scoped(actor=request.user, permission=Perm.BILLING_VIEW).prefetch_related(
            Prefetch("lines", queryset=ClaimLine.objects.order_by("line_number")))

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        audit_patients(request.user, [(claim.patient_id, claim.patient.home_location_id) for claim in objects])

    def to_resource(self, claim: Claim, request: HttpRequest) -> dict[str, Any]:
        diagnoses = list(claim.diagnosis_codes or [])
        provider_id = claim.billing_provider_id or claim.rendering_provider_id
        items = []
        for line in claim.lines.all():
            units = line.units or 1
            items.append(compact({
                "sequence": line.line_number,
                "careTeamSequence": [1],
                "diagnosisSequence": _diagnosis_pointers(line, len(diagnoses)),
                "productOrService": {"coding": [procedure_coding(line.procedure_code)]},
                "modifier": [{"coding": [procedure_coding(modifier, modifier=True)]} for modifier in line.modifiers],
                **serviced(line.service_date_from, line.service_date_to),
                "locationCodeableConcept": concept(POS_SYSTEM, claim.place_of_service)
                if claim.place_of_service else None,
                "quantity": {"value": float(line.units)},
                "unitPrice": money(line.amount / units),
                "net": money(line.amount),
            }))
        related = []
        if claim.original_claim_id:
            related.append({"claim": reference("Claim", claim.original_claim_id),
                            "relationship": concept("http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship",
                                                    "prior", "Prior Claim")})
        identifiers = [identifier(CLAIM_NUMBER_SYSTEM, claim.claim_number, use="official")]
        if claim.payer_claim_number:
            identifiers.append(identifier(PAYER_CLAIM_NUMBER_SYSTEM, claim.payer_claim_number, use="secondary"))
        return compact({
            "resourceType": "Claim",
            "id": str(claim.pk),
            "meta": meta(claim.updated_at),
            "extension": [{"url": CLAIM_STATUS_EXTENSION,
                           "valueCoding": coding(CLAIM_STATUS_SYSTEM, claim.status, claim.get_status_display())}],
            "identifier": identifiers,
            "status": FM_STATUS_OF.get(claim.status, "active"),
            "type": PROFESSIONAL,
            "use": "claim",
            "patient": reference("Patient", claim.patient_id),
            "billablePeriod": {"start": claim.date_of_service.isoformat(), "end": max(
                (line.service_date_to for line in claim.lines.all()), default=claim.date_of_service).isoformat()},
            "created": instant(claim.created_at),
            "insurer": insurer_reference(claim.payer_id),
            "provider": reference("Practitioner", provider_id),
            "priority": concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal", "Normal"),
            "related": related,
            "careTeam": [{"sequence": 1, "provider": reference("Practitioner", claim.rendering_provider_id),
                          "role": concept("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary",
                                          "Primary provider")}],
            "facility": reference("Location", claim.location_id),
            "diagnosis": [{"sequence": position,
                           "diagnosisCodeableConcept": concept(ICD10_SYSTEM, icd10_display_code(code))}
                          for position, code in enumerate(diagnoses, start=1)],
            "insurance": [compact({
                "sequence": 1, "focal": True, "coverage": reference("Coverage", claim.coverage_id),
                "preAuthRef": [claim.prior_authorization] if claim.prior_authorization else [],
            })],
            "item": items,
            "total": money(claim.total_charge),
            # A void (frequency 8) asks the payer to cancel the claim it replaces.
            "subType": concept(our_system("claim-frequency"), claim.frequency_code,
                               claim.get_frequency_code_display())
            if claim.frequency_code != ClaimFrequency.ORIGINAL else None,
        })
