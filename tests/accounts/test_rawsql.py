"""The plain-SQL helpers behind the gate's hot path behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from compliance.models import EvidenceLink
from contacts.models import ContactAttempt
from core import rawsql
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _contact(borrower, at: dt.datetime, **fields) -> ContactAttempt:
    return ContactAttempt.objects.create(
        platform=borrower.platform, borrower=borrower, channel="call", at=at, actor_kind="scheduler", **fields
    )


def test_aware_times_in_any_zone_compare_as_instants():
    # SQLite compares datetimes as text: 09:00 in Shanghai is 01:00 UTC and must sort before 05:00 UTC.
    borrower = factories.BorrowerFactory()
    at = dt.datetime(2026, 6, 10, 5, 0, tzinfo=dt.UTC)
    _contact(borrower, at)
    table = rawsql.table(ContactAttempt)
    sql = f"SELECT id FROM {table} WHERE borrower_id = %s AND at <= %s"  # noqa: S608
    assert rawsql.fetch(sql, [borrower.pk, dt.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)]) == []
    assert len(rawsql.fetch(sql, [borrower.pk, dt.datetime(2026, 6, 10, 13, 0, tzinfo=SHANGHAI)])) == 1


def test_named_parameters_are_adapted_too_and_may_repeat():
    borrower = factories.BorrowerFactory()
    _contact(borrower, dt.datetime(2026, 6, 10, 5, 0, tzinfo=dt.UTC))
    table = rawsql.table(ContactAttempt)
    sql = f"SELECT id FROM {table} WHERE borrower_id = %(borrower)s AND at <= %(at)s AND %(borrower)s > 0"  # noqa: S608
    assert rawsql.fetch(sql, {"borrower": borrower.pk, "at": dt.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)}) == []
    row = rawsql.fetch_one(sql, {"borrower": borrower.pk, "at": dt.datetime(2026, 6, 10, 13, 0, tzinfo=SHANGHAI)})
    assert row is not None


def test_values_read_back_are_normalised():
    borrower = factories.BorrowerFactory(vulnerabilities=["elderly"])
    at = dt.datetime(2026, 6, 10, 5, 0, 0, 123456, tzinfo=dt.UTC)
    _contact(borrower, at, consented=True)
    row = rawsql.fetch_one(
        f"SELECT at, consented FROM {rawsql.table(ContactAttempt)} WHERE borrower_id = %s",  # noqa: S608
        [borrower.pk],
    )
    assert rawsql.as_datetime(row[0]) == at and bool(row[1]) is True
    vulnerabilities = rawsql.fetch_one("SELECT vulnerabilities FROM borrowers_borrower WHERE id = %s", [borrower.pk])
    assert rawsql.as_json(vulnerabilities[0]) == ["elderly"]


def test_insert_sets_primary_keys_in_order_and_runs_pre_save():
    borrower = factories.BorrowerFactory()
    links = [
        EvidenceLink(
            borrower=borrower, seq=n, kind="decision", object_id=n, content_hash="a", prev_hash="b", chain_hash="c"
        )
        for n in (1, 2, 3)
    ]
    rawsql.insert(*links)
    stored = list(EvidenceLink.objects.filter(borrower=borrower).order_by("seq").values_list("pk", "seq", "created_at"))
    assert [(pk, seq) for pk, seq, _ in stored] == [(link.pk, link.seq) for link in links]
    assert all(created is not None for *_, created in stored)
