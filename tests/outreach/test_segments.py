"""Issue 18 item 1: an explainable risk score (each factor's points stored on the case by the refresh),
strategies chosen by segment, and humane variants for vulnerable borrowers that the selection prefers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import Case, Payment
from contacts.models import ContactAttempt
from outreach.default_strategies import seed_strategies
from outreach.models import ReminderJob, Strategy
from outreach.planning import reminders_plan, strategy_for_case
from outreach.scoring import factor_points, open_cases_rescore
from repayment_plans.models import Promise
from tests import factories

from .conftest import TODAY, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategies(db):
    seed_strategies(segments=True)
    return {s.name: s for s in Strategy.objects.all()}


def _channels(case) -> list[tuple[int, str]]:
    return sorted(ReminderJob.objects.filter(case=case).values_list("step__offset_days", "step__channel"))


def _pay(case, *, days_ago: int) -> None:
    Payment.objects.create(
        platform=case.platform,
        loan=case.loan,
        external_id=f"P-{case.pk}-{days_ago}",
        amount=Decimal("10"),
        currency="CNY",
        paid_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def _talk(case, *, days_ago: int, outcome: str = "right_party") -> None:
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        case=case,
        channel="call",
        direction="outbound",
        outcome=outcome,
        at=timezone.now() - dt.timedelta(days=days_ago),
        actor_kind="platform",
    )


def test_each_factor_is_stored_with_its_points_hand_computed():
    risky = make_case(due_in_days=-45, overdue_amount=Decimal("12000.00"))
    Promise.objects.create(case=risky, amount=500, due_date=TODAY - dt.timedelta(days=9), status="broken")
    Promise.objects.create(case=risky, amount=500, due_date=TODAY - dt.timedelta(days=20), status="kept")
    factories.CaseFactory(loan=risky.loan, status="closed")  # an earlier delinquency of the same loan
    steady = make_case(due_in_days=-3, overdue_amount=Decimal("500.00"))
    _pay(steady, days_ago=2)
    _talk(steady, days_ago=1)

    open_cases_rescore(Case.objects.open(), TODAY)

    risky.refresh_from_db()
    # DPD 45: 25; 12,000 overdue: 20; never paid: +10; one broken promise +15, one kept -5; no conversation
    # in 14 days: +10; one earlier delinquency: +10.
    assert {name: f["points"] for name, f in risky.risk_factors.items()} == {
        "dpd": 25,
        "balance": 20,
        "payment_history": 10,
        "promises": 10,
        "contact": 10,
        "trajectory": 10,
    }
    assert risky.risk_factors["promises"] == {"points": 10, "broken": 1, "kept": 1}
    assert (risky.risk_score, risky.priority, risky.risk_segment) == (85, 85, "high")

    steady.refresh_from_db()
    # DPD 3: 0; 500: 0; paid two days ago: -15; no promises; a conversation yesterday: 0; first episode.
    assert steady.risk_factors["payment_history"] == {"points": -15, "paid_recently": True, "ever_paid": True}
    assert steady.risk_factors["contact"] == {"points": 0, "talked": True}
    assert (steady.risk_score, steady.risk_segment) == (-15, "low")


def test_the_refresh_writes_the_factors_and_both_paths_agree(monkeypatch):
    case = make_case(due_in_days=-12, today=TODAY)
    refresh_delinquency(today=TODAY)
    case.refresh_from_db()
    assert case.dpd == 12
    by_sql = case.risk_factors
    assert by_sql == factor_points(
        dpd=12,
        overdue_amount=case.overdue_amount,
        broken=0,
        kept=0,
        talked=False,
        paid_recently=False,
        ever_paid=False,
        episodes=0,
    )
    assert case.risk_score == sum(f["points"] for f in by_sql.values())
    # The Python path (SQLite) computes the same from the same bands.
    Case.objects.filter(pk=case.pk).update(risk_factors={}, risk_score=0)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    open_cases_rescore(Case.objects.filter(pk=case.pk), TODAY)
    case.refresh_from_db()
    assert case.risk_factors == by_sql


def test_strategies_differ_by_segment_and_prefer_the_humane_variant(strategies):
    low = make_case(due_in_days=-1, risk_segment="low")
    high = make_case(due_in_days=-1, risk_segment="high")
    medium = make_case(due_in_days=-1, risk_segment="medium")
    ill = make_case(
        due_in_days=-1, risk_segment="high", borrower=factories.BorrowerFactory(vulnerabilities=["illness"])
    )
    elderly = make_case(
        due_in_days=-1, risk_segment="low", borrower=factories.BorrowerFactory(date_of_birth=dt.date(1955, 3, 1))
    )
    assert strategy_for_case(low, TODAY).name == "Low risk: digital first"
    assert strategy_for_case(high, TODAY).name == "High risk: a collector from day 1"
    assert strategy_for_case(medium, TODAY).name == "Default staged reminders"
    assert strategy_for_case(ill, TODAY).name == "Vulnerable borrowers: humane"
    assert strategy_for_case(elderly, TODAY).name == "Vulnerable borrowers: humane"

    for day in range(7):  # DPD 1 to 7
        reminders_plan(today=TODAY + dt.timedelta(days=day))
    # Low risk: only SMS and app push until DPD 7.
    assert {channel for _offset, channel in _channels(low)} <= {"sms", "push"}
    assert _channels(low)
    # High risk: a person (a collector's call task) from DPD 1.
    assert (1, "task") in _channels(high)
    # The default: the robot in the first week, a collector from day 8.
    assert (1, "call") in _channels(medium) and not any(c == "task" for _o, c in _channels(medium))
    # The case page's answer (strategy_for_case) is the planner's.
    for case in (low, high, medium, ill, elderly):
        planned_by = set(ReminderJob.objects.filter(case=case).values_list("step__strategy", flat=True))
        assert planned_by == {strategy_for_case(case, TODAY).pk}
    # Vulnerable: no robot call, whatever the segment.
    for case in (ill, elderly):
        assert not any(channel == "call" for _offset, channel in _channels(case))
        assert (3, "sms") in _channels(case)


def test_a_vulnerability_that_ends_returns_the_case_to_its_segment_strategy(strategies):
    borrower = factories.BorrowerFactory(vulnerabilities=["bereavement"])
    case = make_case(due_in_days=-1, risk_segment="high", borrower=borrower)
    assert strategy_for_case(case, TODAY).vulnerable
    borrower.vulnerabilities = []
    borrower.save()
    assert strategy_for_case(case, TODAY).name == "High risk: a collector from day 1"


def test_the_seeded_steps_use_windows(strategies):
    low = strategies["Low risk: digital first"]
    assert [(s.day_label, s.channel) for s in low.steps.filter(offset_days__gte=1, offset_days__lte=7)] == [
        ("+1–+3", "push"),
        ("+3–+7", "sms"),
        ("+6–+7", "push"),
    ]
