"""Celery tasks of the accounts app."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import IdempotencyRecord

# API.md promises a retry with the same Idempotency-Key is answered for at least a day.
MIN_TTL_HOURS = 24


def idempotency_ttl_hours() -> int:
    """The IDEMPOTENCY_KEY_TTL_HOURS setting (from the environment), never below the promised 24 hours."""
    return max(int(settings.IDEMPOTENCY_KEY_TTL_HOURS), MIN_TTL_HOURS)


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the idempotency records older than the TTL; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=idempotency_ttl_hours())
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="accounts.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
