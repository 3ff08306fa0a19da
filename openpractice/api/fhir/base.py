"""One class per FHIR resource type we serve, registered in REGISTRY by its FHIR name.

A resource type declares who may read it (`permissions`, any one of them), its search parameters (the
allowlist), the scoped queryset of what a caller may see (from the owning app's selectors, so the location
scope is the UI's), and the mapping of one object to a FHIR resource (a dict that validates against the R4B
models; the tests check every type). Most types are one model: they derive from ModelResourceType and give its
scoped queryset. Types that are not one model (Organization, Slot, Task) derive from ResourceType and define
`search` and `read` themselves. The abstract methods are the contract: a type missing one fails at registration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from openpractice.accounts.permissions import can
from openpractice.core.web import deny, get_scoped_or_404

from .errors import FhirError
from .search import Criteria, SearchParam, parse_int_id

REGISTRY: dict[str, ResourceType] = {}


def register(cls: type[ResourceType]) -> type[ResourceType]:
    REGISTRY[cls.name] = cls()
    return cls


class ResourceType(ABC):
    name: ClassVar[str]
    # Any one of these permissions lets a caller read the type (at the locations where they hold it).
    permissions: ClassVar[tuple[str, ...]]
    search_params: ClassVar[dict[str, SearchParam]] = {}
    # Stable order for paging.
    ordering: ClassVar[tuple[str, ...]] = ("pk",)
    # The CapabilityStatement's description of the type.
    documentation: ClassVar[str] = ""
    supports_create: ClassVar[bool] = False

    # -- what subclasses provide -------------------------------------------------------------------------------

    @abstractmethod
    def to_resource(self, obj: Any, request: HttpRequest) -> dict[str, Any]:
        """The FHIR resource (a dict valid against the R4B model) for one object."""

    @abstractmethod
    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        """The total matching `criteria` and the objects of the requested page, in a stable order."""

    @abstractmethod
    def read(self, request: HttpRequest, ident: str) -> Any:
        """One object the caller may read; out of scope raises 404 (audited), as everywhere."""

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        """Load what to_resource needs for a whole page at once (no query per row). Optional."""
        return None

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        """Record the reads of PHI (patients.viewed per patient shown). Optional: types without PHI skip it."""
        return None

    def create(self, body: dict[str, Any], request: HttpRequest) -> Any:
        raise FhirError(405, "not-supported", f"{self.name} cannot be created here.")

    # -- the interactions ----------------------------------------------------------------------------------------

    def check_access(self, request: HttpRequest) -> None:
        if not any(can(request.user, permission) for permission in self.permissions):
            raise deny(request, permission=" or ".join(self.permissions))

    def render(self, objects: Iterable[Any], request: HttpRequest) -> list[dict[str, Any]]:
        rows = list(objects)
        self.prepare(rows, request)
        self.audit(rows, request)
        return [self.to_resource(obj, request) for obj in rows]


class ModelResourceType(ResourceType):
    """A type that is one model: search and read work on the scoped queryset."""

    @abstractmethod
    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        """Everything of this type the caller may read, from the owning app's scoped selector."""

    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        queryset = self.scoped(request).filter(criteria.q()).order_by(*self.ordering)
        total = queryset.count()
        page = list(queryset[criteria.offset : criteria.offset + criteria.count]) if criteria.count else []
        return total, page

    def read(self, request: HttpRequest, ident: str) -> Any:
        return get_scoped_or_404(request, self.scoped(request), permission=" or ".join(self.permissions),
                                 pk=parse_int_id(ident))


def resource_id(obj: Model) -> str:
    return str(obj.pk)
