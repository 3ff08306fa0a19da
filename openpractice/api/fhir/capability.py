"""The CapabilityStatement (`GET /fhir/r4/metadata`), built from the registered resource types."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from openpractice.core.selectors import practice_get

from .base import REGISTRY
from .bundle import base_url

SOFTWARE_VERSION = "0.1.0"


def capability_statement(request: HttpRequest) -> dict[str, Any]:
    practice = practice_get()
    resources = []
    for name in sorted(REGISTRY):
        kind = REGISTRY[name]
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if kind.supports_create:
            interactions.append({"code": "create"})
        entry: dict[str, Any] = {
            "type": name,
            "interaction": interactions,
            "searchParam": [
                {"name": param.name, "type": param.type, "documentation": param.documentation}
                for param in kind.search_params.values()
            ],
        }
        if kind.documentation:
            entry["documentation"] = kind.documentation
        if name in ("Patient",):
            entry["operation"] = [{"name": "export", "definition":
                                   "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"}]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": practice.name if practice else "OpenPractice",
        "kind": "instance",
        "software": {"name": "OpenPractice", "version": SOFTWARE_VERSION},
        "implementation": {"description": "OpenPractice FHIR R4 facade", "url": base_url(request)},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read and search over the practice's business data with the caller's permissions. "
                             "Search results page with _count (at most 200) and the Bundle's links.",
            "security": {"description": "Send a personal API token as 'Authorization: Bearer <token>'. The "
                                        "permissions and location scope of the token's user apply; anything "
                                        "else answers 404."},
            "resource": resources,
            "operation": [{"name": "export",
                           "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}],
        }],
    }
