"""The facade serves every resource type issue 12 asks for, and the CapabilityStatement describes exactly what is
registered (each search parameter documented, create only where it is supported)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.roles import Role, Tier
from openpractice.api.fhir.base import REGISTRY

from .support import FhirClient, body, validate

REQUIRED_TYPES = {
    "Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Coverage", "Schedule", "Slot",
    "Appointment", "Claim", "ExplanationOfBenefit", "SupplyRequest", "Device", "Task", "AuditEvent",
}


def test_every_required_type_is_registered() -> None:
    assert set(REGISTRY) == REQUIRED_TYPES
    creatable = {name for name, kind in REGISTRY.items() if kind.supports_create}
    assert creatable == {"Patient", "Appointment"}
    for name, kind in REGISTRY.items():
        assert kind.permissions, name
        for param_name, param in kind.search_params.items():
            assert param.name == param_name, (name, param_name)
            assert param.documentation, (name, param_name)


@pytest.mark.django_db
def test_capability_statement_describes_the_registry(make_user: Callable[..., Any]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    response = FhirClient(manager).get("metadata")
    assert response.status_code == 200
    statement = body(response)
    validate(statement)
    served = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    assert set(served) == REQUIRED_TYPES
    for name, entry in served.items():
        assert {param["name"] for param in entry.get("searchParam", [])} == set(REGISTRY[name].search_params)
        codes = {interaction["code"] for interaction in entry["interaction"]}
        assert ("create" in codes) == REGISTRY[name].supports_create
    assert statement["fhirVersion"] == "4.0.1"


@pytest.mark.django_db
def test_metadata_needs_authentication() -> None:
    from django.test import Client

    response = Client().get("/fhir/r4/metadata")
    assert response.status_code == 401
    validate(body(response))
