"""Write paths of the webhook outbox: emit, deliver, sweep, replay.

Delivery is at-least-once. The state machine lives on the WebhookEvent row:

    pending ──attempt ok──▶ delivered
       │                         ▲
       └─attempt fails─▶ failed ─┘  (retried at next_attempt_at, 30 s · 2^n, capped)
                           │
                           └─ MAX_ATTEMPTS failures ─▶ dead  (only a replay sends it again)

Celery only carries "try event N now" messages; no ETA tasks, because Redis redelivers long ETAs and a
lost message must not lose an event. The minute sweep re-queues every row that is due and whose
message is missing or stale, so a dead worker or a lost task delays delivery by about a minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Platform

from .models import UNDELIVERED, EventStatus, EventType, WebhookDelivery, WebhookEvent
from .signing import EVENT_ID_HEADER, SIGNATURE_HEADER, event_body, sign, standard_headers

if TYPE_CHECKING:
    from accounts.models import Platform

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_CAP = dt.timedelta(hours=6)
# An attempt in flight pushes next_attempt_at this far ahead: long enough to cover the HTTP timeout
# (so no second worker sends concurrently), short enough that a worker dying mid-request costs little.
CLAIM_LEASE = dt.timedelta(minutes=2)
# A queued task that has not picked its row up within this long is presumed lost and queued again.
LOST_TASK_AFTER = dt.timedelta(minutes=1)
SWEEP_BATCH = 500
RESPONSE_EXCERPT_BYTES = 1024
# Seconds, for connecting and for each read. Short: a slow receiver must not tie up a worker.
DEFAULT_TIMEOUT_SECONDS = 5.0


def retry_delay(attempt: int) -> dt.timedelta:
    """Wait after failed attempt number `attempt` (1-based): 30 s, 60 s, 2 min, ... at most 6 h."""
    return min(RETRY_BASE * (2 ** max(attempt - 1, 0)), RETRY_CAP)


def _check_type(type: str) -> None:
    if type not in EventType.values:
        raise ValueError(f"unknown webhook event type {type!r}; expected one of {EventType.values}")


def _enqueue_delivery_on_commit(event_pk: int) -> None:
    from .tasks import deliver_event  # deferred: tasks.py imports this module

    # robust: a broker outage at commit time must not turn the caller's committed change into an
    # error; the row stays pending and the sweep queues it a minute later. (A lambda, not a
    # functools.partial: Django's robust on_commit logs the callback's __qualname__.)
    transaction.on_commit(lambda: deliver_event.delay(event_pk), robust=True)


def _enqueue_sweep() -> None:
    from .tasks import sweep  # deferred: tasks.py imports this module

    sweep.delay()


def event_emit(*, platform: Platform, type: str, data: dict[str, Any]) -> WebhookEvent | None:
    """Record an event for `platform` in the caller's transaction and deliver it once that commits.

    Call it inside the transaction that makes the change, so that a rollback takes the event with it.
    Returns None (and writes nothing) when the platform receives no webhooks.
    """
    _check_type(type)
    if not platform.webhook_url or not platform.is_active:
        return None
    now = timezone.now()
    event = WebhookEvent.objects.create(
        platform=platform, type=type, payload=data, created_at=now, next_attempt_at=now, enqueued_at=now
    )
    _enqueue_delivery_on_commit(event.pk)
    return event


def events_emit_bulk(*, type: str, items: Iterable[tuple[int, dict[str, Any]]]) -> list[WebhookEvent]:
    """Record one `type` event per `(platform_id, data)`, for set-based producers such as the delinquency refresh.

    Same transaction rule as `event_emit`. Platforms without a webhook URL are skipped in one query.
    Instead of one queued task per row (a first refresh may open 100,000 cases), commit queues one
    sweep, which fans the rows out to delivery tasks in batches.
    """
    _check_type(type)

    items = list(items)
    if not items:
        return []
    subscribed = set(
        Platform.objects.filter(id__in={platform_id for platform_id, _ in items}, is_active=True)
        .exclude(webhook_url="")
        .values_list("id", flat=True)
    )
    now = timezone.now()
    events = [
        WebhookEvent(platform_id=platform_id, type=type, payload=data, created_at=now, next_attempt_at=now)
        for platform_id, data in items
        if platform_id in subscribed
    ]
    if not events:
        return []
    WebhookEvent.objects.bulk_create(events, batch_size=2000)
    transaction.on_commit(_enqueue_sweep, robust=True)
    return events


@dataclass
class _AttemptOutcome:
    url: str
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    response_excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(event: WebhookEvent, *, at: dt.datetime) -> _AttemptOutcome:
    platform = event.platform
    outcome = _AttemptOutcome(url=platform.webhook_url)
    if not platform.webhook_url:
        outcome.error = "The platform has no webhook URL."
        return outcome
    if not platform.webhook_secret:
        # Never send unsigned: receivers could not tell our events from anyone else's.
        outcome.error = "The platform has no webhook secret."
        return outcome
    body = event_body(event)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, platform.webhook_secret),
        EVENT_ID_HEADER: str(event.event_id),
        "User-Agent": "collections-webhooks/1",
        # The same content signed again with the attempt's time in it (Standard Webhooks), so that a
        # receiver can refuse a replayed capture; see webhooks.signing.
        **standard_headers(
            msg_id=str(event.event_id), timestamp=int(at.timestamp()), body=body, secret=platform.webhook_secret
        ),
    }
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    started = time.monotonic()
    try:
        # No redirects: a 3xx is the receiver's misconfiguration, and following it could carry a
        # signed body to a host the platform never named. stream=True so a huge reply is not read.
        with requests.post(
            platform.webhook_url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            outcome.status_code = response.status_code
            excerpt = response.raw.read(RESPONSE_EXCERPT_BYTES, decode_content=True) or b""
            outcome.response_excerpt = excerpt.decode("utf-8", errors="replace")
            if not outcome.ok:
                outcome.error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"[:1000]
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def event_deliver(*, event_id: int) -> str:
    """One delivery attempt of event `event_id` (the row's pk); returns the resulting status, or "skipped".

    Idempotent under duplicate tasks: the row is claimed by compare-and-set, only when it is still
    undelivered and due, so a second task for the same row finds nothing to do. No transaction is
    held open across the HTTP request.
    """
    now = timezone.now()
    claimed = WebhookEvent.objects.filter(pk=event_id, status__in=UNDELIVERED, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, enqueued_at=None
    )
    if not claimed:
        return "skipped"
    event = WebhookEvent.objects.select_related("platform").get(pk=event_id)
    attempt = event.attempts
    outcome = _post(event, at=now)
    finished = timezone.now()
    if outcome.ok:
        changes: dict[str, Any] = {
            "status": EventStatus.DELIVERED,
            "delivered_at": finished,
            "next_attempt_at": None,
            "last_error": "",
        }
    elif attempt >= MAX_ATTEMPTS:
        changes = {"status": EventStatus.DEAD, "next_attempt_at": None, "last_error": outcome.error}
    else:
        changes = {
            "status": EventStatus.FAILED,
            "next_attempt_at": finished + retry_delay(attempt),
            "last_error": outcome.error,
        }
    with transaction.atomic():
        WebhookDelivery.objects.create(
            event=event,
            attempt=attempt,
            attempted_at=now,
            url=outcome.url[:500],
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.response_excerpt,
        )
        # Guarded by the attempt number: a replay during the request reset the row, and its own
        # attempt decides the state from now on.
        WebhookEvent.objects.filter(pk=event_id, attempts=attempt).update(**changes)
    if not outcome.ok:
        logger.info("webhook %s attempt %s to %s failed: %s", event.event_id, attempt, outcome.url, outcome.error)
    return str(changes["status"])


def events_sweep(*, batch_size: int = SWEEP_BATCH) -> int:
    """Queue a delivery task for every due row whose task is missing; returns how many were queued.

    Runs every minute from beat. Rows are taken with skip_locked so that overlapping sweeps (beat
    plus a bulk producer's kick) split the work instead of queueing the same rows twice. When a full
    batch was found it queues itself again, so a backlog drains at worker speed, not one batch a minute.
    """
    from .tasks import deliver_event, sweep  # deferred: tasks.py imports this module

    now = timezone.now()
    with transaction.atomic():
        ids = list(
            WebhookEvent.objects.due_for_enqueue(now, LOST_TASK_AFTER)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:batch_size]
        )
        if ids:
            WebhookEvent.objects.filter(id__in=ids).update(enqueued_at=now)
    for event_pk in ids:
        deliver_event.delay(event_pk)
    if len(ids) == batch_size:
        sweep.delay()
    return len(ids)


def event_replay(*, event: WebhookEvent) -> WebhookEvent:
    """Send `event` again, whatever its state, with the same event_id (receivers de-duplicate on it).

    The attempt counter starts over so a dead event gets a full retry schedule; the delivery log keeps
    every earlier attempt.
    """
    now = timezone.now()
    with transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=EventStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            enqueued_at=now,
            delivered_at=None,
            last_error="",
        )
        _enqueue_delivery_on_commit(event.pk)
    event.refresh_from_db()
    return event


# A click replays at most this many: a long outage's backlog goes in steps the worker can absorb.
REPLAY_DEAD_BATCH = 500


def events_replay_dead(*, platform: Platform, limit: int = REPLAY_DEAD_BATCH) -> int:
    """Send the oldest dead events of `platform` again (at most `limit`), each as `event_replay` does:
    the same event id, a full retry schedule, delivered after commit. Returns how many."""
    ids = list(
        WebhookEvent.objects.filter(platform=platform, status=EventStatus.DEAD)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    now = timezone.now()
    with transaction.atomic():
        replayed = WebhookEvent.objects.filter(pk__in=ids, status=EventStatus.DEAD).update(
            status=EventStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            enqueued_at=now,
            delivered_at=None,
            last_error="",
        )
        for event_pk in ids:
            _enqueue_delivery_on_commit(event_pk)
    logger.info("%s dead webhook events of platform %s replayed", replayed, platform.pk)
    return replayed
