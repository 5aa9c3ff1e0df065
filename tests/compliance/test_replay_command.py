"""manage.py compliance_replay's time bounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management.base import CommandError

from compliance.management.commands.compliance_replay import _bound


def test_a_bare_date_as_until_includes_that_whole_day():
    assert _bound("2026-12-02", end=True) == dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


def test_a_bare_date_as_since_starts_at_its_midnight():
    assert _bound("2026-12-02", end=False) == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def test_a_time_is_taken_as_given_and_naive_means_utc():
    assert _bound("2026-12-02T10:30:00+08:00", end=True) == dt.datetime(2026, 12, 2, 2, 30, tzinfo=dt.UTC)
    assert _bound("2026-12-02T10:30:00", end=True) == dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC)


def test_anything_else_is_refused():
    with pytest.raises(CommandError):
        _bound("yesterday", end=True)
