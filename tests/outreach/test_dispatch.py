import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from borrowers.models import HoldKind
from cases.models import Installment
from contacts.models import ContactAttempt
from outreach.models import JobStatus, MessageStatus, OutboundMessage, ReminderJob, Task, TaskStatus
from outreach.selectors import case_reminders
from outreach.services import reminder_send, reminders_cancel_obsolete, reminders_dispatch
from tests import factories

from .conftest import due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)  # inside CN quiet hours' allowed window [08:00, 22:00)


def test_a_due_reminder_goes_through_the_gate_and_the_gateway_once(
    strategy, outbox, django_capture_on_commit_callbacks
):
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), scheduled_for=DAYTIME - dt.timedelta(minutes=5))
    later = due_job(make_case(due_in_days=0), step(strategy, 0), scheduled_for=DAYTIME + dt.timedelta(hours=1))
    queued: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_dispatch(now=DAYTIME, enqueue=queued.extend)
    assert result.claimed == [job.pk] and queued == [job.pk]
    assert ReminderJob.objects.get(pk=later.pk).status == JobStatus.PENDING

    outcome = reminder_send(job_id=job.pk, now=DAYTIME)
    assert outcome.status == "sent"
    job.refresh_from_db()
    assert job.status == JobStatus.SENT
    assert job.decision.allowed and job.decision.actor_kind == "scheduler"
    assert job.contact.channel == "sms" and job.contact.outcome == "delivered"
    message = OutboundMessage.objects.get(job=job)
    assert message.status == MessageStatus.DELIVERED and message.provider == "file"
    assert job.provider_id == message.provider_id != ""
    lines = outbox_lines(outbox)
    assert [line["key"] for line in lines] == [job.idempotency_key]
    assert case.borrower.full_name in lines[0]["body"]
    assert "TD" in lines[0]["body"]  # the zh-hans opt-out instruction

    # A redelivered task (or a second worker) finds the job sent and does nothing.
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "noop"
    assert len(outbox_lines(outbox)) == 1
    assert ContactAttempt.objects.filter(case=case).count() == 1
    assert list(case_reminders(case)) == [job]


