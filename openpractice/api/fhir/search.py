"""FHIR search parameters turned into ORM filters. Each resource type declares its parameters (an allowlist);
a value is parsed by its parameter's type and only ever reaches the database as a bound ORM value.

Supported, per FHIR R4 search: string (starts-with, case-insensitive; `:exact`, `:contains`), token
(`[system|]code`), date (`eq ne lt le gt ge` prefixes, precision year / month / day / instant), reference
(`Type/id` or `id`). Repeating a parameter ANDs the conditions; commas inside one value OR them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .errors import FhirError

# What FHIR calls the parameter's type, and the modifiers we accept for each.
MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"", "exact", "contains"}),
    "token": frozenset({""}),
    "date": frozenset({""}),
    "reference": frozenset({""}),
}
DATE_PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge")
MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class SearchParam:
    """One search parameter: its FHIR name and type, what it means, and how a value becomes a Q."""

    name: str
    type: str
    documentation: str
    # (value, modifier) -> Q for one comma-separated alternative.
    condition: Callable[[str, str], Q]
    target: str = ""  # for references: the resource type pointed at

    def to_q(self, raw: str, modifier: str) -> Q:
        if modifier not in MODIFIERS[self.type]:
            raise FhirError(400, "not-supported", f"The modifier :{modifier} is not supported on {self.name}.",
                            expression=[self.name])
        alternatives = [part.strip() for part in _split_commas(raw)]
        if not alternatives or any(not part or len(part) > MAX_VALUE_LENGTH for part in alternatives):
            raise FhirError(400, "invalid", f"Give {self.name} a value (at most {MAX_VALUE_LENGTH} characters).",
                            expression=[self.name])
        combined = Q()
        for part in alternatives:
            combined |= self.condition(part, modifier)
        return combined


def _split_commas(raw: str) -> list[str]:
    # A comma escaped as "\," belongs to the value.
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", raw)]


def string(name: str, fields: Sequence[str], documentation: str,
           normalize: Callable[[str], str] = lambda value: value) -> SearchParam:
    """Matches any of `fields`: starts-with by default, `:exact` equality, `:contains` substring."""

    def condition(value: str, modifier: str) -> Q:
        value = normalize(value)
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}[modifier]
        combined = Q()
        for field_name in fields:
            combined |= Q(**{f"{field_name}__{lookup}": value})
        return combined

    return SearchParam(name, "string", documentation, condition)


def token(name: str, documentation: str, codes: Callable[[str | None, str], Q]) -> SearchParam:
    """`[system|]code`: `codes(system, code)` answers the Q (system None when not given) or raises FhirError."""

    def condition(value: str, modifier: str) -> Q:
        system, bar, code = value.partition("|")
        if not bar:
            system, code = "", value
        return codes(system if bar else None, code.strip())

    return SearchParam(name, "token", documentation, condition)


def choice_token(name: str, documentation: str, field_name: str, mapping: dict[str, Sequence[Any]]) -> SearchParam:
    """A token over a fixed set of FHIR codes, each standing for some of our stored values."""

    def codes(system: str | None, code: str) -> Q:
        if code not in mapping:
            raise FhirError(400, "invalid", f"Unknown {name} {code!r}; use one of: {', '.join(sorted(mapping))}.",
                            expression=[name])
        return Q(**{f"{field_name}__in": list(mapping[code])})

    return token(name, documentation, codes)


def reference(name: str, field_name: str, target: str, documentation: str) -> SearchParam:
    """`Type/id` or a bare id, of the `target` type: an integer primary key."""

    def condition(value: str, modifier: str) -> Q:
        kind, slash, ident = value.rpartition("/")
        if slash and kind.rsplit("/", 1)[-1] != target:
            raise FhirError(400, "invalid", f"{name} refers to a {target}.", expression=[name])
        return Q(**{field_name: parse_int_id(ident if slash else value, what=name)})

    return SearchParam(name, "reference", documentation, condition, target=target)


def parse_int_id(value: str, *, what: str = "id") -> int:
    if not re.fullmatch(r"[0-9]{1,18}", value.strip()):
        raise FhirError(400, "invalid", f"{what}: {value!r} is not an id.", expression=[what])
    return int(value)


# -- dates -----------------------------------------------------------------------------------------------------

_DATE_FORMS = (
    (re.compile(r"^\d{4}$"), "year"),
    (re.compile(r"^\d{4}-\d{2}$"), "month"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "day"),
)


def date_range(value: str, *, what: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The instant range [start, end) a FHIR date/dateTime value covers, in the practice's time zone when the
    value has no offset."""
    zone = timezone.get_current_timezone()
    try:
        for pattern, precision in _DATE_FORMS:
            if pattern.match(value):
                if precision == "year":
                    start = datetime.date(int(value), 1, 1)
                    end = datetime.date(start.year + 1, 1, 1)
                elif precision == "month":
                    year, month = (int(part) for part in value.split("-"))
                    start = datetime.date(year, month, 1)
                    end = datetime.date(year + (month == 12), month % 12 + 1, 1)
                else:
                    start = datetime.date.fromisoformat(value)
                    end = start + datetime.timedelta(days=1)
                return (datetime.datetime.combine(start, datetime.time(), zone),
                        datetime.datetime.combine(end, datetime.time(), zone))
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise FhirError(400, "invalid", f"{what}: {value!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or "
                                        "an instant).", expression=[what]) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment, moment + datetime.timedelta(seconds=1)


