"""An operator requeues failed reminders (outreach.services.reminders_requeue): only failed jobs of open
cases go back to the queue, and each is decided by the gate again when it is sent, as a new message with
its own idempotency key; the failed round's message is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase

from cases.models import CaseStatus
from compliance.models import Decision
from outreach.models import JobStatus, MessageStatus, MessageTemplate, OutboundMessage, ReminderJob
from outreach.services import reminder_send, reminders_dispatch, reminders_requeue
from tests import factories

from .conftest import due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)


@pytest.fixture
def operator(db):
    return factories.UserFactory(role="supervisor")


def _failed_for_want_of_a_template(strategy) -> ReminderJob:
    """A real failure: the step's template is switched off when the reminder is sent."""
    job = due_job(make_case(due_in_days=0), step(strategy, 0), scheduled_for=DAYTIME - dt.timedelta(minutes=5))
    code = job.step.template_code
    MessageTemplate.objects.filter(code=code).update(active=False)
    reminders_dispatch(now=DAYTIME, enqueue=lambda ids: None)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.skip_reason == f"no_template:{code}"
    MessageTemplate.objects.filter(code=code).update(active=True)  # the operator fixed the template
    return job


def _dispatch_and_send(job: ReminderJob, now: dt.datetime) -> str:
    sent: list[int] = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        reminders_dispatch(now=now, enqueue=sent.extend)
    assert sent == [job.pk]
    return reminder_send(job_id=job.pk, now=now).status


def test_a_failed_reminder_requeued_by_reason_is_sent_through_the_gate(strategy, outbox, operator):
    job = _failed_for_want_of_a_template(strategy)
    later = DAYTIME + dt.timedelta(minutes=30)

    assert reminders_requeue(user=operator, reason=job.skip_reason, now=later) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.scheduled_for == later and job.skip_reason == ""
    assert job.requeues == 1
    assert _dispatch_and_send(job, later) == "sent"
    job.refresh_from_db()
    assert job.status == JobStatus.SENT
    assert job.decision.allowed and job.decision.actor_kind == "scheduler"
    assert [line["key"] for line in outbox_lines(outbox)] == [f"reminder-{job.pk}-r1"]


def test_a_requeued_reminder_is_decided_again_and_may_now_be_deferred(strategy, outbox, operator):
    job = _failed_for_want_of_a_template(strategy)
    night = shanghai(23)  # CN quiet hours

    reminders_requeue(user=operator, job_ids=[job.pk], now=night)

    assert _dispatch_and_send(job, night) == "deferred"
    job.refresh_from_db()
    assert job.status == JobStatus.DEFERRED and job.scheduled_for > night
    assert outbox_lines(outbox) == []


def test_an_abandoned_send_is_retried_as_a_new_message_after_a_new_decision(strategy, outbox, operator, monkeypatch):
    job = due_job(make_case(due_in_days=0), step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    from outreach import services

    with monkeypatch.context() as mp:  # the worker dies between the gate and the provider call
        mp.setattr(services, "gateway_for", lambda channel: (_ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):
            reminder_send(job_id=job.pk, now=DAYTIME)
    later = DAYTIME + dt.timedelta(hours=2)
    assert reminder_send(job_id=job.pk, now=later).status == "failed"  # the decision expired
    job.refresh_from_db()
    first_decision, first_message = job.decision, OutboundMessage.objects.get(job=job)

    assert reminders_requeue(user=operator, reason="decision_expired", now=later) == 1
    assert _dispatch_and_send(job, later) == "sent"

    job.refresh_from_db()
    assert job.decision != first_decision
    assert Decision.objects.filter(borrower=job.case.borrower).count() == 2
    first_message.refresh_from_db()
    assert first_message.job is None and first_message.status == MessageStatus.ABANDONED  # kept, detached
    assert OutboundMessage.objects.get(job=job).idempotency_key == f"reminder-{job.pk}-r1"
    assert [line["key"] for line in outbox_lines(outbox)] == [f"reminder-{job.pk}-r1"]


def test_only_failed_jobs_of_open_cases_are_requeued(strategy, operator):
    job = _failed_for_want_of_a_template(strategy)
    skipped = due_job(make_case(due_in_days=0), step(strategy, 0), status=JobStatus.SKIPPED, skip_reason="hold")
    closed = _failed_for_want_of_a_template(strategy)
    closed.case.status = CaseStatus.CLOSED
    closed.case.save()

    assert reminders_requeue(user=operator, job_ids=[job.pk, skipped.pk, closed.pk], now=DAYTIME) == 1

    assert ReminderJob.objects.get(pk=skipped.pk).status == JobStatus.SKIPPED
    assert ReminderJob.objects.get(pk=closed.pk).status == JobStatus.FAILED
    assert ReminderJob.objects.get(pk=job.pk).status == JobStatus.PENDING


def test_it_takes_either_jobs_or_a_reason(operator):
    with pytest.raises(ValueError):
        reminders_requeue(user=operator)
    with pytest.raises(ValueError):
        reminders_requeue(user=operator, job_ids=[1], reason="x")
