"""Two dispatchers at once, on PostgreSQL, each thread on its own connection: skip_locked gives each
row to exactly one of them, and each reminder goes out once."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection

from contacts.models import ContactAttempt
from outreach.models import JobStatus, ReminderJob
from outreach.services import reminder_send, reminders_dispatch

from .conftest import due_job, make_case, outbox_lines, shanghai, step

DAYTIME = shanghai(10)
JOBS = 80


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_send_the_same_row(strategy, outbox):
    due = DAYTIME - dt.timedelta(minutes=1)
    jobs = [due_job(make_case(due_in_days=0), step(strategy, 0), scheduled_for=due) for _ in range(JOBS)]
    barrier = threading.Barrier(2)
    claimed: dict[int, list[int]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def dispatcher(index: int) -> None:
        try:
            barrier.wait()
            while True:
                result = reminders_dispatch(batch_size=5, now=DAYTIME, enqueue=claimed[index].extend)
                if not result.claimed:
                    return
                for job_id in result.claimed:
                    reminder_send(job_id=job_id, now=DAYTIME)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(j.pk for j in jobs)
    assert claimed[0] and claimed[1]  # both really worked side by side
    assert set(ReminderJob.objects.values_list("status", flat=True)) == {JobStatus.SENT}
    keys = Counter(line["key"] for line in outbox_lines(outbox))
    assert len(keys) == JOBS and set(keys.values()) == {1}
    assert ContactAttempt.objects.count() == JOBS
