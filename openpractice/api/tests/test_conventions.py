"""The REST conventions every operation keeps, read from the OpenAPI document itself: naming, pagination, typed
filters (never a free sort or filter value), documentation, error answers and examples. A deliberate exception is
allowlisted here with its reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from openpractice.api.urls import api

DOCUMENT: dict[str, Any] = api.get_openapi_schema()
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
PREFIX = "/api/v1/"
SORT_NAMES = {"sort", "order", "ordering", "order_by", "sort_by"}

# Collections are plural kebab-case nouns; these top-level paths are not collections.
NOT_COLLECTIONS = {
    "me": "the caller themself",
    "practice": "the one practice this installation runs",
    "stock": "a mass noun: on-hand stock (its own paths under it are collections)",
    "calendar": "a feed of dated items over a window, paged by dates",
}
# GETs on a path without a parameter that do not answer a Page.
UNPAGED_COLLECTION_GETS = {
    "/api/v1/me": "one object: the caller",
    "/api/v1/practice": "one object: the practice",
    "/api/v1/kpis": "the fixed catalogue of figures (a dozen), always whole",
    "/api/v1/calendar": "a window of dates (from/to, at most 92 days) instead of limit/offset",
    "/api/v1/budgets": "one fiscal year's budget (the year is the filter)",
    "/api/v1/budgets/variance": "a report over one fiscal year",
}
# Top-level JSON arrays in a 200/201: bounded lists that belong to one object.
ARRAY_ANSWERS = {
    ("get", "/api/v1/claims/{claim_id}/history"): "one claim's status changes, short and whole",
    ("post", "/api/v1/purchase-orders"): "the draft orders made from one requisition (one per vendor)",
}
# Path parameters not named <thing>_id: natural keys.
NATURAL_KEY_PARAMETERS = {
    "entry_code": "a fee schedule's entries are keyed by their CPT/HCPCS code",
    "key": "KPIs are keyed by their stable name (e.g. days_in_ar)",
}
# Request bodies with no schema-level example.
BODIES_WITHOUT_EXAMPLE = {
    ("post", "/api/v1/remittances/imports"): "multipart upload of an 835 file: the file is the example",
}


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


OPERATIONS = list(operations())
IDS = [f"{method.upper()} {path}" for method, path, _operation in OPERATIONS]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return SCHEMAS[schema["$ref"].removeprefix("#/components/schemas/")]
    return schema


def success_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "201"):
        answer = operation["responses"].get(status) or operation["responses"].get(int(status))
        if answer and "content" in answer:
            return dict(answer["content"]["application/json"]["schema"])
    return None


def responses(operation: dict[str, Any]) -> dict[str, Any]:
    return {str(status): answer for status, answer in operation["responses"].items()}


def has_example(schema: dict[str, Any]) -> bool:
    """An example for the whole object, or for at least one of its fields."""
    schema = resolve(schema)
    if schema.get("examples") or "example" in schema:
        return True
    return any("examples" in field or "example" in field for field in schema.get("properties", {}).values())


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_is_documented_tagged_and_named(method: str, path: str, operation: dict[str, Any]) -> None:
    assert operation.get("summary"), "summary"
    assert operation.get("description"), "description"
    assert operation.get("tags"), "tag"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", operation.get("operationId", "")), "operationId"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_declares_its_error_answers(method: str, path: str, operation: dict[str, Any]) -> None:
    answers = responses(operation)
    for status in ("401", "404"):
        assert status in answers, status
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, status
    if method in {"post", "patch", "put"}:
        assert "422" in answers


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_paths_are_plural_kebab_case_collections_with_named_ids(method: str, path: str,
                                                                 operation: dict[str, Any]) -> None:
    assert path.startswith(PREFIX)
    segments = path.removeprefix(PREFIX).split("/")
    assert segments[0].endswith("s") or segments[0] in NOT_COLLECTIONS, segments[0]
    for segment in segments:
        if segment.startswith("{"):
            name = segment.strip("{}")
            assert name.endswith("_id") or name in NATURAL_KEY_PARAMETERS, segment
            assert re.fullmatch(r"[a-z][a-z0-9_]*", name), segment
        else:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", segment), segment


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_query_parameters_are_typed_and_sorting_takes_listed_values_only(method: str, path: str,
                                                                         operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        schema = parameter.get("schema", {})
        variants = [resolve(variant) for variant in schema.get("anyOf", [schema])]
        kinds = {variant.get("type") for variant in variants} | {"enum" for v in variants if "enum" in v}
        assert kinds - {None}, f"{parameter['name']} has no type"
        assert "object" not in kinds, f"{parameter['name']} is a free-form object"
        if parameter["name"] in SORT_NAMES:
            assert any("enum" in variant for variant in variants), f"{parameter['name']} takes any value"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_lists_are_paged_with_limit_and_offset(method: str, path: str, operation: dict[str, Any]) -> None:
    schema = success_schema(operation)
    if method != "get" or schema is None:
        return
    if schema.get("type") == "array":
        assert (method, path) in ARRAY_ANSWERS, "a bare array: answer a Page"
        return
    paged = schema.get("$ref", "").startswith("#/components/schemas/Page")
    if "{" not in path and not paged:
        assert path in UNPAGED_COLLECTION_GETS, "a collection GET that is not paged"
    if paged:
        names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
        assert {"limit", "offset"} <= names
        assert {"items", "count"} <= set(resolve(schema)["properties"])


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_request_bodies_have_an_example(method: str, path: str, operation: dict[str, Any]) -> None:
    body = operation.get("requestBody")
    if body is None or (method, path) in BODIES_WITHOUT_EXAMPLE:
        return
    for content in body["content"].values():
        assert has_example(content["schema"]), content["schema"]


def answer_item_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The object a 200/201 describes: the row of a Page or of an array, else the answer itself."""
    if schema.get("type") == "array":
        return dict(schema["items"])
    resolved = resolve(schema)
    if schema.get("$ref", "").startswith("#/components/schemas/Page"):
        return dict(resolved["properties"]["items"]["items"])
    return schema


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_success_answers_have_an_example(method: str, path: str, operation: dict[str, Any]) -> None:
    schema = success_schema(operation)
    if schema is None:
        return
    item = answer_item_schema(schema)
    assert has_example(item), item.get("$ref", item)


