"""While a repayment plan is active and on track, automated reminders follow the plan's dates (T-1 and T0
SMS for each unpaid plan installment) instead of the delinquency strategy's (issue 6, item 5)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from outreach.models import JobStatus, OutboundMessage, ReminderJob, Strategy, StrategyKind, StrategyStep
from outreach.planning import reminders_plan
from outreach.services import reminder_send
from repayment_plans.models import PlanStatus, Promise
from repayment_plans.services import plan_break, plan_complete, plan_propose

from .conftest import TODAY, due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db

TOMORROW = TODAY + dt.timedelta(days=1)
DAYTIME = shanghai(10)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Agreement PDFs land in a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def plan_strategy(strategy) -> Strategy:
    return Strategy.objects.get(kind=StrategyKind.PLAN)


def plan_step(plan_strategy: Strategy, offset: int) -> StrategyStep:
    return plan_strategy.steps.get(offset_days=offset, channel="sms")


def planned(case) -> list[tuple[str, int, dt.date]]:
    return sorted(
        ReminderJob.objects.filter(case=case).values_list("step__strategy__kind", "step__offset_days", "due_date")
    )


def propose(case, collector, *, first_due_date=TOMORROW, count=2):
    """An installment plan over the whole balance (1000.00), within the collector's limits: active at once."""
    plan = plan_propose(
        case=case,
        kind="installment",
        user=collector,
        first_due_date=first_due_date,
        installment_count=count,
        frequency="weekly",
    )
    assert plan.status == PlanStatus.ACTIVE
    return plan


def claim(job: ReminderJob) -> ReminderJob:
    ReminderJob.objects.filter(pk=job.pk).update(status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    return job


def test_seed_installs_the_plan_strategy_and_still_returns_the_demo_strategy(strategy, plan_strategy):
    from outreach.default_strategies import seed_strategies

    assert strategy.kind == StrategyKind.DELINQUENCY
    assert sorted(plan_strategy.steps.values_list("offset_days", "channel", "template_code")) == [
        (-1, "sms", "plan-pre-due-sms"),
        (0, "sms", "plan-due-day-sms"),
    ]
    before = (Strategy.objects.count(), StrategyStep.objects.count())
    assert seed_strategies() == strategy
    assert (Strategy.objects.count(), StrategyStep.objects.count()) == before


def test_an_active_plan_gets_t_minus_1_and_t0_on_its_own_dates_and_no_strategy_jobs(strategy, collector):
    # Five days overdue: the strategy would write its +4 SMS today.
    case = make_case(due_in_days=-5)
    plan = propose(case, collector)
    first, second = plan.installments.order_by("seq")
    assert first.due_date == TOMORROW

    result = reminders_plan(today=TODAY)
    assert planned(case) == [("plan", -1, TOMORROW)]
    assert result.plan_jobs_created == 1 and result.jobs_created == 1
    job = ReminderJob.objects.get(case=case)
    assert job.scheduled_for.date() >= TODAY and job.status == JobStatus.PENDING

    reminders_plan(today=TOMORROW)
    assert planned(case) == [("plan", -1, TOMORROW), ("plan", 0, TOMORROW)]
    # Nothing for the second installment until its own eve.
    reminders_plan(today=second.due_date - dt.timedelta(days=2))
    assert len(planned(case)) == 2
    reminders_plan(today=second.due_date - dt.timedelta(days=1))
    assert planned(case) == [("plan", -1, TOMORROW), ("plan", -1, second.due_date), ("plan", 0, TOMORROW)]


def test_a_planner_that_missed_the_due_day_does_not_send_due_today_late(strategy, collector):
    case = make_case(due_in_days=-5)
    propose(case, collector)
    reminders_plan(today=TOMORROW + dt.timedelta(days=1))
    assert planned(case) == []


def test_planning_twice_writes_nothing_new(strategy, collector):
    case = make_case(due_in_days=-5)
    propose(case, collector)
    assert reminders_plan(today=TODAY).jobs_created == 1
    again = reminders_plan(today=TODAY)
    assert again.jobs_created == 0 and again.plan_jobs_created == 0
    assert ReminderJob.objects.filter(case=case).count() == 1


def test_the_plan_reminder_carries_the_plan_installments_amount_and_date(strategy, collector, outbox):
    case = make_case(due_in_days=-5)
    propose(case, collector)
    reminders_plan(today=TODAY)
    job = claim(ReminderJob.objects.get(case=case))
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    body = OutboundMessage.objects.get(job=job).body
    assert "500.00" in body and TOMORROW.isoformat() in body
    assert "1,000.00" not in body
    assert "还款计划" in body  # the borrower's language (zh-hans), the plan's template
    assert [line["key"] for line in outbox_lines(outbox)] == [job.idempotency_key]


def test_a_paid_plan_installment_cancels_its_reminder_at_send_time(strategy, collector, outbox):
    case = make_case(due_in_days=-5)
    plan = propose(case, collector)
    reminders_plan(today=TODAY)
    job = claim(ReminderJob.objects.get(case=case))
    first = plan.installments.get(seq=1)
    first.paid_amount, first.paid_at = first.amount, timezone.now()
    first.save()

    outcome = reminder_send(job_id=job.pk, now=DAYTIME)
    assert (outcome.status, outcome.reason) == ("cancelled", "installment_paid")
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert outbox_lines(outbox) == []


def test_a_partly_paid_plan_installment_is_reminded_of_what_is_left(strategy, collector, outbox):
    case = make_case(due_in_days=-5)
    plan = propose(case, collector)
    reminders_plan(today=TODAY)
    job = claim(ReminderJob.objects.get(case=case))
    plan.installments.filter(seq=1).update(paid_amount=Decimal("200.00"))

    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    assert "300.00" in OutboundMessage.objects.get(job=job).body


def test_a_strategy_reminder_planned_before_the_plan_gives_way_to_it(strategy, collector, outbox):
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0))
    propose(case, collector, first_due_date=TODAY + dt.timedelta(days=7))
    claim(job)
    outcome = reminder_send(job_id=job.pk, now=DAYTIME)
    assert (outcome.status, outcome.reason) == ("cancelled", "plan_active")
    assert outbox_lines(outbox) == []


