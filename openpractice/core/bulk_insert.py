"""Insert many rows of plain values in one statement, without building a model instance per row.

For bulk paths that write thousands of narrow rows (a claim's status history during a 10,000-claim scrub):
`bulk_create` builds an instance per row and prepares every field of every row, which was over a second of such
a run. Here the varying columns must be plain integers or text (checked), and the columns that are the same for
every row are given once and prepared by their field as Django would. On PostgreSQL the rows go as one array
per column through `UNNEST`; elsewhere through `executemany`. No signals, no save(): only for append-only
tables whose rows need neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models

# Fields whose values are ints or strings as they are: nothing to prepare per row.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model._meta.label}.{name} is not a column of its own")
    return field


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *,
                constants: Mapping[str, Any] | None = None) -> int:
    """Insert `rows` (tuples in the order of `fields`) into `model`'s table; `constants` are further fields with
    one value for every row. Returns the number of rows inserted."""
    if not rows:
        return 0
    meta = model._meta
    varying = [_column(model, name) for name in fields]
    for field in varying:
        integer_key = not isinstance(field, models.ForeignKey) or isinstance(
            field.target_field, models.IntegerField | models.AutoField)
        if not isinstance(field, PLAIN_FIELDS) or not integer_key:
            raise TypeError(f"{meta.label}.{field.name}: only integer, text and integer-keyed relation fields vary "
                            "per row")
    fixed = [(_column(model, name), value) for name, value in (constants or {}).items()]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*varying, *(field for field, _ in fixed)])
    fixed_params = [field.get_db_prep_save(field.get_prep_value(value), connection) for field, value in fixed]
    table = quote(meta.db_table)
    # Only quoted names from the model's metadata and placeholders are written into the SQL; values are bound.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in varying)
            names = ", ".join(f"c{index}" for index in range(len(varying)))
            fixed_sql = "".join(", %s" for _ in fixed)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {names}{fixed_sql} FROM UNNEST({arrays}) AS u({names})",  # noqa: S608
                [*fixed_params, *(list(column) for column in zip(*rows, strict=True))])
        else:
            placeholders = ", ".join(["%s"] * (len(varying) + len(fixed)))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                               [(*row, *fixed_params) for row in rows])
    return len(rows)
