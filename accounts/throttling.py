"""Per-platform API rate limiting.

One budget per platform key (all of a platform's servers share it), one per staff user on a session,
one per client address for anonymous calls. The rate is `API_THROTTLE_RATE` (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES["platform"]); beyond it DRF answers 429 with `Retry-After`.

A fixed-window counter instead of DRF's default sliding history: DRF keeps a list of every request
time in the cache and rewrites it on each request (6,000 floats per key at the default rate), and its
read-modify-write races between web processes. Here each request is one atomic INCR on a per-window
key. The price is that a client may burst up to twice the rate across a window boundary.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .api import request_platform


class PlatformRateThrottle(SimpleRateThrottle):
    scope = "platform"

    def get_rate(self) -> str | None:
        # Read at request time, not at import (SimpleRateThrottle.THROTTLE_RATES is a class attribute
        # captured once), so that override_settings and a changed setting take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

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
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        # add() is a no-op when the key exists, so concurrent first requests do not reset each other.
        # The key outlives its window by a little so that a late INCR never recreates it without expiry.
        self.cache.add(key, 0, timeout=self.duration + 5)
        try:
            count = self.cache.incr(key)
        except ValueError:
            # Evicted between add() and incr() (a LocMem cull): count this request as the first.
            self.cache.set(key, 1, timeout=self.duration + 5)
            count = 1
        if count > self.num_requests:
            self.retry_after = (window + 1) * self.duration - now
            return False
        return True

    def wait(self) -> float:
        return getattr(self, "retry_after", None) or float(self.duration)
