"""PractitionerRole: one provider at one location (the provider's locations), with the provider's specialty
(NUCC taxonomy) and the weekly hours they see patients there (their schedule templates).

Not one row of ours but a pair, so the id is "<provider id>-<location id>" and read() is our own. A caller sees
the pairs at the locations where they see the schedule (schedule.view), like the provider list page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.web import deny
from openpractice.scheduling.models import Provider, ProviderTemplate
from openpractice.scheduling.selectors import provider_list

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import compact, concept, our_system, reference
from ..search import reference as reference_param
from ..search import token
from .practitioner import NUCC_TAXONOMY_SYSTEM

# The provider-location pairs (Django's table behind Provider.locations).
ProviderLocation = Provider.locations.through
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Weekday 0 = Monday
ID_PATTERN = re.compile(r"([0-9]{1,18})-([0-9]{1,18})")


def parse_role_id(value: str, *, what: str = "id") -> tuple[int, int]:
    match = ID_PATTERN.fullmatch(value.strip())
    if match is None:
        raise FhirError(400, "invalid", f"{what}: {value!r} is not a PractitionerRole id (<practitioner>-<location>).",
                        expression=[what])
    return int(match.group(1)), int(match.group(2))


def _id_codes(system: str | None, code: str) -> Q:
    provider_id, location_id = parse_role_id(code, what="_id")
    return Q(provider_id=provider_id, location_id=location_id)


def _active_codes(system: str | None, code: str) -> Q:
    both_active = Q(provider__is_active=True, location__is_active=True)
    if code == "true":
        return both_active
    if code == "false":
        return ~both_active
    raise FhirError(400, "invalid", f"Unknown active {code!r}; use true or false.", expression=["active"])


@register
class PractitionerRoleResource(ModelResourceType):
    name = "PractitionerRole"
    permissions = (Perm.SCHEDULE_VIEW,)
    ordering = ("provider__last_name", "provider__first_name", "provider_id", "location__name", "location_id")
    documentation = ("A provider at one of their locations (id '<practitioner id>-<location id>'), at locations "
                     "where the caller sees the schedule (schedule.view): specialty (NUCC taxonomy) and the weekly "
                     "hours the provider sees patients there. Active when both the provider and the location are.")
    search_params = {
        "_id": token("_id", "The role's id: <practitioner id>-<location id>.", _id_codes),
        "practitioner": reference_param("practitioner", "provider_id", "Practitioner", "The provider."),
        "location": reference_param("location", "location_id", "Location", "The location."),
        "active": token("active", "true: provider and location active; false: either is not.", _active_codes),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = ProviderLocation.objects.filter(
            provider_id__in=provider_list(actor=request.user).values("pk")).select_related("provider", "location")
        ids = location_ids_where(request.user, Perm.SCHEDULE_VIEW)
        return queryset if ids is None else queryset.filter(location_id__in=ids)

    def read(self, request: HttpRequest, ident: str) -> Any:
        provider_id, location_id = parse_role_id(ident)
        found = self.scoped(request).filter(provider_id=provider_id, location_id=location_id).first()
        if found is not None:
            return found
        if ProviderLocation.objects.filter(provider_id=provider_id, location_id=location_id).exists():
            raise deny(request, permission=" or ".join(self.permissions), object_type="fhir.practitionerrole",
                       object_id=ident)
        raise FhirError(404, "not-found", f"PractitionerRole/{ident} is not known.")

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        """The weekly hours of every pair on the page, in one query."""
        hours: dict[tuple[int, int], list[ProviderTemplate]] = defaultdict(list)
        if objects:
            templates = ProviderTemplate.objects.filter(
                provider_id__in={row.provider_id for row in objects},
                location_id__in={row.location_id for row in objects}).order_by("weekday", "start")
            for template in templates:
                hours[(template.provider_id, template.location_id)].append(template)
        for row in objects:
            row.fhir_hours = hours.get((row.provider_id, row.location_id), [])

    def to_resource(self, row: Any, request: HttpRequest) -> dict[str, Any]:
        provider, location = row.provider, row.location
        return compact({
            "resourceType": "PractitionerRole",
            "id": f"{row.provider_id}-{row.location_id}",
            "active": provider.is_active and location.is_active,
            "practitioner": reference("Practitioner", provider.pk, provider.display_name),
            "organization": reference("Organization", f"practice-{location.practice_id}"),
            "location": [reference("Location", location.pk, location.name)],
            "code": [concept(our_system("provider-kind"), provider.kind, str(provider.get_kind_display()))],
            "specialty": [concept(NUCC_TAXONOMY_SYSTEM, provider.taxonomy_code)],
            "availableTime": [
                {"daysOfWeek": [DAYS[template.weekday]],
                 "availableStartTime": template.start.strftime("%H:%M:%S"),
                 "availableEndTime": template.end.strftime("%H:%M:%S")}
                for template in getattr(row, "fhir_hours", [])
            ],
        })
