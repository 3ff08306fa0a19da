"""AuditEvent: the audit trail, read and search, for holders of audit.view (privacy officer, auditor).

Scope is the web audit log's and the REST API's (openpractice.audit.selectors.audit_event_list): someone who
holds audit.view at some locations sees the events recorded there; events without a location are for
practice-wide reviewers only. Like the web log and /audit, reading the trail is not itself recorded (exports
are, in the web interface); a refused read is (access.denied).

Mapping: our action is the subtype (our_system("audit-action")); the type is the DICOM event type it is an
instance of (patient record, security alert, application activity); FHIR's action (C R U D E) comes from the
action's verb. Denials have outcome 4 (minor failure). The acting user is a Practitioner reference when they are
a provider, else their user id (our_system("user")); altId is the username recorded at the time.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.selectors import audit_event_list
from openpractice.scheduling.models import Provider

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import coding, compact, identifier, instant, our_system, reference
from ..search import choice_token, date, parse_int_id, token
from ..search import reference as reference_param

ACTION_SYSTEM = our_system("audit-action")
USER_SYSTEM = our_system("user")
OBJECT_SYSTEM = our_system("audit-object")
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
# FHIR's audit-event-action from the verb our action ends with; anything else is E (execute).
VERBS: dict[str, tuple[str, ...]] = {
    "C": ("created", "added", "registered", "imported", "uploaded", "issued", "seeded"),
    "R": ("viewed", "listed", "exported", "downloaded", "printed", "searched"),
    "U": ("updated", "changed", "edited", "saved", "corrected", "renamed", "merged", "moved", ".set"),
    "D": ("deleted", "removed", "voided", "revoked", "deactivated"),
}
OUTCOME_CODE = {Outcome.ALLOWED: "0", Outcome.DENIED: "4"}


def fhir_action(action: str) -> str:
    for code, verbs in VERBS.items():
        if action.endswith(verbs):
            return code
    return "E"


def _verb_q(code: str) -> Q:
    if code == "E":
        combined = Q()
        for verbs in VERBS.values():
            for verb in verbs:
                combined &= ~Q(action__endswith=verb)
        return combined
    result = Q(pk__in=[])
    for verb in VERBS[code]:
        result |= Q(action__endswith=verb)
    return result


def _action_codes(system: str | None, code: str) -> Q:
    if code not in ("C", "R", "U", "D", "E"):
        raise FhirError(400, "invalid", "action is one of C, R, U, D, E.", expression=["action"])
    return _verb_q(code)


def _subtype_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", ACTION_SYSTEM):
        return Q(pk__in=[])
    return Q(action__startswith=code[:-1]) if code.endswith("*") else Q(action=code)


def _agent_codes(system: str | None, code: str) -> Q:
    """A user id (digits) or the username recorded at the time."""
    if system not in (None, "", USER_SYSTEM):
        return Q(pk__in=[])
    if code.isdigit():
        return Q(actor_id=parse_int_id(code, what="agent"))
    return Q(actor_label__iexact=code)


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _event_type(event: AuditEvent) -> dict[str, str]:
    if event.action == "access.denied" or event.outcome == Outcome.DENIED:
        return coding(DICOM, "110113", "Security Alert")
    if event.action.startswith("accounts.") and ("sign" in event.action or "login" in event.action):
        return coding(DICOM, "110114", "User Authentication")
    if event.patient_id is not None:
        return coding(DICOM, "110110", "Patient Record")
    return coding(DICOM, "110100", "Application Activity")


@register
class AuditEventResource(ModelResourceType):
    name = "AuditEvent"
    permissions = (Perm.AUDIT_VIEW,)
    ordering = ("-seq", "pk")
    documentation = ("The audit trail for holders of audit.view (at their locations; events without a location "
                     "for practice-wide reviewers), newest first. subtype is our action "
                     f"({ACTION_SYSTEM}); outcome 0 allowed, 4 denied.")
    search_params = {
        "_id": token("_id", "The event's id.", _id_codes),
        "date": date("date", "occurred_at", "When it was recorded."),
        "action": token("action", "C | R | U | D | E, from our action's verb.", _action_codes),
        "subtype": token("subtype", f"Our action ({ACTION_SYSTEM}|patients.viewed); ending in * a prefix "
                                    "(billing.*).", _subtype_codes),
        "agent": token("agent", f"The acting user: their id ({USER_SYSTEM}|12) or username.", _agent_codes),
        "patient": reference_param("patient", "patient_id", "Patient", "Events about this patient."),
        "outcome": choice_token("outcome", "0 (allowed) | 4 (denied).", "outcome",
                                {"0": [Outcome.ALLOWED], "4": [Outcome.DENIED], "8": [], "12": []}),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return audit_event_list(actor=request.user)

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        actor_ids = {event.actor_id for event in objects if event.actor_id is not None}
        providers = dict(Provider.objects.filter(user_id__in=actor_ids).values_list("user_id", "pk")) \
            if actor_ids else {}
        for event in objects:
            event.fhir_provider_id = providers.get(event.actor_id)

    def to_resource(self, event: AuditEvent, request: HttpRequest) -> dict[str, Any]:
        provider_id = getattr(event, "fhir_provider_id", None)
        if event.actor_id is None:
            who: dict[str, Any] = {"display": event.actor_label or "system"}
        elif provider_id is not None:
            who = reference("Practitioner", provider_id, event.actor_label)
        else:
            who = compact({"identifier": identifier(USER_SYSTEM, str(event.actor_id)),
                           "display": event.actor_label})
        agent = compact({
            "who": who,
            "altId": event.actor_label,
            "requestor": event.actor_id is not None,
            "network": {"address": event.ip_address, "type": "2"} if event.ip_address else None,
        })
        entities: list[dict[str, Any]] = []
        if event.patient_id is not None:
            entities.append({"what": reference("Patient", event.patient_id),
                             "type": coding(ENTITY_TYPE, "1", "Person"),
                             "role": coding(OBJECT_ROLE, "1", "Patient")})
        if event.object_type:
            entities.append(compact({
                "what": {"identifier": identifier(OBJECT_SYSTEM, f"{event.object_type}/{event.object_id}"
                                                  if event.object_id else event.object_type)},
                "type": coding(ENTITY_TYPE, "2", "System Object"),
                "name": event.object_type,
                "detail": [{"type": "changed-fields", "valueString": event.changed_fields}]
                if event.changed_fields else [],
            }))
        return compact({
            "resourceType": "AuditEvent",
            "id": str(event.pk),
            "type": _event_type(event),
            "subtype": [coding(ACTION_SYSTEM, event.action)],
            "action": fhir_action(event.action),
            "recorded": instant(event.occurred_at),
            "outcome": OUTCOME_CODE.get(event.outcome, "4"),  # type: ignore[call-overload]
            "outcomeDesc": event.reason,
            "agent": [agent],
            "source": {"observer": {"display": "OpenPractice"},
                       "type": [coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4",
                                       "Application Server")]},
            "entity": entities,
        })
