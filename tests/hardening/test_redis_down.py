"""Redis down degrades, never loses: the API answers without the throttle's cache, and work queued for
Celery on commit is logged and left to the outbox sweep and the planner when the broker is down too."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.throttling import OUTAGE_PAUSE_S, cache_outage
from cases.models import Case, CaseStatus, Payment
from config.celery import app as celery_app
from tests import factories
from webhooks.models import EventStatus, EventType, WebhookEvent
from webhooks.services import LOST_TASK_AFTER


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


@pytest.fixture
def cache_down(closed_port) -> Iterator[str]:
    """The default cache is Redis on a port where nothing answers."""
    url = f"redis://127.0.0.1:{closed_port}/0"
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    ):
        yield url


@pytest.fixture
def broker_down(closed_port) -> Iterator[str]:
    """Celery publishes to Redis on the same dead port (as with REDIS_URL set and Redis stopped)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_always_eager)
    url = f"redis://127.0.0.1:{closed_port}/0"
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = url, {}, False
    celery_app._after_fork()  # Celery's own reset of pooled broker connections
    yield url
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved
    celery_app._after_fork()


def _throttle_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "accounts.throttling" and r.levelno == logging.WARNING]


@pytest.mark.django_db
def test_the_api_answers_unthrottled_with_one_warning_when_the_cache_is_unreachable(api, platform, cache_down, caplog):
    factories.BorrowerFactory(platform=platform, external_id="B-1")
    caplog.set_level(logging.WARNING)

    statuses = [api.get(url).status_code for url in ("/api/v1/cases/", "/api/v1/borrowers/", "/api/v1/ping/")]

    assert statuses == [200, 200, 200]
    [warning] = _throttle_warnings(caplog)  # once, not once per request
    message = warning.getMessage()
    assert "ConnectionError" in message
    # Nothing that names the caller: not the platform, its key, or the throttle key built from them.
    assert platform.name not in message and platform.plain_api_key not in message
    assert "throttle_platform" not in message and f"platform:{platform.pk}" not in message


@pytest.mark.django_db
def test_after_the_pause_the_throttle_asks_the_cache_again(api, cache_down, caplog, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache_outage, "clock", lambda: now[0])
    caplog.set_level(logging.WARNING)

    assert api.get("/api/v1/ping/").status_code == 200
    now[0] += OUTAGE_PAUSE_S - 1
    assert api.get("/api/v1/ping/").status_code == 200
    assert len(_throttle_warnings(caplog)) == 1  # within the pause the cache is not tried

    now[0] += 2
    assert api.get("/api/v1/ping/").status_code == 200
    assert len(_throttle_warnings(caplog)) == 2  # tried again, still down, said so again


@pytest.mark.django_db
def test_a_working_cache_after_an_outage_throttles_again(api, cache_down):
    assert api.get("/api/v1/ping/").status_code == 200
    assert cache_outage.active
    three_per_minute = {"DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.PlatformRateThrottle"]}
    from django.conf import settings

    rest = {**settings.REST_FRAMEWORK, **three_per_minute, "DEFAULT_THROTTLE_RATES": {"platform": "3/min"}}
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "after-outage"}}
    with override_settings(CACHES=locmem, REST_FRAMEWORK=rest):
        assert not cache_outage.active
        assert [api.get("/api/v1/ping/").status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_payment_is_recorded_and_nothing_answers_5xx(api, platform, cache_down, broker_down, caplog):
    """Cache and broker both on a dead Redis, commits really happen (on_commit hooks run)."""
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1", region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1", currency="CNY")
    installment = factories.InstallmentFactory(loan=loan, seq=1)
    case = factories.CaseFactory(loan=loan)
    caplog.set_level(logging.WARNING)

    paid_at = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    body = {"external_id": "P-1", "loan": "L-1", "amount": str(installment.total_due), "paid_at": paid_at}
    payment = api.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    others = [
        api.get("/api/v1/cases/"),
        api.get("/api/v1/borrowers/"),
        api.post(
            "/api/v1/compliance/check/",
            {"borrower": "B-1", "loan": "L-1", "channel": "call", "at": "2026-06-10T12:00:00+08:00"},
            format="json",
        ),
    ]

    assert payment.status_code == 201, payment.content
    assert [r.status_code for r in others] == [200, 200, 200]
    recorded = Payment.objects.get(platform=platform, external_id="P-1")
    assert recorded.amount == Decimal(body["amount"])
    # The payment closed the case, and the case.closed webhook is in the outbox, undelivered, where the
    # minute sweep will find it once the broker is back.
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    event = WebhookEvent.objects.get(platform=platform, type=EventType.CASE_CLOSED)
    assert event.status == EventStatus.PENDING
    later = event.next_attempt_at + LOST_TASK_AFTER + dt.timedelta(seconds=1)
    assert WebhookEvent.objects.due_for_enqueue(later, LOST_TASK_AFTER).filter(pk=event.pk).exists()
    # Each enqueue that failed was logged with its error: the outbox sweep's kick and the payment's
    # reminder planning (which the hourly planner redoes).
    failed_hooks = {
        r.getMessage().split(" in on_commit()")[0]: r for r in caplog.records if "on_commit()" in r.getMessage()
    }
    assert set(failed_hooks) >= {
        "Error calling _enqueue_sweep",
        "Error calling payment_cancels_obsolete_reminders.<locals>.<lambda>",
    }
    assert {r.exc_info[0].__name__ for r in failed_hooks.values()} == {"OperationalError"}
    assert any(r.name == "accounts.throttling" for r in caplog.records)
