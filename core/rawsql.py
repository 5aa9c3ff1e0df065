"""Plain SQL through Django's cursor, for the few hot paths where the ORM's per-query cost dominates.

Why: a compliance decision is about a dozen statements. On loopback a PostgreSQL round trip costs
~0.1 ms, but the ORM spends 0.5-1 ms compiling each queryset or saving each instance, which put one
decision at ~20 ms against a 5 ms budget (docs/performance.md). The SQL written with these helpers is
portable between PostgreSQL and SQLite, so one code path serves both and the whole suite covers it on
each; values read back are normalised here (SQLite hands back text for dates and 0/1 for booleans).

Writes go through the models' own fields (`pre_save`, `get_db_prep_save`), so defaults, auto_now_add and
JSON adaptation are Django's; they send no signals, so a caller that relies on one must do its work.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connection, models
from django.utils.dateparse import parse_date, parse_datetime

# Positional (`%s`) or named (`%(name)s`) parameters: both work on PostgreSQL and SQLite through
# Django's cursor (SQLite's wrapper turns names into its own `:name`). A named one may appear twice.
Params = Sequence[Any] | Mapping[str, Any]


def _adapt(params: Params) -> list[Any] | dict[str, Any]:
    # Datetimes as the ORM would pass them: SQLite compares text, so an aware time in another zone
    # must become the naive UTC text the column holds.
    adapt = connection.ops.adapt_datetimefield_value
    if isinstance(params, Mapping):
        return {name: adapt(p) if isinstance(p, dt.datetime) else p for name, p in params.items()}
    return [adapt(p) if isinstance(p, dt.datetime) else p for p in params]


def fetch(sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        return cursor.fetchall()


def fetch_one(sql: str, params: Params = ()) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        return cursor.fetchone()


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _quoted_column(field: models.Field) -> str:
    # A concrete field always has a column; the stubs allow None (for fields that have none).
    assert field.column is not None
    return connection.ops.quote_name(field.column)


def columns(model: type[models.Model], names: Sequence[str], alias: str = "") -> str:
    """Quoted column list for field names or attnames (`to` is a reserved word, hence the quoting)."""
    prefix = f"{alias}." if alias else ""
    cols = []
    for name in names:
        field = model._meta.get_field(name)  # accepts attnames (loan_id) too
        assert isinstance(field, models.Field)  # a column, not a reverse relation
        cols.append(prefix + _quoted_column(field))
    return ", ".join(cols)


# --- values read back ----------------------------------------------------------------------------------


def as_datetime(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from what either backend returns for a DateTimeField (USE_TZ = True)."""
    if value is None or isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(value)


def as_json(value: Any) -> Any:
    """Both backends hand JSON columns back as text to raw SQL (Django decodes them in from_db_value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


# --- writes ----------------------------------------------------------------------------------------------


@cache
def _insert_statement(
    model: type[models.Model], vendor: str, rows: int, with_pk: bool
) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    cols = ", ".join(_quoted_column(f) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"INSERT INTO {table(model)} ({cols}) VALUES {', '.join([one] * rows)}", fields  # noqa: S608


def prepare_insert(*objs: models.Model, with_pk: bool = False) -> tuple[str, list[Any]]:
    """The INSERT statement and parameters for new instances of one model (ids included when `with_pk`:
    the caller drew them from the sequence). Runs each field's `pre_save` (auto_now_add) and
    `get_db_prep_save`, as `Model.save()` would."""
    sql, fields = _insert_statement(type(objs[0]), connection.vendor, len(objs), with_pk)
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    return sql, params


def insert(*objs: models.Model) -> None:
    """INSERT new instances of one model in one statement and set their primary keys.

    Sends no signals and writes no history.
    """
    if not objs:
        return
    sql, params = prepare_insert(*objs)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {_quoted_column(objs[0]._meta.pk)}", params)
        pks = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        saved(obj, pk)


def saved(obj: models.Model, pk: int) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def execute_together(statements: list[tuple[str, list[Any]]]) -> None:
    """Run several INSERT/UPSERT statements as one (PostgreSQL data-modifying CTEs: one round trip; the
    foreign keys between them are checked at the end of the statement)."""
    *first, (last_sql, last_params) = statements
    ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _params) in enumerate(first))
    params = [p for _sql, ps in first for p in ps] + list(last_params)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {last_sql}" if first else last_sql, params)
