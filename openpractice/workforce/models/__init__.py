"""Workforce models, one module per area; import from here."""

from .credentials import CredentialAlert, CredentialType, EmployeeCredential
from .development import DevelopmentPlan, DevelopmentPlanItem
from .discipline import DisciplinaryAction, DisciplineFollowUp
from .employees import Employee, EmployeeDocument
from .hiring import (
    Applicant,
    ApplicantStageChange,
    Interview,
    Offer,
    Requisition,
    Scorecard,
    ScorecardCriterion,
    ScorecardRating,
)
from .onboarding import Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateItem
from .pay import PayBenchmark, PayRate
from .positions import Position
from .settings import WorkforceSettings
from .time import PayPeriod, PtoRequest, TimeEntry
from .training import Course, TrainingAssignment

__all__ = [
    "Applicant",
    "ApplicantStageChange",
    "Checklist",
    "ChecklistTask",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "Course",
    "CredentialAlert",
    "CredentialType",
    "DevelopmentPlan",
    "DevelopmentPlanItem",
    "DisciplinaryAction",
    "DisciplineFollowUp",
    "Employee",
    "EmployeeCredential",
    "EmployeeDocument",
    "Interview",
    "Offer",
    "PayBenchmark",
    "PayPeriod",
    "PayRate",
    "Position",
    "PtoRequest",
    "Requisition",
    "Scorecard",
    "ScorecardCriterion",
    "ScorecardRating",
    "TimeEntry",
    "TrainingAssignment",
    "WorkforceSettings",
]
