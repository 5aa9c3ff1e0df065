"""A real Celery worker on Redis is SIGKILLed in the middle of a batch of reminders; a second worker
and the dispatcher's recovery finish the batch. Every reminder is sent exactly once: none lost, none
twice, counted in the file gateway's outbox, the outbound messages and the contact log."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
import zoneinfo
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from borrowers.zones import number_zones
from config.celery import app as celery_app
from contacts.models import ContactAttempt
from outreach.models import JobStatus, OutboundMessage, ReminderJob
from outreach.services import reminders_dispatch
from outreach.tasks import send_reminders
from tests import factories

from .conftest import due_job, make_case, outbox_lines, step

REDIS_URL = os.environ.get("REDIS_URL", "")
JOBS = 60
BATCH = 7
SEND_DELAY_MS = 150
CLAIM_TIMEOUT_S = 4

pytestmark = [
    pytest.mark.xdist_group("worker"),
    pytest.mark.postgres,
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (CI does)"),
]

# Numbers whose zone the gate derives from the number itself; the test picks one where it is daytime
# now, so that quiet hours never interfere whatever the hour the suite runs at.
NUMBERS = {
    "Asia/Shanghai": "+86139{:08d}",
    "Asia/Tokyo": "+81312{:06d}",
    "Europe/London": "+44207946{:04d}",
    "America/Sao_Paulo": "+551130{:06d}",
    "America/New_York": "+1212555{:04d}",
    "America/Los_Angeles": "+1415555{:04d}",
    "Pacific/Honolulu": "+1808555{:04d}",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    """Overrides the folder's frozen clock: the Celery workers are subprocesses on the real clock, so this
    test is on it too (even under TEST_NOW), and picks a zone where it is daytime now."""
    hatch = time_machine.escape_hatch
    real_now = hatch.datetime.datetime.now(dt.UTC) if hatch.is_travelling() else dt.datetime.now(dt.UTC)
    with time_machine.travel(real_now, tick=True) as traveller:
        yield traveller


def _daytime_zone() -> str:
    now = timezone.now()
    for zone in NUMBERS:
        if 9 <= now.astimezone(zoneinfo.ZoneInfo(zone)).hour < 19:
            return zone
    raise AssertionError("no daytime zone found")


def _test_broker_url() -> str:
    # A Redis database of its own, purged first, so no other suite's messages mix in.
    db = int(os.environ.get("OUTREACH_WORKER_TEST_REDIS_DB", "13"))
    parts = urlsplit(REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(env: dict[str, str], log_path: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own venv's celery)
        [
            str(Path(django_settings.BASE_DIR) / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        # Its own process group: SIGKILL reaches the pool's children too, as when a machine dies.
        start_new_session=True,
    )


def _kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _sent() -> int:
    return ReminderJob.objects.filter(status=JobStatus.SENT).count()


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_reminder_and_sends_none_twice(strategy, tmp_path, settings):
    outbox = tmp_path / "outbox"
    settings.OUTBOX_DIR = outbox
    settings.REMINDER_CLAIM_TIMEOUT_S = CLAIM_TIMEOUT_S
    zone = _daytime_zone()
    due = timezone.now() - dt.timedelta(minutes=1)
    jobs = []
    for i in range(JOBS):
        borrower = factories.BorrowerFactory(region="SG-01", timezone=zone)
        number = NUMBERS[zone].format(100 + i)
        assert number_zones(number) == [zone]
        factories.PhoneFactory(borrower=borrower, number=number)
        jobs.append(due_job(make_case(borrower=borrower, due_in_days=0), step(strategy, 0), scheduled_for=due))

    broker_url = _test_broker_url()
    redis.Redis.from_url(broker_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_DIR": str(outbox),
        "SMS_GATEWAY": "file",
        "REMINDER_TEST_SEND_DELAY_MS": str(SEND_DELAY_MS),
        "REMINDER_CLAIM_TIMEOUT_S": str(CLAIM_TIMEOUT_S),
    }
    log_path = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False

    def dispatch() -> int:
        queued: list[int] = []
        reminders_dispatch(batch_size=JOBS, enqueue=queued.extend)
        # In batches, as the dispatcher queues them in production: the kill lands inside a batch.
        with celery_app.connection_for_write(broker_url) as conn:
            for start in range(0, len(queued), BATCH):
                send_reminders.apply_async((queued[start : start + BATCH],), connection=conn)
        return len(queued)

    first = _start_worker(env, log_path, "first")
    second = None
    try:
        assert dispatch() == JOBS
        deadline = time.monotonic() + 60
        while _sent() < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        _kill(first)
        sent_at_kill = _sent()
        assert 10 <= sent_at_kill < JOBS, f"the kill should land mid-batch ({sent_at_kill} sent)"

        second = _start_worker(env, log_path, "second")
        deadline = time.monotonic() + 60
        while _sent() < JOBS and time.monotonic() < deadline:
            dispatch()  # queues again the claims the killed worker held (after CLAIM_TIMEOUT_S)
            time.sleep(1)
    finally:
        _kill(first)
        if second is not None:
            _kill(second)

    statuses = Counter(ReminderJob.objects.values_list("status", flat=True))
    reasons = list(ReminderJob.objects.exclude(status=JobStatus.SENT).values_list("id", "skip_reason", "reasons"))
    assert statuses == {JobStatus.SENT: JOBS}, f"{statuses} {reasons}; worker log: {log_path.read_text()[-2000:]}"
    per_key = Counter(line["key"] for line in outbox_lines(outbox))
    assert set(per_key) == {job.idempotency_key for job in jobs}
    assert set(per_key.values()) == {1}, "a reminder went out twice"
    assert OutboundMessage.objects.count() == JOBS
    assert ContactAttempt.objects.count() == JOBS
    assert Counter(ContactAttempt.objects.values_list("case_id", flat=True)) == Counter({j.case_id: 1 for j in jobs})
    assert set(ContactAttempt.objects.values_list("outcome", flat=True)) == {"delivered"}
    duplicates = outbox / "sms.duplicates.log"
    # How often the provider-side idempotency key was what prevented a second send (often zero).
    print(
        f"killed after {sent_at_kill}/{JOBS}; duplicates suppressed by key: "
        f"{len(duplicates.read_text().splitlines()) if duplicates.exists() else 0}"
    )
