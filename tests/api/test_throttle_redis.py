"""On Redis the throttle counts a request in one round trip, and the window's key expires."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from accounts.throttling import count_in_window

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (CI sets REDIS_URL)"),
]

URL = "/api/v1/ping/"


@pytest.fixture
def redis_cache():
    """The default cache on the real Redis, under a prefix of this test's own (nothing else is touched)."""
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ["REDIS_URL"],
                "KEY_PREFIX": prefix,
            }
        },
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"platform": "3/min"}},
    ):
        yield caches["default"]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def round_trips(monkeypatch) -> list[bytes]:
    """What each write to Redis sent: a spy on redis-py's connection, the server is the real one."""
    sent: list[bytes] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def spy(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return sent


def test_a_request_is_counted_in_one_round_trip(api, redis_cache, round_trips):
    assert api.get(URL).status_code == 200  # the connection opened (its handshake is not the throttle's)
    round_trips.clear()
    assert api.get(URL).status_code == 200
    assert len(round_trips) == 1
    assert b"INCR" in round_trips[0] and b"EXPIRE" in round_trips[0]


def test_the_fourth_request_in_a_minute_is_refused(api, redis_cache):
    assert [api.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_counter_expires_with_its_window_and_later_requests_keep_the_expiry(redis_cache):
    assert [count_in_window(redis_cache, "k", ttl_s=65) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client(redis_cache.make_and_validate_key("k"))
    assert 60 < client.ttl(redis_cache.make_and_validate_key("k")) <= 65
    assert redis_cache.get("k") == 3
