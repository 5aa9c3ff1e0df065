"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter that compares in UTC.

    Python accepts offsets up to ±24h, PostgreSQL only up to ±15:59: handing the parsed value over
    with its offset would turn `?updated_since=...-18:06` into a database error.
    """

    def filter(self, qs, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)
