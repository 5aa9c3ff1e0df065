"""Celery tasks: thin, take ids, idempotent. Reminder jobs are rows; these tasks only move them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from celery import shared_task
from django import db
from django.conf import settings
from django.db import OperationalError

from cases.delinquency import refresh_delinquency

from . import services
from .assignment import cases_assign
from .escalation import escalation_run
from .planning import reminders_plan


@shared_task(
    name="outreach.send_reminder",
    bind=True,
    acks_late=True,
    # A worker that dies mid-task leaves the message to be delivered again, not acknowledged.
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=8,
)
def send_reminder(self: Any, job_id: int) -> dict[str, Any]:
    outcome = services.reminder_send(job_id=job_id)
    if outcome.retry_in is not None:
        if self.request.retries >= settings.REMINDER_MAX_SEND_ATTEMPTS:
            services.reminder_give_up(job_id=job_id, reason="retries_exhausted")
            return {"job": job_id, "status": "failed"}
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return {"job": job_id, "status": outcome.status, "reason": outcome.reason}


@shared_task(name="outreach.send_reminders", acks_late=True, reject_on_worker_lost=True)
def send_reminders(job_ids: list[int]) -> dict[str, int]:
    """A batch of claimed reminders: phase A (the gate, the messages) for all of them in one transaction
    (services.reminders_authorize_batch), then each send in its own, exactly as send_reminder's. A
    worker lost mid-batch gets the whole batch again, which is safe: a finished job is a no-op, and a job
    whose message was written goes straight to its send. A job that wants a retry, or meets a database
    error, goes on as its own task.
    """
    counts: Counter[str] = Counter()
    # Phase A for the whole batch at once where the database allows (PostgreSQL: the batched gate);
    # what it leaves, and every send, goes job by job.
    try:
        authorized = services.reminders_authorize_batch(job_ids=job_ids)
    except OperationalError:
        db.close_old_connections()
        authorized = {}
    for job_id in job_ids:
        done = authorized.get(job_id)
        if done is not None:
            counts[done.status] += 1
            continue
        try:
            outcome = services.reminder_send(job_id=job_id, authorized=job_id in authorized)
        except OperationalError:
            db.close_old_connections()  # a broken connection must not fail the rest of the batch
            send_reminder.apply_async((job_id,), countdown=5)
            counts["requeued"] += 1
            continue
        if outcome.retry_in is not None:
            send_reminder.apply_async((job_id,), countdown=outcome.retry_in)
        counts[outcome.status] += 1
    return dict(counts)


@shared_task(name="outreach.reminders_dispatch", acks_late=True)
def reminders_dispatch_task(batch_size: int = 500) -> dict[str, int]:
    result = services.reminders_dispatch(batch_size=batch_size)
    return {"claimed": len(result.claimed), "recovered": len(result.recovered)}


@shared_task(name="outreach.reminders_plan", acks_late=True)
def reminders_plan_task(case_ids: list[int] | None = None) -> dict[str, int]:
    result = reminders_plan(case_ids=case_ids)
    return {"jobs_created": result.jobs_created, "cases_frozen": result.cases_frozen}


@shared_task(name="outreach.refresh_and_plan", acks_late=True)
def refresh_and_plan(loan_ids: list[int] | None = None) -> dict[str, int]:
    """The daily refresh, then planning and assignment on the fresh stages."""

    refresh = refresh_delinquency(loan_ids=loan_ids)
    plan = reminders_plan()
    assigned = cases_assign()
    return {
        "loans_updated": refresh.loans_updated,
        "cases_opened": refresh.cases_opened,
        "cases_closed": refresh.cases_closed,
        "jobs_created": plan.jobs_created,
        "assigned": len(assigned.assigned),
    }


@shared_task(name="outreach.escalate", acks_late=True)
def escalate() -> dict[str, int]:
    result = escalation_run()
    return {
        "call_tasks": len(result.call_tasks),
        "lost_contact": len(result.lost_contact),
        "restaged": len(result.restaged),
        "assigned": result.assigned,
    }


@shared_task(name="outreach.on_payment", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5)
def on_payment_task(loan_id: int) -> dict[str, int]:
    return services.on_payment(loan_id=loan_id)


@shared_task(name="outreach.validation_notices_send", acks_late=True)
def validation_notices_send() -> dict[str, int]:
    """Regulation F validation notices whose time has come (outreach.services.validation_notices_send_due)."""
    return dict(services.validation_notices_send_due())
