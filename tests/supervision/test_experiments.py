"""The champion/challenger comparison (docs/kpis.md, "Champion/challenger") against a book whose every figure
was worked out by hand, and the dashboard's section and promotion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from borrowers.models import Hold, OptOut
from cases.models import Case, CaseEvent
from outreach.default_strategies import seed_strategies
from outreach.models import ArmAssignment, Experiment, StrategyArm, StrategyStep
from supervision.experiments import Proportion, comparisons, ratio_interval, wilson
from tests.factories import BorrowerFactory, CaseFactory, HoldFactory, LoanFactory, OptOutFactory

from .factories import CaseEventFactory, ContactFactory, PaymentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)  # the experiment ran from 1 January: its months are January to March 2025


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_wilson_and_the_ratio_interval_by_hand():
    # Wilson, z = 1.96: 1 of 3 → [0.0615, 0.7923]; 0 of 10 → [0, 0.2775] (textbook values).
    low, high = wilson(1, 3)
    assert round(low, 4) == 0.0615 and round(high, 4) == 0.7923
    low, high = wilson(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    assert wilson(0, 0) is None
    assert Proportion(1, 3).rate == 33.3 and Proportion(1, 3).interval == (6.1, 79.2)
    # (300, 2), (100, 3), (200, 1): R = 600/6 = 100; residuals 100, −200, 100; Σ² = 60,000;
    # SE² = 3/2 · 60,000 / 6² = 2,500, SE = 50; 100 ± 1.96·50 = [2.00, 198.00].
    assert ratio_interval([(Decimal(300), 2), (Decimal(100), 3), (Decimal(200), 1)]) == (
        Decimal("100.00"),
        Decimal("2.00"),
        Decimal("198.00"),
    )
    assert ratio_interval([(Decimal(5), 0)]) == (None, None, None)  # no contacts: no figure
    assert ratio_interval([(Decimal(50), 2)]) == (Decimal("25.00"), None, None)  # one case: no interval


@pytest.fixture
def book(platform):
    """Champion A (A1–A3, CNY) and challenger B (B1–B3 CNY, B4 USD), assigned when they entered M1."""
    strategy = seed_strategies()
    experiment = Experiment.objects.create(strategy=strategy, name="M1 robot first", stage="m1", started_at=at(1, 1, 0))
    champion = StrategyArm.objects.create(experiment=experiment, name="Champion", share=50, champion=True)
    challenger = StrategyArm.objects.create(experiment=experiment, name="Robot first", share=50)
    StrategyStep.objects.create(
        strategy=strategy, arm=challenger, offset_days=1, channel="call", template_code="robot-call", conditions={}
    )

    def case(arm, entered: dt.datetime, currency="CNY", **fields) -> Case:
        c = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform), currency=currency), **fields)
        Case.objects.filter(pk=c.pk).update(opened_at=entered)
        CaseEventFactory(case=c, kind=CaseEvent.Kind.OPENED, new_value="m1", at=entered)
        ArmAssignment.objects.create(case=c, experiment=experiment, arm=arm, bucket=0, assigned_at=entered)
        return c

    def closed(reason: str, when: dt.datetime) -> dict:
        return {"status": "closed", "closed_at": when, "close_reason": reason, "stage": "m1"}

    a1 = case(champion, at(1, 5), **closed("cured", at(1, 20)))  # cured in 15 days
    a2 = case(champion, at(1, 10), stage="m2")  # rolls to M2 on 9 February
    CaseEventFactory(case=a2, kind=CaseEvent.Kind.STAGE_CHANGED, old_value="m1", new_value="m2", at=at(2, 9))
    a3 = case(champion, at(2, 1), **closed("paid_off", at(3, 10)))  # paid off after 37 days: not a cure
    b1 = case(challenger, at(1, 5), **closed("cured", at(1, 15)))
    b2 = case(challenger, at(1, 8), **closed("cured", at(2, 1)))  # 24 days
    b3 = case(challenger, at(3, 1))  # entered in the last 30 days: not in a cure cohort yet
    b4 = case(challenger, at(1, 12), currency="USD")
    outsider = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)))  # in no arm

    for c, amount, paid in (
        (a1, "300", at(1, 19)),
        (a2, "100", at(2, 20)),
        (a3, "200", at(3, 9)),
        (b1, "500", at(1, 14)),
        (b2, "100", at(1, 30)),
        (outsider, "999", at(2, 2)),
    ):
        PaymentFactory(loan=c.loan, amount=Decimal(amount), currency="CNY", paid_at=paid)
    PaymentFactory(loan=b4.loan, amount=Decimal("50"), currency="USD", paid_at=at(2, 10))

    def contacts(c: Case, *days: tuple[int, int], **fields) -> None:
        for month, day in days:
            ContactFactory(borrower=c.borrower, platform=c.platform, case=c, at=at(month, day), **fields)

    contacts(a1, (1, 6), (1, 8))
    contacts(a2, (1, 11), (1, 20), (2, 2))
    contacts(a2, (1, 9))  # before its assignment (10 January): not counted
    contacts(a2, (1, 12), direction="inbound")  # not an outbound contact
    contacts(a3, (2, 5))
    contacts(b1, (1, 6))
    contacts(b2, (1, 9), (1, 20))
    contacts(b4, (1, 13), (1, 14))
    contacts(outsider, (2, 1))

    # Complaints and opt-outs after assignment: A2 opts out of SMS; B3 disputes the debt. A1 had opted out
    # before its case was assigned: not counted.
    for borrower, when in ((a2.borrower, at(2, 15)), (a1.borrower, at(12, 20, year=2024))):
        OptOut.objects.filter(pk=OptOutFactory(borrower=borrower).pk).update(created_at=when)
    Hold.objects.filter(pk=HoldFactory(borrower=b3.borrower, kind="dispute", starts_at=at(3, 5)).pk).update(
        created_at=at(3, 5)
    )
    return experiment, champion, challenger


def test_each_arm_is_compared_on_the_kpis_with_their_intervals(book, admin_user):
    experiment, champion, challenger = book
    [comparison] = comparisons(user=admin_user, today=TODAY)
    assert comparison.experiment == experiment and comparison.period.labels == ["2025-01", "2025-02", "2025-03"]
    assert (comparison.roll_from, comparison.roll_to) == ("m1", "m2")
    a, b = comparison.arms
    assert (a.arm, a.cases, b.arm, b.cases) == (champion, 3, challenger, 4)

    # Cure: A's cohort A1, A2, A3, cured A1 → 1/3; B's cohort B1, B2, B4 (B3 entered within 30 days of
    # the end), cured B1 and B2 → 2/3.
    assert (a.cure.successes, a.cure.n, a.cure.rate, a.cure.interval) == (1, 3, 33.3, (6.1, 79.2))
    assert (b.cure.successes, b.cure.n, b.cure.rate, b.cure.interval) == (2, 3, 66.7, (20.8, 93.9))

    # Roll M1 → M2, case-months: A in M1 on 1 Feb: A2 (in M2 on 1 Mar: rolled); on 1 Mar: A3 (closed by
    # April) → 1/2. B on 1 Feb: B2 (closed), B4 (still M1); on 1 Mar: B4 → 0/3.
    assert (a.roll.successes, a.roll.n, a.roll.interval) == (1, 2, (9.5, 90.5))
    assert (b.roll.successes, b.roll.n, b.roll.interval) == (0, 3, (0.0, 56.1))

    # Per contact, per currency: A CNY (300, 2), (100, 3), (200, 1) → 100.00 [2.00, 198.00] (worked out in
    # the test above). B CNY (500, 1), (100, 2), (0, 0): R = 200; residuals 300, −300, 0; SE² = 3/2 ·
    # 180,000 / 3² = 30,000, SE = 173.205; 200 ± 339.48 → [0.00 (floored), 539.48]. B USD: one case, 50/2.
    [a_cny] = a.per_contact
    assert (a_cny.currency, a_cny.recovered, a_cny.contacts, a_cny.per_contact, a_cny.low, a_cny.high) == (
        "CNY",
        Decimal("600"),
        6,
        Decimal("100.00"),
        Decimal("2.00"),
        Decimal("198.00"),
    )
    b_cny, b_usd = b.per_contact
    assert (b_cny.recovered, b_cny.contacts, b_cny.cases, b_cny.per_contact, b_cny.low, b_cny.high) == (
        Decimal("600"),
        3,
        3,
        Decimal("200.00"),
        Decimal("0.00"),
        Decimal("539.48"),
    )
    assert (b_usd.currency, b_usd.recovered, b_usd.per_contact, b_usd.low) == (
        "USD",
        Decimal("50"),
        Decimal("25.00"),
        None,
    )

    # Complaints and opt-outs: A2 of A's 3 cases; B3 of B's 4.
    assert (a.complaints.successes, a.complaints.n, a.complaints.interval) == (1, 3, (6.1, 79.2))
    assert (b.complaints.successes, b.complaints.n, b.complaints.interval) == (1, 4, (4.6, 69.9))


def test_the_dashboard_shows_the_comparison_and_a_supervisor_promotes_an_arm(book, client, supervisor):
    experiment, champion, challenger = book
    with time_machine.travel(at(3, 20, 12), tick=False):
        _dashboard_and_promotion(client, supervisor, experiment, champion, challenger)


def _dashboard_and_promotion(client, supervisor, experiment, champion, challenger) -> None:
    client.force_login(supervisor)
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert 'id="experiments"' in page and "M1 robot first" in page
    assert f'data-arm="{challenger.pk}"' in page and "Roll rate M1 → M2" in page
    assert "66.7%" in page and "539.48" in page  # B's cure rate; the top of B's CNY interval

    response = client.post(reverse("supervision:experiment-promote", args=[challenger.pk]))
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.promoted_arm == challenger and experiment.closed_by == supervisor
    assert experiment.closed_at is not None
    assert list(
        StrategyStep.objects.filter(strategy=experiment.strategy, active=True).values_list("channel", flat=True)
    ) == ["call"]
    # Closed now: the comparison stays on the dashboard with who promoted what, and no promote button.
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert "Robot first promoted by supervisor" in page
    assert 'action="/supervision/experiments/' not in page
    # A second promotion is refused with a message, not an error page.
    again = client.post(reverse("supervision:experiment-promote", args=[champion.pk]), follow=True)
    assert again.status_code == 200 and "This experiment is closed." in again.content.decode()
