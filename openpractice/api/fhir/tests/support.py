"""FHIR test helpers: a client speaking application/fhir+json with a personal API token, validation of every
resource against the FHIR R4B models (fhir.resources), reading a search's pages, and the scheduling fixtures the
Appointment and Slot tests share. The users the tests act as are in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from openpractice.accounts.models import User
from openpractice.accounts.services.tokens import token_create
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services as scheduling
from openpractice.scheduling.models import Appointment

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


def resource_ids(bundle: dict[str, Any]) -> list[str]:
    """The ids of a searchset's resources, in the bundle's order."""
    return [resource["id"] for resource in entries(bundle)]


def search_ids(client: FhirClient, path: str, query: dict[str, Any] | None = None) -> list[str]:
    """Search `path`, check the answer is a valid FHIR searchset, and return the ids found on its first page."""
    response = client.get(path, query)
    assert response.status_code == 200, (path, query, response.content)
    bundle = body(response)
    validate(bundle)
    return resource_ids(bundle)


def pages(client: FhirClient, bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The search's first page `bundle`, then each page its `next` link leads to, until a page has none."""
    while True:
        yield bundle
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            return
        bundle = body(client.client.get(following[0].replace("http://testserver", ""), headers=client.headers))


# --- scheduling (Appointment, Slot) ------------------------------------------------------------------------------

NY = zoneinfo.ZoneInfo("America/New_York")


def next_monday(hour: int = 8, minute: int = 0) -> dt.datetime:
    """Next week's Monday at `hour`:`minute` in the practice's time zone (never today, so always bookable)."""
    today = timezone.now().astimezone(NY).date()
    return dt.datetime.combine(today + dt.timedelta(days=7 - today.weekday()), dt.time(hour, minute), tzinfo=NY)


def book(actor: Any, provider: Any, location: Any, start: dt.datetime, kind: Any, patient: Any = None,
         **extra: Any) -> Appointment:
    """An appointment booked through the scheduling service, for a new patient of `location` unless one is given."""
    return scheduling.appointment_book(actor=actor, patient=patient or PatientFactory(home_location=location),
                                       provider=provider, location=location, appointment_type=kind, starts_at=start,
                                       **extra)