def test_a_redelivery_after_the_gate_but_before_the_send_reuses_the_decision(strategy, outbox):
    # Phase A committed (decision, contact, message) and the worker died before the provider call.
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    from outreach import services

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(services, "gateway_for", lambda channel: (_ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):
            reminder_send(job_id=job.pk, now=DAYTIME)
    job.refresh_from_db()
    assert job.status == JobStatus.CLAIMED and job.contact is not None
    assert reminder_send(job_id=job.pk, now=DAYTIME + dt.timedelta(minutes=1)).status == "sent"
    assert ContactAttempt.objects.filter(case=case).count() == 1
    assert len(outbox_lines(outbox)) == 1


def test_quiet_hours_defer_the_reminder_to_next_allowed_at(strategy, outbox):
    case = make_case(due_in_days=0)
    late = shanghai(22, 30)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=late)
    outcome = reminder_send(job_id=job.pk, now=late)
    assert outcome.status == "deferred"
    job.refresh_from_db()
    assert job.status == JobStatus.DEFERRED
    assert (
        job.scheduled_for
        == job.next_attempt_at
        == shanghai(8, day=late.astimezone(late.tzinfo).date() + dt.timedelta(days=1))
    )
    assert job.deferrals == 1 and "quiet_hours" in job.skip_reason
    assert job.decision.allowed is False
    assert outbox_lines(outbox) == [] and job.contact is None

    # Not due before 08:00; claimed and sent from then on.
    assert reminders_dispatch(now=job.scheduled_for - dt.timedelta(minutes=1), enqueue=lambda _: None).claimed == []
    assert reminders_dispatch(now=job.scheduled_for, enqueue=lambda _: None).claimed == [job.pk]
    assert reminder_send(job_id=job.pk, now=job.scheduled_for).status == "sent"
    assert len(outbox_lines(outbox)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SENT and job.skip_reason == ""  # the deferral no longer describes it


def test_a_hold_skips_the_reminder_with_its_reason(strategy, outbox):
    case = make_case(due_in_days=0)
    factories.HoldFactory(borrower=case.borrower, kind=HoldKind.DISPUTE, starts_at=DAYTIME - dt.timedelta(days=2))
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.SKIPPED
    assert job.skip_reason == "hold_dispute"
    assert job.decision.next_allowed_at is None
    assert outbox_lines(outbox) == []


def test_an_opt_out_skips_the_reminder_with_its_reason(strategy, outbox):
    case = make_case(due_in_days=0)
    factories.OptOutFactory(borrower=case.borrower, channel="sms")
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.SKIPPED and job.skip_reason == "opted_out"
    assert outbox_lines(outbox) == []


def test_a_robot_call_is_gated_as_autodialed(strategy, outbox):
    case = make_case(due_in_days=-1)
    job = due_job(case, step(strategy, 1, "call"), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    job.refresh_from_db()
    assert job.contact.autodialed is True and job.contact.channel == "call"
    assert [line["key"] for line in outbox_lines(outbox, "call")] == [job.idempotency_key]


def test_a_collector_task_step_puts_a_call_task_in_the_collectors_queue(strategy, collector):
    case = make_case(due_in_days=-8, assigned_to=collector)
    job = due_job(case, step(strategy, 8, "task"), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    task = Task.objects.get(case=case)
    assert task.assigned_to == collector and task.status == TaskStatus.OPEN and task.kind == "call"
    case.refresh_from_db()
    assert case.next_action_at == DAYTIME


def test_a_payment_cancels_reminders_that_no_longer_apply(strategy, outbox):
    case = make_case(due_in_days=1)
    waiting = due_job(case, step(strategy, -1))
    claimed = due_job(case, step(strategy, -3), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    other = make_case(due_in_days=1)
    untouched = due_job(other, step(strategy, -1))
    # A backdated payment arrives and pays the installment.
    Installment.objects.filter(loan=case.loan).update(principal_paid=1000)
    assert reminders_cancel_obsolete(loan_ids=[case.loan_id, other.loan_id]) == 1
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.CANCELLED and waiting.skip_reason == "installment_paid"
    assert ReminderJob.objects.get(pk=untouched.pk).status == JobStatus.PENDING
    # The claimed one is checked under its lock by the send itself.
    assert reminder_send(job_id=claimed.pk, now=DAYTIME).status == "cancelled"
    assert outbox_lines(outbox) == []


def test_on_payment_restages_and_cancels(strategy):
    from cases.delinquency import refresh_delinquency
    from outreach.services import on_payment

    loan = factories.LoanFactory()
    factories.PhoneFactory(borrower=loan.borrower)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=1))
    refresh_delinquency()
    case = loan.cases.get()
    job = due_job(case, step(strategy, 1))
    Installment.objects.filter(loan=loan).update(principal_paid=1000, interest_paid=50, fee_paid=10)
    result = on_payment(loan_id=loan.pk)
    job.refresh_from_db()
    case.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert case.status == "closed" and result["cases_closed"] == 1


def test_a_claim_whose_task_was_lost_is_queued_again(strategy, settings):
    settings.REMINDER_CLAIM_TIMEOUT_S = 60
    case = make_case(due_in_days=0)
    stale = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME - dt.timedelta(minutes=5))
    fresh = due_job(make_case(due_in_days=0), step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    result = reminders_dispatch(now=DAYTIME, enqueue=lambda _: None)
    assert result.recovered == [stale.pk]
    assert fresh.pk not in result.job_ids


def test_claimed_reminders_are_sent_in_batches_each_job_on_its_own(strategy, settings, monkeypatch):
    """One send task per batch of claims (REMINDER_SEND_BATCH), each job still judged and finished alone:
    a job that no longer applies is cancelled without stopping the rest of its batch."""
    from outreach import tasks

    settings.REMINDER_SEND_BATCH = 2
    closed = [make_case(due_in_days=0, status="closed") for _ in range(3)]
    jobs = [due_job(case, step(strategy, 0), scheduled_for=DAYTIME - dt.timedelta(minutes=5)) for case in closed]
    batches: list[list[int]] = []
    send = tasks.send_reminders
    # Stands in for the broker: records each batch and runs the real task on it, in process.
    monkeypatch.setattr(
        tasks, "send_reminders", SimpleNamespace(delay=lambda ids: (batches.append(ids), send.apply(args=(ids,))))
    )

    result = reminders_dispatch(now=DAYTIME)
    # No on-commit capture here: the test's transaction never commits, so run what commit would.
    assert result.claimed == [j.pk for j in jobs]
    assert batches == []
    from outreach.services import _enqueue_sends

    _enqueue_sends(result.claimed)
    assert batches == [[jobs[0].pk, jobs[1].pk], [jobs[2].pk]]
    assert set(ReminderJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True)) == {
        JobStatus.CANCELLED
    }
    # A batch delivered again (a worker lost mid-batch) finds every job finished and does nothing.
    assert send.apply(args=([j.pk for j in jobs],)).get() == {"noop": 3}
