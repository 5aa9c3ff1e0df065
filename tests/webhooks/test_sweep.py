"""The minute sweep: nothing is lost when a task is lost or a worker dies."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from webhooks.models import EventStatus, EventType, WebhookEvent
from webhooks.services import CLAIM_LEASE, event_deliver, event_emit, events_sweep
from webhooks.tasks import deliver_event, sweep

from .helpers import age_enqueued, make_due
from .receiver import running_receiver

DATA = {"case": 1}


def _emit_without_running_its_task(platform) -> WebhookEvent:
    # In a test transaction on_commit never fires: exactly a task lost between commit and worker.
    return event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)


@pytest.mark.django_db
def test_sweep_requeues_a_pending_row_whose_task_was_lost(platform, receiver, eager_celery):
    event = _emit_without_running_its_task(platform)

    # Just queued: its task may well be on its way, so the sweep leaves it alone.
    assert sweep() == 0
    assert receiver.received == []

    age_enqueued(event, by=dt.timedelta(minutes=2))
    assert sweep() == 1

    event.refresh_from_db()
    assert event.status == EventStatus.DELIVERED
    assert receiver.delivered_event_ids == [str(event.event_id)]
    # Delivered rows are never swept again.
    age_enqueued(event, by=dt.timedelta(minutes=2))
    assert sweep() == 0


@pytest.mark.django_db
def test_sweep_retries_a_failed_row_once_its_backoff_has_passed_and_not_before(platform, eager_celery):
    with running_receiver(platform.webhook_secret, script=[500]) as flaky:
        platform.webhook_url = flaky.url
        platform.save(update_fields=["webhook_url"])
        event = _emit_without_running_its_task(platform)
        assert deliver_event(event.pk) == EventStatus.FAILED

        assert sweep() == 0
        make_due(event)
        assert sweep() == 1

    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.DELIVERED, 2)
    assert len(flaky.received) == 2


@pytest.mark.django_db
def test_a_row_whose_worker_died_mid_attempt_is_retried_after_the_lease(platform, receiver, eager_celery):
    event = _emit_without_running_its_task(platform)
    # What a worker does before sending; then it dies: no result is ever written.
    now = timezone.now()
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=1, next_attempt_at=now + CLAIM_LEASE, enqueued_at=None)

    assert sweep() == 0  # the lease still holds: the worker might only be slow
    assert deliver_event(event.pk) == "skipped"

    make_due(event)  # the lease has run out
    assert sweep() == 1

    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.DELIVERED, 2)
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_duplicate_task_does_not_send_twice(platform, receiver, eager_celery):
    event = _emit_without_running_its_task(platform)

    assert deliver_event(event.pk) == EventStatus.DELIVERED
    assert deliver_event(event.pk) == "skipped"
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_backlog_larger_than_one_batch_drains_without_waiting_for_the_next_beat(platform, receiver, eager_celery):
    for _ in range(3):
        _emit_without_running_its_task(platform)
    WebhookEvent.objects.update(enqueued_at=None)  # as a bulk producer leaves its rows

    # A full batch means more may be waiting: the sweep queues itself again at once.
    assert events_sweep(batch_size=2) == 2

    assert WebhookEvent.objects.filter(status=EventStatus.DELIVERED).count() == 3
    assert len(receiver.received) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_one_event_send_it_once(platform):
    """Two workers handed the same event at the same moment: the compare-and-set claim lets one through."""
    with running_receiver(platform.webhook_secret, delay_s=0.3) as slow:
        platform.webhook_url = slow.url
        platform.save(update_fields=["webhook_url"])
        # Written directly: emitting here (autocommit) would queue a real task at once.
        event = WebhookEvent.objects.create(
            platform=platform, type=EventType.CASE_OPENED, payload=DATA, next_attempt_at=timezone.now()
        )
        results: list[str] = []
        start = threading.Barrier(4)

        def worker() -> None:
            try:
                start.wait()
                results.append(event_deliver(event_id=event.pk))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(results) == [EventStatus.DELIVERED, "skipped", "skipped", "skipped"]
    assert len(slow.received) == 1
