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

__all__ = [
    "Acknowledgement",
    "AcknowledgementCampaign",
    "AcknowledgementRequest",
    "AffectedPatient",
    "Incident",
    "IncidentState",
    "NotificationDeadline",
    "Policy",
    "PolicyAttachment",
    "PolicyVersion",
    "RiskAssessment",
]
