"""The FHIR interactions: metadata, search (GET, and POST to _search), read, create."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict

from . import resources  # noqa: F401  (registers every resource type)
from .base import REGISTRY, ResourceType
from .bundle import base_url, searchset
from .capability import capability_statement
from .errors import FhirError
from .http import fhir_endpoint, fhir_response, read_body
from .search import parse_criteria


def _type(name: str) -> ResourceType:
    kind = REGISTRY.get(name)
    if kind is None:
        raise FhirError(404, "not-supported", f"Resource type {name!r} is not served here; see /fhir/r4/metadata.")
    return kind


def _method_not_allowed(allowed: str) -> FhirError:
    return FhirError(405, "not-supported", f"Use {allowed}.", headers={"Allow": allowed})


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        raise _method_not_allowed("GET")
    return fhir_response(capability_statement(request))


def _search(request: HttpRequest, kind: ResourceType, query: QueryDict) -> HttpResponse:
    kind.check_access(request)
    criteria = parse_criteria(query, kind.search_params)
    total, objects = kind.search(request, criteria)
    return fhir_response(searchset(request, kind.name, criteria, total, kind.render(objects, request)))


@fhir_endpoint
def type_endpoint(request: HttpRequest, type_name: str) -> HttpResponse:
    """GET: search. POST: create."""
    kind = _type(type_name)
    if request.method == "GET":
        return _search(request, kind, request.GET)
    if request.method == "POST":
        kind.check_access(request)
        if not kind.supports_create:
            raise _method_not_allowed("GET")
        body = read_body(request)
        if body.get("resourceType") != kind.name:
            raise FhirError(400, "invalid", f"The body must be a {kind.name} resource.",
                            expression=["resourceType"])
        created = kind.create(body, request)
        resource = kind.render([created], request)[0]
        location = f"{base_url(request)}{kind.name}/{resource['id']}"
        return fhir_response(resource, status=201, headers={"Location": location})
    raise _method_not_allowed("GET, POST")


@fhir_endpoint
def search_post(request: HttpRequest, type_name: str) -> HttpResponse:
    """POST [type]/_search with form-encoded parameters: for clients that keep search terms out of URLs."""
    if request.method != "POST":
        raise _method_not_allowed("POST")
    return _search(request, _type(type_name), request.POST)


@fhir_endpoint
def instance_endpoint(request: HttpRequest, type_name: str, ident: str) -> HttpResponse:
    kind = _type(type_name)
    if request.method not in ("GET", "HEAD"):
        raise _method_not_allowed("GET")
    kind.check_access(request)
    obj = kind.read(request, ident)
    return fhir_response(kind.render([obj], request)[0])