def date(name: str, field_name: str, documentation: str, *, is_date_field: bool = False) -> SearchParam:
    """A date parameter over a DateField (`is_date_field`) or a DateTimeField."""

    def condition(value: str, modifier: str) -> Q:
        prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
        moment = value[2:] if value[:2] in DATE_PREFIXES else value
        start, end = date_range(moment, what=name)
        low: Any = start.date() if is_date_field else start
        high: Any = (end - datetime.timedelta(microseconds=1)).date() if is_date_field else end
        if is_date_field:
            # Whole days: [low, high] inclusive.
            ranges = {"eq": Q(**{f"{field_name}__gte": low, f"{field_name}__lte": high}),
                      "lt": Q(**{f"{field_name}__lt": low}), "le": Q(**{f"{field_name}__lte": high}),
                      "gt": Q(**{f"{field_name}__gt": high}), "ge": Q(**{f"{field_name}__gte": low})}
        else:
            ranges = {"eq": Q(**{f"{field_name}__gte": low, f"{field_name}__lt": high}),
                      "lt": Q(**{f"{field_name}__lt": low}), "le": Q(**{f"{field_name}__lt": high}),
                      "gt": Q(**{f"{field_name}__gte": high}), "ge": Q(**{f"{field_name}__gte": low})}
        if prefix == "ne":
            return ~ranges["eq"]
        return ranges[prefix]

    return SearchParam(name, "date", documentation, condition)


@dataclass
class Criteria:
    """A search request parsed: conditions per parameter, plus the result parameters."""

    conditions: list[tuple[SearchParam, Q]] = field(default_factory=list)
    count: int = 20
    offset: int = 0
    # The parameters as given, for the Bundle's links (name, value) in order.
    given: list[tuple[str, str]] = field(default_factory=list)

    def q(self) -> Q:
        combined = Q()
        for _param, condition in self.conditions:
            combined &= condition
        return combined

    def values_of(self, name: str) -> list[str]:
        return [value for given_name, value in self.given if given_name.split(":")[0] == name]


DEFAULT_COUNT = 20
MAX_COUNT = 200
# Result and format parameters every search accepts; anything else must be a declared search parameter.
GENERAL_PARAMETERS = frozenset({"_count", "_offset", "_format", "_pretty"})


def parse_criteria(query: Any, params: dict[str, SearchParam]) -> Criteria:
    """The request's query string checked against the resource type's allowlist."""
    criteria = Criteria()
    for raw_name in query:
        name, _colon, modifier = raw_name.partition(":")
        values = query.getlist(raw_name)
        if name in GENERAL_PARAMETERS:
            continue
        param = params.get(name)
        if param is None:
            supported = ", ".join(sorted(params)) or "none"
            raise FhirError(400, "not-supported", f"Unknown search parameter {name!r}. Supported: {supported}; "
                                                  "and _count.", expression=[name])
        for value in values:
            criteria.conditions.append((param, param.to_q(value, modifier)))
            criteria.given.append((raw_name, value))
    criteria.count = _bounded_int(query.get("_count"), DEFAULT_COUNT, 0, MAX_COUNT, "_count")
    criteria.offset = _bounded_int(query.get("_offset"), 0, 0, 10_000_000, "_offset")
    return criteria


def _bounded_int(raw: str | None, default: int, low: int, high: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise FhirError(400, "invalid", f"{name} must be a whole number.", expression=[name])
    return min(max(int(raw), low), high)
