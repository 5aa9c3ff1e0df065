"""The webhook outbox: one row per event a platform should receive, and a log of every attempt.

The outbox row is written in the same transaction as the change it announces, so an event exists
exactly when the change committed. Delivery state lives on the row (not in Celery): a lost task, a
dead worker or a receiver that is down for hours only delays delivery, the sweep picks the row up again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm, can, principal_platform


class EventType(models.TextChoices):
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_STAGE_CHANGED = "case.stage_changed", _("Case stage changed")
    CASE_CLOSED = "case.closed", _("Case closed")
    PROMISE_KEPT = "promise.kept", _("Promise kept")
    PROMISE_BROKEN = "promise.broken", _("Promise broken")
    PLAN_ACTIVATED = "plan.activated", _("Plan activated")
    PLAN_BROKEN = "plan.broken", _("Plan broken")
    # Charge-off and the legal path (cases.legal), and a payment received after the charge-off.
    CASE_WRITTEN_OFF = "case.written_off", _("Case written off")
    CASE_LEGAL_STAGE_CHANGED = "case.legal_stage_changed", _("Case legal stage changed")
    PAYMENT_RECOVERED = "payment.recovered", _("Recovery after charge-off")
    # A reminder for the platform to show in its app (outreach's push gateway); its receipt comes back
    # through POST /api/v1/providers/push/receipts/.
    PUSH_MESSAGE = "push.message", _("App push message")


class EventStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    # The last attempt failed; another is scheduled at next_attempt_at.
    FAILED = "failed", _("Failed, will retry")
    # Every attempt failed; only a replay sends it again.
    DEAD = "dead", _("Dead")


# Rows in these states still owe the receiver a delivery.
UNDELIVERED = (EventStatus.PENDING, EventStatus.FAILED)


class WebhookEventQuerySet(models.QuerySet):
    def due_for_enqueue(self, now: dt.datetime, lost_after: dt.timedelta) -> WebhookEventQuerySet:
        """Undelivered rows whose attempt is due and which no live task is known to carry.

        `enqueued_at` older than `lost_after` means the task we queued never ran (broker lost it,
        the worker died before acking): queue it again. A duplicate task is harmless because
        delivery claims the row by compare-and-set.
        """
        return self.filter(status__in=UNDELIVERED, next_attempt_at__lte=now).filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - lost_after)
        )

    def visible_to(self, principal) -> WebhookEventQuerySet:
        """A platform sees its own events; the delivery log spans every platform and team, so among
        users only those who supervise (the delivery log page's permission) see events, all of them."""
        platform = principal_platform(principal)
        if platform is not None:
            return self.filter(platform=platform)
        return self if can(principal, Perm.SUPERVISE) else self.none()


class WebhookEvent(models.Model):
    platform = models.ForeignKey(
        "accounts.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="webhook_events"
    )
    # What receivers de-duplicate on: the same across every retry and replay of this event.
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    # The body's `data`. DjangoJSONEncoder so producers may pass Decimals and dates; they are stored
    # as strings, and the body is always built from the stored value, so every retry is byte-identical.
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder, default=dict)
    # A default rather than auto_now_add: bulk producers stamp one time for the whole batch.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due. While an attempt is in flight it is pushed ahead by the claim
    # lease, so a worker that dies mid-request leaves a row that becomes due again by itself.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # When a delivery task was last queued for this row; null once a task has picked it up.
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["platform", "-created_at"], name="webhook_event_platform"),
            # The sweep's scan: small, because delivered and dead rows are not in it.
            models.Index(
                fields=["next_attempt_at"], name="webhook_event_due", condition=Q(status__in=["pending", "failed"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One HTTP attempt to deliver an event; kept for the delivery log and support questions."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)
    url = models.URLField(_("URL"), max_length=500)
    # Null when no HTTP response came back (connection refused, timeout).
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["event", "attempted_at"], name="webhook_delivery_event")]

    def __str__(self) -> str:
        return f"{self.event_id} #{self.attempt} {self.status_code or self.error[:40]}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
