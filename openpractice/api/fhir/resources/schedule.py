"""Schedule: one per provider and location where the provider has weekly hours (ProviderTemplate rows), with the
id "<provider id>-<location id>". Read and search (_id, actor, active); needs schedule.view at the location.

The actors are Practitioner/<provider id> and Location/<location id>; `comment` gives the weekly hours,
`serviceType` the appointment types that can be booked on it (practice-wide: every type on every schedule), and
`planningHorizon` how far ahead free Slots are offered. Not PHI: nothing is audited on read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.choices import Weekday
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.web import deny
from openpractice.scheduling.models import AppointmentType, Provider, ProviderTemplate
from openpractice.scheduling.selectors import SLOT_HORIZON_DAYS, appointment_type_list

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import compact, concept, our_system, reference
from ..search import Criteria, SearchParam, parse_int_id, token

APPOINTMENT_TYPE_SYSTEM = our_system("appointment-type")
TAXONOMY_SYSTEM = "http://nucc.org/provider-taxonomy"
SCHEDULE_ID = re.compile(r"([0-9]{1,18})-([0-9]{1,18})")


def schedule_id(provider_id: int, location_id: int) -> str:
    return f"{provider_id}-{location_id}"


def parse_schedule_id(value: str, *, what: str = "_id") -> tuple[int, int]:
    """(provider id, location id) from "12-3" (400 otherwise)."""
    match = SCHEDULE_ID.fullmatch(value.strip())
    if match is None:
        raise FhirError(400, "invalid", f"{what}: {value!r} is not a Schedule id (<provider id>-<location id>).",
                        expression=[what])
    return int(match.group(1)), int(match.group(2))


def split_reference(value: str) -> tuple[str, str]:
    """("Practitioner", "12") from "Practitioner/12" or an absolute URL ending so; ("", value) without a type."""
    kind, slash, ident = value.rpartition("/")
    return (kind.rsplit("/", 1)[-1], ident) if slash else ("", value)


def templates_scoped(actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[ProviderTemplate]:
    """Weekly periods at the locations where the actor holds `permission` (the week view's scope)."""
    ids = location_ids_where(actor, permission)
    queryset = ProviderTemplate.objects.all()
    if ids is None:
        return queryset if can(actor, permission) else queryset.none()
    return queryset.filter(location_id__in=ids)


def _id_codes(system: str | None, code: str) -> Q:
    provider_id, location_id = parse_schedule_id(code)
    return Q(provider_id=provider_id, location_id=location_id)


def _actor_condition(value: str, modifier: str) -> Q:
    kind, ident = split_reference(value)
    if kind == "Practitioner":
        return Q(provider_id=parse_int_id(ident, what="actor"))
    if kind == "Location":
        return Q(location_id=parse_int_id(ident, what="actor"))
    raise FhirError(400, "invalid", "actor: give Practitioner/<id> or Location/<id>.", expression=["actor"])


def _active_codes(system: str | None, code: str) -> Q:
    both = Q(provider__is_active=True, location__is_active=True)
    if code == "true":
        return both
    if code == "false":
        return ~both
    raise FhirError(400, "invalid", "active: true or false.", expression=["active"])


@dataclass
class ScheduleRow:
    provider_id: int
    location_id: int
    provider: Provider | None = None
    location: Location | None = None
    periods: list[ProviderTemplate] = field(default_factory=list)
    service_types: list[AppointmentType] = field(default_factory=list)


@register
class ScheduleResource(ModelResourceType):
    name = "Schedule"
    permissions = (Perm.SCHEDULE_VIEW,)
    documentation = ("One schedule per provider and location where the provider has weekly hours; id "
                     "'<provider id>-<location id>'. Only at locations where the caller may view the schedule. "
                     "Free and busy times are the Slots of a schedule (Slot?schedule=Schedule/<id>).")
    search_params = {
        "_id": token("_id", "The schedule's id, <provider id>-<location id>.", _id_codes),
        "actor": SearchParam("actor", "reference", "Practitioner/<id> or Location/<id>: the schedules of that "
                             "provider or at that location.", _actor_condition),
        "active": token("active", "true: provider and location active; false: either inactive.", _active_codes),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return templates_scoped(request.user)

    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        pairs = (self.scoped(request).filter(criteria.q()).values("provider_id", "location_id").distinct()
                 .order_by("provider_id", "location_id"))
        total = pairs.count()
        page = list(pairs[criteria.offset : criteria.offset + criteria.count]) if criteria.count else []
        return total, [ScheduleRow(row["provider_id"], row["location_id"]) for row in page]

    def read(self, request: HttpRequest, ident: str) -> Any:
        match = SCHEDULE_ID.fullmatch(ident)
        if match is None:
            raise Http404()
        provider_id, location_id = int(match.group(1)), int(match.group(2))
        if self.scoped(request).filter(provider_id=provider_id, location_id=location_id).exists():
            return ScheduleRow(provider_id, location_id)
        if ProviderTemplate.objects.filter(provider_id=provider_id, location_id=location_id).exists():
            raise deny(request, permission=Perm.SCHEDULE_VIEW, object_type="scheduling.schedule", object_id=ident)
        raise Http404()

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        """Four queries for any page: providers, locations, their weekly periods, the appointment types."""
        if not objects:
            return
        provider_ids = {row.provider_id for row in objects}
        location_ids = {row.location_id for row in objects}
        providers = Provider.objects.in_bulk(provider_ids)
        locations = Location.objects.in_bulk(location_ids)
        periods: dict[tuple[int, int], list[ProviderTemplate]] = defaultdict(list)
        for period in ProviderTemplate.objects.filter(provider_id__in=provider_ids, location_id__in=location_ids
                                                      ).order_by("weekday", "start"):
            periods[(period.provider_id, period.location_id)].append(period)
        types = list(appointment_type_list().filter(is_active=True))
        for row in objects:
            row.provider = providers[row.provider_id]
            row.location = locations[row.location_id]
            row.periods = periods[(row.provider_id, row.location_id)]
            row.service_types = types

    def to_resource(self, row: ScheduleRow, request: HttpRequest) -> dict[str, Any]:
        provider, location = row.provider, row.location
        assert provider is not None  # loaded by prepare()
        assert location is not None
        today = practice_today()
        hours = "; ".join(f"{Weekday(period.weekday).label} {period.start:%H:%M}-{period.end:%H:%M}"
                          for period in row.periods)
        return compact({
            "resourceType": "Schedule",
            "id": schedule_id(row.provider_id, row.location_id),
            "active": provider.is_active and location.is_active,
            "serviceType": [concept(APPOINTMENT_TYPE_SYSTEM, str(kind.pk), kind.name) for kind in row.service_types],
            "specialty": [concept(TAXONOMY_SYSTEM, provider.taxonomy_code)] if provider.taxonomy_code else [],
            "actor": [reference("Practitioner", provider.pk, provider.display_name),
                      reference("Location", location.pk, location.name)],
            "planningHorizon": {"start": today.isoformat(),
                                "end": (today + dt.timedelta(days=SLOT_HORIZON_DAYS)).isoformat()},
            "comment": f"Weekly hours: {hours}." if hours else "",
        })
