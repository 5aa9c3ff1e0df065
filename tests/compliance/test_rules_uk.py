"""The UK pack (FCA CONC 7)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

from .conftest import check, codes, local, log

LDN = "Europe/London"


@pytest.mark.parametrize(("today", "allowed"), [(2, True), (3, False)])
def test_three_call_attempts_per_local_day(uk_borrower, today, allowed):
    for i in range(today):
        log(uk_borrower, local(LDN, 2026, 6, 10, 9 + i, 0), outcome="no_answer")
    result = check(uk_borrower, local(LDN, 2026, 6, 10, 15, 0))
    assert ("call_frequency_cap" in codes(result)) is (not allowed)
    if not allowed:
        assert result.next_allowed_at == local(LDN, 2026, 6, 11, 8, 0)


@pytest.mark.parametrize(("in_window", "allowed"), [(9, True), (10, False)])
def test_ten_call_attempts_per_7_local_days(uk_borrower, in_window, allowed):
    # Spread over 4 .. 9 June (at most 2 a day, under the daily cap), none today.
    days = [4, 4, 5, 5, 6, 6, 7, 7, 8, 8][:in_window]
    for i, day in enumerate(days):
        log(uk_borrower, local(LDN, 2026, 6, day, 9 + i % 2, 0), outcome="busy")
    result = check(uk_borrower, local(LDN, 2026, 6, 10, 15, 0))
    assert ("call_frequency_cap" in codes(result)) is (not allowed)
    if not allowed:
        # The two 4 June attempts leave the window on 11 June.
        assert result.next_allowed_at == local(LDN, 2026, 6, 11, 8, 0)


def test_sms_does_not_count_as_a_call(uk_borrower):
    for i in range(3):
        log(uk_borrower, local(LDN, 2026, 6, 10, 9 + i, 0), channel="sms", outcome="delivered")
    assert check(uk_borrower, local(LDN, 2026, 6, 10, 15, 0)).allowed


@pytest.mark.parametrize(
    ("message", "blocked"),
    [
        ("Please pay in full immediately", True),
        ("You must pay within 24 hours", True),
        ("Borrow from a friend to clear this", True),
        ("Can we agree an affordable plan? Call us when convenient.", False),
    ],
)
def test_pressure_content_for_a_vulnerable_borrower(uk_borrower, message, blocked):
    at = local(LDN, 2026, 6, 10, 12, 0)
    factories.EmailFactory(borrower=uk_borrower)
    assert check(uk_borrower, at, channel="email", message=message).allowed or "prohibited_content" in codes(
        check(uk_borrower, at, channel="email", message=message)
    )
    uk_borrower.vulnerabilities = ["unemployed"]
    uk_borrower.save()
    result = check(uk_borrower, at, channel="email", message=message)
    assert ("pressure_content" in codes(result)) is blocked


def test_pressure_content_for_a_borrower_with_an_active_plan(uk_borrower):
    from repayment_plans.models import Plan

    loan = factories.LoanFactory(borrower=uk_borrower, currency="GBP")
    case = factories.CaseFactory(loan=loan)
    Plan.objects.create(
        case=case,
        kind="installment",
        status="active",
        currency="GBP",
        balance=100,
        total_amount=100,
        first_due_date=dt.date(2026, 7, 1),
    )
    factories.EmailFactory(borrower=uk_borrower)
    result = check(uk_borrower, local(LDN, 2026, 6, 10, 12, 0), channel="email", message="Pay in full today or else")
    assert "pressure_content" in codes(result)


def test_breathing_space_is_honoured_outside_the_uk_too(cn_borrower):
    at = local("Asia/Shanghai", 2026, 6, 10, 12, 0)
    factories.HoldFactory(borrower=cn_borrower, kind="breathing_space", starts_at=at - dt.timedelta(days=1))
    assert codes(check(cn_borrower, at)) == {"hold_breathing_space"}
