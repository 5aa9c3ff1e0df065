"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC; one that UTC cannot hold (`9999-12-31T23:59:59-14:00`, whose
    conversion overflowed into a 500) is a 400 naming the parameter."""

    default_error_messages = {"range": _("Enter a time between the years 1 and 9999 in UTC.")}

    def to_python(self, value):
        result = super().to_python(value)
        if isinstance(result, dt.datetime) and result.tzinfo is not None:
            try:
                result = result.astimezone(dt.UTC)
            except OverflowError:
                raise ValidationError(self.error_messages["range"], code="range")
        return result


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter that compares in UTC.

    Python accepts offsets up to ±24h, PostgreSQL only up to ±15:59: handing the parsed value over
    with its offset would turn `?updated_since=...-18:06` into a database error. The field converts it.
    """

    field_class = UtcIsoDateTimeField
