"""The outbox rule: an event exists exactly when the change that emitted it committed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from webhooks.models import EventStatus, EventType, WebhookEvent
from webhooks.services import LOST_TASK_AFTER, event_emit, events_emit_bulk

DATA = {"case": 1}


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_delivers_its_event_and_a_rolled_back_one_leaves_nothing(platform, receiver, eager_celery):
    """Real commits (no test transaction around them): the on_commit hook is what sends."""
    with transaction.atomic():
        kept = event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
        # Nothing leaves before the commit: the receiver must never hear of a change that may still roll back.
        assert receiver.received == []

    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(platform=platform, type=EventType.CASE_CLOSED, data=DATA)
        raise RuntimeError("the change failed")

    assert list(WebhookEvent.objects.values_list("event_id", "status")) == [(kept.event_id, EventStatus.DELIVERED)]
    assert receiver.delivered_event_ids == [str(kept.event_id)]


@pytest.mark.django_db
def test_a_rolled_back_savepoint_takes_its_event_and_its_delivery_with_it(
    platform, receiver, eager_celery, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
        raise RuntimeError

    assert WebhookEvent.objects.count() == 0
    assert callbacks == []
    assert receiver.received == []


@pytest.mark.django_db
def test_a_platform_without_a_webhook_url_gets_no_event(platform):
    assert platform.webhook_url == ""

    assert event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA) is None
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_an_inactive_platform_gets_no_event(platform):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.is_active = False
    platform.save()

    assert event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA) is None


@pytest.mark.django_db
def test_an_unknown_event_type_is_a_programming_error(platform):
    with pytest.raises(ValueError, match="unknown webhook event type"):
        event_emit(platform=platform, type="case.exploded", data=DATA)
    with pytest.raises(ValueError):
        events_emit_bulk(type="case.exploded", items=[(platform.pk, DATA)])


@pytest.mark.django_db
def test_event_ids_are_unique(platform):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save()
    first = event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
    second = event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
    assert first.event_id != second.event_id

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(platform=platform, type=EventType.CASE_OPENED, event_id=first.event_id)


@pytest.mark.django_db
def test_bulk_emit_skips_platforms_without_a_url_and_delivers_the_rest_after_commit(
    platform, other_platform, receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events = events_emit_bulk(
            type=EventType.CASE_OPENED,
            items=[(platform.pk, {"case": 1}), (other_platform.pk, {"case": 2}), (platform.pk, {"case": 3})],
        )
        assert [e.payload for e in events] == [{"case": 1}, {"case": 3}]
        assert receiver.received == []

    assert sorted(r.json["data"]["case"] for r in receiver.received) == [1, 3]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.DELIVERED}
    assert not WebhookEvent.objects.filter(platform=other_platform).exists()


@pytest.mark.django_db
def test_bulk_emit_with_nothing_to_send_writes_nothing(other_platform, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert events_emit_bulk(type=EventType.CASE_OPENED, items=[(other_platform.pk, DATA)]) == []
        assert events_emit_bulk(type=EventType.CASE_OPENED, items=[]) == []

    assert callbacks == []
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_at_commit_keeps_the_change_and_leaves_the_event_to_the_sweep(platform, broker_down, caplog):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])

    with transaction.atomic():
        event = event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
    # No exception reached the caller: its change is committed, and so is the event.

    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.PENDING, 0)
    assert "on_commit" in caplog.text
    # The sweep's condition once LOST_TASK_AFTER has passed (test_sweep shows the sweep delivering it).
    later = event.enqueued_at + LOST_TASK_AFTER
    assert WebhookEvent.objects.due_for_enqueue(later, LOST_TASK_AFTER).get() == event
