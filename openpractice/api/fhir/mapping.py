"""Building blocks of FHIR resources (references, identifiers, codings, names, addresses, money)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

# Our own identifier and code systems. Stable URIs: integrations match on them.
SYSTEM_BASE = "https://openpractice.org/fhir"
ACCOUNT_NUMBER_SYSTEM = f"{SYSTEM_BASE}/sid/account-number"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
EIN_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"


def our_system(name: str) -> str:
    """The URI of one of our code systems or identifier namespaces (e.g. "claim-status")."""
    return f"{SYSTEM_BASE}/{name}"


def reference(resource_type: str, ident: Any, display: str = "") -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"{resource_type}/{ident}"}
    if display:
        ref["display"] = display
    return ref


def identifier(system: str, value: str, *, type_code: str = "", use: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {"system": system, "value": value}
    if use:
        result["use"] = use
    if type_code:
        result["type"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                      "code": type_code}]}
    return result


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    result = {"system": system, "code": code}
    if display:
        result["display"] = str(display)
    return result


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        result["text"] = text
    return result


def human_name(family: str, given: list[str], *, use: str = "official") -> dict[str, Any]:
    name: dict[str, Any] = {"use": use, "family": family}
    given = [part for part in given if part]
    if given:
        name["given"] = given
    return name


def address(obj: Any, *, use: str = "") -> dict[str, Any] | None:
    """A FHIR Address from our AddressFields (None when empty)."""
    lines = [line for line in (getattr(obj, "address_line1", ""), getattr(obj, "address_line2", "")) if line]
    parts = {"city": getattr(obj, "city", ""), "state": getattr(obj, "state", ""),
             "postalCode": getattr(obj, "postal_code", "")}
    if not lines and not any(parts.values()):
        return None
    result: dict[str, Any] = {"country": "US"}
    if use:
        result["use"] = use
    if lines:
        result["line"] = lines
    result.update({key: value for key, value in parts.items() if value})
    return result


def telecom(system: str, value: str, use: str = "") -> dict[str, Any]:
    result = {"system": system, "value": value}
    if use:
        result["use"] = use
    return result


def money(amount: Decimal | int | None) -> dict[str, Any]:
    return {"value": float(amount or 0), "currency": "USD"}


def instant(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def period(start: datetime.date | datetime.datetime | None, end: datetime.date | datetime.datetime | None
           ) -> dict[str, str] | None:
    result: dict[str, str] = {}
    for key, value in (("start", start), ("end", end)):
        if isinstance(value, datetime.datetime):
            result[key] = instant(value)
        elif isinstance(value, datetime.date):
            result[key] = value.isoformat()
    return result or None


def meta(updated: datetime.datetime | None) -> dict[str, str]:
    return {"lastUpdated": instant(updated)} if updated else {}


def compact(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}
