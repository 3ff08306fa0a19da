"""Limit/offset pagination for list endpoints: {"items": [...], "count": n}, at most 200 rows a page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 2_147_483_647

T = TypeVar("T")


class PageIn(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page (1–{MAX_LIMIT}).")
    # Bounded so that offset + limit stays a 64-bit integer: SQLite refuses larger OFFSETs with an OverflowError.
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int = Field(description="Rows matching the query, over all pages.")


def paginate(queryset: QuerySet[Any], page: PageIn, *, convert: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Two queries whatever the size: the count, then one page (plus any prefetches of the queryset)."""
    count = queryset.count()
    rows: Iterable[Any] = queryset[page.offset : page.offset + page.limit]
    items = [convert(row) for row in rows] if convert else list(rows)
    return {"items": items, "count": count}
