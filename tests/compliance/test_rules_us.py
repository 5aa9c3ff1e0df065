"""The US pack (Regulation F, TCPA) and the Massachusetts and Washington overlays."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

from .conftest import check, codes, local, log

NY = "America/New_York"


def at(day: int = 10, hour: int = 12) -> dt.datetime:
    return local(NY, 2026, 6, day, hour, 0)


@pytest.fixture
def loan(us_borrower):
    return factories.LoanFactory(borrower=us_borrower, currency="USD")


@pytest.mark.parametrize(("attempts", "allowed"), [(6, True), (7, False)])
def test_7_in_7_the_eighth_call_is_blocked(us_borrower, loan, attempts, allowed):
    # One unanswered attempt a day on days d-6 .. d (the last on d itself).
    for i in range(attempts):
        log(us_borrower, at(10 - i, 9), loan=loan, outcome="no_answer")
    result = check(us_borrower, at(), loan=loan)
    assert result.allowed is allowed
    assert ("call_frequency_7in7" in codes(result)) is (not allowed)


def test_7_in_7_next_time_is_when_the_oldest_attempt_leaves_the_window(us_borrower, loan):
    for i in range(7):
        log(us_borrower, at(10 - i, 9), loan=loan, outcome="no_answer")  # 4 .. 10 June
    result = check(us_borrower, at(), loan=loan)
    # The 4 June attempt leaves the window on 11 June; then quiet hours open at 08:00.
    assert result.next_allowed_at == local(NY, 2026, 6, 11, 8, 0)


def test_7_in_7_counts_days_d_minus_6_to_d_only(us_borrower, loan):
    for i in range(7):
        log(us_borrower, at(9 - i, 9), loan=loan, outcome="no_answer")  # 3 .. 9 June: the 3rd is out on the 10th
    assert "call_frequency_7in7" not in codes(check(us_borrower, at(), loan=loan))


def test_7_in_7_is_per_loan(us_borrower, loan):
    other = factories.LoanFactory(borrower=us_borrower, currency="USD")
    for i in range(7):
        log(us_borrower, at(10 - i, 9), loan=loan, outcome="no_answer")
    assert "call_frequency_7in7" in codes(check(us_borrower, at(), loan=loan))
    assert check(us_borrower, at(), loan=other).allowed


def test_7_in_7_ignores_inbound_and_consented_calls(us_borrower, loan):
    for i in range(7):
        log(us_borrower, at(10 - i, 9), loan=loan, outcome="no_answer", consented=(i == 0))
        log(us_borrower, at(10 - i, 10), loan=loan, outcome="no_answer", direction="inbound")
    assert check(us_borrower, at(), loan=loan).allowed
    # A call made with fresh consent is not limited either.
    log(us_borrower, at(10, 11), loan=loan, outcome="no_answer")
    assert "call_frequency_7in7" in codes(check(us_borrower, at(), loan=loan))
    assert check(us_borrower, at(), loan=loan, consented=True).allowed


@pytest.mark.parametrize(
    ("conversation_day", "blocked"),
    [(10, True), (4, True), (3, False)],  # day D=4 blocks through D+6=10; D=3 only through the 9th
)
def test_conversation_cooldown(us_borrower, loan, conversation_day, blocked):
    log(us_borrower, at(conversation_day, 9), loan=loan, outcome="right_party")
    result = check(us_borrower, at(), loan=loan)
    assert ("conversation_cooldown" in codes(result)) is blocked


def test_cooldown_ends_at_d_plus_7_midnight_then_quiet_hours(us_borrower, loan):
    log(us_borrower, at(4, 9), loan=loan, direction="inbound", outcome="promise")  # inbound counts too
    result = check(us_borrower, at(), loan=loan)
    assert codes(result) == {"conversation_cooldown"}
    assert result.next_allowed_at == local(NY, 2026, 6, 11, 8, 0)


def test_cooldown_is_per_loan(us_borrower, loan):
    other = factories.LoanFactory(borrower=us_borrower, currency="USD")
    log(us_borrower, at(9, 9), loan=loan, outcome="connected")
    assert "conversation_cooldown" in codes(check(us_borrower, at(), loan=loan))
    assert check(us_borrower, at(), loan=other).allowed


def test_sms_to_a_mobile_needs_autodial_consent(us_borrower):
    mobile = factories.PhoneFactory(borrower=us_borrower, number="+12125550199", kind="mobile")
    result = check(us_borrower, at(), channel="sms", to=mobile.number, message="Reply STOP to opt out")
    assert codes(result) == {"no_autodial_consent"}
    mobile.autodial_consent = True
    mobile.save()
    assert check(us_borrower, at(), channel="sms", to=mobile.number, message="Reply STOP to opt out").allowed


def test_autodialed_call_to_a_mobile_needs_consent_a_manual_one_does_not(us_borrower):
    mobile = factories.PhoneFactory(borrower=us_borrower, number="+12125550199", kind="mobile")
    assert codes(check(us_borrower, at(), to=mobile.number, autodialed=True)) == {"no_autodial_consent"}
    assert check(us_borrower, at(), to=mobile.number).allowed
    assert check(us_borrower, at(), autodialed=True).allowed  # the home number


@pytest.mark.parametrize(
    ("channel", "message", "allowed"),
    [
        ("sms", "Your payment is due. Reply STOP to opt out.", True),
        ("sms", "Your payment is due.", False),
        ("sms", "Call us nonstop", False),
        ("email", "Your statement. To unsubscribe click here.", True),
        ("email", "Your statement.", False),
    ],
)
def test_sms_and_email_must_say_how_to_opt_out(us_borrower, channel, message, allowed):
    factories.PhoneFactory(borrower=us_borrower, number="+12125550199", kind="mobile", autodial_consent=True)
    factories.EmailFactory(borrower=us_borrower)
    to = "+12125550199" if channel == "sms" else None
    result = check(us_borrower, at(), channel=channel, to=to, message=message)
    assert ("missing_opt_out" in codes(result)) is (not allowed)


def test_no_email_to_a_work_address(us_borrower):
    work = factories.EmailFactory(borrower=us_borrower, kind="work", address="Them@Employer.example")
    result = check(us_borrower, at(), channel="email", to="them@employer.example")
    assert codes(result) == {"work_email"}
    assert result.decision.facts["target"]["kind"] == "work"
    assert work.pk


def test_time_barred_debt_no_mention_of_legal_action(us_borrower):
    loan = factories.LoanFactory(borrower=us_borrower, currency="USD", statute_limitations_date=dt.date(2026, 6, 9))
    factories.EmailFactory(borrower=us_borrower)
    text = "We may file a lawsuit. To unsubscribe reply."
    assert codes(check(us_borrower, at(), channel="email", loan=loan, message=text)) == {"time_barred_threat"}
    assert check(us_borrower, at(9), channel="email", loan=loan, message=text).allowed  # the last day is not passed


def test_a_third_party_is_contacted_once(us_borrower):
    tp = factories.ThirdPartyFactory(borrower=us_borrower, phone="+12125550142")
    assert check(us_borrower, at(), party="third_party", third_party=tp).allowed
    log(us_borrower, at(3), party="third_party", third_party=tp, to=tp.phone, outcome="third_party_reached")
    assert codes(check(us_borrower, at(), party="third_party", third_party=tp)) == {"third_party_repeat"}


def test_us_third_party_message_must_not_mention_the_debt(us_borrower):
    tp = factories.ThirdPartyFactory(borrower=us_borrower, phone="+12125550142")
    result = check(us_borrower, at(), party="third_party", third_party=tp, message="She owes us money")
    assert codes(result) == {"third_party_debt_disclosure"}


@pytest.fixture
def ma_borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-MA", language="en")
    factories.PhoneFactory(borrower=borrower, number="+16175550100", kind="home")
    return borrower


@pytest.mark.parametrize(("earlier", "allowed"), [(1, True), (2, False)])
def test_ma_two_calls_or_texts_per_7_days_per_loan_to_personal_numbers(ma_borrower, earlier, allowed):
    loan = factories.LoanFactory(borrower=ma_borrower, currency="USD")
    for i in range(earlier):
        log(ma_borrower, at(5 + i, 9), loan=loan, outcome="no_answer")
    result = check(ma_borrower, at(), loan=loan)
    assert ("state_frequency_cap" in codes(result)) is (not allowed)
    assert result.decision.rule_pack == "US+US-MA"
    assert check(ma_borrower, at(), loan=factories.LoanFactory(borrower=ma_borrower, currency="USD")).allowed


def test_ma_other_numbers_two_per_30_days(ma_borrower):
    loan = factories.LoanFactory(borrower=ma_borrower, currency="USD")
    work = factories.PhoneFactory(borrower=ma_borrower, number="+16175550111", kind="work")
    log(ma_borrower, at(1, 9) - dt.timedelta(days=10), loan=loan, to=work.number, outcome="no_answer")  # 22 May
    log(ma_borrower, at(2, 9), loan=loan, to=work.number, outcome="no_answer")
    assert codes(check(ma_borrower, at(), loan=loan, to=work.number)) == {"state_frequency_cap"}
    assert check(ma_borrower, at(), loan=loan).allowed  # the home number is counted separately


def test_ma_one_visit_per_30_days(ma_borrower):
    loan = factories.LoanFactory(borrower=ma_borrower, currency="USD")
    log(ma_borrower, at(1, 9) - dt.timedelta(days=20), channel="visit", loan=loan, outcome="connected", to="")
    assert codes(check(ma_borrower, at(), channel="visit", loan=loan, collectors=2)) == {"state_frequency_cap"}


@pytest.fixture
def wa_borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-WA", language="en")
    factories.PhoneFactory(borrower=borrower, number="+12065550100", kind="home")
    factories.EmailFactory(borrower=borrower)
    return borrower


@pytest.mark.parametrize(("earlier", "allowed"), [(2, True), (3, False)])
def test_wa_three_communications_per_7_days_per_borrower_any_channel(wa_borrower, earlier, allowed):
    seattle = "America/Los_Angeles"
    channels = ["call", "email", "letter"]
    for i in range(earlier):
        log(wa_borrower, local(seattle, 2026, 6, 5 + i, 9, 0), channel=channels[i], outcome="delivered", to="")
    # Per borrower: a different loan does not help.
    loan = factories.LoanFactory(borrower=wa_borrower, currency="USD")
    result = check(wa_borrower, local(seattle, 2026, 6, 10, 12, 0), channel="email", loan=loan, message="unsubscribe")
    assert ("state_frequency_cap" in codes(result)) is (not allowed)


def test_wa_one_communication_at_work_per_7_days(wa_borrower):
    seattle = "America/Los_Angeles"
    work = factories.PhoneFactory(borrower=wa_borrower, number="+12065550111", kind="work")
    log(wa_borrower, local(seattle, 2026, 6, 8, 9, 0), to=work.number, outcome="no_answer")
    assert codes(check(wa_borrower, local(seattle, 2026, 6, 10, 12, 0), to=work.number)) == {"state_frequency_cap"}
    assert check(wa_borrower, local(seattle, 2026, 6, 10, 12, 0)).allowed
