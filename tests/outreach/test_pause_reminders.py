"""A paused loan gets no reminders: the planner plans none, and a job planned before the pause is
stopped by the gate with the reason code hold_paused (recorded on the decision)."""

import datetime as dt

import pytest

from cases.pauses import loan_pause_create, loan_pause_end
from outreach.models import JobStatus, ReminderJob
from outreach.planning import reminders_plan
from outreach.services import reminder_send

from .conftest import TODAY, due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)


def test_the_planner_plans_nothing_for_a_paused_loan_and_resumes_after(strategy):
    case = make_case(due_in_days=0)
    pause = loan_pause_create(loan=case.loan, starts_on=TODAY - dt.timedelta(days=1), reason="disaster relief")
    result = reminders_plan(today=TODAY)
    assert not ReminderJob.objects.filter(case=case).exists()
    assert result.cases_frozen == 1
    loan_pause_end(pause=pause, ends_on=TODAY - dt.timedelta(days=1))
    reminders_plan(today=TODAY)
    assert ReminderJob.objects.filter(case=case).exists()


def test_a_job_planned_before_the_pause_is_stopped_by_the_gate_with_its_reason(strategy, outbox):
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    loan_pause_create(loan=case.loan, starts_on=TODAY, reason="complaint under review")
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.SKIPPED and job.skip_reason == "hold_paused"
    assert not job.decision.allowed
    assert "hold_paused" in [r["code"] for r in job.decision.reasons]
    assert outbox_lines(outbox) == []


def test_a_pause_of_another_loan_of_the_borrower_does_not_stop_this_ones_reminders(strategy, outbox):
    case = make_case(due_in_days=0)
    other = make_case(due_in_days=-5, borrower=case.borrower)
    loan_pause_create(loan=other.loan, starts_on=TODAY, reason="x")
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
