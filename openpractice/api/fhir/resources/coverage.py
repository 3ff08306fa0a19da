"""Coverage: patients' insurance policies (read, search by _id, patient, beneficiary, payor, status, identifier).

PHI, scoped like the patient (patients.view_demographics at the patient's home location, as the coverage pages and
/api/v1/coverages) and audited: one patients.viewed event ("fhir") per patient on a page. When the patient is not
the subscriber, the subscriber is a contained RelatedPerson.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.patients import selectors
from openpractice.patients.models import Coverage, SubscriberRelationship

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import (
    coding,
    compact,
    concept,
    human_name,
    identifier,
    meta,
    money,
    our_system,
    period,
    reference,
)
from ..phi import audit_patients
from ..search import SearchParam, parse_int_id, token
from ..search import reference as reference_param
from .organization import PAYER, parse_organization_id
from .patient import GENDER_OF_SEX

MEMBER_ID_SYSTEM = our_system("member-id")
RELATIONSHIP_SYSTEM = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"
COPAY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# Who the subscriber is to the patient (RelatedPerson.relationship), from "the patient is the subscriber's ...".
SUBSCRIBER_ROLE = {SubscriberRelationship.SPOUSE: ("SPS", "spouse"), SubscriberRelationship.CHILD: ("PRN", "parent")}
STATUSES = ("active", "cancelled", "draft", "entered-in-error")


def _in_force() -> Q:
    return Q(is_active=True) & (Q(effective_to__isnull=True) | Q(effective_to__gte=practice_today()))


def _status_codes(system: str | None, code: str) -> Q:
    if code not in STATUSES:
        raise FhirError(400, "invalid", f"Unknown status {code!r}; use one of: {', '.join(STATUSES)}.",
                        expression=["status"])
    if code == "active":
        return _in_force()
    if code == "cancelled":
        return Q(is_active=False) | Q(effective_to__lt=practice_today())
    return Q(pk__in=[])  # we keep no drafts and no records entered in error


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _member_id_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", MEMBER_ID_SYSTEM):
        return Q(pk__in=[])
    return Q(member_id__iexact=code)


def _payor_condition(value: str, modifier: str) -> Q:
    kind, slash, ident = value.rpartition("/")
    if slash and kind.rsplit("/", 1)[-1] != "Organization":
        raise FhirError(400, "invalid", "payor refers to an Organization (payer-<n>).", expression=["payor"])
    org_kind, pk = parse_organization_id(ident if slash else value, what="payor")
    return Q(payer_id=pk) if org_kind == PAYER else Q(pk__in=[])


@register
class CoverageResource(ModelResourceType):
    name = "Coverage"
    permissions = (Perm.PATIENTS_DEMOGRAPHICS,)
    ordering = ("patient_id", "-is_active", "rank", "pk")
    documentation = ("Insurance coverages of patients whose home location is one where the caller sees "
                     "demographics. Every patient whose coverage is returned is recorded in the audit trail. Status "
                     "active: switched on and not ended; cancelled otherwise. order is the rank (1 primary).")
    search_params = {
        "_id": token("_id", "The coverage's id.", _id_codes),
        "patient": reference_param("patient", "patient_id", "Patient", "The patient covered (Patient/<id>)."),
        "beneficiary": reference_param("beneficiary", "patient_id", "Patient", "Same as patient."),
        "payor": SearchParam("payor", "reference", "The payer (Organization/payer-<n>).", _payor_condition,
                             target="Organization"),
        "status": token("status", "active | cancelled.", _status_codes),
        "identifier": token("identifier", f"The member ID ({MEMBER_ID_SYSTEM}|ABC123).", _member_id_codes),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.coverage_scoped(actor=request.user)

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        audit_patients(request.user, [(row.patient_id, row.patient.home_location_id) for row in objects])

    def to_resource(self, coverage: Coverage, request: HttpRequest) -> dict[str, Any]:
        today = practice_today()
        in_force = coverage.is_active and (coverage.effective_to is None or coverage.effective_to >= today)
        is_self = coverage.subscriber_relationship == SubscriberRelationship.SELF
        subscriber = reference("Patient", coverage.patient_id) if is_self else {"reference": "#subscriber"}
        classes = []
        if coverage.group_number:
            classes.append({"type": concept(COVERAGE_CLASS_SYSTEM, "group", "Group"),
                            "value": coverage.group_number})
        if coverage.plan is not None:
            classes.append({"type": concept(COVERAGE_CLASS_SYSTEM, "plan", "Plan"), "value": str(coverage.plan.pk),
                            "name": coverage.plan.name})
        return compact({
            "resourceType": "Coverage",
            "id": str(coverage.pk),
            "meta": meta(coverage.updated_at),
            "contained": [] if is_self else [_subscriber(coverage)],
            "identifier": [identifier(MEMBER_ID_SYSTEM, coverage.member_id, type_code="MB")],
            "status": "active" if in_force else "cancelled",
            "type": concept(our_system("plan-type"), coverage.plan.plan_type,
                            str(coverage.plan.get_plan_type_display())) if coverage.plan else None,
            "policyHolder": subscriber,
            "subscriber": subscriber,
            "subscriberId": coverage.member_id,
            "beneficiary": reference("Patient", coverage.patient_id),
            "relationship": {"coding": [coding(RELATIONSHIP_SYSTEM, coverage.subscriber_relationship,
                                               str(coverage.get_subscriber_relationship_display()))]},
            "period": period(coverage.effective_from, coverage.effective_to),
            "payor": [reference("Organization", f"{PAYER}-{coverage.payer_id}", coverage.payer.name)],
            "class": classes,
            "order": coverage.rank,
            "costToBeneficiary": [{"type": concept(COPAY_TYPE_SYSTEM, "copay", "Copay Amount"),
                                   "valueMoney": money(coverage.copay)}] if coverage.copay else [],
        })


def _subscriber(coverage: Coverage) -> dict[str, Any]:
    """The subscriber as a contained RelatedPerson (no resource of their own here)."""
    role = SUBSCRIBER_ROLE.get(coverage.subscriber_relationship)  # type: ignore[call-overload]
    lines = [line for line in (coverage.subscriber_address_line1, coverage.subscriber_address_line2) if line]
    place = compact({"line": lines, "city": coverage.subscriber_city, "state": coverage.subscriber_state,
                     "postalCode": coverage.subscriber_postal_code})
    return compact({
        "resourceType": "RelatedPerson",
        "id": "subscriber",
        "patient": reference("Patient", coverage.patient_id),
        "relationship": [concept(ROLE_CODE_SYSTEM, role[0], role[1])] if role else [],
        "name": [human_name(coverage.subscriber_last_name, [coverage.subscriber_first_name])],
        "gender": GENDER_OF_SEX.get(coverage.subscriber_sex) if coverage.subscriber_sex else None,  # type: ignore[call-overload]
        "birthDate": coverage.subscriber_date_of_birth.isoformat() if coverage.subscriber_date_of_birth else None,
        "address": [place | {"country": "US"}] if place else [],
    })


