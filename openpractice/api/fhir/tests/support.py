"""FHIR test helpers: a client speaking application/fhir+json with a personal API token, and validation of
every resource against the FHIR R4B models (fhir.resources)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from openpractice.accounts.models import User
from openpractice.accounts.services.tokens import token_create

FHIR = "/fhir/r4"
FHIR_JSON = "application/fhir+json"


class FhirClient:
    def __init__(self, user: User) -> None:
        _token, secret = token_create(actor=user, user=user, name="fhir tests")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}", "Accept": FHIR_JSON}

    def get(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.get(f"{FHIR}/{path}", data, headers={**self.headers, **headers})

    def post(self, path: str, resource: Any, **headers: str) -> Any:
        body = resource if isinstance(resource, str | bytes) else json.dumps(resource)
        return self.client.post(f"{FHIR}/{path}", body, content_type=FHIR_JSON, headers={**self.headers, **headers})


def validate(resource: dict[str, Any]) -> Any:
    """The resource parsed by its R4B model (raises if it is not valid FHIR); a Bundle's entries too."""
    model = get_fhir_model_class(resource["resourceType"])
    parsed = model.model_validate(resource)
    for entry in resource.get("entry", []):
        validate(entry["resource"])
    return parsed


def body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    return json.loads(response.content)


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    return [entry["resource"] for entry in bundle.get("entry", [])]
