"""The gate's round trips: a live decision costs a bounded number of queries (the latency budget is a
few milliseconds on PostgreSQL, and every query is a round trip under the borrower's lock)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import evidence
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize

from .conftest import local, log

NOON = local("Asia/Shanghai", 2026, 6, 10, 12, 0)
NIGHT = local("Asia/Shanghai", 2026, 6, 10, 23, 0)
SCHEDULER = Actor.scheduler()

# The gate's transaction (2), the lock (1), everything read under it in one statement (contact points,
# log, last calls, holds, opt-outs, plan, evidence head and, on PostgreSQL, the new rows' ids: 1), then
# on PostgreSQL one statement for every write; elsewhere the decision (1), its evidence link and the
# chain head (2) and, when allowed, the contact (1), linked in the same multi-row insert as the decision.


def _budget(allowed: bool) -> int:
    if connection.vendor == "postgresql":
        return 5
    return 7 + (1 if allowed else 0)


def _gate(borrower, at, **fields):
    return outreach_authorize(
        action=OutreachAction(borrower=borrower, channel="call", at=at, **fields), actor=SCHEDULER
    )


def _warm(borrower):
    # Rule packs are cached per process; a first call loads them (not what this bounds).
    _gate(borrower, NOON, dry_run=True)


def test_an_allowed_live_call_stays_within_its_query_budget(cn_borrower, django_assert_max_num_queries):
    _warm(cn_borrower)
    log(cn_borrower, local("Asia/Shanghai", 2026, 6, 9, 12, 0))
    with django_assert_max_num_queries(_budget(allowed=True)):
        result = _gate(cn_borrower, NOON)
    assert result.allowed and result.contact is not None
    assert evidence.verify_borrower(cn_borrower.pk)[0] is None


def test_a_blocked_live_call_stays_within_its_query_budget(cn_borrower, django_assert_max_num_queries):
    _warm(cn_borrower)
    with django_assert_max_num_queries(_budget(allowed=False)):
        result = _gate(cn_borrower, NIGHT)
    assert not result.allowed and result.contact is None
    assert evidence.verify_borrower(cn_borrower.pk)[0] is None


def test_the_gate_takes_the_borrower_lock_once_and_opens_no_savepoint_per_link(cn_borrower):
    _warm(cn_borrower)
    with CaptureQueriesContext(connection) as ctx:
        _gate(cn_borrower, NOON)
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert sum('FROM "BORROWERS_PHONE"' in s for s in sql) == 1
    if connection.features.has_select_for_update:
        assert sum("FOR UPDATE" in s for s in sql) == 1
    # The gate's own atomic block (a savepoint inside the test's transaction) is the only one.
    assert sum(s.startswith("SAVEPOINT") for s in sql) <= 1


@pytest.mark.parametrize("outcome", ["", "no_answer"])
def test_a_contact_written_with_or_without_an_outcome_is_linked_as_before(cn_borrower, outcome):
    from compliance.models import EvidenceLink

    result = _gate(cn_borrower, NOON, outcome=outcome)
    kinds = list(
        EvidenceLink.objects.filter(borrower_id=cn_borrower.pk).order_by("seq").values_list("kind", "object_id")
    )
    expected = [("decision", result.decision.pk), ("contact", result.contact.pk)]
    if outcome:
        expected.append(("contact_outcome", result.contact.pk))
    assert kinds == expected
    assert evidence.verify_borrower(cn_borrower.pk)[0] is None
