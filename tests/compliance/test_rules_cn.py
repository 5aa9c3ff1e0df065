"""The CN pack: answered and unanswered daily caps, third parties, visits."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

from .conftest import check, codes, local, log

AT = (2026, 6, 10, 15, 0)


def at() -> dt.datetime:
    return local("Asia/Shanghai", *AT)


@pytest.mark.parametrize(("answered", "allowed"), [(2, True), (3, False)])
def test_daily_answered_cap(cn_borrower, answered, allowed):
    for i in range(answered):
        log(cn_borrower, at() - dt.timedelta(hours=i + 1), outcome="right_party")
    result = check(cn_borrower, at())
    assert result.allowed is allowed
    assert ("daily_answered_cap" in codes(result)) is (not allowed)


def test_answered_cap_sums_every_collector_and_counts_pending_attempts(cn_borrower, collector, other_collector):
    log(cn_borrower, at() - dt.timedelta(hours=3), outcome="connected", actor_user=collector)
    log(cn_borrower, at() - dt.timedelta(hours=2), outcome="promise", actor_user=other_collector)
    log(cn_borrower, at() - dt.timedelta(minutes=5), outcome="")  # pending: counts as answered
    assert codes(check(cn_borrower, at())) == {"daily_answered_cap"}


def test_answered_cap_ignores_yesterday_and_unanswered_calls(cn_borrower):
    for i in range(3):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 9, 20, i), outcome="connected")
        log(cn_borrower, at() - dt.timedelta(minutes=10 + i), outcome="no_answer")
    assert check(cn_borrower, at()).allowed


@pytest.mark.parametrize(("unanswered", "allowed"), [(5, True), (6, False)])
def test_daily_unanswered_cap_per_number(cn_borrower, unanswered, allowed):
    other = factories.PhoneFactory(borrower=cn_borrower, number="+8613900000009")
    for i in range(unanswered):
        log(cn_borrower, at() - dt.timedelta(minutes=10 * (i + 1)), outcome="busy")
    result = check(cn_borrower, at())
    assert ("daily_unanswered_cap" in codes(result)) is (not allowed)
    assert check(cn_borrower, at(), to=other.number).allowed  # another number is unaffected


@pytest.fixture
def third_party(cn_borrower):
    return factories.ThirdPartyFactory(borrower=cn_borrower, phone="+8613800000001")


def test_third_party_only_while_borrower_unreachable(cn_borrower, third_party):
    assert codes(check(cn_borrower, at(), party="third_party", third_party=third_party)) == {
        "third_party_borrower_reachable"
    }
    # Six unanswered attempts (the last six) and no conversation in three days: now unreachable.
    for i in range(6):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 8, 9 + i, 0), outcome="no_answer")
    assert check(cn_borrower, at(), party="third_party", third_party=third_party).allowed


def test_five_unanswered_attempts_are_not_enough(cn_borrower, third_party):
    for i in range(5):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 8, 9 + i, 0), outcome="no_answer")
    assert not check(cn_borrower, at(), party="third_party", third_party=third_party).allowed


@pytest.mark.parametrize(("conversation_day", "allowed"), [(8, False), (7, True)])
def test_a_conversation_in_the_last_three_days_means_reachable(cn_borrower, third_party, conversation_day, allowed):
    # Local days 8, 9 and 10 June are "the last 3 days" on the 10th.
    log(cn_borrower, local("Asia/Shanghai", 2026, 6, conversation_day, 9, 0), direction="inbound", outcome="connected")
    for i in range(6):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 9, 9 + i, 0), outcome="no_answer")
    assert check(cn_borrower, at(), party="third_party", third_party=third_party).allowed is allowed


def test_every_phone_invalid_means_unreachable(cn_borrower, third_party):
    cn_borrower.phones.update(invalid=True)
    assert check(cn_borrower, at(), party="third_party", third_party=third_party).allowed


def test_a_third_party_who_refused_is_never_contacted_again(cn_borrower, third_party):
    cn_borrower.phones.update(invalid=True)
    log(
        cn_borrower,
        at() - dt.timedelta(days=40),
        party="third_party",
        third_party=third_party,
        to=third_party.phone,
        outcome="refused",
    )
    assert codes(check(cn_borrower, at(), party="third_party", third_party=third_party)) == {"third_party_refused"}


@pytest.mark.parametrize(
    ("message", "allowed"),
    [
        ("请让他回电", True),
        ("请转告他尽快还款", False),
        ("He has an overdue loan", False),
        ("Please ask him to call back", True),
    ],
)
def test_third_party_messages_must_not_mention_the_debt(cn_borrower, third_party, message, allowed):
    cn_borrower.phones.update(invalid=True)
    result = check(cn_borrower, at(), channel="sms", party="third_party", third_party=third_party, message=message)
    assert result.allowed is allowed
    # The same words to the borrower are fine.
    assert check(cn_borrower, at(), channel="sms", message=message).allowed


@pytest.mark.parametrize(("collectors", "allowed"), [(None, False), (1, False), (2, True), (3, True)])
def test_visit_requires_two_collectors(cn_borrower, collectors, allowed):
    result = check(cn_borrower, at(), channel="visit", collectors=collectors)
    assert result.allowed is allowed
    assert ("visit_requires_two_collectors" in codes(result)) is (not allowed)
