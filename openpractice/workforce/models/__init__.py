"""Workforce models, one module per area; import from here."""

from .credentials import CredentialAlert, CredentialType, EmployeeCredential
from .discipline import DisciplinaryAction, DisciplineFollowUp
from .employees import Employee, EmployeeDocument
from .onboarding import Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateItem
from .pay import PayBenchmark, PayRate
from .positions import Position
from .settings import WorkforceSettings
from .time import PayPeriod, PtoRequest, TimeEntry
from .training import Course, TrainingAssignment

__all__ = [
    "Checklist", "ChecklistTask", "ChecklistTemplate", "ChecklistTemplateItem", "Course", "CredentialAlert",
    "CredentialType", "DisciplinaryAction", "DisciplineFollowUp", "Employee", "EmployeeCredential",
    "EmployeeDocument", "PayBenchmark", "PayPeriod", "PayRate", "Position", "PtoRequest", "TimeEntry",
    "TrainingAssignment", "WorkforceSettings",
]