def test_a_broken_plan_returns_the_case_to_the_strategy(strategy, plan_strategy, collector, outbox):
    case = make_case(due_in_days=-5)
    plan = propose(case, collector)
    reminders_plan(today=TODAY)
    plan_job = claim(ReminderJob.objects.get(case=case))

    assert plan_break(plan=plan, missed=plan.installments.get(seq=1), today=TODAY) is not None
    # A plan reminder claimed before the break is not sent ...
    outcome = reminder_send(job_id=plan_job.pk, now=DAYTIME)
    assert (outcome.status, outcome.reason) == ("cancelled", "plan_not_active")
    # ... and the strategy's own steps apply again (the +4 SMS on the loan's oldest unpaid date).
    result = reminders_plan(today=TODAY)
    assert result.plan_jobs_created == 0
    # (and the robot call, whose window DPD 1–7 the case is still in)
    assert planned(case) == [
        ("delinquency", 1, TODAY - dt.timedelta(days=5)),
        ("delinquency", 4, TODAY - dt.timedelta(days=5)),
        ("plan", -1, TOMORROW),
    ]
    # The next plan date brings no plan reminder.
    reminders_plan(today=TOMORROW)
    assert not ReminderJob.objects.filter(case=case, step=plan_step(plan_strategy, 0)).exists()


def test_a_completed_plan_returns_the_case_to_the_strategy(strategy, collector):
    case = make_case(due_in_days=-5)
    plan = propose(case, collector)
    plan_complete(plan=plan)
    reminders_plan(today=TODAY)
    # The +4 SMS, and the robot call of the DPD 1–7 window.
    assert planned(case) == [
        ("delinquency", 1, TODAY - dt.timedelta(days=5)),
        ("delinquency", 4, TODAY - dt.timedelta(days=5)),
    ]


def test_a_promise_in_force_pauses_the_plan_reminders_too(strategy, collector):
    case = make_case(due_in_days=-5)
    propose(case, collector)
    Promise.objects.create(
        case=case, amount=100, due_date=TODAY - dt.timedelta(days=1), status="partly_kept", paid_amount=50
    )
    assert reminders_plan(today=TODAY).jobs_created == 0
    assert planned(case) == []


def test_an_unresolved_promise_past_its_date_is_still_in_force(strategy):
    case = make_case(due_in_days=-5)
    promise = Promise.objects.create(case=case, amount=500, due_date=TODAY - dt.timedelta(days=1))
    reminders_plan(today=TODAY)
    assert planned(case) == []
    Promise.objects.filter(pk=promise.pk).update(status="broken", resolved_at=timezone.now())
    reminders_plan(today=TODAY)
    # The +4 SMS, and the robot call of the DPD 1–7 window.
    assert planned(case) == [
        ("delinquency", 1, TODAY - dt.timedelta(days=5)),
        ("delinquency", 4, TODAY - dt.timedelta(days=5)),
    ]


def test_a_loan_payment_leaves_a_waiting_plan_reminder_to_the_send_task(strategy, collector):
    """The plan's dates are not the loan's: a payment must not cancel the plan's own reminder."""
    from outreach.services import reminders_cancel_obsolete

    case = make_case(due_in_days=-5)
    propose(case, collector)
    reminders_plan(today=TODAY)
    job = ReminderJob.objects.get(case=case)

    assert reminders_cancel_obsolete(loan_ids=[case.loan_id]) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
