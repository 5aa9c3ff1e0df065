"""API key authentication, with the key lookup cached per process.

A platform's key is looked up once per process and kept for `API_KEY_CACHE_S` seconds (30 by default):
the lookup was a query on every API request. The price is a bounded delay on revocation: a key rotated or a
platform deactivated stops working at once in the process that saved the change (saving or deleting a
platform empties that process's cache) and within `API_KEY_CACHE_S` seconds in every other process.
`API_KEY_CACHE_S=0` looks the key up on every request. Only keys that worked are kept, so unknown keys cannot
fill the cache; each request gets its own copy of the platform, so nothing one request does to it is seen by
the next.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import Platform, hash_api_key

# A bound on the entries (platforms): a process never holds more than this many keys.
KEY_CACHE_MAX = 1024


class PlatformPrincipal:
    """The authenticated caller of the platform API: a platform, never a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, platform: Platform):
        self.platform = platform
        self.pk = None
        self.id = None

    def __str__(self) -> str:
        return f"platform:{self.platform.name}"


class KeyCache:
    """Per process: the active platform of a key's hash, until a deadline on a monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[str, tuple[Platform, float]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Platform | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        platform, until = entry
        if self.clock() >= until:
            with self._lock:
                self._entries.pop(key_hash, None)
            return None
        return copy.copy(platform)

    def put(self, key_hash: str, platform: Platform, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= KEY_CACHE_MAX:
                self._entries.clear()
            self._entries[key_hash] = (copy.copy(platform), self.clock() + ttl_s)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


key_cache = KeyCache()


@receiver(post_save, sender=Platform, dispatch_uid="api_key_cache_platform_saved")
@receiver(post_delete, sender=Platform, dispatch_uid="api_key_cache_platform_deleted")
def _forget_keys_on_platform_change(**kwargs: Any) -> None:
    key_cache.clear()


@receiver(setting_changed, dispatch_uid="api_key_cache_setting_changed")
def _forget_keys_on_new_ttl(setting: str, **kwargs: Any) -> None:
    if setting in ("API_KEY_CACHE_S", "DATABASES"):
        key_cache.clear()


def platform_for_key(key: str) -> Platform | None:
    """The active platform whose key this is (cached per process, see the module), or None."""
    key_hash = hash_api_key(key)
    platform = key_cache.get(key_hash)
    if platform is not None:
        return platform
    platform = Platform.objects.filter(api_key_hash=key_hash, is_active=True).first()
    if platform is not None:
        key_cache.put(key_hash, platform, settings.API_KEY_CACHE_S)
    return platform


class PlatformTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        platform = platform_for_key(key)
        if platform is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        request.platform = platform
        return PlatformPrincipal(platform), key

    def authenticate_header(self, request) -> str:
        return self.keyword
