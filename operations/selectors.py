"""What the operations page shows: the reminder pipeline, the webhook outbox per platform, the delinquency
refresh's last runs, and whether Celery's broker and workers answer. Reads only, never a borrower's data:
jobs are named by case id, webhook endpoints by platform.

The page is the whole pipeline's (like the webhook delivery log): who may read it is `Perm.OPERATE`,
checked by the views; these selectors count every row."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import Platform
from cases.models import RefreshRun
from outreach.models import JobStatus, ReminderJob
from webhooks.models import EventStatus, WebhookEvent

log = logging.getLogger(__name__)

# A daily refresh not seen to succeed for this long is late (it runs at 00:05 UTC).
REFRESH_LATE_AFTER = dt.timedelta(hours=26)
# How long the page waits for the broker's connection and for workers to answer a ping.
BROKER_TIMEOUT_S = 2
PING_TIMEOUT_S = 1.0
REASON_GROUPS = 20
RECENT_FAILED = 10


# What a failure reason (outreach.services, the part before any ":") means and what to do about it.
FAILURE_MEANINGS = {
    "permanent_failure": _("The provider refused the number or address for good; it is now marked invalid."),
    "transient_failures_exhausted": _("The provider failed every retry; check the gateway, then requeue."),
    "decision_expired": _("The send was interrupted and its compliance decision expired; requeue to decide again."),
    "no_template": _("No active template for the step and language; add or activate it, then requeue."),
    "template_unrenderable": _("The template cannot be rendered; correct it in the admin, then requeue."),
    "gate_rejected": _("The compliance gate could not judge the input (for example a malformed number)."),
}


@dataclass(frozen=True)
class ReasonGroup:
    reason: str
    count: int
    at: dt.datetime | None  # failed: the latest failure; deferred: the next time one is due

    @property
    def meaning(self) -> str:
        return str(FAILURE_MEANINGS.get(self.reason.split(":", 1)[0], ""))


@dataclass(frozen=True)
class Reminders:
    due: int  # pending or deferred rows whose time has come: the dispatcher's backlog
    oldest_due: dt.datetime | None
    scheduled: int  # pending, not yet due
    claimed: int
    stale_claims: int  # claimed longer than REMINDER_CLAIM_TIMEOUT_S: the dispatcher re-queues them
    deferred: int
    failed: int
    deferred_reasons: list[ReasonGroup]
    failed_reasons: list[ReasonGroup]
    recent_failed: list[ReminderJob]


@dataclass(frozen=True)
class Refresh:
    runs: list[RefreshRun]  # newest first
    last_success: RefreshRun | None
    late: bool

    @property
    def last(self) -> RefreshRun | None:
        return self.runs[0] if self.runs else None


@dataclass(frozen=True)
class Celery:
    broker: bool
    error: str  # the kind of error when the broker does not answer (no address: the page is shared)
    workers: int | None  # workers that answered a ping; None when the broker cannot be asked


@dataclass(frozen=True)
class Pipeline:
    at: dt.datetime
    reminders: Reminders
    endpoints: list[Platform]  # with pending, failed, dead, oldest, last_error annotated
    refresh: Refresh
    celery: Celery

    @property
    def healthy(self) -> bool:
        return (
            self.celery.broker
            and bool(self.celery.workers)
            and not self.refresh.late
            and self.reminders.stale_claims == 0
            and self.reminders.failed == 0
            # annotated by failing_endpoints()
            and not any(endpoint.dead or endpoint.failed for endpoint in self.endpoints)  # type: ignore[attr-defined]
        )


WAITING = [JobStatus.PENDING, JobStatus.DEFERRED]


def reminders_state(*, now: dt.datetime) -> Reminders:
    stale_before = now - dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_S)
    is_due = Q(status__in=WAITING, scheduled_for__lte=now)
    counts = ReminderJob.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.DEFERRED, JobStatus.CLAIMED, JobStatus.FAILED]
    ).aggregate(
        due=Count("id", filter=is_due),
        oldest_due=Min("scheduled_for", filter=is_due),
        scheduled=Count("id", filter=Q(status=JobStatus.PENDING, scheduled_for__gt=now)),
        claimed=Count("id", filter=Q(status=JobStatus.CLAIMED)),
        stale_claims=Count("id", filter=Q(status=JobStatus.CLAIMED, claimed_at__lt=stale_before)),
        deferred=Count("id", filter=Q(status=JobStatus.DEFERRED)),
        failed=Count("id", filter=Q(status=JobStatus.FAILED)),
    )
    deferred = (
        ReminderJob.objects.filter(status=JobStatus.DEFERRED)
        .values("skip_reason")
        .annotate(count=Count("id"), at=Min("scheduled_for"))
        .order_by("-count", "skip_reason")[:REASON_GROUPS]
    )
    failed = (
        ReminderJob.objects.filter(status=JobStatus.FAILED)
        .values("skip_reason")
        .annotate(count=Count("id"), at=Max("finished_at"))
        .order_by("-count", "skip_reason")[:REASON_GROUPS]
    )
    recent = ReminderJob.objects.filter(status=JobStatus.FAILED).select_related("step", "case")
    return Reminders(
        **counts,
        deferred_reasons=[ReasonGroup(row["skip_reason"], row["count"], row["at"]) for row in deferred],
        failed_reasons=[ReasonGroup(row["skip_reason"], row["count"], row["at"]) for row in failed],
        recent_failed=list(recent.order_by("-finished_at", "-id")[:RECENT_FAILED]),
    )


def failing_endpoints() -> QuerySet[Platform]:
    """Platforms whose webhook outbox holds undelivered (pending, failed) or dead events, worst first,
    with the counts, the oldest such event's time and the latest error their receiver gave."""
    undelivered = [EventStatus.PENDING, EventStatus.FAILED, EventStatus.DEAD]
    latest_error = (
        WebhookEvent.objects.filter(platform=OuterRef("pk"), status__in=[EventStatus.FAILED, EventStatus.DEAD])
        .exclude(last_error="")
        .order_by("-next_attempt_at", "-id")
        .values("last_error")[:1]
    )
    events = "webhook_events"
    return (
        Platform.objects.annotate(
            pending=Count(events, filter=Q(webhook_events__status=EventStatus.PENDING)),
            failed=Count(events, filter=Q(webhook_events__status=EventStatus.FAILED)),
            dead=Count(events, filter=Q(webhook_events__status=EventStatus.DEAD)),
            oldest=Min("webhook_events__created_at", filter=Q(webhook_events__status__in=undelivered)),
            last_error=Subquery(latest_error),
        )
        .filter(Q(pending__gt=0) | Q(failed__gt=0) | Q(dead__gt=0))
        .order_by("-dead", "-failed", "-pending", "name")
    )


