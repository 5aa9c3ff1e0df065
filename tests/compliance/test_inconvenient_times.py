"""Times the borrower named as inconvenient (Regulation F 1006.6(b)(1)(i); issue 17): rule
borrower_preference, in every pack, for calls, SMS, push, visits and e-mail to the borrower (not
letters, not third parties), on the borrower's clock in every candidate zone, with the window's end as
the next allowed time."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.preferences import clean_windows, inconvenient_times_set
from compliance.replay import replay_decision
from tests import factories

from .conftest import check, codes, local

NY = "America/New_York"
CODE = "borrower_preference"


def _name(borrower, *windows):
    borrower.inconvenient_times = clean_windows(list(windows))
    borrower.save()


def test_blocked_inside_the_window_and_allowed_outside(us_borrower):
    _name(us_borrower, {"start": "12:00", "end": "14:00"})
    inside = check(us_borrower, local(NY, 2026, 6, 10, 12, 30))
    assert codes(inside) == {CODE}
    assert inside.next_allowed_at == local(NY, 2026, 6, 10, 14, 0)
    reason = inside.reasons[0]
    assert "12:00-14:00" in reason["message_en"] and "不方便联系" in reason["message_zh"]
    assert inside.decision.facts["borrower"]["inconvenient_times"] == [{"start": "12:00", "end": "14:00"}]
    assert check(us_borrower, local(NY, 2026, 6, 10, 11, 59)).allowed
    assert check(us_borrower, local(NY, 2026, 6, 10, 14, 0)).allowed


def test_a_window_past_midnight_and_one_on_named_days(cn_borrower):
    sh = "Asia/Shanghai"
    # 21:00-09:00 every day; 12:00-13:00 on Wednesdays only (10 June 2026 is a Wednesday).
    _name(cn_borrower, {"start": "21:00", "end": "09:00"}, {"start": "12:00", "end": "13:00", "days": [2]})
    evening = check(cn_borrower, local(sh, 2026, 6, 10, 21, 30))
    assert CODE in codes(evening)
    # The next morning at 09:00 (quiet hours would already allow 08:00).
    assert evening.next_allowed_at == local(sh, 2026, 6, 11, 9, 0)
    assert CODE in codes(check(cn_borrower, local(sh, 2026, 6, 11, 8, 30)))
    assert codes(check(cn_borrower, local(sh, 2026, 6, 10, 12, 15))) == {CODE}
    assert check(cn_borrower, local(sh, 2026, 6, 11, 12, 15)).allowed  # Thursday


@pytest.mark.parametrize("channel", ["call", "sms", "push", "email", "visit"])
def test_every_channel_that_reaches_the_borrower_then(uk_borrower, channel):
    factories.EmailFactory(borrower=uk_borrower, address="b@example.com")
    _name(uk_borrower, {"start": "17:00", "end": "19:00"})
    fields = {"message": "Reply STOP to opt out. unsubscribe"} if channel in ("sms", "email") else {}
    if channel == "visit":
        fields["collectors"] = 2
    result = check(uk_borrower, local("Europe/London", 2026, 6, 10, 18, 0), channel, **fields)
    assert CODE in codes(result)


def test_not_letters_nor_third_parties(us_borrower):
    us_borrower.address = "1 Main St"
    us_borrower.save()
    _name(us_borrower, {"start": "00:00", "end": "00:00"})  # the whole day
    at = local(NY, 2026, 6, 10, 12, 0)
    assert CODE in codes(check(us_borrower, at))
    assert check(us_borrower, at, "letter").allowed
    relative = factories.ThirdPartyFactory(borrower=us_borrower, phone="+12125550199")
    third = check(us_borrower, at, party="third_party", third_party=relative)
    assert CODE not in codes(third)


def test_across_the_spring_dst_change_in_new_york(us_borrower):
    # 18:00-20:00 on the borrower's clock: 23:00 UTC on Saturday 7 March (EST, UTC-5), 22:00 UTC on Sunday
    # 8 March 2026 (EDT, UTC-4).
    _name(us_borrower, {"start": "18:00", "end": "20:00"})
    utc = dt.UTC
    assert CODE in codes(check(us_borrower, dt.datetime(2026, 3, 7, 23, 30, tzinfo=utc)))
    assert check(us_borrower, dt.datetime(2026, 3, 7, 22, 30, tzinfo=utc)).allowed  # 17:30 EST
    after = check(us_borrower, dt.datetime(2026, 3, 8, 22, 30, tzinfo=utc))  # 18:30 EDT
    assert CODE in codes(after)
    assert after.next_allowed_at == dt.datetime(2026, 3, 9, 0, 0, tzinfo=utc)  # 20:00 EDT
    assert check(us_borrower, dt.datetime(2026, 3, 9, 0, 0, tzinfo=utc)).allowed


def test_a_window_inside_quiet_hours_joins_them_for_the_next_time(us_borrower):
    # Not before 10:00: at 07:00 quiet hours end at 08:00, the borrower's window at 10:00.
    _name(us_borrower, {"start": "06:00", "end": "10:00"})
    result = check(us_borrower, local(NY, 2026, 6, 10, 7, 0))
    assert codes(result) == {"quiet_hours", CODE}
    assert result.next_allowed_at == local(NY, 2026, 6, 10, 10, 0)


def test_every_candidate_zone_counts(platform):
    # Florida spans New York's and Chicago's clocks: 12:00-13:00 on either blocks 12:00-14:00 New York time.
    borrower = factories.BorrowerFactory(platform=platform, region="US-FL", language="en")
    factories.PhoneFactory(borrower=borrower, number="+13055550100", kind="home")
    _name(borrower, {"start": "12:00", "end": "13:00"})
    result = check(borrower, local(NY, 2026, 6, 10, 13, 30))  # 12:30 in Chicago
    assert CODE in codes(result) and result.next_allowed_at == local(NY, 2026, 6, 10, 14, 0)


def test_replay_decides_the_same(us_borrower):
    _name(us_borrower, {"start": "12:00", "end": "14:00"})
    result = check(us_borrower, local(NY, 2026, 6, 10, 12, 30))
    assert replay_decision(result.decision) is None


def test_the_service_checks_and_records(us_borrower, collector):
    case = factories.CaseFactory(loan=factories.LoanFactory(borrower=us_borrower))
    with pytest.raises(Exception, match="HH:MM"):
        inconvenient_times_set(borrower=us_borrower, windows=[{"start": "25:00", "end": "1"}], case=case, source="x")
    inconvenient_times_set(
        borrower=us_borrower,
        windows=[{"start": "09:00", "end": "11:00", "days": [0, 4, 4]}],
        case=case,
        source="collector",
        user=collector,
    )
    us_borrower.refresh_from_db()
    assert us_borrower.inconvenient_times == [{"start": "09:00", "end": "11:00", "days": [0, 4]}]
    event = case.events.get(kind="contact_times")
    assert event.actor == collector and event.data["source"] == "collector"
    latest = us_borrower.history.latest()
    assert latest.inconvenient_times == us_borrower.inconvenient_times and latest.history_user == collector
