"""The benchmark's Celery worker: the product's app, with its tasks on a queue of the run's own.

The worker consumes only `BENCH_QUEUE`, and the tasks it queues itself go there too, so the benchmark
shares the Redis database of `REDIS_URL` with anything else on it without taking their tasks, giving
them its own, or flushing the database (bench.dispatch)."""

from __future__ import annotations

import os

from config.celery import app

app.conf.task_default_queue = os.environ["BENCH_QUEUE"]

__all__ = ["app"]
