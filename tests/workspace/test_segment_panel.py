"""The case page's "why this segment" (each factor's points from the refresh) and "best time to contact"
(the borrower's right-party contacts and payments by local hour), in English and Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Case, Payment
from contacts.models import ContactAttempt
from outreach.default_strategies import seed_strategies
from outreach.scoring import open_cases_rescore

from .conftest import NOW, day_place, make_case

pytestmark = pytest.mark.django_db

# NOW is Wednesday 11:00 in Shanghai; these are Wednesdays at 19:10 there (11:10 UTC), one and two weeks ago.
WEDNESDAY_EVENINGS = [NOW - dt.timedelta(days=d) + dt.timedelta(hours=8, minutes=10) for d in (7, 14)]
# A Monday at 12:30 in Shanghai.
MONDAY_NOON = NOW - dt.timedelta(days=2) + dt.timedelta(hours=1, minutes=30)


def _history(case: Case) -> None:
    for at in WEDNESDAY_EVENINGS:
        ContactAttempt.objects.create(
            platform=case.platform,
            borrower=case.borrower,
            case=case,
            channel="call",
            direction="outbound",
            outcome="right_party",
            at=at,
            actor_kind="platform",
        )
    # An unanswered call at 07:00 is no evidence of a good hour.
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        channel="call",
        direction="outbound",
        outcome="no_answer",
        at=NOW - dt.timedelta(days=3, hours=1),
        actor_kind="platform",
    )
    Payment.objects.create(
        platform=case.platform,
        loan=case.loan,
        external_id=f"P-{case.pk}",
        amount=Decimal("50"),
        currency="CNY",
        paid_at=MONDAY_NOON,
    )


def test_the_case_page_says_why_this_segment_and_when_to_call(client, collector):
    seed_strategies(segments=True)
    case = make_case(place=day_place(), assigned_to=collector, dpd=20, overdue_amount=Decimal("6000.00"))
    _history(case)
    open_cases_rescore(Case.objects.filter(pk=case.pk), NOW.date())
    case.refresh_from_db()
    client.force_login(collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert "Why this segment" in html
    # DPD 20: +10; 6,000 overdue: +20; paid two days ago: -15; no promise: 0; a conversation a week ago: 0;
    # a first delinquency: 0. 15 points: low.
    assert (case.risk_score, case.risk_segment) == (15, "low")
    assert "Score 15" in html
    for name in ("dpd", "balance", "payment_history", "promises", "contact", "trajectory"):
        assert f'data-factor="{name}"' in html
    assert "20 days past due" in html and "Paid in the last 30 days" in html
    assert "Strategy: Low risk: digital first" in html
    # Best time: Wednesdays 19:00–20:00 (two conversations), then Monday 12:00–13:00 (a payment).
    assert "Wednesday 19:00–20:00: 2 right-party contacts, 0 payments" in html
    assert "Monday 12:00–13:00: 0 right-party contacts, 1 payments" in html
    assert "07:00–08:00" not in html
    assert "reminders are scheduled for 19:00–20:00 local time; the compliance gate still decides" in html
    assert "in the borrower&#x27;s local time (CST)" in html or "in the borrower's local time (CST)" in html


def test_the_panel_in_chinese(client, collector):
    case = make_case(place=day_place(), assigned_to=collector, dpd=20)
    _history(case)
    open_cases_rescore(Case.objects.filter(pk=case.pk), NOW.date())
    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert "为何属于该风险分层" in html
    assert "逾期 20 天" in html and "还款记录" in html and "最佳联系时间" in html
    assert "星期三 19:00–20:00: 本人接听 2 次，还款 0 次" in html


def test_a_case_not_yet_scored_and_a_borrower_without_history(client, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    client.force_login(collector)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Not scored yet" in html
    assert "No right-party contact or payment in the history yet" in html