def refresh_state(*, now: dt.datetime, runs: int = 5) -> Refresh:
    last_success = RefreshRun.objects.filter(succeeded=True).first()
    return Refresh(
        runs=list(RefreshRun.objects.all()[:runs]),
        last_success=last_success,
        late=last_success is None or last_success.started_at < now - REFRESH_LATE_AFTER,
    )


def celery_state() -> Celery:
    """Whether the broker takes a connection (one attempt, a couple of seconds at most) and how many
    workers answer a ping. Never raises: a broker that is down is what this page must show, not a 500."""
    app = current_app
    try:
        with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_S) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means unreachable
        log.warning("operations page: the Celery broker is unreachable: %r", exc)
        return Celery(broker=False, error=type(exc).__name__, workers=None)
    try:
        replies = app.control.ping(timeout=PING_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - a transport without broadcast (the filesystem one) cannot ping
        log.info("operations page: cannot ping the Celery workers: %r", exc)
        return Celery(broker=True, error="", workers=None)
    return Celery(broker=True, error="", workers=len(replies or []))


def pipeline_state(*, now: dt.datetime) -> Pipeline:
    return Pipeline(
        at=now,
        reminders=reminders_state(now=now),
        endpoints=list(failing_endpoints()),
        refresh=refresh_state(now=now),
        celery=celery_state(),
    )
