"""Fast inserts with PostgreSQL COPY, driven by the models' own field definitions.

Each row gives the fields the benchmark cares about; every other concrete field gets its model default
(or NULL), so the generator keeps working when an app adds a column with a default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _default_for(field: models.Field) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    # Django's own rule: the declared default, else "" for non-null text fields, else None.
    return field.get_default()


def _adapt(field: models.Field, value: Any) -> Any:
    if isinstance(field, models.JSONField):
        import json

        return json.dumps(value if value is not None else field.get_default())
    return value


def copy_rows(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    *,
    on_progress: Callable[[int], None] | None = None,
    every: int = 10_000,
) -> int:
    """COPY `rows` (dicts of attname → value, ids included) into `model`'s table; returns the count."""
    fields = list(model._meta.concrete_fields)
    defaults = {f.attname: _default_for(f) for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_adapt(f, row[f.attname] if f.attname in row else defaults[f.attname]) for f in fields])
                count += 1
                if on_progress and count % every == 0:
                    on_progress(every)
    if on_progress:
        on_progress(count % every)
    return count


def max_id(model: type[models.Model]) -> int:
    return model.objects.aggregate(m=models.Max("id"))["m"] or 0


def reset_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))",  # noqa: S608
            [table],
        )
