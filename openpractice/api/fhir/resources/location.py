"""Location: the practice's sites (read, search by _id, name, address-postalcode, status), with their address,
phone, place-of-service type and opening hours. Scope: the locations where the caller holds practice.view, as on
the locations page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location, OpeningHours
from openpractice.core.selectors import location_scoped

from ..base import ModelResourceType, register
from ..mapping import NPI_SYSTEM, address, compact, concept, identifier, meta, our_system, reference, telecom
from ..search import choice_token, parse_int_id, string, token
from .practitioner_role import DAYS

PLACE_OF_SERVICE_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
LOCATION_CODE_SYSTEM = our_system("location-code")


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _identifier_codes(system: str | None, code: str) -> Q:
    by_system = {LOCATION_CODE_SYSTEM: Q(code__iexact=code), NPI_SYSTEM: Q(npi=code)}
    if system in (None, ""):
        return by_system[LOCATION_CODE_SYSTEM] | by_system[NPI_SYSTEM]
    return by_system.get(system, Q(pk__in=[]))


@register
class LocationResource(ModelResourceType):
    name = "Location"
    permissions = (Perm.PRACTICE_VIEW,)
    ordering = ("name", "pk")
    documentation = ("The practice's locations where the caller holds practice.view: address, phone, place of "
                     "service (CMS code) and opening hours; managed by Organization/practice-<n>.")
    search_params = {
        "_id": token("_id", "The location's id.", _id_codes),
        "name": string("name", ["name"], "The location's name (starts with)."),
        "address-postalcode": string("address-postalcode", ["postal_code"], "ZIP code (starts with)."),
        "status": choice_token("status", "active | inactive.", "is_active", {"active": [True], "inactive": [False]}),
        "identifier": token("identifier", f"The short code ({LOCATION_CODE_SYSTEM}) or the location's NPI "
                                          f"({NPI_SYSTEM}).", _identifier_codes),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return location_scoped(actor=request.user, permission=Perm.PRACTICE_VIEW).prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")))

    def to_resource(self, location: Location, request: HttpRequest) -> dict[str, Any]:
        identifiers = [identifier(LOCATION_CODE_SYSTEM, location.code, use="usual")]
        if location.npi:
            identifiers.append(identifier(NPI_SYSTEM, location.npi, type_code="NPI"))
        place = address(location, use="work")
        return compact({
            "resourceType": "Location",
            "id": str(location.pk),
            "meta": meta(location.updated_at),
            "identifier": identifiers,
            "status": "active" if location.is_active else "inactive",
            "name": location.name,
            "mode": "instance",
            "type": [concept(PLACE_OF_SERVICE_SYSTEM, location.place_of_service, location.place_of_service_name)],
            "telecom": [telecom("phone", location.phone, "work")] if location.phone else [],
            "address": place,
            "physicalType": concept("http://terminology.hl7.org/CodeSystem/location-physical-type", "si", "Site"),
            "managingOrganization": reference("Organization", f"practice-{location.practice_id}"),
            "hoursOfOperation": [
                {"daysOfWeek": [DAYS[period.weekday]], "openingTime": period.opens_at.strftime("%H:%M:%S"),
                 "closingTime": period.closes_at.strftime("%H:%M:%S")}
                for period in location.opening_hours.all()
            ],
        })
