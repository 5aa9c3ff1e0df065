"""The no-op task of the dispatch baseline: Celery's own cost per task, counted in Redis.

One Redis client per worker process, as the product's own clients are (a client per call opened a
connection per task and understated Celery by half)."""

from __future__ import annotations

import functools

import redis
from celery import shared_task
from django.conf import settings


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(name="bench.noop", ignore_result=True)
def noop(counter_key: str) -> None:
    _redis().incr(counter_key)
