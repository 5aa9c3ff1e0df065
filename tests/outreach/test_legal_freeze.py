"""A written-off case and a case on the legal path get no automated reminders: the planner plans none,
and a job planned before is cancelled with the reason (issue 18 item 7)."""

import pytest

from cases.legal import legal_outcome_record, legal_step_open, loan_write_off
from outreach.models import JobStatus, ReminderJob
from outreach.planning import reminders_plan
from outreach.services import reminder_send

from .conftest import TODAY, due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)


def test_a_written_off_case_is_frozen_and_its_planned_job_cancelled(strategy, supervisor, outbox):
    case = make_case(due_in_days=-3)
    job = due_job(case, step(strategy, 1), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    case.loan.outstanding = case.loan.installments.get().principal_due
    case.loan.save()
    loan_write_off(case=case, user=supervisor, reason="charge-off")
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.skip_reason == "written_off"
    assert reminders_plan(today=TODAY).cases_frozen == 1
    assert ReminderJob.objects.filter(case=case).count() == 1
    assert outbox_lines(outbox) == []


@pytest.mark.parametrize("kind", ["referred", "mediation", "litigation"])
def test_every_legal_stage_freezes_the_reminders(strategy, supervisor, kind):
    case = make_case(due_in_days=-3)
    legal_step_open(case=case, kind=kind, forum="Firm, committee or court", started_on=TODAY, user=supervisor)
    job = due_job(case, step(strategy, 1), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "cancelled"
    job.refresh_from_db()
    assert job.skip_reason == f"legal_{kind}"
    result = reminders_plan(today=TODAY)
    assert result.cases_frozen == 1 and ReminderJob.objects.filter(case=case).count() == 1


def test_a_settled_legal_path_gives_the_case_its_reminders_back(strategy, supervisor):
    case = make_case(due_in_days=-3)
    step_ = legal_step_open(case=case, kind="mediation", forum="Committee", started_on=TODAY, user=supervisor)
    reminders_plan(today=TODAY)
    assert not ReminderJob.objects.filter(case=case).exists()
    legal_outcome_record(proceeding=step_, outcome="withdrawn", user=supervisor)
    reminders_plan(today=TODAY)
    assert ReminderJob.objects.filter(case=case).exists()
