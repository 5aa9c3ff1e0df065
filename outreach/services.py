"""Write paths of the reminder pipeline: dispatch (claim due rows), send one reminder through the gate
and a gateway, cancel reminders a payment made obsolete.

Exactly-once, in two short transactions per reminder:

A. lock the job row; ask the gate (which writes the decision and the pending contact attempt); write
   the OutboundMessage; commit. A redelivered task finds the message and never asks the gate twice.
B. lock the job row again and hold the lock through the provider call; send with the job's idempotency
   key; mark message and job sent; commit. A second task for the same job waits on the lock and then
   finds it sent. A worker killed inside B rolls B back; the resend carries the same idempotency key,
   which the provider (and the file gateway) recognises.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from borrowers.models import Borrower, Email, EmailKind, Phone, PhoneKind
from cases.delinquency import refresh_delinquency
from cases.models import Case, CaseStatus
from compliance.actions import Actor, OutreachAction
from compliance.models import ValidationNotice, ValidationNoticeStatus
from compliance.services import BatchAnswer, GateResult, Statement, outreach_authorize, outreach_authorize_batch
from compliance.validation import notice_fields as validation_notice_fields
from compliance.validation import notice_sent as validation_notice_sent
from contacts.services import contact_record_outcome
from core import rawsql
from repayment_plans.models import Plan, PlanInstallment, PlanStatus

from .assignment import cases_assign
from .escalation import borrowers_flag_lost_contact, case_supervisor
from .gateways import Message, SendResult, gateway_for
from .models import (
    MESSAGE_CHANNELS,
    JobStatus,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    ReminderJob,
    StepChannel,
    StrategyKind,
    Task,
    TaskKind,
    TaskStatus,
)
from .planning import reminders_plan, unpaid_installments
from .rendering import TemplateError, reminder_context, render_template

log = logging.getLogger(__name__)

# Backoff of transient gateway failures, by attempt: short enough to stay inside the decision's TTL.
RETRY_BACKOFF_S = (20, 40, 80, 160)
MAX_DEFERRALS = 14


@dataclass
class DispatchResult:
    claimed: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)

    @property
    def job_ids(self) -> list[int]:
        return self.claimed + self.recovered


@dataclass
class SendOutcome:
    """What happened to one job; `retry_in` is set when a transient failure wants another try."""

    status: str
    reason: str = ""
    retry_in: int | None = None


# --- dispatch ------------------------------------------------------------------------------------


def _enqueue_sends(job_ids: list[int]) -> None:
    from .tasks import send_reminders  # deferred: tasks.py imports this module

    size = max(1, settings.REMINDER_SEND_BATCH)
    for start in range(0, len(job_ids), size):
        send_reminders.delay(job_ids[start : start + size])


def reminders_dispatch(
    *,
    batch_size: int = 200,
    now: dt.datetime | None = None,
    enqueue: Callable[[list[int]], Any] | None = None,
) -> DispatchResult:
    """Claim due reminder rows (and recover stale claims) and queue send tasks for them, in batches.

    `skip_locked` lets any number of dispatchers run at once: each claims rows no other holds. Rows
    locked by a send in progress are skipped by the recovery too, so a slow send is never duplicated.
    """
    now = now or timezone.now()
    enqueue = enqueue or _enqueue_sends
    result = DispatchResult()
    with transaction.atomic():
        due = ReminderJob.objects.select_for_update(skip_locked=True).filter(
            status__in=[JobStatus.PENDING, JobStatus.DEFERRED], scheduled_for__lte=now
        )
        result.claimed = list(due.order_by("scheduled_for", "id").values_list("id", flat=True)[:batch_size])
        if result.claimed:
            ReminderJob.objects.filter(pk__in=result.claimed).update(
                status=JobStatus.CLAIMED, claimed_at=now, next_attempt_at=None, updated_at=now
            )
        # A claim whose task vanished (worker killed before it acked): Redis would redeliver it only
        # after the visibility timeout, so the dispatcher queues it again itself.
        stale = ReminderJob.objects.select_for_update(skip_locked=True).filter(
            status=JobStatus.CLAIMED,
            claimed_at__lt=now - dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_S),
        )
        result.recovered = list(stale.order_by("claimed_at", "id").values_list("id", flat=True)[:batch_size])
        if result.recovered:
            ReminderJob.objects.filter(pk__in=result.recovered).update(claimed_at=now, updated_at=now)
        ids = result.job_ids
        if ids:
            transaction.on_commit(lambda: enqueue(ids))
    return result


# --- sending one reminder --------------------------------------------------------------------------


def _lock_job(job_id: int, *, related: bool = True) -> ReminderJob | None:
    """The job, locked, with (phase A) its step, strategy, case, borrower, loan and platform.

    Two queries, not one seven-table join: PostgreSQL took ~2 ms to plan that join, several times
    what running either query costs. The send phase needs none of them (`related=False`).
    """
    qs = ReminderJob.objects.select_for_update(of=("self",))
    job = (qs.select_related("step__strategy") if related else qs).filter(pk=job_id).first()
    if job is not None and related:
        job.case = Case.objects.select_related("borrower", "loan", "platform").get(pk=job.case_id)
    return job


def _finish(
    job: ReminderJob, status: str, *, now: dt.datetime, reason: str = "", save: bool = True, **fields: Any
) -> None:
    job.status = status
    job.finished_at = now
    if reason:
        job.skip_reason = reason[:200]
    elif status == JobStatus.SENT:
        job.skip_reason = ""  # an earlier deferral ("deferred:quiet_hours") no longer describes a sent job
    for name, value in fields.items():
        setattr(job, name, value)
    if save:
        job.save()


def _is_plan_job(job: ReminderJob) -> bool:
    return job.step.strategy.kind == StrategyKind.PLAN


def _plan_installment_due(job: ReminderJob) -> tuple[Decimal, str] | None:
    """What is left to pay on the active plan's installment(s) the job is about, and the plan's
    currency; None when the plan is no longer active or that installment is paid."""

    unpaid = list(
        PlanInstallment.objects.filter(
            plan__case_id=job.case_id,
            plan__status=PlanStatus.ACTIVE,
            due_date=job.due_date,
            paid_amount__lt=F("amount"),
        ).values_list("amount", "paid_amount", "plan__currency")
    )
    if not unpaid:
        return None
    return sum((amount - paid for amount, paid, _ in unpaid), Decimal(0)), unpaid[0][2]


def _has_active_plan(case_id: int) -> bool:

    return Plan.objects.filter(case_id=case_id, status=PlanStatus.ACTIVE).exists()


def _obsolete_reason(job: ReminderJob) -> str:
    """Why a claimed reminder no longer applies, or "" (a late or backdated payment, a closed case).

    A plan reminder is about the plan's installment (paid, or the plan no longer active); a strategy
    reminder gives way to an active plan, whose own reminders then apply."""
    if job.case.status != CaseStatus.OPEN:
        return "case_closed"
    # Planned before the case was written off or went to law (cases.legal): those freeze every reminder.
    if job.case.loan.written_off_on is not None:
        return "written_off"
    if job.case.legal_stage:
        return f"legal_{job.case.legal_stage}"
    if _is_plan_job(job):
        if not _has_active_plan(job.case_id):
            return "plan_not_active"
        return "" if _plan_installment_due(job) is not None else "installment_paid"
    if _has_active_plan(job.case_id):
        return "plan_active"
    still_unpaid = unpaid_installments().filter(loan_id=job.case.loan_id, due_date=job.due_date).exists()
    return "" if still_unpaid else "installment_paid"


def _recipient(borrower: Borrower, channel: str) -> str:
    if channel == StepChannel.SMS:
        phone = borrower.phones.filter(invalid=False, kind=PhoneKind.MOBILE).first()
        return phone.number if phone else ""
    if channel == StepChannel.CALL:
        phone = borrower.phones.filter(invalid=False, work_contact_prohibited=False).first()
        return phone.number if phone else ""
    if channel == StepChannel.EMAIL:
        # A personal address first: a work address is where others may read it (and US forbids it).
        emails = sorted(borrower.emails.filter(invalid=False), key=lambda e: e.kind != EmailKind.PERSONAL)
        return emails[0].address if emails else ""
    if channel == StepChannel.LETTER:
        return borrower.address.strip()
    if channel == StepChannel.PUSH:
        # The platform finds the borrower's devices by its own id; without a webhook it cannot be told.
        return borrower.external_id if borrower.platform.webhook_url else ""
    return ""


def _template(code: str, language: str) -> MessageTemplate | None:
    found = {t.language: t for t in MessageTemplate.objects.filter(code=code, active=True)}
    return found.get(language) or found.get("en") or next(iter(found.values()), None)


def _record_outcome(contact: Any, outcome: str, notes: str = "") -> None:
    if contact is None:
        return

    contact_record_outcome(contact=contact, outcome=outcome, notes=notes)


def _create_task(job: ReminderJob, *, now: dt.datetime) -> Task:
    """A collector call task (or a placement review for the supervisor): one open task per kind."""

    kind = TaskKind.CALL if job.step.channel == StepChannel.TASK else TaskKind.PLACEMENT
    case = job.case
    if kind == TaskKind.CALL and case.assigned_to_id is None:
        cases_assign(case_ids=[case.pk], include_all_open=True)
        case.refresh_from_db(fields=["assigned_to"])
    assignee = case.assigned_to if kind == TaskKind.CALL else case_supervisor(case)
    task = Task.objects.filter(case=case, kind=kind, status=TaskStatus.OPEN).first()
    if task is None:
        task = Task.objects.create(
            case=case,
            assigned_to=assignee,
            kind=kind,
            due_at=now,
            reason=f"strategy step {job.step.day_label}",
            job=job,
        )
    if kind == TaskKind.CALL and (case.next_action_at is None or case.next_action_at > now):
        Case.objects.filter(pk=case.pk).update(next_action_at=now)
    return task


@transaction.atomic
def task_for_borrower_request(*, case: Case, reason: str, now: dt.datetime | None = None) -> Task:
    """A call task due now for what a borrower asked through the portal, for the case's collector (assigned
    now if nobody has the case); an open call task already there takes the request as its reason."""
    now = now or timezone.now()
    if case.assigned_to_id is None:
        cases_assign(case_ids=[case.pk], include_all_open=True)
        case.refresh_from_db(fields=["assigned_to"])
    task = Task.objects.select_for_update().filter(case=case, kind=TaskKind.CALL, status=TaskStatus.OPEN).first()
    if task is None:
        task = Task.objects.create(
            case=case, assigned_to=case.assigned_to, kind=TaskKind.CALL, due_at=now, reason=reason[:200]
        )
    else:
        task.reason, task.due_at = reason[:200], min(task.due_at, now)
        task.save(update_fields=["reason", "due_at"])
    Case.objects.filter(pk=case.pk).update(next_action_at=now)
    return task


@dataclass
class _Prepared:
    """A message job ready for the gate: its action, and what goes in its message when allowed."""

    action: OutreachAction
    to: str
    rendered: Any


def _prepare(job: ReminderJob, *, now: dt.datetime) -> _Prepared | SendOutcome:
    """Phase A for a message channel, up to the gate: the recipient, the template, the text. A job that
    cannot go on is finished here (its outcome returned)."""
    case, step = job.case, job.step
    borrower = case.borrower
    to = _recipient(borrower, step.channel)
    if not to:
        _finish(job, JobStatus.SKIPPED, now=now, reason="no_contact_point")
        transaction.on_commit(lambda: _after_contact_point_loss(borrower.pk))
        return SendOutcome("skipped", "no_contact_point")
    template = _template(step.template_code, borrower.language)
    if template is None:
        _finish(job, JobStatus.FAILED, now=now, reason=f"no_template:{step.template_code}")
        return SendOutcome("failed", "no_template")
    amount = currency = None
    if _is_plan_job(job):
        # The plan installment's own figures (checked unpaid under this lock by _obsolete_reason).
        amount, currency = _plan_installment_due(job) or (None, None)
    context = reminder_context(
        case=case,
        due_date=job.due_date,
        channel=step.channel,
        language=template.language,
        amount=amount,
        currency=currency,
    )
    try:
        rendered = render_template(template, context)
    except TemplateError:
        # Saved before templates were rendered on save (MessageTemplate.clean): every retry would fail alike.
        _finish(job, JobStatus.FAILED, now=now, reason=f"template_unrenderable:{step.template_code}")
        return SendOutcome("failed", "template_unrenderable")
    action = OutreachAction(
        borrower=borrower,
        channel=step.channel,
        to=to,
        loan=case.loan,
        case=case,
        at=now,
        message=f"{rendered.subject}\n{rendered.body}".strip(),
        autodialed=step.channel == StepChannel.CALL,
    )
    return _Prepared(action, to, rendered)


def _apply_gate(
    job: ReminderJob, prepared: _Prepared, gate: GateResult | ValidationError, *, now: dt.datetime, save: bool = True
) -> tuple[SendOutcome | None, OutboundMessage | None]:
    """The gate's answer on the job (saved, unless the caller writes it), and the message to send when it
    allowed one (created, unless the caller writes it). Outcome None: ready to send."""
    if isinstance(gate, ValidationError):
        # The gate refuses input it cannot judge (e.g. a malformed number); retrying will not help.
        _finish(job, JobStatus.FAILED, now=now, reason=f"gate_rejected:{gate}", save=save)
        return SendOutcome("failed", "gate_rejected"), None
    job.decision = gate.decision
    job.reasons = list(gate.reasons or [])
    codes = ",".join(r.get("code", "") for r in job.reasons) or "blocked"
    if not gate.allowed:
        if gate.next_allowed_at is not None and job.deferrals < MAX_DEFERRALS:
            job.status = JobStatus.DEFERRED
            job.scheduled_for = gate.next_allowed_at
            job.next_attempt_at = gate.next_allowed_at
            job.deferrals += 1
            job.skip_reason = f"deferred:{codes}"[:200]
            if save:
                job.save()
            return SendOutcome("deferred", codes), None
        _finish(job, JobStatus.SKIPPED, now=now, reason=codes, save=save)
        return SendOutcome("skipped", codes), None
    job.contact = gate.contact
    rendered = prepared.rendered
    message = OutboundMessage(
        job=job,
        idempotency_key=job.idempotency_key,
        channel=job.step.channel,
        to=prepared.to,
        language=rendered.language,
        subject=rendered.subject,
        body=rendered.body,
        contact=gate.contact,
        decision=gate.decision,
    )
    if save:
        job.save()
        message.save()
    return None, message


def _authorize_and_prepare(job: ReminderJob, *, now: dt.datetime) -> SendOutcome | None:
    """Phase A for a message channel: gate, then the OutboundMessage. None: ready to send."""
    prepared = _prepare(job, now=now)
    if isinstance(prepared, SendOutcome):
        return prepared
    gate: GateResult | ValidationError
    try:
        gate = outreach_authorize(action=prepared.action, actor=Actor.scheduler())
    except ValidationError as exc:
        gate = exc
    return _apply_gate(job, prepared, gate, now=now)[0]


def _mark_contact_point_invalid(borrower_id: int, channel: str, to: str) -> None:
    # save() rather than update(): contact points keep their simple-history trail.
    model = Email if channel == StepChannel.EMAIL else Phone
    lookup = {"address": to} if model is Email else {"number": to}
    for point in model.objects.filter(borrower_id=borrower_id, invalid=False, **lookup):
        point.invalid = True
        point.save(update_fields=["invalid"])


def _after_contact_point_loss(borrower_id: int) -> None:

    borrowers_flag_lost_contact(borrower_ids=[borrower_id])


def _gateway_send(message: OutboundMessage) -> SendResult:
    """The one provider call of every message, a reminder's or a collector's: the channel's gateway,
    with the message's idempotency key (a resend after a crash is recognised, not sent twice)."""
    gateway = gateway_for(message.channel)
    message.provider = gateway.name
    message.send_attempts += 1
    return gateway.send(
        Message(
            channel=message.channel,
            to=message.to,
            body=message.body,
            subject=message.subject,
            language=message.language,
            idempotency_key=message.idempotency_key,
        )
    )


