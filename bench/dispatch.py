"""Reminder dispatch through the gate with a real worker on Redis, beside Celery no-op throughput."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.models import Min, Q
from django.utils import timezone

from .portfolio import PortfolioInfo
from .result import Figure
from .server import ROOT

JOBS = 2000


@contextmanager
def _worker(redis_url: str, outbox: str, queue: str):
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "OUTBOX_DIR": outbox,
        "SMS_GATEWAY": "file",
        "DEBUG": "false",
        "BENCH_QUEUE": queue,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bench.celery_app",
            "worker",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--include=bench.tasks",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(4)  # the worker connects and imports the app
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _due_jobs(info: PortfolioInfo) -> list[int]:
    """JOBS due SMS reminder rows on open cases, as the planner writes them."""
    from cases.models import Case
    from outreach.default_strategies import seed_strategies
    from outreach.models import ReminderJob

    strategy = seed_strategies()
    step = strategy.steps.filter(channel="sms").order_by("offset_days").first()
    # Each run starts from no jobs: the unique (case, step, due date) key would refuse a second run's rows.
    ReminderJob.objects.filter(case__platform_id=info.platform_id).delete()
    unpaid = Q(loan__installments__paid_off_at__isnull=True)
    cases = (
        Case.objects.open()
        .filter(platform_id=info.platform_id, dpd__gt=0, loan__external_id__startswith="BL-")
        .annotate(oldest_due=Min("loan__installments__due_date", filter=unpaid))
        .order_by("id")
        .values_list("id", "oldest_due")[: min(JOBS, info.loans // 5)]
    )
    now = timezone.now()
    jobs = ReminderJob.objects.bulk_create(
        [
            ReminderJob(case_id=cid, step=step, due_date=due, scheduled_for=now - dt.timedelta(minutes=1))
            for cid, due in cases
        ]
    )
    return [j.pk for j in jobs]


def measure(info: PortfolioInfo) -> list[Figure]:
    import redis

    from outreach.models import ReminderJob

    # The Redis database of REDIS_URL as given, never flushed: the run's tasks go to a queue of its own
    # (bench.celery_app), and what the run wrote there is deleted at the end.
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(redis_url)
    queue = f"bench-{uuid.uuid4().hex[:12]}"
    from config.celery import app

    from .celery_app import route_all_to

    app.conf.broker_url = redis_url
    route_all_to(app, queue)
    ids = _due_jobs(info)
    connection.close()

    try:
        with tempfile.TemporaryDirectory() as outbox, _worker(redis_url, outbox, queue):
            noop_rate, processed, elapsed = _run(client, ids)
    finally:
        client.delete(queue, f"_kombu.binding.{queue}")
    sent = ReminderJob.objects.filter(pk__in=ids, status="sent").count()
    return [
        Figure(
            "reminder dispatch",
            processed / elapsed,
            "jobs/s",
            noop_rate,
            budget=500,
            direction="min",
            note=f"{processed} of {JOBS} jobs decided by the gate ({sent} sent, the rest deferred or skipped); "
            "worker concurrency 2 on Redis; baseline: Celery no-op tasks on the same worker",
        )
    ]


def _run(client, ids: list[int]) -> tuple[float, int, float]:
    """(no-op tasks/s, jobs decided, seconds) through the running worker."""
    from outreach.models import ReminderJob
    from outreach.services import reminders_dispatch

    # Baseline: the same worker running no-op tasks.
    from .tasks import noop

    key = f"bench-noop-{uuid.uuid4().hex}"
    start = time.monotonic()
    for _ in range(JOBS):
        noop.delay(key)
    while int(client.get(key) or 0) < JOBS and time.monotonic() - start < 300:
        time.sleep(0.05)
    noop_rate = JOBS / (time.monotonic() - start)
    client.delete(key)

    start = time.monotonic()
    deadline = start + 900
    while time.monotonic() < deadline:
        reminders_dispatch(batch_size=500)
        waiting = ReminderJob.objects.filter(pk__in=ids, status__in=["pending", "claimed"], decision__isnull=True)
        if not waiting.exists():
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - start
    processed = ReminderJob.objects.filter(pk__in=ids).exclude(decision__isnull=True).count()
    return noop_rate, processed, elapsed
