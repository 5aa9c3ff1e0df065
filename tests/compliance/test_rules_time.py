"""Quiet hours, candidate zones and next_allowed_at across days and DST changes."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

from .conftest import check, codes, local, log

UTC = dt.UTC


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (21, 59, True), (22, 0, False), (23, 30, False), (0, 0, False)],
)
def test_cn_quiet_hours_boundary_minutes(cn_borrower, hour, minute, allowed):
    result = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, hour, minute))
    assert result.allowed is allowed
    assert ("quiet_hours" in codes(result)) is (not allowed)


@pytest.mark.parametrize(
    ("zone_borrower", "zone", "hour", "minute", "allowed"),
    [
        ("us_borrower", "America/New_York", 7, 59, False),
        ("us_borrower", "America/New_York", 8, 0, True),
        ("us_borrower", "America/New_York", 20, 59, True),
        ("us_borrower", "America/New_York", 21, 0, False),
        ("uk_borrower", "Europe/London", 7, 59, False),
        ("uk_borrower", "Europe/London", 8, 0, True),
        ("uk_borrower", "Europe/London", 20, 59, True),
        ("uk_borrower", "Europe/London", 21, 0, False),
    ],
)
def test_us_and_uk_quiet_hours_boundary_minutes(request, zone_borrower, zone, hour, minute, allowed):
    borrower = request.getfixturevalue(zone_borrower)
    result = check(borrower, local(zone, 2026, 6, 10, hour, minute))
    assert result.allowed is allowed, result.reasons


def test_letters_are_exempt_from_quiet_hours(cn_borrower):
    cn_borrower.address = "上海市浦东新区 1 号"
    cn_borrower.save()
    assert check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 23, 0), channel="letter").allowed


def test_the_next_window_opens_at_08_00_local_the_next_day(cn_borrower):
    result = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 22, 30))
    assert result.next_allowed_at == local("Asia/Shanghai", 2026, 6, 11, 8, 0)


def test_before_the_window_the_next_time_is_the_same_day(cn_borrower):
    result = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 6, 0))
    assert result.next_allowed_at == local("Asia/Shanghai", 2026, 6, 10, 8, 0)


@pytest.mark.parametrize(
    ("fixture", "zone", "evening", "expected_utc"),
    [
        # US spring forward (8 Mar 2026): 08:00 EDT is 12:00 UTC, not 13:00 as it was the evening before.
        ("us_borrower", "America/New_York", (2026, 3, 7, 21, 30), dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # US fall back (1 Nov 2026): 08:00 EST is 13:00 UTC.
        ("us_borrower", "America/New_York", (2026, 10, 31, 21, 30), dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        # UK spring forward (29 Mar 2026): 08:00 BST is 07:00 UTC.
        ("uk_borrower", "Europe/London", (2026, 3, 28, 21, 30), dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # UK fall back (25 Oct 2026): 08:00 GMT is 08:00 UTC.
        ("uk_borrower", "Europe/London", (2026, 10, 24, 21, 30), dt.datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    ],
)
def test_next_allowed_at_across_each_dst_change(request, fixture, zone, evening, expected_utc):
    borrower = request.getfixturevalue(fixture)
    result = check(borrower, local(zone, *evening))
    assert codes(result) == {"quiet_hours"}
    assert result.next_allowed_at == expected_utc


@pytest.mark.parametrize(
    ("zone", "day", "allowed"),
    [
        # On DST days the window is still 08:00-21:00 wall-clock time.
        ("America/New_York", (2026, 3, 8), True),
        ("America/New_York", (2026, 11, 1), True),
        ("Europe/London", (2026, 3, 29), True),
        ("Europe/London", (2026, 10, 25), True),
    ],
)
def test_wall_clock_window_holds_on_dst_days(request, zone, day, allowed):
    borrower = request.getfixturevalue("us_borrower" if zone.startswith("America") else "uk_borrower")
    assert check(borrower, local(zone, *day, 8, 0)).allowed is allowed
    assert check(borrower, local(zone, *day, 7, 59)).allowed is False
    assert check(borrower, local(zone, *day, 21, 0)).allowed is False


def test_a_phone_in_another_zone_must_also_be_inside_its_window(platform):
    # Region New York (the address), phone with a Los Angeles area code: both zones must allow.
    borrower = factories.BorrowerFactory(platform=platform, region="US-NY")
    factories.PhoneFactory(borrower=borrower, number="+12135550100", kind="home")
    at = local("America/New_York", 2026, 6, 10, 9, 0)  # 06:00 in Los Angeles
    result = check(borrower, at)
    assert codes(result) == {"quiet_hours"}
    assert result.decision.facts["zones"]["candidates"] == ["America/New_York", "America/Los_Angeles"]
    assert result.next_allowed_at == local("America/Los_Angeles", 2026, 6, 10, 8, 0)
    # An email is not tied to the number's zone.
    factories.EmailFactory(borrower=borrower)
    assert check(borrower, at, channel="email").allowed


def test_a_state_spanning_two_zones_needs_both(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-TX")
    factories.PhoneFactory(borrower=borrower, number="+12145550100")  # Dallas, Central
    # 08:30 Central is 07:30 Mountain (El Paso): blocked until 08:00 Mountain.
    result = check(borrower, local("America/Chicago", 2026, 6, 10, 8, 30))
    assert codes(result) == {"quiet_hours"}
    assert result.next_allowed_at == local("America/Denver", 2026, 6, 10, 8, 0)


def test_the_borrowers_own_zone_is_a_candidate(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="CN-31", timezone="Europe/Berlin")
    factories.PhoneFactory(borrower=borrower, number="+8613912345670")
    # 10:00 Shanghai is 04:00 in Berlin (summer): blocked.
    assert codes(check(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))) == {"quiet_hours"}


def test_no_candidate_zone_blocks_with_unknown_timezone(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="ZZ-01")
    factories.PhoneFactory(borrower=borrower, number="+447700900123")  # no zone known for it
    result = check(borrower, dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC))
    assert codes(result) == {"unknown_timezone"}
    assert result.next_allowed_at is None


def test_a_toll_free_number_spanning_countries_adds_no_zone(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-NY")
    factories.PhoneFactory(borrower=borrower, number="+18005550100")
    result = check(borrower, local("America/New_York", 2026, 6, 10, 12, 0))
    assert result.decision.facts["zones"]["candidates"] == ["America/New_York"]


def test_cap_then_quiet_hours_next_time_is_08_00_next_day(cn_borrower):
    # Three answered calls today: blocked until the next local day, and then until 08:00.
    for hour in (9, 10, 11):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, hour, 0), outcome="connected")
    result = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 15, 0))
    assert codes(result) == {"daily_answered_cap"}
    assert result.next_allowed_at == local("Asia/Shanghai", 2026, 6, 11, 8, 0)


def test_counting_days_are_local_days(us_borrower):
    # 23:30 New York on 9 June is already 10 June in UTC; it belongs to 9 June's count.
    for _ in range(3):
        log(us_borrower, local("America/New_York", 2026, 6, 9, 20, 30), outcome="no_answer")
    us_borrower.region = "GB-ENG"  # UK's 3-per-day cap, counted in London days
    us_borrower.timezone = "America/New_York"
    us_borrower.save()
    assert "call_frequency_cap" in codes(check(us_borrower, local("America/New_York", 2026, 6, 9, 20, 45)))
    # Next local day in New York: the three no longer count for the day cap.
    assert "call_frequency_cap" not in codes(check(us_borrower, local("America/New_York", 2026, 6, 10, 9, 0)))
