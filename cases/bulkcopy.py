"""New rows and their "+" history rows (django-simple-history) by COPY, each row built once.

The bulk loan upload writes 10,000 loans and 60,000 installments, each twice (the table and its history).
Each row is one tuple, built once: the table gets it as it is (id first), the history the same tuple with
the history's own columns appended. The columns every row shares (defaults, auto_now) are one constant tail,
with an integral Decimal default sent as an int ("0" costs psycopg a fraction of what Decimal("0") does).

Text COPY, not binary: measured on the installment rows, psycopg's binary dumper of a Decimal (through
Decimal.as_tuple()) made the binary format 2-2.5x slower than the text format, and an upload is mostly
amounts (docs/performance.md, issue 21 second round). Elsewhere than PostgreSQL (SQLite), instances and
simple-history's bulk_create_with_history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

# The history table's own columns, after the model's (simple-history's defaults; history_id is serial).
HISTORY_EXTRA = ("history_date", "history_change_reason", "history_type", "history_user_id")


def history_user_id() -> int | None:
    """The signed-in user of the request being served, as simple-history records it (None in a task or
    for an API client)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _columns(fields: Iterable[Field]) -> list[str]:
    return [f.column for f in fields if f.column]  # a concrete field always has its column


def _constant(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def copy_insert(
    model: type[Model], columns: Sequence[str], rows: Sequence[tuple], *, now: dt.datetime | None = None
) -> list[int]:
    """Insert `rows` (tuples of the values of `columns`, attnames of `model`) and their "+" history rows;
    returns the new ids in order. A field not in `columns` takes its default (auto_now ones: `now`), the
    same for every row."""
    if not rows:
        return []
    now = now or timezone.now()
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    given = [by_name[name] for name in columns]
    rest = [f for f in fields if f.attname not in set(columns)]
    tail = tuple(
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else _constant(f.get_default())
        for f in rest
    )
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        bulk_create_with_history(objs, model, batch_size=5000)
        return [obj.pk for obj in objs]

    history = model.history.model  # type: ignore[attr-defined]  # simple-history adds it
    pk = meta.pk
    assert pk is not None
    table_columns = _columns([pk, *given, *rest])
    history_columns = [*table_columns, *HISTORY_EXTRA]
    expected = set(_columns(f for f in history._meta.concrete_fields if not f.primary_key))
    if set(history_columns) != expected:  # a history model with other columns than simple-history's own
        raise ValueError(f"{history._meta.db_table}: unexpected columns {sorted(expected ^ set(history_columns))}")
    extra = (now, None, "+", history_user_id())
    quote = connection.ops.quote_name
    with connection.wrap_database_errors, connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(rows)],
        )
        ids = [new_id for (new_id,) in raw.fetchall()]
        full = [(new_id, *row, *tail) for new_id, row in zip(ids, rows, strict=True)]
        for table, names, suffix in (
            (meta.db_table, table_columns, ()),
            (history._meta.db_table, history_columns, extra),
        ):
            with raw.copy(f"COPY {quote(table)} ({', '.join(quote(c) for c in names)}) FROM STDIN") as copy:
                write = copy.write_row
                if suffix:
                    for values in full:
                        write(values + suffix)
                else:
                    for values in full:
                        write(values)
    return ids
