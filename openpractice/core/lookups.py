"""`field__any_of=[...]`: membership in a list of values, sent to PostgreSQL as one array parameter.

`field__in=ids` with thousands of ids gives the driver and the server a query with one placeholder per id to
parse and plan (for 10,000 claims in chunks of 2,000 that was more than a second of a scrub run). On PostgreSQL
`any_of` writes `field = ANY(%s)` with the list as a single array value; elsewhere it is exactly `__in` (SQLite
has no arrays), so callers still keep their lists to a bounded size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False  # a list, not one value of the field

    def get_prep_lookup(self) -> Any:
        if not isinstance(self.rhs, Iterable) or isinstance(self.rhs, str | bytes):
            raise TypeError("any_of takes a list of values")
        prepare = self.lhs.output_field.get_prep_value
        return [value if type(value) is int else prepare(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.cast_db_type(connection)
        values: Any = self.rhs
        if all(type(value) is int for value in values):
            # An array literal of integers is safe to write as text, and far cheaper for the driver than a list
            # it adapts element by element.
            values = "{" + ",".join(map(str, values)) + "}"
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, values)


def any_of_chunk_size() -> int:
    """How many values one `any_of` list should hold: SQLite binds each as a parameter (2,000 keeps queries
    well inside its limits); PostgreSQL takes one array, so only memory bounds it."""
    return 20_000 if connection.vendor == "postgresql" else 2000


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # relations take only lookups registered on ForeignObject and below
