"""The API key lookup is cached per process, and a revoked key still stops working within API_KEY_CACHE_S."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.authentication import key_cache
from accounts.models import Platform

pytestmark = pytest.mark.django_db

URL = "/api/v1/ping/"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(key_cache, "clock", fake)
    key_cache.clear()
    yield fake
    key_cache.clear()


def _platform_queries(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    return response.status_code, [q["sql"] for q in queries if "accounts_platform" in q["sql"]]


def test_a_key_is_looked_up_once_per_process(api, platform, clock):
    assert _platform_queries(api)[0] == 200
    status, lookups = _platform_queries(api)
    assert status == 200 and lookups == []
    assert api.get(URL).json() == {"platform": platform.name}


def test_a_platform_deactivated_in_this_process_is_refused_at_once(api, platform, clock):
    assert api.get(URL).status_code == 200
    platform.is_active = False
    platform.save()
    assert api.get(URL).status_code == 401


def test_a_rotated_key_is_refused_at_once_in_this_process(api, platform, clock):
    assert api.get(URL).status_code == 200
    platform.rotate_api_key()
    platform.save()
    assert api.get(URL).status_code == 401


@override_settings(API_KEY_CACHE_S=30)
def test_a_change_made_elsewhere_is_seen_within_the_cache_time(api, platform, clock):
    """Another process deactivated the platform (no signal reaches this one): refused after 30 s at most."""
    assert api.get(URL).status_code == 200
    Platform.objects.filter(pk=platform.pk).update(is_active=False)
    clock.now += 29
    assert api.get(URL).status_code == 200
    clock.now += 1
    assert api.get(URL).status_code == 401


@override_settings(API_KEY_CACHE_S=0)
def test_no_cache_time_looks_the_key_up_on_every_request(api, platform, clock):
    assert _platform_queries(api)[0] == 200
    status, lookups = _platform_queries(api)
    assert status == 200 and len(lookups) == 1


def test_an_unknown_key_is_never_kept(anon_api, clock):
    anon_api.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert anon_api.get(URL).status_code == 401
    status, lookups = _platform_queries(anon_api)
    assert status == 401 and len(lookups) == 1


def test_each_request_gets_its_own_copy_of_the_platform(api, platform, clock):
    from accounts.authentication import platform_for_key

    first = platform_for_key(platform.plain_api_key)
    assert first is not None
    first.name = "changed by one request"
    second = platform_for_key(platform.plain_api_key)
    assert second is not None and second.name == platform.name and second is not first
