"""Sign-in lockout with django-axes: the authentication backend and what its log lines say.

Configured in config/settings.py (AXES_*): after LOGIN_FAILURE_LIMIT failures for one username from
one address, that pair is refused for LOGIN_COOLOFF_MINUTES, on `/` and on `/admin/login/` alike (both
authenticate through Django's AuthenticationForm, which passes the request).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class SignInLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, for sign-ins that come with a request.

    A call to `authenticate()` without a request (a management command, the test client's `login()`)
    is nobody's sign-in over the network: there is no address to count failures against, so it is
    left to the next backend instead of failing as AxesStandaloneBackend would.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_str(username: str, ip_address: str, user_agent: str, path_info: Any, request: HttpRequest) -> str:
    """How axes names a client in its log: a keyed hash that ties a client's lines together without
    putting its username or address in the log (AXES_CLIENT_STR_CALLABLE)."""
    key = hashlib.sha256(f"axes-client:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, f"{username or ''}\n{ip_address or ''}".encode(), hashlib.sha256).hexdigest()[:12]
    path = path_info[0] if isinstance(path_info, tuple | list) else path_info
    return f"client {digest} on {path}"


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """The page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): 429, and for how long."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
