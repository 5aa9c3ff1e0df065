"""The batched gate (outreach_authorize_batch) decides exactly as the single gate called once per action.

Each situation is run twice on the same data: single-gate calls one after another, rolled back, then one
batch. The decisions (allowed, reasons, every rule's result, the facts, the next allowed time), the
contacts and the validation notices must be the same, and the evidence chains must verify.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from compliance import evidence
from compliance.actions import Actor, OutreachAction
from compliance.models import Decision, ValidationNotice
from compliance.services import outreach_authorize, outreach_authorize_batch
from contacts.models import ContactAttempt
from tests import factories

from .conftest import local, log

SCHEDULER = Actor.scheduler()


def _single(actions: list[OutreachAction]) -> list[Any]:
    answers: list[Any] = []
    for action in actions:
        try:
            answers.append(outreach_authorize(action=action, actor=SCHEDULER))
        except ValidationError as exc:
            answers.append(exc)
    return answers


def _batch(actions: list[OutreachAction]) -> list[Any]:
    return outreach_authorize_batch(actions=actions, actor=SCHEDULER)


def _comparable(answers: list[Any]) -> list[Any]:
    """What each answer decided, with the ids of the contacts written during the run replaced by their
    place in it (the two runs draw different ids from the sequences)."""
    new_ids = {a.contact.pk: f"new-{i}" for i, a in enumerate(answers) if not isinstance(a, Exception) and a.contact}
    out: list[Any] = []
    for answer in answers:
        if isinstance(answer, ValidationError):
            out.append(("rejected", answer.message_dict))
            continue
        decision = Decision.objects.get(pk=answer.decision.pk)  # as stored, not as built
        facts = decision.facts
        for entry in facts["history"]:
            entry["id"] = new_ids.get(entry["id"], entry["id"])
        contact = ContactAttempt.objects.filter(decision=decision).values("to", "at", "channel", "outcome").first()
        out.append(
            {
                "allowed": decision.allowed,
                "reasons": decision.reasons,
                "results": decision.results,
                "facts": facts,
                "next_allowed_at": decision.next_allowed_at,
                "to": decision.to,
                "rule_pack": decision.rule_pack,
                "pack_versions": decision.pack_versions,
                "message_digest": decision.message_digest,
                "contact": contact,
                "answer": (answer.allowed, answer.reasons, answer.next_allowed_at),
            }
        )
    return out


def _notices() -> list[tuple[int, int]]:
    return sorted(ValidationNotice.objects.values_list("borrower_id", "case_id"))


def _both(actions: list[OutreachAction]) -> tuple[list[Any], list[Any]]:
    """The single gate's and the batched gate's answers to the same actions on the same data."""
    with transaction.atomic():
        single = _comparable(_single(actions))
        single_notices = _notices()
        transaction.set_rollback(True)
    batch_answers = _batch(actions)
    batch = _comparable(batch_answers)
    assert _notices() == single_notices
    borrowers = {a.borrower.pk for a in actions}
    report = evidence.verify(borrower_ids=sorted(borrowers))
    assert report.ok, report.failures_as_dicts()
    return single, batch


@pytest.fixture
def cn(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    return borrower


@pytest.fixture
def uk(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="GB-ENG", language="en")
    factories.PhoneFactory(borrower=borrower, number="+447700900123", kind="mobile")
    return borrower


@pytest.fixture
def us(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-NY", language="en")
    factories.PhoneFactory(borrower=borrower, number="+12125550100", kind="mobile")
    factories.EmailFactory(borrower=borrower, address="pat@example.com")
    return borrower


# 13:00 UTC: 21:00 in Shanghai, 13:00 in London, 08:00 in New York (daytime everywhere but late in CN).
AT = dt.datetime(2026, 6, 10, 13, 0, tzinfo=dt.UTC)


def test_same_borrower_actions_are_decided_in_sequence_and_caps_count_the_batch(cn, uk):
    """Four calls to each borrower: the single gate allows three and blocks the fourth on the daily cap;
    the batch must too (each call sees the contacts the batch allowed before it)."""
    day = local("Asia/Shanghai", 2026, 6, 10, 16, 0)  # 09:00 in London
    log(cn, day - dt.timedelta(days=1))
    actions = [OutreachAction(borrower=b, channel="call", at=day) for _ in range(4) for b in (cn, uk)]
    single, batch = _both(actions)
    assert batch == single
    assert [d["allowed"] for d in batch] == [True] * 6 + [False] * 2
    assert {r["code"] for r in batch[-2]["reasons"]} == {"daily_answered_cap"}  # CN: three calls a day
    assert {r["code"] for r in batch[-1]["reasons"]} == {"call_frequency_cap"}  # UK: likewise


def test_blocks_deferrals_holds_opt_outs_and_rejections_agree(cn, uk, us, platform):
    factories.HoldFactory(borrower=uk, kind="dispute", starts_at=AT - dt.timedelta(days=1))
    factories.OptOutFactory(borrower=us, channel="sms", to="+12125550100")
    case = factories.CaseFactory(loan=factories.LoanFactory(borrower=us, currency="USD"))
    other = factories.BorrowerFactory(platform=platform, region="CN-11")  # no phone: nothing to call
    log(uk, AT - dt.timedelta(hours=3), outcome="answered")
    actions = [
        OutreachAction(borrower=cn, channel="sms", at=AT, message="Your installment is due."),
        OutreachAction(borrower=uk, channel="call", at=AT),
        OutreachAction(borrower=us, channel="sms", at=AT, case=case, message="Reminder"),
        # The US e-mail is allowed and is the case's first communication: its validation notice is scheduled once.
        OutreachAction(borrower=us, channel="email", at=AT, case=case, message="Reminder. To unsubscribe, reply."),
        OutreachAction(borrower=us, channel="email", at=AT, case=case, message="Again. To unsubscribe, reply."),
        OutreachAction(borrower=other, channel="call", at=AT),
        OutreachAction(borrower=cn, channel="call", at=AT, to="not a number"),
        OutreachAction(borrower=cn, channel="call", at=AT, dry_run=True),
    ]
    single, batch = _both(actions)
    assert batch == single
    allowed = [d["allowed"] if isinstance(d, dict) else d[0] for d in batch]
    assert True in allowed and False in allowed
    assert ValidationNotice.objects.filter(case=case).count() == 1


def test_a_night_action_is_deferred_with_the_same_next_allowed_time(cn):
    night = local("Asia/Shanghai", 2026, 6, 10, 23, 30)
    actions = [OutreachAction(borrower=cn, channel="sms", at=night, message="Hello")]
    single, batch = _both(actions)
    assert batch == single
    assert batch[0]["allowed"] is False and batch[0]["next_allowed_at"] is not None


def test_the_batch_continues_a_chain_the_single_gate_started(cn):
    noon = local("Asia/Shanghai", 2026, 6, 10, 12, 0)
    outreach_authorize(action=OutreachAction(borrower=cn, channel="call", at=noon), actor=SCHEDULER)
    _batch([OutreachAction(borrower=cn, channel="sms", at=noon, message="Hi") for _ in range(2)])
    outreach_authorize(action=OutreachAction(borrower=cn, channel="call", at=noon), actor=SCHEDULER)
    assert evidence.verify(borrower_ids=[cn.pk]).ok
    assert Decision.objects.filter(borrower=cn).count() == 4


def test_the_batch_reads_every_borrower_in_one_statement(cn, uk, us, django_assert_max_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite judges one action after another")
    noon = local("Asia/Shanghai", 2026, 6, 10, 12, 0)
    actions = [OutreachAction(borrower=b, channel="call", at=noon) for b in (cn, uk, us, cn)]
    _batch([replace(a, dry_run=True) for a in actions])  # the rule packs cached, as in a running worker
    # lock, read, write (+ the savepoint the batch opens and releases)
    with django_assert_max_num_queries(5):
        answers = _batch(actions)
    assert all(not isinstance(a, Exception) for a in answers)
