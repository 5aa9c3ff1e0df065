"""The benchmark's Celery worker: the product's app, with its tasks on a queue of the run's own.

The worker consumes only `BENCH_QUEUE`, and the tasks it queues itself go there too, so the benchmark
shares the Redis database of `REDIS_URL` with anything else on it without taking their tasks, giving
them its own, or flushing the database (bench.dispatch)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

from config.celery import app


def route_all_to(celery_app: Celery, queue: str) -> None:
    """Every task, whatever queue the product routes it to (config/settings.py), to `queue` alone.

    Before the app's first publish: Celery builds its router and queue table once, on first use."""
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_queues = [Queue(queue, routing_key=queue)]
    celery_app.conf.task_routes = None


if os.environ.get("BENCH_QUEUE"):
    route_all_to(app, os.environ["BENCH_QUEUE"])

__all__ = ["app", "route_all_to"]
