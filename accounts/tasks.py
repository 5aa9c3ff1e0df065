"""Celery tasks of the accounts app."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.env import env_int

from .models import IdempotencyRecord

# API.md promises a retry with the same Idempotency-Key is answered for at least a day.
MIN_TTL_HOURS = 24
DEFAULT_TTL_HOURS = 48


def idempotency_ttl_hours() -> int:
    """IDEMPOTENCY_KEY_TTL_HOURS (a setting, else the environment), never below the promised 24 hours."""
    hours = getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", None)
    if hours is None:
        hours = env_int("IDEMPOTENCY_KEY_TTL_HOURS", DEFAULT_TTL_HOURS)
    return max(int(hours), MIN_TTL_HOURS)


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the idempotency records older than the TTL; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=idempotency_ttl_hours())
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="accounts.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
