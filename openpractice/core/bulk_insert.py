"""Insert many rows of plain values in one statement, without building a model instance per row.

For bulk paths that write thousands of rows (a claim's status history during a 10,000-claim scrub, the rows,
ledger entries and audit events of a 5,000-claim remittance): `bulk_create` builds an instance per row and
prepares every field of every row through the field's methods, which was seconds of such runs. Here each varying
column is prepared by one small converter chosen once per column (nothing at all for integers, text, booleans and
decimals; dates and times as Django writes them on SQLite; JSON as text there), and the columns that are the same for
every row are given once and prepared by their field as Django would. On PostgreSQL the rows go as one JSON array
(json.dumps is C; psycopg's array adaptation checks every element in Python and took seconds for 20,000 rows), read
back with `jsonb_array_elements` and cast to each column's type; elsewhere through `executemany`. No signals, no
save(), no defaults: every column the table requires must be given. Only for append-only rows that need neither.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models

# Fields whose values go to both drivers as they are.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.DecimalField)
ACCEPTED = "integer, text, decimal, boolean, date, date-time, JSON and integer-keyed relation fields"


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model._meta.label}.{name} is not a column of its own")
    return field


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How one varying column's Python values become what the driver takes (None: as they are). Raises TypeError
    for fields this module does not prepare."""
    sqlite = connection.vendor != "postgresql"
    if isinstance(field, models.ForeignKey):
        if not isinstance(field.target_field, models.IntegerField | models.AutoField):
            raise TypeError(f"{field.model._meta.label}.{field.name}: only {ACCEPTED} vary per row")
        return None
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if not sqlite:  # nested as it is in the rows' JSON (see select_rows); through its encoder if it has one
            return None if encoder is None else lambda value: json.loads(json.dumps(value, cls=encoder))
        # SQL NULL for None, as Django stores None in a JSONField.
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if isinstance(field, models.DateTimeField):  # before DateField: a DateTimeField is one
        # SQLite: naive text in the connection's time zone (Django's own form); PostgreSQL reads the offset.
        return connection.ops.adapt_datetimefield_value if sqlite else None
    if isinstance(field, models.DateField):
        return (lambda value: None if value is None else value.isoformat()) if sqlite else None
    if isinstance(field, PLAIN_FIELDS):
        return None
    raise TypeError(f"{field.model._meta.label}.{field.name}: only {ACCEPTED} vary per row")


def _json_default(value: Any) -> str:
    """Decimals as their exact text (numeric reads it back unchanged), dates and times in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be passed to insert_rows")


_dumps = json.JSONEncoder(separators=(",", ":"), default=_json_default).encode


def select_rows(fields: Sequence[models.Field[Any, Any]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """PostgreSQL: a SELECT producing `rows` (prepared values, in the order of `fields`) as columns c0, c1 ...
    of each field's type, from one JSON parameter, in the order given. For INSERT ... SELECT statements. A JSON
    field's value is nested as it is."""
    columns = []
    for index, field in enumerate(fields):
        if isinstance(field, models.JSONField):  # nested JSON; None is SQL NULL, as Django stores it
            columns.append(f"NULLIF(r->{index:d}, 'null'::jsonb) AS c{index:d}")
        else:
            columns.append(f"(r->>{index:d})::{field.cast_db_type(connection)} AS c{index:d}")
    # Type names from the fields and a placeholder: the values are one bound parameter.
    return f"SELECT {', '.join(columns)} FROM jsonb_array_elements(%s::jsonb) AS r", [_dumps(rows)]  # noqa: S608


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *,
                constants: Mapping[str, Any] | None = None) -> int:
    """Insert `rows` (tuples in the order of `fields`) into `model`'s table; `constants` are further fields with
    one value for every row. Varying values are the Python values of their fields (int, str, Decimal, bool, date,
    aware datetime, JSON-serialisable data, None) and are not validated: callers pass clean values. Returns the
    number of rows inserted."""
    if not rows:
        return 0
    meta = model._meta
    varying = [_column(model, name) for name in fields]
    converters = [_converter(field) for field in varying]
    fixed = [(_column(model, name), value) for name, value in (constants or {}).items()]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*varying, *(field for field, _ in fixed)])
    fixed_params = [field.get_db_prep_save(field.get_prep_value(value), connection) for field, value in fixed]
    prepared: Sequence[Sequence[Any]] = rows
    if any(converter is not None for converter in converters):
        steps = [(index, converter) for index, converter in enumerate(converters) if converter is not None]
        converted = []
        for row in rows:
            values = list(row)
            for index, converter in steps:
                values[index] = converter(values[index])
            converted.append(values)
        prepared = converted
    table = quote(meta.db_table)
    # Only quoted names from the model's metadata, type names from its fields and placeholders are written into
    # the SQL; values are bound.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            source, params = select_rows(varying, prepared)
            names = ", ".join(f"u.c{index}" for index in range(len(varying)))
            # Typed, so that a constant's column need not be text (inet, timestamptz, jsonb ...).
            fixed_sql = "".join(f", %s::{field.cast_db_type(connection)}" for field, _ in fixed)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {names}{fixed_sql} FROM ({source}) AS u",  # noqa: S608
                           [*fixed_params, *params])
        else:
            placeholders = ", ".join(["%s"] * (len(varying) + len(fixed)))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                               [(*row, *fixed_params) for row in prepared])
    return len(rows)
