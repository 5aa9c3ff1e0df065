from __future__ import annotations

import datetime as dt

from django.utils import timezone

from webhooks.models import WebhookEvent


def make_due(event: WebhookEvent) -> None:
    """Let time pass: the event's next attempt (or its in-flight lease) is now in the past."""
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def age_enqueued(event: WebhookEvent, by: dt.timedelta) -> None:
    """Pretend the delivery task was queued `by` ago and never ran."""
    WebhookEvent.objects.filter(pk=event.pk).update(enqueued_at=timezone.now() - by)
