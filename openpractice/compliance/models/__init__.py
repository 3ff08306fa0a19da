"""Compliance models, one module per area; import from here."""

from .incidents import AffectedPatient, Incident, IncidentState, NotificationDeadline, RiskAssessment
from .policies import (
    Acknowledgement,
    AcknowledgementCampaign,
    AcknowledgementRequest,
    Policy,
    PolicyAttachment,
    PolicyVersion,
)
from .program import BusinessAssociate, BusinessAssociateAgreement, Disclosure

__all__ = [
    "Acknowledgement",
    "AcknowledgementCampaign",
    "AcknowledgementRequest",
    "AffectedPatient",
    "BusinessAssociate",
    "BusinessAssociateAgreement",
    "Disclosure",
    "Incident",
    "IncidentState",
    "NotificationDeadline",
    "Policy",
    "PolicyAttachment",
    "PolicyVersion",
    "RiskAssessment",
]
