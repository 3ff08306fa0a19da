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
from .reviews import (
    AccessReview,
    AccessReviewFinding,
    Risk,
    SecurityRiskAssessment,
    SraQuestion,
    SraResponse,
)

__all__ = [
    "AccessReview",
    "AccessReviewFinding",
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
    "Risk",
    "RiskAssessment",
    "SecurityRiskAssessment",
    "SraQuestion",
    "SraResponse",
]
