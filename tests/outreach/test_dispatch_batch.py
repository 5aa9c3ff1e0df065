"""A batch of claimed reminders through the batched phase A (outreach.services.reminders_authorize_batch,
the batched gate) ends exactly as each job sent alone does, and a batch delivered again sends nothing twice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from compliance import evidence
from contacts.models import ContactAttempt
from outreach import tasks
from outreach.models import JobStatus, OutboundMessage, ReminderJob
from outreach.services import reminder_send, reminders_authorize_batch
from tests import factories

from .conftest import due_job, make_case, outbox_lines, step

pytestmark = pytest.mark.django_db

PORTAL_LINK = re.compile(r"/p/[^/ ]+/")


def _jobs(strategy) -> list[ReminderJob]:
    """One job of each kind of ending: sent, opted out, on hold, closed case, no number, and a second
    reminder the same day to a borrower who is sent the first."""
    now = timezone.now()
    cases = [make_case(due_in_days=0) for _ in range(4)]
    factories.OptOutFactory(borrower=cases[1].borrower, channel="sms", to=cases[1].borrower.phones.first().number)
    factories.HoldFactory(borrower=cases[2].borrower, kind="dispute", starts_at=now - dt.timedelta(days=1))
    cases.append(make_case(due_in_days=0, status="closed"))
    cases.append(make_case(due_in_days=0, phone=False))
    cases.append(make_case(due_in_days=0, borrower=cases[0].borrower))
    sms = step(strategy, 0)
    return [due_job(case, sms, status=JobStatus.CLAIMED, claimed_at=now) for case in cases]


def _ending(job_ids: list[int]) -> list[tuple]:
    ends = []
    for job in ReminderJob.objects.filter(pk__in=job_ids).select_related("decision").order_by("id"):
        decision = job.decision
        ends.append(
            (
                job.status,
                job.skip_reason,
                job.delivery_status,
                decision.allowed if decision else None,
                decision.reasons if decision else None,
                decision.results if decision else None,
                [
                    (status, to, PORTAL_LINK.sub("/p/…/", body))  # each send draws its own portal token
                    for status, to, body in OutboundMessage.objects.filter(job=job).values_list("status", "to", "body")
                ],
            )
        )
    return ends


def test_a_batch_ends_each_job_as_sending_it_alone_does(strategy, outbox):
    jobs = _jobs(strategy)
    ids = [j.pk for j in jobs]
    with transaction.atomic():
        for job_id in ids:
            reminder_send(job_id=job_id)
        alone = _ending(ids)
        sent_alone = len(outbox_lines(outbox))
        transaction.set_rollback(True)
    (outbox / "sms.log").unlink(missing_ok=True)

    counts = tasks.send_reminders.apply(args=(ids,)).get()
    assert _ending(ids) == alone
    assert counts == {"sent": 3, "skipped": 3, "cancelled": 1}
    assert len(outbox_lines(outbox)) == sent_alone == 3
    borrowers = {j.case.borrower_id for j in jobs}
    assert evidence.verify(borrower_ids=sorted(borrowers)).ok

    # The second reminder to the same borrower was judged with the first one's contact in its log.
    first, second = (ReminderJob.objects.get(pk=ids[0]), ReminderJob.objects.get(pk=ids[-1]))
    assert first.contact_id in {entry["id"] for entry in second.decision.facts["history"]}

    # Delivered again (a worker lost mid-batch): nothing is decided or sent twice.
    decisions = ContactAttempt.objects.count()
    assert tasks.send_reminders.apply(args=(ids,)).get() == {"noop": 7}
    assert ContactAttempt.objects.count() == decisions
    assert len(outbox_lines(outbox)) == 3


def test_a_job_whose_phase_a_was_done_goes_straight_to_its_send(strategy, outbox):
    """A worker killed between the batch's phase A and a send: the batch again leaves that job to its
    send (its message written), which goes out once."""
    if connection.vendor != "postgresql":
        pytest.skip("elsewhere the batch leaves every job to the single path")
    job = _jobs(strategy)[0]
    assert reminders_authorize_batch(job_ids=[job.pk]) == {job.pk: None}
    assert OutboundMessage.objects.filter(job=job).exists() and outbox_lines(outbox) == []
    assert reminders_authorize_batch(job_ids=[job.pk]) == {}  # its message is written: the single path's
    assert tasks.send_reminders.apply(args=([job.pk],)).get() == {"sent": 1}
    assert len(outbox_lines(outbox)) == 1
