"""Per-platform rate limiting: one budget per platform key, 429 with Retry-After beyond it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

# A private LocMem cache per test: counters never leak between tests, and a Redis cache (CI sets
# REDIS_URL) is never touched, let alone cleared.
THREE_PER_MINUTE = {
    "REST_FRAMEWORK": {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"platform": "3/min"}},
}


def _private_cache(name: str) -> dict:
    return {"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}}}


URL = "/api/v1/webhooks/events/"


def test_the_fourth_request_in_a_minute_answers_429_with_retry_after(api):
    with override_settings(**THREE_PER_MINUTE, **_private_cache("throttle-fourth")):
        statuses = [api.get(URL).status_code for _ in range(3)]
        refused = api.get(URL)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()


def test_another_platform_keeps_its_own_budget(api, other_api):
    with override_settings(**THREE_PER_MINUTE, **_private_cache("throttle-other")):
        for _ in range(3):
            api.get(URL)
        assert api.get(URL).status_code == 429

        assert [other_api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
        assert other_api.get(URL).status_code == 429


def test_the_budget_belongs_to_the_platform_not_to_one_client(platform, api):
    """Two servers of one platform share the budget: the key is the platform, not the connection."""
    from rest_framework.test import APIClient

    second_server = APIClient(REMOTE_ADDR="10.0.0.2")
    second_server.credentials(HTTP_AUTHORIZATION=f"Token {platform.plain_api_key}")
    with override_settings(**THREE_PER_MINUTE, **_private_cache("throttle-shared")):
        api.get(URL)
        api.get(URL)
        second_server.get(URL)
        assert second_server.get(URL).status_code == 429
        assert api.get(URL).status_code == 429


def test_staff_sessions_are_limited_per_user(supervisor, admin_user):
    from rest_framework.test import APIClient

    first, second = APIClient(), APIClient()
    first.force_login(supervisor)
    second.force_login(admin_user)
    with override_settings(**THREE_PER_MINUTE, **_private_cache("throttle-staff")):
        assert [first.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert second.get(URL).status_code == 200


def test_the_default_rate_is_generous(api):
    """Out of the box (6000/min) a burst like a benchmark's first second is not throttled."""
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["platform"] == settings.API_THROTTLE_RATE
    with override_settings(**_private_cache("throttle-default")):
        assert {api.get(URL).status_code for _ in range(50)} == {200}


def test_a_non_staff_user_is_still_refused_not_throttled(collector):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(collector)
    with override_settings(**THREE_PER_MINUTE, **_private_cache("throttle-collector")):
        assert {client.get(URL).status_code for _ in range(5)} == {403}


def test_a_bad_rate_in_the_environment_stops_start_up():
    import subprocess
    import sys

    probe = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "API_THROTTLE_RATE": "lots",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode != 0
    assert "API_THROTTLE_RATE" in probe.stderr