def _message_sent(message: OutboundMessage, result: SendResult, *, contact: Any, now: dt.datetime) -> None:
    """A message the provider accepted; its contact is delivered only on the provider's word."""
    message.status = MessageStatus.DELIVERED if result.status == "delivered" else MessageStatus.SENT
    message.provider_id = result.provider_id
    message.sent_at = now
    message.error = ""
    message.save()
    if message.status == MessageStatus.DELIVERED:
        _record_outcome(contact, "delivered", notes=f"provider id {result.provider_id}")


def _message_failed(message: OutboundMessage, error: str, *, contact: Any, borrower_id: int, permanent: bool) -> None:
    """A message that will not be sent. A permanent failure (a bounced address, a number that does not
    exist) marks the contact point invalid, so that nothing uses it again, and checks for lost contact."""
    message.status = MessageStatus.FAILED
    message.error = error
    message.save()
    _record_outcome(contact, "failed", notes=error[:500])
    if permanent:
        _mark_contact_point_invalid(borrower_id, message.channel, message.to)
        transaction.on_commit(lambda: _after_contact_point_loss(borrower_id))


def _apply_send_result(
    job: ReminderJob, message: OutboundMessage, result: SendResult, *, now: dt.datetime
) -> SendOutcome:
    borrower_id = job.case.borrower_id
    if result.ok:
        _message_sent(message, result, contact=job.contact, now=now)
        _finish(job, JobStatus.SENT, now=now, provider_id=result.provider_id, delivery_status=result.status or "sent")
        return SendOutcome("sent")
    if result.permanent_error:
        _message_failed(message, result.permanent_error, contact=job.contact, borrower_id=borrower_id, permanent=True)
        _finish(job, JobStatus.FAILED, now=now, reason="permanent_failure", delivery_status="failed")
        return SendOutcome("failed", "permanent_failure")
    if message.send_attempts >= settings.REMINDER_MAX_SEND_ATTEMPTS:
        _message_failed(message, result.transient_error, contact=job.contact, borrower_id=borrower_id, permanent=False)
        _finish(job, JobStatus.FAILED, now=now, reason="transient_failures_exhausted", delivery_status="failed")
        return SendOutcome("failed", "transient_failures_exhausted")
    message.error = result.transient_error
    message.save()
    delay = RETRY_BACKOFF_S[min(message.send_attempts - 1, len(RETRY_BACKOFF_S) - 1)]
    # Keep the recovery away from a row that is only waiting for its retry.
    job.claimed_at = now + dt.timedelta(seconds=delay)
    job.delivery_status = "retrying"
    job.save(update_fields=["claimed_at", "delivery_status", "updated_at"])
    return SendOutcome("retry", result.transient_error, retry_in=delay)


def reminder_send(*, job_id: int, now: dt.datetime | None = None, authorized: bool = False) -> SendOutcome:
    """Send one claimed reminder exactly once. Safe to run any number of times for the same job.

    `authorized`: phase A was done for this job by `reminders_authorize_batch` (its message is written);
    only the send is left."""
    now = now or timezone.now()
    if authorized:
        return _send_phase(job_id, now)
    # Phase A: authorise and record what is going to be sent.
    with transaction.atomic():
        job = _lock_job(job_id)
        if job is None or job.status != JobStatus.CLAIMED:
            return SendOutcome("noop", job.status if job else "missing")
        message = OutboundMessage.objects.filter(job=job).first()
        if message is None:
            reason = _obsolete_reason(job)
            if reason:
                _finish(job, JobStatus.CANCELLED, now=now, reason=reason)
                return SendOutcome("cancelled", reason)
            if job.step.channel not in MESSAGE_CHANNELS:
                task = _create_task(job, now=now)
                _finish(job, JobStatus.SENT, now=now, delivery_status=f"task:{task.pk}")
                return SendOutcome("sent", "task")
            outcome = _authorize_and_prepare(job, now=now)
            if outcome is not None:
                return outcome
        elif (
            message.status == MessageStatus.QUEUED
            and job.decision
            and (now - job.decision.at > dt.timedelta(seconds=settings.REMINDER_DECISION_TTL_S))
        ):
            # The send was interrupted long ago: the permission given then may not hold now (quiet
            # hours may have started). Missing one reminder is better than an unlawful one.
            message.status = MessageStatus.ABANDONED
            message.error = "decision expired before the send was confirmed"
            message.save()
            _finish(job, JobStatus.FAILED, now=now, reason="decision_expired")
            _record_outcome(job.contact, "failed", notes="send not confirmed; decision expired")
            return SendOutcome("failed", "decision_expired")
    return _send_phase(job_id, now)


def _send_phase(job_id: int, now: dt.datetime) -> SendOutcome:
    """Phase B: the provider call, under the job's row lock, with the job's idempotency key; the outcome
    is written in this transaction."""
    with transaction.atomic():
        job = _lock_job(job_id, related=False)
        if job is None or job.status != JobStatus.CLAIMED:
            return SendOutcome("noop", job.status if job else "missing")
        message = OutboundMessage.objects.get(job=job)
        if message.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            _finish(job, JobStatus.SENT, now=now, provider_id=message.provider_id, delivery_status=message.status)
            return SendOutcome("sent", "already_sent")
        result = _gateway_send(message)
        return _apply_send_result(job, message, result, now=timezone.now())


# --- phase A for a batch of reminders -------------------------------------------------------------------

# What phase A changes on a job (the batch writes them for every job in one UPDATE).
_JOB_WRITES = (
    "status",
    "scheduled_for",
    "next_attempt_at",
    "deferrals",
    "finished_at",
    "decision",
    "contact",
    "skip_reason",
    "reasons",
    "updated_at",
)


def _jobs_update(jobs: list[ReminderJob], *, now: dt.datetime) -> Statement:
    """One UPDATE of phase A's fields for every job of a batch, from a VALUES list (PostgreSQL)."""
    by_name = {f.name: f for f in ReminderJob._meta.concrete_fields}
    fields = [by_name[name] for name in ("id", *_JOB_WRITES)]
    row = "(" + ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields) + ")"
    names = [connection.ops.quote_name(f.attname) for f in fields]  # attname: the column of every one here
    params: list[Any] = []
    for job in jobs:
        job.updated_at = now
        params += [f.get_db_prep_save(getattr(job, f.attname), connection) for f in fields]
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (
        f"UPDATE {rawsql.table(ReminderJob)} AS j SET {sets} "  # noqa: S608 - the model's table and columns
        f"FROM (VALUES {', '.join([row] * len(jobs))}) AS v({', '.join(names)}) WHERE j.id = v.id"
    )
    return sql, params


def reminders_authorize_batch(*, job_ids: list[int], now: dt.datetime | None = None) -> dict[int, SendOutcome | None]:
    """Phase A for a batch of claimed reminders at once (PostgreSQL): the jobs locked in id order in
    one statement, the gate asked for all of them together (`outreach_authorize_batch`: one lock, one
    read and one write statement for the batch), and every decision, contact, evidence link, message and
    job update written in that one statement. One transaction, as phase A is for one job.

    Answers, by job id: the outcome of a job finished here (skipped, deferred, cancelled, failed, noop),
    or None for a job whose message is written and waits for its send (`reminder_send(authorized=True)`).
    Jobs it leaves out go through `reminder_send` as they are: an interrupted send (its message already
    written), a task step. Elsewhere than PostgreSQL it answers nothing (the single path does it all).
    """
    if connection.vendor != "postgresql":
        return {}
    now = now or timezone.now()
    answered: dict[int, SendOutcome | None] = {}
    with transaction.atomic():
        jobs = list(
            ReminderJob.objects.select_for_update(of=("self",))
            .select_related("step__strategy")
            .filter(pk__in=job_ids)
            .order_by("id")
        )
        cases = Case.objects.select_related("borrower", "loan", "platform").in_bulk({j.case_id for j in jobs})
        with_message = set(
            OutboundMessage.objects.filter(job_id__in=[j.pk for j in jobs]).values_list("job_id", flat=True)
        )
        found = {j.pk for j in jobs}
        answered.update({job_id: SendOutcome("noop", "missing") for job_id in job_ids if job_id not in found})
        batch: list[tuple[ReminderJob, _Prepared]] = []
        for job in jobs:
            if job.status != JobStatus.CLAIMED:
                answered[job.pk] = SendOutcome("noop", job.status)
                continue
            if job.pk in with_message or job.step.channel not in MESSAGE_CHANNELS:
                continue  # the single path: a send to finish, or a task to create
            job.case = cases[job.case_id]
            reason = _obsolete_reason(job)
            if reason:
                _finish(job, JobStatus.CANCELLED, now=now, reason=reason)
                answered[job.pk] = SendOutcome("cancelled", reason)
                continue
            prepared = _prepare(job, now=now)
            if isinstance(prepared, SendOutcome):
                answered[job.pk] = prepared
                continue
            batch.append((job, prepared))

        def writes(answers: list[BatchAnswer]) -> list[Statement]:
            messages = []
            for (job, prepared), gate in zip(batch, answers, strict=True):
                outcome, message = _apply_gate(job, prepared, gate, now=now, save=False)
                answered[job.pk] = outcome
                if message is not None:
                    messages.append(message)
            statements = [_jobs_update([job for job, _prepared in batch], now=now)]
            if messages:
                statements.append(rawsql.prepare_insert(*messages))
            return statements

        if batch:
            outreach_authorize_batch(actions=[p.action for _job, p in batch], actor=Actor.scheduler(), then=writes)
    return answered


