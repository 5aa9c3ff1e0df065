"""Filters shared by the API's FilterSets: what they take is what the OpenAPI schema says they take."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from core.api import RFC3339_MESSAGE, parse_rfc3339_utc


class UtcIsoDateTimeField(forms.DateTimeField):
    """An RFC 3339 time with its offset (the schema's `date-time`), converted to UTC.

    Django's parser also took dates alone and times without an offset, which the schema forbids. A time
    UTC cannot hold (`9999-12-31T23:59:59-14:00`, whose conversion overflowed into a 500) is the first or
    last instant it can (core.api.parse_rfc3339_utc).
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        parsed = parse_rfc3339_utc(str(value))
        if parsed is None:
            raise ValidationError(RFC3339_MESSAGE, code="invalid")
        return parsed


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter that compares in UTC.

    Python accepts offsets up to ±24h, PostgreSQL only up to ±15:59: handing the parsed value over
    with its offset would turn `?updated_since=...-18:06` into a database error. The field converts it.
    """

    field_class = UtcIsoDateTimeField


class StrictNullBooleanField(forms.NullBooleanField):
    """`true` or `false` (also `True`, `False`, `1`, `0`); empty: no filter. Anything else is a 400, where
    Django's field (its select widget) read it as "no filter" and answered everything."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField
