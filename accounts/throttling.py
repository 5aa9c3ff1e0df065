"""Per-platform API rate limiting.

One budget per platform key (all of a platform's servers share it), one per staff user on a session,
one per client address for anonymous calls. The rate is `API_THROTTLE_RATE` (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES["platform"]); beyond it DRF answers 429 with `Retry-After`.

A fixed-window counter instead of DRF's default sliding history: DRF keeps a list of every request
time in the cache and rewrites it on each request (6,000 floats per key at the default rate), and its
read-modify-write races between web processes. Here each request is one atomic INCR on a per-window
key. The price is that a client may burst up to twice the rate across a window boundary.

On Redis the count is one round trip: `INCR` and `EXPIRE … NX` (the expiry set by the window's first request
only) sent together in one pipeline (Redis 7). Other caches (a process's LocMem without REDIS_URL) take add() and
incr().

The limiter protects the service; it is not worth an outage of its own. When the cache (Redis) cannot
be reached the request goes through unthrottled, one warning is logged, and for `OUTAGE_PAUSE_S`
seconds this process does not try the cache again, so that a Redis that is down or black-holed costs
neither a failed connection per request nor a warning per request.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .api import request_platform

logger = logging.getLogger(__name__)

# What an unreachable or failing cache raises: redis-py's errors (connection refused, timeouts, a
# server loading or out of memory) and the OS's socket errors (other cache backends).
CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)
OUTAGE_PAUSE_S = 30.0


class CacheOutage:
    """Per process: since when the cache is known to be down, and so until when not to ask it.

    `clock` is monotonic (a wall-clock step must not stretch the pause) and replaceable for tests.
    """

    def __init__(self, pause_s: float = OUTAGE_PAUSE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.pause_s = pause_s
        self.clock = clock
        self._until: float | None = None

    @property
    def active(self) -> bool:
        return self._until is not None and self.clock() < self._until

    def begin(self) -> None:
        self._until = self.clock() + self.pause_s

    def end(self) -> None:
        self._until = None


cache_outage = CacheOutage()


@receiver(setting_changed, dispatch_uid="throttle_cache_outage_reset")
def _reset_outage_on_new_cache(setting: str, **kwargs: Any) -> None:
    # Another cache (override_settings in tests) is another server: what was known of the old one is void.
    if setting == "CACHES":
        cache_outage.end()


class PlatformRateThrottle(SimpleRateThrottle):
    scope = "platform"
    # Set by SimpleRateThrottle.__init__ from the rate (the stubs do not declare them); only read when a
    # rate is set, so never None where they are used.
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        # Read at request time, not at import (SimpleRateThrottle.THROTTLE_RATES is a class attribute
        # captured once), so that override_settings and a changed setting take effect.
        # (The stubs type the rates as numbers; DRF's are strings such as "600/min".)
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def get_cache_key(self, request: Request, view: Any) -> str:
        platform = request_platform(request)
        if platform is not None:
            ident = f"platform:{platform.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None or cache_outage.active:
            return True
        try:
            return self._count(request, view)
        except CACHE_ERRORS as exc:
            cache_outage.begin()
            # The exception's class and the cache's own message only: the key names a platform, a
            # user or a client address, which have no place in an operations log.
            logger.warning(
                "API throttle cache unavailable (%s: %s); requests are not rate-limited for the next %d s",
                type(exc).__name__,
                str(exc)[:200],
                cache_outage.pause_s,
            )
            return True

    def _count(self, request: Request, view: Any) -> bool:
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        # The key outlives its window by a little so that a late INCR never finds it expired mid-window.
        count = count_in_window(caches[DEFAULT_CACHE_ALIAS], key, ttl_s=self.duration + 5)
        if count > self.num_requests:
            self.retry_after = (window + 1) * self.duration - now
            return False
        return True

    def wait(self) -> float:
        return getattr(self, "retry_after", None) or float(self.duration)


# One redis-py client per cache backend (Django's RedisCache builds a new client object on every call).
_clients: weakref.WeakKeyDictionary[RedisCache, redis.Redis] = weakref.WeakKeyDictionary()


def _redis_client(cache: RedisCache) -> redis.Redis:
    client = _clients.get(cache)
    if client is None:
        client = _clients[cache] = cache._cache.get_client(write=True)
    return client


def count_in_window(cache: BaseCache, key: str, *, ttl_s: int) -> int:
    """Add one to the counter `key` (created with expiry `ttl_s` by the first request) and return it."""
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        # Both commands in one packet, answered together: one round trip. No MULTI: nothing runs between
        # them that could matter (the expiry is only ever set by the first INCR's request).
        pipe = _redis_client(cache).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, ttl_s, nx=True)
        count, _expiry_set = pipe.execute()
        return int(count)
    # add() is a no-op when the key exists, so concurrent first requests do not reset each other.
    cache.add(key, 0, timeout=ttl_s)
    try:
        return int(cache.incr(key))
    except ValueError:
        # Evicted between add() and incr() (a LocMem cull): count this request as the first.
        cache.set(key, 1, timeout=ttl_s)
        return 1