def _models_of_the_api() -> dict[str, type[BaseModel]]:
    """Every pydantic model an operation takes or answers, by module and class name (nested ones too)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            name = f"{annotation.__module__}.{annotation.__qualname__}"
            if found.get(name) is annotation:
                return
            found[name] = annotation
            for field in annotation.model_fields.values():
                visit(field.annotation)
        for argument in getattr(annotation, "__args__", ()):
            visit(argument)

    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    visit(model)
                for model in operation.response_models.values():
                    visit(model)
    return found


MODELS = _models_of_the_api()
# Models that take input (request bodies): their examples must pass the model's own validation too.
EXAMPLED = sorted(
    (name, index, example)
    for name, model in MODELS.items()
    if isinstance(model.model_config.get("json_schema_extra"), dict) and not model.__name__.endswith("Out")
    for index, example in enumerate(model.model_config["json_schema_extra"].get("examples", []))  # type: ignore[union-attr]
)


@pytest.mark.parametrize(("name", "index", "example"), EXAMPLED, ids=[f"{n}[{i}]" for n, i, _e in EXAMPLED])
def test_every_example_is_valid_against_its_schema(name: str, index: int, example: Any) -> None:
    MODELS[name].model_validate(example)


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where `value` breaks `schema` (the subset of JSON Schema django-ninja writes); empty when it conforms. Answer
    schemas resolve fields from model objects, so their examples are checked against the document, not the model."""
    schema = resolve(schema)
    if "anyOf" in schema:
        tries = [conforms(value, option, where) for option in schema["anyOf"]]
        return [] if any(not problems for problems in tries) else min(tries, key=len)
    if "allOf" in schema:
        return [problem for part in schema["allOf"] for problem in conforms(value, part, where)]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    types = schema.get("type")
    types = types if isinstance(types, list) else [types] if types else []
    checks = {"string": lambda v: isinstance(v, str), "integer": lambda v: isinstance(v, int) and v is not True
              and v is not False, "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
              "boolean": lambda v: isinstance(v, bool), "null": lambda v: v is None,
              "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}
    if types and not any(checks[kind](value) for kind in types):
        return [f"{where}: {value!r} is not {types}"]
    if isinstance(value, dict):
        missing = [f"{where}.{name}: missing" for name in schema.get("required", []) if name not in value]
        unknown = [f"{where}.{name}: not in the schema" for name in value if name not in schema.get("properties", {})]
        nested = [problem for name, field in schema.get("properties", {}).items() if name in value
                  for problem in conforms(value[name], field, f"{where}.{name}")]
        return missing + unknown + nested
    if isinstance(value, list) and "items" in schema:
        return [problem for index, item in enumerate(value)
                for problem in conforms(item, schema["items"], f"{where}[{index}]")]
    return []


DOCUMENTED = sorted((name, index, example) for name, schema in SCHEMAS.items()
                    for index, example in enumerate(schema.get("examples", [])))


@pytest.mark.parametrize(("name", "index", "example"), DOCUMENTED, ids=[f"{n}[{i}]" for n, i, _e in DOCUMENTED])
def test_every_documented_example_matches_the_openapi_schema(name: str, index: int, example: Any) -> None:
    assert conforms(example, SCHEMAS[name]) == []


def test_the_conventions_see_the_whole_api() -> None:
    assert len(OPERATIONS) > 100
    assert len(EXAMPLED) > 30