def reminder_give_up(*, job_id: int, reason: str) -> None:
    """Called when the task runner itself gives up on a job (retries exhausted)."""
    now = timezone.now()
    with transaction.atomic():
        job = _lock_job(job_id, related=False)
        if job is not None and job.status == JobStatus.CLAIMED:
            _finish(job, JobStatus.FAILED, now=now, reason=reason)


def reminders_requeue(
    *, user: User, job_ids: list[int] | None = None, reason: str | None = None, now: dt.datetime | None = None
) -> int:
    """Put failed reminders back in the queue, due now: the given jobs, or every failed job that failed
    for `reason`. Returns how many were requeued.

    Only what is lawful to try again: a job that *failed* (never one the gate skipped or deferred, nor one
    cancelled) on a case still open. Nothing is sent here: the dispatcher claims the job and the send asks
    the gate again, as for any reminder (quiet hours, caps, holds and opt-outs as they stand then); the
    failed round's message is kept, detached from the job, and the new round is a new message with its own
    idempotency key (`ReminderJob.requeues`), so the provider never takes it for the failed one.
    """
    if (job_ids is None) == (reason is None):
        raise ValueError("give either job_ids or reason")
    now = now or timezone.now()
    with transaction.atomic():
        failed = ReminderJob.objects.select_for_update(of=("self",), skip_locked=True).filter(
            status=JobStatus.FAILED, case__status=CaseStatus.OPEN
        )
        failed = failed.filter(pk__in=job_ids) if job_ids is not None else failed.filter(skip_reason=reason)
        requeued = list(failed.order_by("id").values_list("id", "skip_reason"))
        ids = [job_id for job_id, _reason in requeued]
        if not ids:
            return 0
        OutboundMessage.objects.filter(job_id__in=ids).update(job=None)
        ReminderJob.objects.filter(pk__in=ids).update(
            status=JobStatus.PENDING,
            scheduled_for=now,
            next_attempt_at=None,
            claimed_at=None,
            finished_at=None,
            decision=None,
            contact=None,
            skip_reason="",
            reasons=[],
            provider_id="",
            delivery_status="",
            deferrals=0,
            requeues=F("requeues") + 1,
            updated_at=now,
        )
    for job_id, old_reason in requeued:
        log.info("reminder job %s requeued by user %s after %s", job_id, user.pk, old_reason)
    return len(ids)


