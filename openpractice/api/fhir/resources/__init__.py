"""Every FHIR resource type served; importing this package registers them all."""

from . import (  # noqa: F401
    appointment,
    audit_event,
    claim,
    coverage,
    device,
    explanation_of_benefit,
    location,
    organization,
    patient,
    practitioner,
    practitioner_role,
    schedule,
    slot,
    supply_request,
    task,
)
