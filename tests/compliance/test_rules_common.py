"""Rules in every pack: holds, opt-outs, work contact, content, vulnerability."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

from .conftest import check, codes, local, log

NOON = (2026, 6, 10, 12, 0)


@pytest.fixture
def at():
    return local("Asia/Shanghai", *NOON)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("cease", "hold_cease"),
        ("attorney", "hold_attorney"),
        ("dispute", "hold_dispute"),
        ("bankruptcy", "hold_bankruptcy"),
        ("deceased", "hold_deceased"),
        ("breathing_space", "hold_breathing_space"),
        ("mental_health_crisis", "hold_breathing_space"),
    ],
)
def test_each_hold_blocks_with_its_code_only_while_active(cn_borrower, at, kind, code):
    factories.HoldFactory(
        borrower=cn_borrower, kind=kind, starts_at=at - dt.timedelta(hours=1), ends_at=at + dt.timedelta(hours=1)
    )
    result = check(cn_borrower, at)
    assert codes(result) == {code}
    assert result.next_allowed_at is None  # a hold is not a matter of time
    # Starting: a minute before the hold starts, allowed; ending: at ends_at it no longer applies.
    assert check(cn_borrower, at - dt.timedelta(hours=1, minutes=1)).allowed
    assert check(cn_borrower, at - dt.timedelta(hours=1)).allowed is False
    assert check(cn_borrower, at + dt.timedelta(minutes=59)).allowed is False
    assert check(cn_borrower, at + dt.timedelta(hours=1)).allowed


def test_a_hold_on_one_loan_blocks_that_loan_only(cn_borrower, at):
    held = factories.LoanFactory(borrower=cn_borrower)
    other = factories.LoanFactory(borrower=cn_borrower)
    factories.HoldFactory(borrower=cn_borrower, kind="dispute", loan=held, starts_at=at - dt.timedelta(days=1))
    assert codes(check(cn_borrower, at, loan=held)) == {"hold_dispute"}
    assert check(cn_borrower, at, loan=other).allowed
    # An action about no loan in particular could be about the disputed one.
    assert codes(check(cn_borrower, at)) == {"hold_dispute"}


def test_attorney_hold_protects_the_borrower_not_the_third_party_rules(cn_borrower, at):
    factories.HoldFactory(borrower=cn_borrower, kind="attorney", starts_at=at - dt.timedelta(days=1))
    tp = factories.ThirdPartyFactory(borrower=cn_borrower)
    result = check(cn_borrower, at, party="third_party", third_party=tp)
    assert "hold_attorney" not in codes(result)


def test_opt_out_of_a_whole_channel(cn_borrower, at):
    factories.OptOutFactory(borrower=cn_borrower, channel="sms")
    assert codes(check(cn_borrower, at, channel="sms")) == {"opted_out"}
    assert check(cn_borrower, at, channel="call").allowed


def test_opt_out_of_one_number_only(cn_borrower, at):
    second = factories.PhoneFactory(borrower=cn_borrower, number="+8613900000002")
    factories.OptOutFactory(borrower=cn_borrower, channel="call", to="+86 139 0000 0002")
    assert codes(check(cn_borrower, at, to=second.number)) == {"opted_out"}
    assert check(cn_borrower, at).allowed  # the first number


def test_work_phone_marked_prohibited(cn_borrower, at):
    work = factories.PhoneFactory(
        borrower=cn_borrower, number="+862112345678", kind="work", work_contact_prohibited=True
    )
    assert codes(check(cn_borrower, at, to=work.number)) == {"work_contact_prohibited"}


def test_no_work_contact_hold_blocks_calls_to_work_and_visits_at_work(cn_borrower, at):
    work = factories.PhoneFactory(borrower=cn_borrower, number="+862112345678", kind="work")
    factories.HoldFactory(borrower=cn_borrower, kind="no_work_contact", starts_at=at - dt.timedelta(days=1))
    assert codes(check(cn_borrower, at, to=work.number)) == {"work_contact_prohibited"}
    assert check(cn_borrower, at).allowed  # the mobile
    assert codes(check(cn_borrower, at, channel="visit", collectors=2, at_work=True)) == {"work_contact_prohibited"}
    assert check(cn_borrower, at, channel="visit", collectors=2).allowed


@pytest.mark.parametrize(
    "message",
    [
        "再不还钱就杀了你",
        "你这个老赖",
        "我们是公安局的，马上逮捕你",
        "不还钱就发朋友圈曝光你",
        "我们会联系你的通讯录",
        "去借呗借钱还",
        "Pay now or we will call the police",
        "You are a deadbeat",
        "We will post your name on social media",
        "We will tell your family and your employer",
        "Take out a payday loan and pay us",
        "ｙｏｕ ａｒｅ ａｎ ＩＤＩＯＴ",
    ],
)
def test_prohibited_content_blocks(cn_borrower, at, message):
    result = check(cn_borrower, at, channel="sms", message=message)
    assert codes(result) == {"prohibited_content"}


def test_ordinary_reminders_pass_content_screening(cn_borrower, at):
    assert check(
        cn_borrower, at, channel="sms", message="您好，您的账单已到期，请及时处理。如有困难请联系我们协商。"
    ).allowed


@pytest.mark.parametrize("vulnerability", ["disability", "unemployed", "illness", "bereavement", "mental_health"])
def test_vulnerable_borrower_one_call_a_day(cn_borrower, at, vulnerability):
    cn_borrower.vulnerabilities = [vulnerability]
    cn_borrower.save()
    assert check(cn_borrower, at).allowed
    log(cn_borrower, at - dt.timedelta(hours=2))
    result = check(cn_borrower, at)
    assert codes(result) == {"vulnerable_limit"}
    assert result.next_allowed_at == local("Asia/Shanghai", 2026, 6, 11, 8, 0)


def test_elderly_from_date_of_birth_no_visits(cn_borrower, at):
    cn_borrower.date_of_birth = dt.date(1961, 6, 10)  # 65 on the day
    cn_borrower.save()
    assert codes(check(cn_borrower, at, channel="visit", collectors=2)) == {"vulnerable_limit"}
    cn_borrower.date_of_birth = dt.date(1961, 6, 11)  # 65 tomorrow
    cn_borrower.save()
    assert check(cn_borrower, at, channel="visit", collectors=2).allowed


def test_every_failing_rule_is_returned(cn_borrower):
    factories.OptOutFactory(borrower=cn_borrower, channel="sms")
    result = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 23, 0), channel="sms", message="你这个废物")
    assert codes(result) == {"opted_out", "quiet_hours", "prohibited_content"}
    assert result.next_allowed_at is None  # an opt-out blocks regardless of time
    for reason in result.reasons:
        assert reason["message_en"] and reason["message_zh"]
