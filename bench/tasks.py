"""The no-op task of the dispatch baseline: Celery's own cost per task, counted in Redis."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def noop(counter_key: str) -> None:
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).incr(counter_key)
