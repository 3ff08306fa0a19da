"""Search results as a `searchset` Bundle with paging links (self, first, previous, next, last)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import timezone

from .mapping import instant
from .search import Criteria


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/")


def full_url(request: HttpRequest, resource: dict[str, Any]) -> str:
    return f"{base_url(request)}{resource['resourceType']}/{resource['id']}"


def _link(request: HttpRequest, type_name: str, criteria: Criteria, offset: int) -> str:
    query = [*criteria.given, ("_count", str(criteria.count)), ("_offset", str(max(offset, 0)))]
    return f"{base_url(request)}{type_name}?{urlencode(query)}"


def searchset(request: HttpRequest, type_name: str, criteria: Criteria, total: int,
              resources: list[dict[str, Any]]) -> dict[str, Any]:
    count, offset = criteria.count, criteria.offset
    links = [{"relation": "self", "url": _link(request, type_name, criteria, offset)}]
    if count:
        links.append({"relation": "first", "url": _link(request, type_name, criteria, 0)})
        if offset > 0:
            links.append({"relation": "previous", "url": _link(request, type_name, criteria, offset - count)})
        if offset + count < total:
            links.append({"relation": "next", "url": _link(request, type_name, criteria, offset + count)})
        last = max(total - 1, 0) // count * count
        links.append({"relation": "last", "url": _link(request, type_name, criteria, last)})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": total,
        "link": links,
        "entry": [{"fullUrl": full_url(request, resource), "resource": resource, "search": {"mode": "match"}}
                  for resource in resources],
    }