# --- a collector's message -------------------------------------------------------------------------


@dataclass
class ManualSend:
    """A collector's message: the gate's answer and, when it allowed the send, the message as it went."""

    gate: GateResult
    message: OutboundMessage | None = None


def message_deliver(*, gate: GateResult, subject: str, body: str, language: str) -> OutboundMessage:
    """Record a message the gate allowed a collector (or a supervisor's override) and hand it to the
    channel's gateway now; the outcome goes on the contact the gate reserved."""
    assert gate.allowed and gate.decision is not None  # only an allowed, recorded action is sent
    decision = gate.decision
    with transaction.atomic():
        message = OutboundMessage.objects.create(
            idempotency_key=f"workspace-{decision.pk}",
            channel=decision.channel,
            to=decision.to,
            language=language,
            subject=subject,
            body=body,
            contact=gate.contact,
            decision=decision,
        )
        result = _gateway_send(message)
        if result.ok:
            _message_sent(message, result, contact=gate.contact, now=timezone.now())
        else:
            error, permanent = result.permanent_error or result.transient_error, bool(result.permanent_error)
            _message_failed(message, error, contact=gate.contact, borrower_id=decision.borrower_id, permanent=permanent)
    return message


def message_send(
    *, case: Case, template: MessageTemplate, channel: str, to: str, user: User, today: dt.date
) -> ManualSend:
    """A templated SMS or e-mail a collector sends now, the way a reminder is sent: rendered for the case,
    judged by the gate (which screens the text), recorded, then handed to the channel's gateway.

    Not retried in the background: the collector sees a failure and decides. Raises TemplateError for a
    template that cannot be rendered (one saved before templates were checked on save).
    """
    rendered = render_template(
        template, reminder_context(case=case, due_date=today, channel=channel, language=template.language)
    )
    action = OutreachAction(
        borrower=case.borrower,
        channel=channel,
        to=to,
        case=case,
        loan=case.loan,
        message=f"{rendered.subject}\n{rendered.body}".strip(),
    )
    gate = outreach_authorize(action=action, actor=Actor.of_user(user))
    if not gate.allowed:
        return ManualSend(gate)
    message = message_deliver(gate=gate, subject=rendered.subject, body=rendered.body, language=rendered.language)
    return ManualSend(gate, message)


# --- Regulation F's validation notice ----------------------------------------------------------


@dataclass
class NoticeOutcome:
    status: str  # sent, deferred, blocked, failed, noop
    reason: str = ""
    message: OutboundMessage | None = None


def _notice_channel(borrower: Borrower) -> tuple[str, str]:
    """A letter to the borrower's mailing address (the Model Form is a letter, and an e-mail notice needs
    1006.42's delivery procedures, which the product does not model); else an e-mail to a personal address."""
    if borrower.address.strip():
        return StepChannel.LETTER, borrower.address.strip()
    email = _recipient(borrower, StepChannel.EMAIL)
    return (StepChannel.EMAIL, email) if email else ("", "")


def validation_notice_render(fields: dict[str, Any], *, language: str, email: bool) -> tuple[str, str]:
    """The notice's subject and text in the borrower's language (en or zh-hans), from its B-1 values."""
    with translation.override(language):
        subject = str(_("Validation notice: important information about a debt"))
        body = render_to_string("outreach/validation_notice.txt", {"f": fields, "email": email}).strip()
    return subject, body


