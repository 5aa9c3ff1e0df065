"""Delivery to a real HTTP receiver on loopback: signing, retries with backoff, giving up."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from webhooks.models import EventStatus, EventType, WebhookEvent
from webhooks.services import MAX_ATTEMPTS, event_deliver, event_emit, retry_delay
from webhooks.signing import event_body, sign
from webhooks.tasks import deliver_event

from .helpers import make_due
from .receiver import free_port, running_receiver

pytestmark = pytest.mark.django_db

DATA = {"case": 17, "loan": "L-1", "borrower": "B-1", "stage": "m1", "dpd": 3, "overdue_amount": "1060.00"}


def _emit(platform) -> WebhookEvent:
    event = event_emit(platform=platform, type=EventType.CASE_OPENED, data=DATA)
    assert event is not None
    return event


def test_it_posts_a_signed_body_that_the_receiver_verifies(platform, receiver, eager_celery):
    event = _emit(platform)

    assert deliver_event(event.pk) == EventStatus.DELIVERED

    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["x-signature"] == sign(got.body, platform.webhook_secret)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-event-id"] == str(event.event_id)
    body = got.json
    assert body == {
        "event_id": str(event.event_id),
        "type": "case.opened",
        "created_at": event.created_at.isoformat(),
        "data": DATA,
    }
    assert dt.datetime.fromisoformat(body["created_at"]).utcoffset() == dt.timedelta(0)
    event.refresh_from_db()
    assert event.status == EventStatus.DELIVERED
    assert event.attempts == 1
    assert event.delivered_at is not None
    assert event.next_attempt_at is None
    [delivery] = event.deliveries.all()
    assert (delivery.attempt, delivery.status_code, delivery.url) == (1, 200, receiver.url)
    assert json.loads(delivery.response_excerpt) == {"ok": True}


def test_a_body_signed_with_another_secret_is_refused_by_the_receiver(platform, eager_celery):
    with running_receiver("not-the-platform-secret") as impostor_check:
        platform.webhook_url = impostor_check.url
        platform.save(update_fields=["webhook_url"])
        event = _emit(platform)

        assert event_deliver(event_id=event.pk) == EventStatus.FAILED

    assert impostor_check.received[0].signature_ok is False
    event.refresh_from_db()
    assert event.last_error == "HTTP 401"


def test_decimals_and_dates_in_data_are_sent_as_strings_and_identically_on_every_retry(platform):
    platform.webhook_url = "http://127.0.0.1:9/unused"
    platform.save(update_fields=["webhook_url"])

    event = event_emit(
        platform=platform,
        type=EventType.PROMISE_KEPT,
        data={"amount": Decimal("12.50"), "due_date": dt.date(2025, 3, 1)},
    )

    stored = WebhookEvent.objects.get(pk=event.pk)
    assert json.loads(event_body(stored))["data"] == {"amount": "12.50", "due_date": "2025-03-01"}
    assert event_body(stored) == event_body(WebhookEvent.objects.get(pk=event.pk))


def test_delivery_survives_a_receiver_that_fails_twice_with_backoff_between(platform, eager_celery):
    with running_receiver(platform.webhook_secret, script=[500, 500]) as flaky:
        platform.webhook_url = flaky.url
        platform.save(update_fields=["webhook_url"])
        event = _emit(platform)

        before = timezone.now()
        assert deliver_event(event.pk) == EventStatus.FAILED
        event.refresh_from_db()
        assert event.status == EventStatus.FAILED
        assert event.last_error == "HTTP 500"
        assert before + dt.timedelta(seconds=30) <= event.next_attempt_at <= timezone.now() + dt.timedelta(seconds=30)

        # Not due yet: a stray or duplicate task does not send early.
        assert deliver_event(event.pk) == "skipped"
        assert len(flaky.received) == 1

        make_due(event)
        before = timezone.now()
        assert deliver_event(event.pk) == EventStatus.FAILED
        event.refresh_from_db()
        assert before + dt.timedelta(seconds=60) <= event.next_attempt_at <= timezone.now() + dt.timedelta(seconds=60)

        make_due(event)
        assert deliver_event(event.pk) == EventStatus.DELIVERED

    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == (EventStatus.DELIVERED, 3, "")
    # The same bytes every time, so the signature and the event_id let the receiver de-duplicate.
    assert len({r.body for r in flaky.received}) == 1
    assert all(r.signature_ok for r in flaky.received)
    assert [d.status_code for d in event.deliveries.order_by("attempt")] == [500, 500, 200]


def test_a_receiver_that_is_down_loses_nothing(platform, eager_celery):
    port = free_port()
    platform.webhook_url = f"http://127.0.0.1:{port}/hooks"
    platform.save(update_fields=["webhook_url"])
    event = _emit(platform)

    assert deliver_event(event.pk) == EventStatus.FAILED
    event.refresh_from_db()
    assert "ConnectionError" in event.last_error
    [refused] = event.deliveries.all()
    assert refused.status_code is None

    with running_receiver(platform.webhook_secret, port=port) as back_up:
        make_due(event)
        assert deliver_event(event.pk) == EventStatus.DELIVERED

    assert back_up.delivered_event_ids == [str(event.event_id)]


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.2)
def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(platform, eager_celery):
    with running_receiver(platform.webhook_secret, delay_s=1.0) as slow:
        platform.webhook_url = slow.url
        platform.save(update_fields=["webhook_url"])
        event = _emit(platform)

        assert deliver_event(event.pk) == EventStatus.FAILED

    event.refresh_from_db()
    assert "Timeout" in event.last_error
    assert event.deliveries.get().duration_ms < 1000


def test_it_gives_up_after_max_attempts_and_then_sends_nothing(platform, eager_celery):
    with running_receiver(platform.webhook_secret, default_status=503) as broken:
        platform.webhook_url = broken.url
        platform.save(update_fields=["webhook_url"])
        event = _emit(platform)

        for attempt in range(1, MAX_ATTEMPTS + 1):
            make_due(event)
            expected = EventStatus.DEAD if attempt == MAX_ATTEMPTS else EventStatus.FAILED
            assert deliver_event(event.pk) == expected

        event.refresh_from_db()
        assert (event.status, event.attempts, event.next_attempt_at) == (EventStatus.DEAD, MAX_ATTEMPTS, None)
        # Even a task that finds the row "due" again sends nothing more: dead is final until a replay.
        make_due(event)
        assert deliver_event(event.pk) == "skipped"

    assert len(broken.received) == MAX_ATTEMPTS
    assert event.deliveries.count() == MAX_ATTEMPTS


def test_a_platform_without_a_secret_is_never_sent_unsigned(platform, receiver, eager_celery):
    event = _emit(platform)
    platform.webhook_secret = ""
    platform.save(update_fields=["webhook_secret"])

    assert deliver_event(event.pk) == EventStatus.FAILED

    assert receiver.received == []
    event.refresh_from_db()
    assert "secret" in event.last_error


def test_retry_delay_doubles_from_30_seconds_and_is_capped():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(30) == dt.timedelta(hours=6)
    total = sum((retry_delay(n) for n in range(1, MAX_ATTEMPTS)), dt.timedelta())
    # Long enough to ride out a receiver's overnight outage before the event is declared dead.
    assert total > dt.timedelta(hours=12)
