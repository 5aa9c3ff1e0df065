import datetime as dt

import pytest
from django.utils import timezone

from borrowers.models import HoldKind
from cases.models import Installment
from contacts.models import ContactAttempt
from outreach.models import JobStatus, ReminderJob, Strategy, StrategyStep
from outreach.planning import reminders_plan
from repayment_plans.models import Promise
from tests import factories

from .conftest import TODAY, make_case, step

pytestmark = pytest.mark.django_db


def _planned(case) -> list[tuple[int, str]]:
    return sorted(ReminderJob.objects.filter(case=case).values_list("step__offset_days", "step__channel"))


def test_it_writes_the_t_minus_3_sms_three_days_before_the_due_date(strategy):
    case = make_case(due_in_days=3)
    result = reminders_plan(today=TODAY)
    assert _planned(case) == [(-3, "sms")]
    job = ReminderJob.objects.get(case=case)
    assert job.due_date == TODAY + dt.timedelta(days=3)
    assert job.status == JobStatus.PENDING
    assert result.jobs_created == 1


def test_it_never_writes_a_second_job_for_the_same_step_and_due_date(strategy):
    case = make_case(due_in_days=3)
    reminders_plan(today=TODAY)
    second = reminders_plan(today=TODAY)
    assert second.jobs_created == 0
    assert ReminderJob.objects.filter(case=case).count() == 1


def test_each_day_brings_its_own_step(strategy):
    case = make_case(due_in_days=3)
    for day in range(0, 5):  # today .. the day after the due date
        reminders_plan(today=TODAY + dt.timedelta(days=day))
    assert _planned(case) == [(-3, "sms"), (-1, "sms"), (0, "sms"), (1, "call"), (1, "sms")]


def test_a_case_that_joins_late_gets_only_its_current_step(strategy):
    # 40 days past due: the +31 lawyer letter is live; earlier SMS steps are superseded, not sent late.
    case = make_case(due_in_days=-40)
    reminders_plan(today=TODAY)
    assert _planned(case) == [(31, "letter")]


def test_an_active_hold_freezes_planning(strategy):
    case = make_case(due_in_days=0)
    factories.HoldFactory(borrower=case.borrower, kind=HoldKind.DISPUTE)
    result = reminders_plan(today=TODAY)
    assert _planned(case) == []
    assert result.cases_frozen == 1


def test_a_hold_on_another_loan_or_a_lifted_hold_does_not_freeze(strategy):
    case = make_case(due_in_days=0)
    other_loan = factories.LoanFactory(borrower=case.borrower)
    factories.HoldFactory(borrower=case.borrower, kind=HoldKind.DISPUTE, loan=other_loan)
    factories.HoldFactory(
        borrower=case.borrower,
        kind=HoldKind.CEASE,
        starts_at=timezone.now() - dt.timedelta(days=5),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    reminders_plan(today=TODAY)
    assert _planned(case) == [(0, "sms")]


def test_a_pending_promise_pauses_the_strategy_and_a_broken_one_resumes_it(strategy):
    case = make_case(due_in_days=-2)
    promise = Promise.objects.create(case=case, amount=500, due_date=TODAY + dt.timedelta(days=3))
    reminders_plan(today=TODAY)
    assert _planned(case) == []
    Promise.objects.filter(pk=promise.pk).update(status="broken", resolved_at=timezone.now())
    reminders_plan(today=TODAY)
    assert _planned(case) == [(1, "call"), (1, "sms")]


def test_conditions_no_payment_since_and_no_response(strategy):
    paid_recently = make_case(due_in_days=-5)
    factories_payment(paid_recently, days_ago=1)
    answered = make_case(due_in_days=-5)
    ContactAttempt.objects.create(
        platform=answered.platform,
        borrower=answered.borrower,
        channel="call",
        direction="inbound",
        outcome="connected",
        at=timezone.now() - dt.timedelta(days=1),
        actor_kind="platform",
    )
    silent = make_case(due_in_days=-5)
    reminders_plan(today=TODAY)
    # +4 SMS requires no payment in 3 days and no response in 7 days (the robot call's window, DPD 1–7,
    # asks only that nothing was paid in the last day).
    assert _planned(silent) == [(1, "call"), (4, "sms")]
    assert (4, "sms") not in _planned(paid_recently)
    assert _planned(answered) == [(1, "call")]


def factories_payment(case, *, days_ago: int) -> None:
    from cases.models import Payment

    Payment.objects.create(
        platform=case.platform,
        loan=case.loan,
        external_id=f"P-{case.pk}",
        amount=10,
        currency="CNY",
        paid_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_the_most_specific_strategy_wins(strategy, platform):
    own = Strategy.objects.create(name="Alpha only", platform=platform)
    StrategyStep.objects.create(strategy=own, offset_days=0, channel="sms", template_code="due-day-sms")
    ours = make_case(platform=platform, due_in_days=-1)
    others = make_case(due_in_days=-1)
    reminders_plan(today=TODAY)
    assert list(ReminderJob.objects.filter(case=ours).values_list("step__strategy", flat=True)) == [own.pk]
    assert _planned(others) == [(1, "call"), (1, "sms")]


def test_a_paid_installment_moves_planning_to_the_next_unpaid_one(strategy):
    case = make_case(due_in_days=-1)
    Installment.objects.filter(loan=case.loan).update(principal_paid=1000)
    factories.InstallmentFactory(loan=case.loan, seq=2, due_date=TODAY + dt.timedelta(days=1))
    reminders_plan(today=TODAY)
    assert list(ReminderJob.objects.filter(case=case).values_list("step__offset_days", "due_date")) == [
        (-1, TODAY + dt.timedelta(days=1))
    ]


def test_seed_strategies_is_idempotent(strategy):
    from outreach.default_strategies import seed_strategies

    before = (Strategy.objects.count(), StrategyStep.objects.count())
    seed_strategies()
    assert (Strategy.objects.count(), StrategyStep.objects.count()) == before
    # The demo strategy's 10 steps and the repayment plan reminders' 2 (T-1, T0).
    assert before == (2, 12)
    assert strategy.steps.count() == 10
    assert step(strategy, -3).template_code == "pre-due-sms"