def validation_notice_send(*, notice_id: int, now: dt.datetime | None = None) -> NoticeOutcome:
    """Send one scheduled validation notice through the gate and the channel's gateway. Safe to repeat: a
    notice is sent once (its row is locked and its status moved on in the same transaction). A block
    the gate times (quiet hours, a named inconvenient time) defers it to the gate's next allowed time; any
    other block leaves it `blocked` with the reasons, shown on the case page."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = ValidationNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.status != ValidationNoticeStatus.SCHEDULED or notice.not_before > now:
            return NoticeOutcome("noop", notice.status if notice else "missing")
        case = Case.objects.select_related("borrower", "borrower__platform", "loan", "loan__platform").get(
            pk=notice.case_id
        )
        borrower = case.borrower
        channel, to = _notice_channel(borrower)
        if not channel:
            notice.status, notice.reason = ValidationNoticeStatus.BLOCKED, "no_contact_point"
            notice.save(update_fields=["status", "reason"])
            return NoticeOutcome("blocked", "no_contact_point")
        fields = validation_notice_fields(
            notice,
            at=now,
            collector_name=settings.DEBT_COLLECTOR_NAME,
            collector_address=settings.DEBT_COLLECTOR_ADDRESS,
        )
        language = borrower.language if borrower.language in ("en", "zh-hans") else "en"
        subject, body = validation_notice_render(fields, language=language, email=channel == StepChannel.EMAIL)
        action = OutreachAction(
            borrower=borrower,
            channel=channel,
            to=to,
            case=case,
            loan=case.loan,
            at=now,
            message=f"{subject}\n{body}",
        )
        gate = outreach_authorize(action=action, actor=Actor.scheduler())
        if not gate.allowed:
            reasons = ",".join(r["code"] for r in gate.reasons)
            if gate.next_allowed_at is not None:
                notice.not_before, notice.reason = gate.next_allowed_at, reasons
                notice.save(update_fields=["not_before", "reason"])
                return NoticeOutcome("deferred", reasons)
            notice.status, notice.reason = ValidationNoticeStatus.BLOCKED, reasons
            notice.save(update_fields=["status", "reason"])
            return NoticeOutcome("blocked", reasons)
        message = message_deliver(gate=gate, subject=subject, body=body, language=language)
        if message.status == MessageStatus.FAILED:
            notice.status, notice.reason = ValidationNoticeStatus.FAILED, message.error[:200]
            notice.save(update_fields=["status", "reason"])
            return NoticeOutcome("failed", message.error, message)
        assert gate.decision is not None
        validation_notice_sent(notice, at=now, channel=channel, fields=fields, decision=gate.decision)
    return NoticeOutcome("sent", "", message)


def validation_notices_send_due(*, now: dt.datetime | None = None, limit: int = 200) -> Counter[str]:
    """Every scheduled notice whose time has come (the beat task; 1006.34 allows five days after the
    first communication, the sweep runs every few minutes)."""
    now = now or timezone.now()
    due = ValidationNotice.objects.filter(status=ValidationNoticeStatus.SCHEDULED, not_before__lte=now)
    counts: Counter[str] = Counter()
    for notice_id in due.order_by("not_before", "id").values_list("id", flat=True)[:limit]:
        counts[validation_notice_send(notice_id=notice_id, now=now).status] += 1
    return counts


# --- payments -----------------------------------------------------------------------------------


def reminders_cancel_obsolete(*, loan_ids: list[int]) -> int:
    """Cancel waiting reminders whose installment is now paid (or whose case closed). Returns the count.

    Claimed rows are left alone: their send task checks the same thing under the row lock.
    """
    # The loans' cases first (indexed by loan), then their jobs by case: a join filtered on the loan
    # let PostgreSQL walk every waiting job of the book.
    cases = {
        case_id: (loan_id, case_status)
        for case_id, loan_id, case_status in Case.objects.filter(loan_id__in=loan_ids).values_list(
            "id", "loan_id", "status"
        )
    }
    if not cases:
        return 0
    waiting_jobs = (
        ReminderJob.objects.filter(case_id__in=list(cases), status__in=[JobStatus.PENDING, JobStatus.DEFERRED])
        # A plan reminder is about the plan's installment, not the loan's: the send task judges it.
        .exclude(step__strategy__kind=StrategyKind.PLAN)
        .order_by()
        .values_list("id", "case_id", "due_date")
    )
    waiting = list(waiting_jobs)
    if not waiting:
        return 0
    still_unpaid = unpaid_installments().filter(loan_id__in=loan_ids).order_by().values_list("loan_id", "due_date")
    unpaid_keys = set(still_unpaid)
    obsolete = [
        job_id
        for job_id, case_id, due in waiting
        if cases[case_id][1] != CaseStatus.OPEN or (cases[case_id][0], due) not in unpaid_keys
    ]
    if not obsolete:
        return 0
    now = timezone.now()
    return ReminderJob.objects.filter(Q(pk__in=obsolete), status__in=[JobStatus.PENDING, JobStatus.DEFERRED]).update(
        status=JobStatus.CANCELLED, skip_reason="installment_paid", finished_at=now, updated_at=now
    )


def on_payment(*, loan_id: int) -> dict[str, int]:
    """After a payment (also a late or backdated one): re-stage the loan's case, cancel reminders that
    no longer apply, and plan what the new stage calls for."""

    refresh = refresh_delinquency(loan_ids=[loan_id])
    cancelled = reminders_cancel_obsolete(loan_ids=[loan_id])
    case_ids = list(Case.objects.open().filter(loan_id=loan_id).values_list("id", flat=True))
    planned = reminders_plan(case_ids=case_ids).jobs_created if case_ids else 0
    return {"cancelled": cancelled, "planned": planned, "cases_closed": refresh.cases_closed}
